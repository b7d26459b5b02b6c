import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import type { InfiniteData } from "@tanstack/react-query";
import { Route, Routes } from "react-router";
import type { GalleryItem, Page } from "../api/types";
import { DesignPage } from "./DesignPage";
import { galleryItem, provider, PROVIDERS, spec, type Call } from "../test/fakeApi";
import { renderWithApp, testQueryClient } from "../test/render";

afterEach(cleanup);

const ID = "11111111-2222-3333-4444-555555555555";
const BASE = `/api/images/${ID}`;

const RESOLVED = {
  garment_type: "blazer",
  silhouette: "oversized",
  length: "cropped",
  neckline: "collared",
  sleeve: "long",
  styles: [],
  colors: ["black", "lilac"],
  palettes: [],
  patterns: ["striped"],
  pattern_variant: null,
  fabrics: ["velvet"],
  occasions: [],
  seasons: [],
  details: ["patch pockets"],
  variant: "double-breasted",
  exclude: { colors: ["red"] },
  explicit: ["colors", "garment_type"],
  ignored: {},
  seed: 59,
};

function detail(overrides: Record<string, unknown> = {}) {
  return {
    id: ID,
    type: "generated",
    status: "ready",
    title: null,
    source_filename: null,
    prompt: "Flat technical sketch of an oversized cropped blazer in black velvet",
    negative_prompt: null,
    spec: { ...spec({ garment_type: "blazer", styles: [], colors: ["black"], fabrics: [] }), resolved: RESOLVED },
    garment_type: "blazer",
    provider: "local_flats",
    model: "flats-v1",
    seed: 59,
    width: 1024,
    height: 1280,
    bytes: 2_400_000,
    format: "png",
    thumbhash: null,
    dominant_color: "#2b2230",
    urls: {
      thumb: `${BASE}/file?variant=thumb`,
      preview: `${BASE}/file?variant=preview`,
      original: `${BASE}/file?variant=original`,
    },
    cost_usd: "0.000000",
    costs: {},
    timings: {},
    job: null,
    vlt: null,
    collections: [{ id: "c1", name: "Autumn" }],
    is_outlier: false,
    outlier_marked_at: null,
    my_feedback: null,
    created_at: "2026-03-04T10:30:00Z",
    completed_at: "2026-03-04T10:30:02Z",
    ...overrides,
  };
}

type Feedback = {
  is_outlier: boolean;
  is_favorite: boolean;
  reaction: string | null;
  rating: number | null;
  comment: string | null;
  tags: string[];
  updated_at: string | null;
};

/** A small stateful API for one design: feedback and collections change as they would. */
function server(overrides: Record<string, (call: Call) => { status?: number; body?: unknown } | undefined> = {}) {
  const fb: Feedback = { is_outlier: false, is_favorite: false, reaction: null, rating: null, comment: null, tags: [], updated_at: null };
  let member = [{ id: "c1", name: "Autumn" }];
  const out = () => ({ body: { ...fb, image_id: ID, outlier_marked_at: fb.is_outlier ? "2026-03-05T00:00:00Z" : null } });
  return {
    [`GET ${BASE}`]: () => ({ body: detail({ my_feedback: { ...fb }, is_outlier: fb.is_outlier, collections: member }) }),
    [`POST ${BASE}/feedback`]: (call: Call) => {
      const body = call.body as { type?: string; rating?: number | null; comment?: string };
      if (body.type === "outlier") fb.is_outlier = true;
      if (body.type === "favorite") fb.is_favorite = true;
      if (body.type === "like" || body.type === "dislike") fb.reaction = body.type;
      if ("rating" in body) fb.rating = body.rating ?? null;
      if ("comment" in body) fb.comment = body.comment?.trim() || null;
      return out();
    },
    [`DELETE ${BASE}/feedback`]: (call: Call) => {
      const type = new URL(call.url, "http://x").searchParams.get("type");
      if (type === "outlier") fb.is_outlier = false;
      if (type === "favorite") fb.is_favorite = false;
      if (type === fb.reaction) fb.reaction = null;
      return out();
    },
    "GET /api/collections": () => ({
      body: {
        items: [
          { id: "c2", name: "Resort", description: null, image_count: 3, created_at: "2026-02-01T00:00:00Z" },
          { id: "c1", name: "Autumn", description: null, image_count: 8, created_at: "2026-01-01T00:00:00Z" },
        ],
        next_cursor: null,
      },
    }),
    "POST /api/collections/c2/images": () => {
      member = [...member, { id: "c2", name: "Resort" }];
      return { body: { added: 1, already_present: 0, collection: { id: "c2", name: "Resort", image_count: 4 } } };
    },
    "POST /api/collections": (call: Call) => {
      const name = (call.body as { name: string }).name;
      member = [...member, { id: "c3", name }];
      return { status: 201, body: { id: "c3", name, description: null, image_count: 1, created_at: "2026-03-05T00:00:00Z" } };
    },
    [`DELETE /api/collections/c1/images/${ID}`]: () => {
      member = member.filter((c) => c.id !== "c1");
      return { status: 204 };
    },
    [`DELETE ${BASE}`]: () => ({
      body: { id: ID, deleted_at: "2026-03-05T00:00:00Z", purge_after: "2026-04-04T00:00:00Z", restore_url: `${BASE}/restore` },
    }),
    [`POST ${BASE}/restore`]: () => ({ body: { id: ID, restored: true } }),
    "POST /api/generations": (call: Call) => ({
      status: 202,
      body: { id: "job-9", status: "queued", quantity: (call.body as { quantity: number }).quantity },
    }),
    ...overrides,
  };
}

