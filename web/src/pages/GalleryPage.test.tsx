import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";
import type { GalleryItem } from "../api/types";
import { GalleryPage } from "./GalleryPage";
import { galleryItem, type Call } from "../test/fakeApi";
import { renderWithApp } from "../test/render";

beforeEach(() => {
  // The thumbnails: fetched with the token, shown through object URLs.
  let n = 0;
  vi.spyOn(URL, "createObjectURL").mockImplementation(() => `blob:thumb-${++n}`);
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
});

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  vi.restoreAllMocks();
});

const SUMMER = "0b9a3c1e-1111-4a4a-8888-000000000001";
const SPRING = "0b9a3c1e-1111-4a4a-8888-000000000002";

function design(n: number, spec: Record<string, unknown>, extra: Partial<GalleryItem> = {}): GalleryItem {
  return galleryItem(`00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, {
    dominant_color: "#c8a890",
    urls: { thumb: `/api/images/${n}/file?variant=thumb` },
    spec,
    provider: "flats",
    created_at: "2026-01-10T10:00:00Z",
    ...extra,
  });
}

const DESIGNS = [
  design(1, { garment_type: "dress", styles: ["bohemian"], colors: ["red"], patterns: ["floral"] }),
  design(2, { garment_type: "blazer", styles: ["minimalist"], colors: ["black"] }),
  design(3, { garment_type: "dress", styles: ["romantic"], colors: ["sage"] }),
];

const COLLECTIONS = [
  { id: SUMMER, name: "Summer", image_count: 4 },
  { id: SPRING, name: "Spring", image_count: 0 },
];

function Where() {
  const location = useLocation();
  return <output data-testid="where">{location.pathname + location.search}</output>;
}

function setup(path = "/", images: (query: URLSearchParams) => GalleryItem[] = () => DESIGNS, handlers = {}) {
  const app = renderWithApp(
    <>
      <Routes>
        <Route path="/" element={<GalleryPage />} />
        <Route path="/designs/:id" element={<h1>Design page</h1>} />
      </Routes>
      <Where />
    </>,
    {
      "GET /api/images": (c: Call) => ({
        body: { items: images(new URL(c.url, "http://x").searchParams), next_cursor: null },
      }),
      "GET /api/collections": () => ({ body: { items: COLLECTIONS, next_cursor: null } }),
      "GET /api/voice/examples": () => ({ body: { examples: [] } }),
      ...Object.fromEntries([1, 2, 3].map((n) => [`GET /api/images/${n}/file`, () => ({ body: "webp" })])),
      ...handlers,
    },
    { path },
  );
  const imageQueries = () =>
    app.calls
      .filter((c) => c.method === "GET" && c.url.startsWith("/api/images?"))
      .map((c) => Object.fromEntries(new URL(c.url, "http://x").searchParams));
  return { ...app, imageQueries };
}

/** Selects one design and chooses "New collection…" in the selection bar, which it returns. */
async function newCollectionFor(user: ReturnType<typeof setup>["user"], design: string) {
  await screen.findAllByTestId("design");
  await user.click(screen.getByRole("button", { name: "Select" }));
  await user.click(screen.getByRole("checkbox", { name: `Select ${design}` }));
  const bar = screen.getByRole("region", { name: "Selection" });
  await user.click(within(bar).getByRole("button", { name: "Add to collection" }));
  const picker = await within(bar).findByRole("combobox", { name: "Collection" });
  await waitFor(() => expect((picker as HTMLSelectElement).disabled).toBe(false));
  await user.selectOptions(picker, "New collection…");
  return bar;
}

const where = () => screen.getByTestId("where").textContent;
const lastQuery = (queries: Record<string, string>[]) => queries[queries.length - 1];

describe("GalleryPage filters", () => {
  it("writes each filter to the URL and asks the API for it", async () => {
    const { user, imageQueries } = setup();
    await screen.findAllByTestId("design");
    expect(lastQuery(imageQueries())).toEqual({ limit: "60" });

    // The choices are the values of the designs loaded.
    const garment = screen.getByRole("combobox", { name: "Garment" });
    expect(within(garment).getAllByRole("option").map((o) => o.textContent)).toEqual(["Any garment", "Blazer", "Dress"]);

    await user.selectOptions(garment, "dress");
    await waitFor(() => expect(where()).toBe("/?garment=dress"));
    await waitFor(() => expect(lastQuery(imageQueries())).toEqual({ garment_type: "dress", limit: "60" }));

    await user.selectOptions(screen.getByRole("combobox", { name: "Colour" }), "red");
    await waitFor(() => expect(where()).toBe("/?garment=dress&colour=red"));
    await waitFor(() => expect(lastQuery(imageQueries())).toMatchObject({ garment_type: "dress", color: "red" }));

    await user.click(screen.getByRole("button", { name: "Favourites" }));
    await waitFor(() => expect(where()).toBe("/?garment=dress&colour=red&favourites=true"));
    await waitFor(() => expect(lastQuery(imageQueries())).toMatchObject({ feedback: "favorite" }));
    expect(screen.getByRole("button", { name: "Favourites" }).getAttribute("aria-pressed")).toBe("true");

    await user.selectOptions(screen.getByRole("combobox", { name: "Collection" }), "Summer");
    await waitFor(() => expect(lastQuery(imageQueries())).toMatchObject({ collection_id: SUMMER }));

    await user.click(screen.getByRole("link", { name: "Outliers" }));
    await waitFor(() => expect(where()).toMatch(/&outliers=true$/));
    await waitFor(() =>
      expect(lastQuery(imageQueries())).toEqual({
        is_outlier: "true",
        feedback: "favorite",
        garment_type: "dress",
        color: "red",
        collection_id: SUMMER,
        limit: "60",
      }),
    );

    await user.click(within(screen.getByRole("group", { name: "Filters" })).getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(where()).toBe("/"));
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Your designs");
  });

  it("reads the filters back from a bookmarked URL", async () => {
    const { imageQueries } = setup(`/?outliers=true&colour=red&from=2026-01-01&to=2026-01-31&collection=${SPRING}`);
    await screen.findAllByTestId("design");
    expect(lastQuery(imageQueries())).toEqual({
      is_outlier: "true",
      color: "red",
      collection_id: SPRING,
      date_from: "2026-01-01",
      date_to: "2026-01-31",
      limit: "60",
    });
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Outliers");
    expect((screen.getByRole("combobox", { name: "Colour" }) as HTMLSelectElement).value).toBe("red");
    expect((screen.getByLabelText("From") as HTMLInputElement).value).toBe("2026-01-01");
    expect((screen.getByLabelText("To") as HTMLInputElement).value).toBe("2026-01-31");
    await waitFor(() =>
      expect((screen.getByRole("combobox", { name: "Collection" }) as HTMLSelectElement).value).toBe(SPRING),
    );
    expect(screen.getByRole("link", { name: "Outliers" }).getAttribute("aria-current")).toBe("page");
  });

  it("leaves out what the API would refuse", async () => {
    const { imageQueries } = setup("/?collection=not-an-id&from=yesterday&garment=dress");
    await screen.findAllByTestId("design");
    expect(lastQuery(imageQueries())).toEqual({ garment_type: "dress", limit: "60" });
  });

  it("applies a date once it is typed", async () => {
    const { user, imageQueries } = setup();
    await screen.findAllByTestId("design");
    const from = screen.getByLabelText("From");
    await user.type(from, "2026-02-01");
    await user.tab();
    await waitFor(() => expect(where()).toBe("/?from=2026-02-01"));
    await waitFor(() => expect(lastQuery(imageQueries())).toEqual({ date_from: "2026-02-01", limit: "60" }));
  });

  it("says what is missing, filter by filter", async () => {
    setup("/?outliers=true", () => []);
    expect(await screen.findByRole("heading", { name: "No outliers yet" })).toBeTruthy();
    expect(screen.getByText(/Mark the designs you love with the star/)).toBeTruthy();
    cleanup();

    setup(`/?collection=${SPRING}`, () => []);
    expect(await screen.findByRole("heading", { name: "Nothing in “Spring” yet" })).toBeTruthy();
    cleanup();

    setup("/?favourites=true", () => []);
    expect(await screen.findByRole("heading", { name: "No favourites yet" })).toBeTruthy();
    cleanup();

    const { user, calls } = setup("/?garment=dress&colour=red", () => [], {
      "POST /api/voice/process-text": () => ({ body: { intent: "generate", error: null, spec: {}, target: {} } }),
    });
    expect(await screen.findByRole("heading", { name: "No red dresses yet" })).toBeTruthy();
    // One click asks the studio for some (through the command bar's confirmation).
    await user.click(screen.getByRole("button", { name: "“make me 4 red dresses”" }));
    await waitFor(() =>
      expect(calls.find((c) => c.url === "/api/voice/process-text")?.body).toEqual({
        command: "make me 4 red dresses",
        dry_run: true,
      }),
    );
    await user.click(within(screen.getByText("None of your designs match. Ask the studio for some:").parentElement!).getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(where()).toBe("/"));
    cleanup();

    setup("/", () => []);
    expect(await screen.findByRole("heading", { name: "Your studio is ready" })).toBeTruthy();
  });
});

describe("GalleryPage cards", () => {
  it("opens a design from its picture; the star marks it without leaving", async () => {
    const { user, calls } = setup("/", () => DESIGNS, {
      "POST /api/images/00000000-0000-4000-8000-000000000002/feedback": () => ({ body: {} }),
    });
    await screen.findAllByTestId("design");
    await user.click(screen.getByRole("button", { name: "Mark as outlier: minimalist black blazer" }));
    expect(await screen.findByRole("button", { name: "Outlier: minimalist black blazer" })).toBeTruthy();
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith("/feedback"))).toBe(true);
    expect(where()).toBe("/");

    await user.click(screen.getByRole("link", { name: "Open bohemian red floral dress" }));
    expect(await screen.findByRole("heading", { name: "Design page" })).toBeTruthy();
    expect(where()).toBe(`/designs/${DESIGNS[0].id}`);
  });
});

describe("GalleryPage selection", () => {
  it("adds the designs chosen to an existing collection", async () => {
    const { user, calls } = setup("/", () => DESIGNS, {
      [`POST /api/collections/${SUMMER}/images`]: () => ({
        body: { added: 2, already_present: 0, collection: { ...COLLECTIONS[0], image_count: 6 } },
      }),
    });
    await screen.findAllByTestId("design");
    await user.click(screen.getByRole("button", { name: "Select" }));
    expect(screen.getByRole("button", { name: "Select" }).getAttribute("aria-pressed")).toBe("true");
    // Selecting, a picture no longer opens the design.
    expect(screen.queryByRole("link", { name: /^Open / })).toBeNull();

    const bar = screen.getByRole("region", { name: "Selection" });
    expect(within(bar).getByText("Choose designs")).toBeTruthy();
    await user.click(screen.getByRole("checkbox", { name: "Select bohemian red floral dress" }));
    // The keyboard reaches the boxes too.
    screen.getByRole("checkbox", { name: "Select romantic sage dress" }).focus();
    await user.keyboard(" ");
    expect(within(bar).getByText("2 selected")).toBeTruthy();

    await user.click(within(bar).getByRole("button", { name: "Add to collection" }));
    const picker = await within(bar).findByRole("combobox", { name: "Collection" });
    await waitFor(() => expect((picker as HTMLSelectElement).value).toBe(SUMMER));
    await user.click(within(bar).getByRole("button", { name: "Add" }));

    await waitFor(() => expect(calls.some((c) => c.url === `/api/collections/${SUMMER}/images`)).toBe(true));
    const sent = calls.find((c) => c.url === `/api/collections/${SUMMER}/images`)!;
    expect(sent.method).toBe("POST");
    expect(sent.body).toEqual({ image_ids: [DESIGNS[0].id, DESIGNS[2].id] });
    expect(await within(bar).findByText(/Added 2 designs to “Summer”/)).toBeTruthy();
    expect(within(bar).getByRole("link", { name: "Open the collection" }).getAttribute("href")).toBe(
      `/collections/${SUMMER}`,
    );
    // The selection is emptied for the next one.
    expect(within(bar).getByText("Choose designs")).toBeTruthy();
    expect((screen.getByRole("checkbox", { name: "Select bohemian red floral dress" }) as HTMLInputElement).checked).toBe(
      false,
    );
  });

  it("creates a collection by name with the designs in it", async () => {
    const created = { id: "0b9a3c1e-1111-4a4a-8888-000000000009", name: "Resort", image_count: 1 };
    const { user, calls } = setup("/", () => DESIGNS, {
      "POST /api/collections": () => ({ status: 201, body: created }),
    });
    const bar = await newCollectionFor(user, "minimalist black blazer");
    await user.type(within(bar).getByRole("textbox", { name: "Name" }), "Resort");
    await user.click(within(bar).getByRole("button", { name: "Create and add" }));

    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.url === "/api/collections")).toBe(true));
    expect(calls.find((c) => c.method === "POST" && c.url === "/api/collections")!.body).toEqual({
      name: "Resort",
      image_ids: [DESIGNS[1].id],
    });
    expect(await within(bar).findByText(/Created “Resort” with 1 design/)).toBeTruthy();
  });

  it("says why a collection could not be made", async () => {
    const { user } = setup("/", () => DESIGNS, {
      "POST /api/collections": () => ({
        status: 409,
        body: { error: { code: "collection_exists", message: "You already have a collection called “Summer”." } },
      }),
    });
    const bar = await newCollectionFor(user, "minimalist black blazer");
    await user.type(within(bar).getByRole("textbox", { name: "Name" }), "summer{Enter}");
    expect(await within(bar).findByText("You already have a collection called “Summer”.")).toBeTruthy();
    expect(within(bar).getByText("1 selected")).toBeTruthy();
  });

  it("selects a run of designs with shift", async () => {
    const { user } = setup();
    await screen.findAllByTestId("design");
    await user.click(screen.getByRole("button", { name: "Select" }));
    await user.click(screen.getByRole("checkbox", { name: "Select bohemian red floral dress" }));
    await user.keyboard("{Shift>}");
    await user.click(screen.getByRole("checkbox", { name: "Select romantic sage dress" }));
    await user.keyboard("{/Shift}");
    expect(within(screen.getByRole("region", { name: "Selection" })).getByText("3 selected")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("region", { name: "Selection" })).toBeNull();
    expect(screen.queryByRole("checkbox")).toBeNull();
  });
});
