import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { fileUrls } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";
import { CollectionsPage } from "./CollectionsPage";

afterEach(cleanup);

function collection(overrides: Record<string, unknown> = {}) {
  return {
    id: "c1",
    name: "Summer Capsule",
    description: null,
    cover_image_id: null,
    cover: {
      image_id: "i1",
      width: 768,
      height: 1024,
      thumbhash: null,
      dominant_color: "#c9b8a6",
      urls: fileUrls("/api/images/i1/file"),
    },
    image_count: 3,
    shared: false,
    share_url: null,
    created_at: "2026-05-01T10:00:00Z",
    updated_at: "2026-05-01T10:00:00Z",
    ...overrides,
  };
}

function setup(handlers: Handlers) {
  return renderWithApp(
    <Routes>
      <Route path="/collections" element={<CollectionsPage />} />
      <Route path="/collections/:id" element={<p>collection page</p>} />
    </Routes>,
    handlers,
    { path: "/collections" },
  );
}

describe("CollectionsPage", () => {
  it("shows each collection as a card: cover, name, count and shared badge", async () => {
    const { calls } = setup({
      "GET /api/collections": () => ({
        body: {
          items: [
            collection({ shared: true, share_url: "http://api.test/api/shared/tok" }),
            collection({ id: "c2", name: "Night Out", cover: null, image_count: 1 }),
          ],
          next_cursor: null,
        },
      }),
    });

    const list = await screen.findByRole("list", { name: "Your collections" });
    const cards = within(list).getAllByRole("listitem");
    expect(cards).toHaveLength(2);

    const summer = within(cards[0]).getByRole("link");
    expect(summer.getAttribute("href")).toBe("/collections/c1");
    expect(summer.textContent).toContain("Summer Capsule");
    expect(summer.textContent).toContain("3 designs");
    expect(within(cards[0]).getByText("Shared")).toBeTruthy();
    // The cover is a plain <img>: the files cookie opens it.
    expect(cards[0].querySelector("img")?.getAttribute("src")).toBe("/api/images/i1/file?variant=thumb");

    expect(within(cards[1]).getByRole("link").textContent).toContain("1 design");
    expect(within(cards[1]).queryByText("Shared")).toBeNull();
    expect(cards[1].querySelector("img")).toBeNull();

    expect(calls.find((c) => c.url.startsWith("/api/collections"))).toMatchObject({
      method: "GET",
      url: "/api/collections?limit=48",
      auth: "Bearer a",
    });
  });

  it("teaches when there are none, and creates one with a description", async () => {
    const created = collection({ id: "c9", name: "Linen Edit", description: "Sage and sand", cover: null, image_count: 0 });
    let listed: unknown[] = [];
    const { calls, user } = setup({
      "GET /api/collections": () => ({ body: { items: listed, next_cursor: null } }),
      "POST /api/collections": () => {
        listed = [created];
        return { status: 201, body: created };
      },
    });

    expect(await screen.findByRole("heading", { name: "Collect your favourite designs" })).toBeTruthy();
    expect(screen.getByText(/Add to collection/).closest("p")?.textContent).toContain("add the last 3 to Summer Capsule");

    await user.type(screen.getByLabelText("Name"), "  Linen Edit ");
    await user.type(screen.getByLabelText(/Description/), "Sage and sand");
    await user.click(screen.getByRole("button", { name: "Create collection" }));

    await waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")).toMatchObject({
      url: "/api/collections",
      body: { name: "Linen Edit", description: "Sage and sand" },
    });
    const list = await screen.findByRole("list", { name: "Your collections" });
    expect(within(list).getByRole("link").textContent).toContain("Linen Edit");
    expect(within(list).getByRole("link").textContent).toContain("0 designs");
    expect(screen.getByRole("status").textContent).toContain("Created Linen Edit");
  });

  it("says plainly why a name was refused, and sends no empty description", async () => {
    const { calls, user } = setup({
      "GET /api/collections": () => ({ body: { items: [collection()], next_cursor: null } }),
      "POST /api/collections": () => ({
        status: 409,
        body: {
          error: {
            code: "collection_exists",
            message: "You already have a collection called “Summer Capsule”.",
          },
        },
      }),
    });

    await user.click(await screen.findByRole("button", { name: "New collection" }));
    const name = screen.getByLabelText("Name");
    expect(document.activeElement).toBe(name);
    await user.type(name, "summer capsule{Enter}");

    expect((await screen.findByRole("alert")).textContent).toBe("You already have a collection called “Summer Capsule”.");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "summer capsule" });
    expect(name.getAttribute("aria-invalid")).toBe("true");
  });
});