function setup(handlers: ReturnType<typeof server>, path = `/designs/${ID}`) {
  // The gallery as it was left: this design and another.
  const queryClient = testQueryClient();
  const shown = (id: string) =>
    galleryItem(id, {
      width: 1024,
      height: 1280,
      ratio: 0.8,
      spec: { garment_type: "blazer" },
    });
  queryClient.setQueryData<InfiniteData<Page<GalleryItem>>>(["images", { outliers: false }], {
    pages: [{ items: [shown(ID), shown("other")], next_cursor: null }],
    pageParams: [null],
  });
  const app = renderWithApp(
    <Routes>
      <Route path="/designs/:id" element={<DesignPage />} />
      <Route path="/" element={<h1>Gallery</h1>} />
    </Routes>,
    handlers,
    { path, queryClient },
  );
  const gallery = () =>
    queryClient.getQueryData<InfiniteData<Page<GalleryItem>>>(["images", { outliers: false }])?.pages[0].items ?? [];
  return { ...app, gallery };
}

const sent = (calls: Call[], method: string, path: string) =>
  calls.filter((c) => c.method === method && c.url.split("?")[0] === path);

describe("DesignPage", () => {
  it("shows the design large, its spec, provenance, collections and a download link", async () => {
    setup(server());
    const title = await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" });
    expect(title).toBeTruthy();

    const img = screen.getByRole("img", { name: "Black velvet striped blazer" }) as HTMLImageElement;
    expect(img.getAttribute("src")).toBe(`${BASE}/file?variant=preview`);

    // The spec really drawn, readable, with what the studio chose marked.
    const specPanel = screen.getByRole("region", { name: "Garment spec" });
    const row = (label: string) => within(specPanel).getByText(label).parentElement!.querySelector("dd")!.textContent;
    expect(row("Garment")).toBe("blazer");
    expect(row("Silhouette")).toBe("oversized" + "studio’s pick");
    expect(row("Colours")).toBe("black, lilac");
    expect(row("Fabrics")).toBe("velvet" + "studio’s pick");
    expect(row("Patterns")).toBe("striped" + "studio’s pick");
    expect(row("Details")).toBe("patch pockets" + "studio’s pick");
    expect(row("Without")).toBe("red");
    expect(within(specPanel).queryByText("Styles")).toBeNull(); // nothing there, no row
    expect(within(specPanel).getByText(/oversized cropped blazer in black velvet/)).toBeTruthy();

    const made = screen.getByRole("region", { name: "Made with" });
    expect(within(made).getByText("local flats")).toBeTruthy();
    expect(within(made).getByText("59")).toBeTruthy();
    expect(within(made).getByText("1024 × 1280 px · PNG, 2.3 MB")).toBeTruthy();
    const created = screen.getByText(/^Created/).querySelector("time");
    expect(created?.getAttribute("dateTime")).toBe("2026-03-04T10:30:00Z");
    expect(created?.textContent).toMatch(/2026/);

    const collections = screen.getByRole("list", { name: "In collections" });
    expect(within(collections).getByText("Autumn")).toBeTruthy();

    const download = screen.getByRole("link", { name: "Download original" });
    expect(download.getAttribute("href")).toBe(`${BASE}/file?variant=original`);
    expect(download.getAttribute("download")).toBe("black-velvet-striped-blazer-11111111.png");

    expect(screen.getByRole("link", { name: /Back to gallery/ }).getAttribute("href")).toBe("/");
  });

  it("sends each verdict, rating and comment, and keeps the gallery in step", async () => {
    const { calls, user, gallery } = setup(server());
    await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" });

    const outlier = screen.getByRole("button", { name: "Outlier" });
    expect(outlier.getAttribute("aria-pressed")).toBe("false");
    await user.click(outlier);
    await waitFor(() => expect(sent(calls, "POST", `${BASE}/feedback`).map((c) => c.body)).toEqual([{ type: "outlier" }]));
    expect(outlier.getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(gallery().find((i) => i.id === ID)?.is_outlier).toBe(true));
    expect(gallery().find((i) => i.id === "other")?.is_outlier).toBe(false);

    await user.click(outlier); // and back
    await waitFor(() => expect(sent(calls, "DELETE", `${BASE}/feedback`).map((c) => c.url)).toEqual([`${BASE}/feedback?type=outlier`]));
    await waitFor(() => expect(outlier.getAttribute("aria-pressed")).toBe("false"));

    await user.click(screen.getByRole("button", { name: "Favourite" }));
    await user.click(screen.getByRole("button", { name: "Like" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Like" }).getAttribute("aria-pressed")).toBe("true"));
    await user.click(screen.getByRole("button", { name: "Dislike" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Dislike" }).getAttribute("aria-pressed")).toBe("true"));
    expect(screen.getByRole("button", { name: "Like" }).getAttribute("aria-pressed")).toBe("false");

    await user.click(screen.getByRole("radio", { name: "4 stars" }));
    await waitFor(() => expect(screen.getByText("4 of 5")).toBeTruthy());
    expect((screen.getByRole("radio", { name: "4 stars" }) as HTMLInputElement).checked).toBe(true);
    await user.click(screen.getByRole("button", { name: "Clear rating" }));
    await waitFor(() => expect(screen.getByText("Not rated")).toBeTruthy());

    const comment = screen.getByRole("textbox", { name: "Comment" });
    expect((screen.getByRole("button", { name: "Save comment" }) as HTMLButtonElement).disabled).toBe(true);
    await user.type(comment, "Shorter sleeves next time");
    await user.click(screen.getByRole("button", { name: "Save comment" }));
    expect(await screen.findByText("Comment saved.")).toBeTruthy();
    expect((comment as HTMLTextAreaElement).value).toBe("Shorter sleeves next time");

    expect(sent(calls, "POST", `${BASE}/feedback`).map((c) => c.body)).toEqual([
      { type: "outlier" },
      { type: "favorite" },
      { type: "like" },
      { type: "dislike" },
      { rating: 4 },
      { rating: null },
      { comment: "Shorter sleeves next time" },
    ]);
  });

  it("says plainly when feedback is refused, and shows it as it was", async () => {
    const { user } = setup(
      server({
        [`POST ${BASE}/feedback`]: () => ({
          status: 503,
          body: { error: { code: "unavailable", message: "The studio is busy. Try again in a moment." } },
        }),
      }),
    );
    await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" });
    const favourite = screen.getByRole("button", { name: "Favourite" });
    await user.click(favourite);
    expect((await screen.findByRole("alert")).textContent).toBe("Not saved: The studio is busy. Try again in a moment.");
    expect(favourite.getAttribute("aria-pressed")).toBe("false");
  });

  it("adds the design to a collection, to a new one, and takes it out of one", async () => {
    const { calls, user } = setup(server());
    await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" });
    // Collections are listed only when the picker opens.
    expect(sent(calls, "GET", "/api/collections")).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "Add to collection" }));

    const select = (await screen.findByRole("combobox", { name: "Collection" })) as HTMLSelectElement;
    // Only the collections it is not in yet.
    expect([...select.options].map((o) => o.textContent)).toEqual(["Resort (3)"]);
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByText("Added to “Resort”.")).toBeTruthy();
    expect(sent(calls, "POST", "/api/collections/c2/images")[0].body).toEqual({ image_ids: [ID] });
    const list = screen.getByRole("list", { name: "In collections" });
    await waitFor(() => expect(within(list).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Autumn×", "Resort×"]));

    await user.type(screen.getByRole("textbox", { name: "New collection" }), "  Capsule 27  ");
    await user.click(screen.getByRole("button", { name: "Create and add" }));
    expect(await screen.findByText("Added to “Capsule 27”.")).toBeTruthy();
    expect(sent(calls, "POST", "/api/collections")[0].body).toEqual({ name: "Capsule 27", image_ids: [ID] });
    await waitFor(() => expect(within(list).getByText("Capsule 27")).toBeTruthy());

    await user.click(screen.getByRole("button", { name: "Remove from Autumn" }));
    await waitFor(() => expect(within(list).queryByText("Autumn")).toBeNull());
    expect(sent(calls, "DELETE", `/api/collections/c1/images/${ID}`)).toHaveLength(1);
  });

  it("starts more like this from the spec the design was drawn from", async () => {
    const { calls, user, live } = setup(server());
    await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" });
    await user.selectOptions(screen.getByRole("combobox", { name: "How many" }), "2");
    await user.click(screen.getByRole("button", { name: "More like this" }));

    expect(await screen.findByText(/On it: 2 black lilac velvet blazers\./)).toBeTruthy();
    const body = sent(calls, "POST", "/api/generations")[0].body;
    // The drawn spec as a GarmentSpec: the provider's own keys are left out.
    const { pattern_variant, variant, explicit, ignored, seed, ...drawn } = RESOLVED;
    expect(body).toEqual({ spec: { quantity: 2, ...drawn }, quantity: 2 });
    expect(live.track).toHaveBeenCalledWith({ id: "job-9", label: "2 black lilac velvet blazers", total: 2 });
  });

  it("offers no more like this for a design without a spec (an upload)", async () => {
    setup(
      server({
        [`GET ${BASE}`]: () => ({
          body: detail({ type: "portfolio", title: "Sketchbook page 4", spec: null, garment_type: null, prompt: null, seed: null }),
        }),
      }),
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Sketchbook page 4" })).toBeTruthy();
    expect(screen.getByText("This design was made without a garment spec.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "More like this" })).toBeNull();
    expect(screen.getByRole("button", { name: "Outlier" })).toBeTruthy();
  });

  it("deletes only after confirming, and can restore", async () => {
    const { calls, user, gallery } = setup(server());
    await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" });

    await user.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete this design?" });
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Cancel" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(sent(calls, "DELETE", BASE)).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Move to trash" }));
    expect(await screen.findByRole("heading", { name: "Moved to the trash" })).toBeTruthy();
    expect(sent(calls, "DELETE", BASE)).toHaveLength(1);
    expect(gallery().map((i) => i.id)).toEqual(["other"]);

    await user.click(screen.getByRole("button", { name: "Restore" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Black velvet striped blazer" })).toBeTruthy();
    expect(sent(calls, "POST", `${BASE}/restore`)).toHaveLength(1);
  });

  it("says when a design does not exist or is not the designer's", async () => {
    const { user } = setup(
      server({ [`GET ${BASE}`]: () => ({ status: 404, body: { error: { code: "not_found", message: "No such design." } } }) }),
    );
    expect(await screen.findByText("This design does not exist or is not yours.")).toBeTruthy();
    expect(screen.getByRole("heading", { level: 1, name: "Design not found" })).toBeTruthy();
    await user.click(screen.getAllByRole("link", { name: /Back to gallery/ })[0]);
    expect(await screen.findByRole("heading", { name: "Gallery" })).toBeTruthy();
  });

  it("does not ask the API about an address that is no design id", async () => {
    const { calls } = setup(server(), "/designs/not-a-design");
    expect(await screen.findByText("This design does not exist or is not yours.")).toBeTruthy();
    expect(calls.filter((c) => c.url.startsWith("/api/images"))).toHaveLength(0);
  });

  it("says what went wrong when the design cannot be loaded", async () => {
    setup(
      server({
        [`GET ${BASE}`]: () => ({ status: 403, body: { error: { code: "forbidden", message: "Your account is suspended." } } }),
      }),
    );
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("Your account is suspended.")).toBeTruthy();
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeTruthy();
  });
});

describe("DesignPage costs and enhance", () => {
  const NEW = "99999999-8888-7777-6666-555555555555";

  it("shows what the design cost, Free when nothing", async () => {
    setup(server());
    const made = await screen.findByRole("region", { name: "Made with" });
    expect(within(made).getByText("Cost").parentElement!.querySelector("dd")!.textContent).toBe("Free");
    cleanup();

    setup(
      server({
        [`GET ${BASE}`]: () => ({
          body: detail({
            cost_usd: "0.040000",
            costs: { image_usd: "0.040000", job_usd: "0.160000" },
            job: { id: "j1", status: "completed", source: "text", quantity: 4, seq: 1 },
          }),
        }),
      }),
    );
    const paid = await screen.findByRole("region", { name: "Made with" });
    expect(within(paid).getByText("Cost").parentElement!.querySelector("dd")!.textContent).toBe(
      "$0.04 · $0.16 for the whole job of 4",
    );
  });

  it("enhances at the chosen scale, says so, then links to the new design", async () => {
    let polls = 0;
    const { calls, user, live } = setup(
      server({
        "GET /api/generations/providers": () => ({ body: PROVIDERS }),
        [`POST ${BASE}/enhance`]: () => ({
          status: 202,
          body: { id: NEW, job_id: "job-e", status: "pending", type: "enhanced", source_image_id: ID },
        }),
        [`GET /api/images/${NEW}`]: () => {
          polls += 1;
          return {
            body: detail({ id: NEW, type: "enhanced", source_image_id: ID, status: polls > 1 ? "ready" : "pending" }),
          };
        },
      }),
    );
    const panel = await screen.findByRole("region", { name: "Enhance" });
    expect(await within(panel).findByText("Cost: Free")).toBeTruthy();
    // Only the local upscaler: no face fix on offer, and no provider to choose.
    expect(within(panel).queryByRole("checkbox", { name: "Fix faces" })).toBeNull();
    expect(within(panel).queryByRole("combobox", { name: "Enhance with" })).toBeNull();

    await user.click(within(panel).getByRole("radio", { name: "×4" }));
    await user.click(within(panel).getByRole("button", { name: "Enhance" }));

    await waitFor(() => expect(sent(calls, "POST", `${BASE}/enhance`)).toHaveLength(1));
    expect(sent(calls, "POST", `${BASE}/enhance`)[0].body).toEqual({ scale: 4, face_fix: false });
    expect(await within(panel).findByText(/^Enhancing…/)).toBeTruthy();
    expect(live.track).toHaveBeenCalledWith({ id: "job-e", label: "Black velvet striped blazer, enhanced ×4", total: 1 });

    const link = await within(panel).findByRole("link", { name: "Open the enhanced design" }, { timeout: 5000 });
    expect(link.getAttribute("href")).toBe(`/designs/${NEW}`);
  });

  it("offers face fix only where a provider can, and says why an enhance is refused", async () => {
    const { calls, user } = setup(
      server({
        "GET /api/generations/providers": () => ({
          body: [...PROVIDERS, provider("replicate-esrgan", { operation: "enhance", unit_price_usd: "0.002500" })],
        }),
        [`POST ${BASE}/enhance`]: () => ({
          status: 422,
          body: { error: { code: "too_large", message: "This design is too large to enhance ×4." } },
        }),
      }),
    );
    const panel = await screen.findByRole("region", { name: "Enhance" });
    const chooser = await within(panel).findByRole("combobox", { name: "Enhance with" });
    await user.selectOptions(chooser, "replicate-esrgan");
    expect(within(panel).getByText("Cost: $0.0025")).toBeTruthy();
    await user.click(within(panel).getByRole("checkbox", { name: "Fix faces" }));
    await user.click(within(panel).getByRole("radio", { name: "×4" }));
    await user.click(within(panel).getByRole("button", { name: "Enhance" }));
    expect((await within(panel).findByRole("alert")).textContent).toBe("Not enhanced: This design is too large to enhance ×4.");
    expect(sent(calls, "POST", `${BASE}/enhance`)[0].body).toEqual({ scale: 4, face_fix: true, provider: "replicate-esrgan" });

    // The local upscaler cannot fix faces.
    await user.selectOptions(chooser, "local-upscale");
    expect((within(panel).getByRole("checkbox", { name: "Fix faces" }) as HTMLInputElement).disabled).toBe(true);
  });

  it("links an enhanced design to its source", async () => {
    setup(server({ [`GET ${BASE}`]: () => ({ body: detail({ type: "enhanced", source_image_id: NEW }) }) }));
    const link = await screen.findByRole("link", { name: "View the source design" });
    expect(link.getAttribute("href")).toBe(`/designs/${NEW}`);
  });
});
