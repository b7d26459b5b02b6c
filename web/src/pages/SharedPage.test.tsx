import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, within } from "@testing-library/react";
import type { Tokens } from "../api/client";
import { AppRoutes } from "../App";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

const TOKEN = "tok_AbCdEfGhIjKlMnOpQrStUvWxYz012345";

function item(id: string, title: string | null, garment: string) {
  const base = `/api/shared/${TOKEN}/images/${id}/file`;
  return {
    id,
    title,
    width: 768,
    height: 1024,
    ratio: 0.75,
    thumbhash: null,
    dominant_color: "#cdbba8",
    garment_type: garment,
    urls: { thumb: `${base}?variant=thumb`, preview: `${base}?variant=preview` },
  };
}

const SHARED = {
  name: "Summer Capsule",
  description: "Linen and sage for June",
  image_count: 2,
  items: [item("a", "Sage wrap dress", "dress"), item("b", null, "blazer")],
  next_cursor: null,
};

/** The whole app at /shared/{token}, for a visitor (no tokens) unless told otherwise. */
function setup(handlers: Handlers, tokens: Tokens | null = null) {
  return renderWithApp(<AppRoutes />, handlers, { path: `/shared/${TOKEN}`, tokens });
}

describe("SharedPage", () => {
  it("shows a logged-out visitor the collection, with its public pictures and no app around it", async () => {
    const { calls } = setup({ [`GET /api/shared/${TOKEN}`]: () => ({ body: SHARED }) });

    expect(await screen.findByRole("heading", { level: 1, name: "Summer Capsule" })).toBeTruthy();
    expect(screen.getByText("Linen and sage for June")).toBeTruthy();
    expect(screen.getByText("2 designs")).toBeTruthy();

    const designs = screen.getByRole("list", { name: "Designs in Summer Capsule" });
    const images = within(designs).getAllByRole("img");
    expect(images.map((i) => i.getAttribute("alt"))).toEqual(["Sage wrap dress", "blazer"]);
    expect(images[0].getAttribute("src")).toBe(`/api/shared/${TOKEN}/images/a/file?variant=thumb`);
    expect(images[0].getAttribute("srcset")).toContain(`/api/shared/${TOKEN}/images/a/file?variant=preview`);

    // Not sent to the login page; no navigation, command bar or account.
    expect(screen.getByText("Designer BFF")).toBeTruthy();
    expect(screen.queryByRole("navigation")).toBeNull();
    expect(screen.queryByRole("search")).toBeNull();
    expect(screen.queryByRole("button", { name: "Log out" })).toBeNull();
    expect(calls.map((c) => [c.url, c.auth])).toEqual([[`/api/shared/${TOKEN}?limit=60`, null]]);
  });

  it("sends no token even when the visitor is signed in", async () => {
    const { calls } = setup(
      { [`GET /api/shared/${TOKEN}`]: () => ({ body: SHARED }) },
      { access: "a", refresh: "r" },
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Summer Capsule" })).toBeTruthy();
    expect(calls.find((c) => c.url.startsWith("/api/shared/"))?.auth).toBeNull();
  });

  it("opens a design large, with its preview", async () => {
    const { user } = setup({ [`GET /api/shared/${TOKEN}`]: () => ({ body: SHARED }) });

    await user.click(await screen.findByRole("button", { name: "View larger: Sage wrap dress" }));
    const viewer = screen.getByRole("dialog", { name: /Sage wrap dress/ });
    expect(within(viewer).getByRole("img").getAttribute("src")).toBe(`/api/shared/${TOKEN}/images/a/file?variant=preview`);
    expect(document.activeElement).toBe(within(viewer).getByRole("button", { name: "Close" }));

    await user.click(within(viewer).getByRole("button", { name: "Next design" }));
    expect(within(viewer).getByRole("img").getAttribute("alt")).toBe("blazer");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("says plainly that a revoked link no longer works", async () => {
    setup({
      [`GET /api/shared/${TOKEN}`]: () => ({
        status: 404,
        body: { error: { code: "share_not_found", message: "This link does not exist or was revoked." } },
      }),
    });
    expect(await screen.findByRole("heading", { level: 1, name: "This link no longer works" })).toBeTruthy();
    expect(screen.queryByRole("img")).toBeNull();
    expect(screen.queryByRole("heading", { name: "Welcome back" })).toBeNull();
  });
});
