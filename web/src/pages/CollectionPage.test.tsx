import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { galleryItem, type Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";
import { CollectionPage } from "./CollectionPage";
import { CollectionsPage } from "./CollectionsPage";

afterEach(cleanup);

const ID = "c1";
const TOKEN = "tok_AbCdEfGhIjKlMnOpQrStUvWxYz012345";

function design(id: string, garment: string) {
  return galleryItem(id, {
    dominant_color: "#d8c9b8",
    spec: { garment_type: garment, colors: [], styles: [] },
    provider: "mock",
    created_at: "2026-05-01T10:00:00Z",
  });
}

const DESIGNS = { a: design("a", "dress"), b: design("b", "blazer"), c: design("c", "skirt") };
type Key = keyof typeof DESIGNS;

/** A collection on a fake API that keeps what it was told, as the real one does. */
function server(initial: Partial<{ name: string; description: string | null; cover: string | null; shared: boolean }> = {}) {
  const state = {
    name: initial.name ?? "Summer Capsule",
    description: (initial.description === undefined ? "Linen and sage for June" : initial.description) as string | null,
    cover: (initial.cover ?? null) as string | null,
    token: (initial.shared ? TOKEN : null) as string | null,
    order: ["a", "b", "c"] as Key[],
    refuseOrder: false,
    gone: false,
  };
  const out = () => {
    const coverId = state.cover ?? state.order[0] ?? null;
    return {
      id: ID,
      name: state.name,
      description: state.description,
      cover_image_id: state.cover,
      cover: coverId ? { image_id: coverId, width: 768, height: 1024, thumbhash: null, dominant_color: null, urls: DESIGNS[coverId as Key].urls } : null,
      image_count: state.order.length,
      shared: state.token !== null,
      share_url: state.token ? `http://testserver/api/shared/${state.token}` : null,
      created_at: "2026-05-01T10:00:00Z",
      updated_at: "2026-05-01T10:00:00Z",
    };
  };
  const missing = { status: 404, body: { error: { code: "collection_not_found", message: "No such collection." } } };
  const handlers: Handlers = {
    "GET /api/collections": () => ({ body: { items: state.gone ? [] : [out()], next_cursor: null } }),
    [`GET /api/collections/${ID}`]: () => (state.gone ? missing : { body: out() }),
    [`GET /api/collections/${ID}/images`]: () => ({
      body: { items: state.order.map((k) => DESIGNS[k]), next_cursor: null },
    }),
    [`PATCH /api/collections/${ID}`]: (call) => {
      const body = call.body as { name?: string; description?: string | null; cover_image_id?: string | null };
      if (body.name !== undefined) state.name = body.name;
      if ("description" in body) state.description = body.description ?? null;
      if ("cover_image_id" in body) state.cover = body.cover_image_id ?? null;
      return { body: out() };
    },
    [`DELETE /api/collections/${ID}`]: () => {
      state.gone = true;
      return { status: 204 };
    },
    [`PUT /api/collections/${ID}/images/order`]: (call) => {
      if (state.refuseOrder) {
        return {
          status: 409,
          body: { error: { code: "not_in_collection", message: "Some of these images are not in this collection." } },
        };
      }
      const first = (call.body as { image_ids: Key[] }).image_ids;
      state.order = [...first, ...state.order.filter((k) => !first.includes(k))];
      return { body: { image_ids: state.order } };
    },
    [`POST /api/collections/${ID}/share`]: () => {
      state.token = TOKEN;
      return { body: { url: `http://testserver/api/shared/${TOKEN}`, token: TOKEN, shared_at: "2026-05-02T09:00:00Z" } };
    },
    [`DELETE /api/collections/${ID}/share`]: () => {
      state.token = null;
      return { status: 204 };
    },
  };
  for (const k of Object.keys(DESIGNS) as Key[]) {
    handlers[`DELETE /api/collections/${ID}/images/${k}`] = () => {
      state.order = state.order.filter((x) => x !== k);
      if (state.cover === k) state.cover = null;
      return { status: 204 };
    };
  }
  return { state, handlers };
}

function setup(handlers: Handlers) {
  return renderWithApp(
    <Routes>
      <Route path="/collections" element={<CollectionsPage />} />
      <Route path="/collections/:id" element={<CollectionPage />} />
    </Routes>,
    handlers,
    { path: `/collections/${ID}` },
  );
}

const sent = (calls: Call[], method: string, url: string) => calls.filter((c) => c.method === method && c.url === url);

async function designList() {
  return screen.findByRole("list", { name: /^Designs in / });
}

function shownOrder(list: HTMLElement): string[] {
  return within(list)
    .getAllByRole("listitem")
    .map((li) => li.getAttribute("data-item") ?? "");
}

describe("CollectionPage", () => {
  it("shows the name, description and the designs in order, each linking to its page", async () => {
    const { handlers } = server();
    const { calls } = setup(handlers);

    expect(await screen.findByRole("heading", { level: 1, name: "Summer Capsule" })).toBeTruthy();
    expect(screen.getByText("Linen and sage for June")).toBeTruthy();
    const list = await designList();
    expect(shownOrder(list)).toEqual(["a", "b", "c"]);
    const links = within(list).getAllByRole("link");
    expect(links.map((l) => l.getAttribute("href"))).toEqual(["/designs/a", "/designs/b", "/designs/c"]);
    expect(links[0].querySelector("img")?.getAttribute("src")).toBe("/api/images/a/file?variant=thumb");
    // The first design is the cover until another one is chosen.
    expect(within(within(list).getAllByRole("listitem")[0]).getByText("Cover")).toBeTruthy();
    expect(sent(calls, "GET", `/api/collections/${ID}/images?limit=100`)).toHaveLength(1);
  });

  it("renames inline, and Escape leaves without saving", async () => {
    const { handlers } = server();
    const { calls, user } = setup(handlers);

    await user.click(await screen.findByRole("button", { name: "Rename" }));
    const name = screen.getByLabelText("Collection name");
    await user.clear(name);
    await user.type(name, "Resort 27");
    await user.keyboard("{Escape}");
    expect(screen.getByRole("heading", { level: 1, name: "Summer Capsule" })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Rename" }));

    await user.click(screen.getByRole("button", { name: "Rename" }));
    await user.clear(screen.getByLabelText("Collection name"));
    await user.type(screen.getByLabelText("Collection name"), "Resort 27");
    await user.clear(screen.getByLabelText(/Description/));
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Resort 27" })).toBeTruthy();
    expect(sent(calls, "PATCH", `/api/collections/${ID}`).map((c) => c.body)).toEqual([
      { name: "Resort 27", description: null },
    ]);
    expect(screen.queryByText("Linen and sage for June")).toBeNull();
  });

  it("deletes after a confirmation, then goes back to the list", async () => {
    const { handlers } = server();
    const { calls, user } = setup(handlers);

    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const confirm = screen.getByRole("group", { name: "Confirm delete" });
    expect(confirm.textContent).toContain("Its designs stay in your gallery");
    expect(document.activeElement).toBe(within(confirm).getByRole("button", { name: "Keep it" }));
    expect(sent(calls, "DELETE", `/api/collections/${ID}`)).toHaveLength(0);

    await user.click(within(confirm).getByRole("button", { name: "Delete collection" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Collections" })).toBeTruthy();
    expect(sent(calls, "DELETE", `/api/collections/${ID}`)).toHaveLength(1);
    expect(screen.getByRole("status").textContent).toContain("Deleted “Summer Capsule”");
  });

  it("reorders with the Move earlier / Move later buttons and keeps the focus on the design", async () => {
    const { handlers, state } = server();
    const { calls, user } = setup(handlers);
    const list = await designList();

    const later = within(list).getByRole("button", { name: "Move later: dress" });
    await user.click(later);

    await waitFor(() => expect(shownOrder(list)).toEqual(["b", "a", "c"]));
    await waitFor(() => expect(document.activeElement).toBe(later));
    expect(sent(calls, "PUT", `/api/collections/${ID}/images/order`).map((c) => c.body)).toEqual([
      { image_ids: ["b", "a", "c"] },
    ]);

    // From the keyboard: the focused button again, then the skirt one place earlier.
    await user.keyboard("{Enter}");
    await waitFor(() => expect(shownOrder(list)).toEqual(["b", "c", "a"]));
    // Last now: Move later is disabled, so the focus goes to Move earlier.
    await waitFor(() => expect(document.activeElement?.getAttribute("aria-label")).toBe("Move earlier: dress"));
    await user.click(within(list).getByRole("button", { name: "Move earlier: skirt" }));
    await waitFor(() => expect(shownOrder(list)).toEqual(["c", "b", "a"]));

    expect(sent(calls, "PUT", `/api/collections/${ID}/images/order`).map((c) => c.body)).toEqual([
      { image_ids: ["b", "a", "c"] },
      { image_ids: ["b", "c", "a"] },
      { image_ids: ["c", "b", "a"] },
    ]);
    await waitFor(() => expect(state.order).toEqual(["c", "b", "a"]));
    expect(within(list).getByRole("button", { name: "Move earlier: skirt" })).toHaveProperty("disabled", true);
  });

  it("puts the designs back and says so when the new order is refused", async () => {
    const { handlers, state } = server();
    state.refuseOrder = true;
    const { user } = setup(handlers);
    const list = await designList();

    await user.click(within(list).getByRole("button", { name: "Move earlier: skirt" }));

    expect((await screen.findByRole("alert")).textContent).toContain("Some of these images are not in this collection.");
    await waitFor(() => expect(shownOrder(list)).toEqual(["a", "b", "c"]));
  });

  it("reorders by drag and drop", async () => {
    const { handlers } = server();
    const { calls } = setup(handlers);
    const list = await designList();
    const [first, , third] = within(list).getAllByRole("listitem");
    const dataTransfer = { setData: () => undefined, effectAllowed: "", dropEffect: "" };

    fireEvent.dragStart(third, { dataTransfer });
    fireEvent.dragOver(first, { dataTransfer, clientX: 1 });
    fireEvent.drop(first, { dataTransfer, clientX: 1 });
    fireEvent.dragEnd(third, { dataTransfer });

    await waitFor(() => expect(shownOrder(list)).toEqual(["c", "a", "b"]));
    expect(sent(calls, "PUT", `/api/collections/${ID}/images/order`).map((c) => c.body)).toEqual([
      { image_ids: ["c", "a", "b"] },
    ]);
  });

  it("makes a design the cover, and removes one from the collection", async () => {
    const { handlers } = server();
    const { calls, user } = setup(handlers);
    const list = await designList();

    const makeCover = within(list).getByRole("button", { name: "Make cover: blazer" });
    expect(makeCover.getAttribute("aria-pressed")).toBe("false");
    await user.click(makeCover);
    await waitFor(() => expect(makeCover.getAttribute("aria-pressed")).toBe("true"));
    expect(sent(calls, "PATCH", `/api/collections/${ID}`).map((c) => c.body)).toEqual([{ cover_image_id: "b" }]);
    const items = within(list).getAllByRole("listitem");
    expect(within(items[1]).getByText("Cover", { selector: ".col-cover-badge" })).toBeTruthy();
    expect(within(items[0]).queryByText("Cover", { selector: ".col-cover-badge" })).toBeNull();

    await user.click(within(list).getByRole("button", { name: "Remove from collection: skirt" }));
    await waitFor(() => expect(shownOrder(list)).toEqual(["a", "b"]));
    expect(sent(calls, "DELETE", `/api/collections/${ID}/images/c`)).toHaveLength(1);
    expect(await screen.findByText("2 designs")).toBeTruthy();
  });

  it("creates the share link to the web page, copies it, and revokes it", async () => {
    const { handlers } = server();
    const { calls, user } = setup(handlers);
    const webLink = `${window.location.origin}/shared/${TOKEN}`;

    await user.click(await screen.findByRole("button", { name: "Create share link" }));

    const link = (await screen.findByLabelText("Share link")) as HTMLInputElement;
    expect(link.value).toBe(webLink);
    expect(sent(calls, "POST", `/api/collections/${ID}/share`)).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Copy link" }));
    expect(await navigator.clipboard.readText()).toBe(webLink);
    expect(await screen.findByText("Link copied.")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Revoke link" }));
    expect(await screen.findByRole("button", { name: "Create share link" })).toBeTruthy();
    expect(screen.queryByLabelText("Share link")).toBeNull();
    expect(sent(calls, "DELETE", `/api/collections/${ID}/share`)).toHaveLength(1);
    expect(screen.getByText(/the old link no longer works/)).toBeTruthy();
  });

  it("shows the web link of a collection shared before", async () => {
    const { handlers } = server({ shared: true });
    setup(handlers);
    const link = (await screen.findByLabelText("Share link")) as HTMLInputElement;
    expect(link.value).toBe(`${window.location.origin}/shared/${TOKEN}`);
    expect(link.value).not.toContain("/api/");
  });

  it("says so when the collection does not exist", async () => {
    const { handlers, state } = server();
    state.gone = true;
    setup(handlers);
    expect(await screen.findByRole("heading", { name: "This collection is gone" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Back to collections" }).getAttribute("href")).toBe("/collections");
  });
});
