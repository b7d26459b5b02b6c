import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import axe from "axe-core";
import { PortfolioPage } from "./PortfolioPage";
import { analysisJobKey, patchAnalysisStatus, type PortfolioItem } from "../api/portfolio";
import { fileUrls, type Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

// -- a fake XMLHttpRequest: the page uploads with it (fetch reports no upload progress) -----

class FakeXhr {
  static sent: FakeXhr[] = [];
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = "";
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  aborted = false;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  get files(): string[] {
    return (this.body?.getAll("files") ?? []).map((f) => (f as File).name);
  }
  /** The browser's upload progress event. */
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent));
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    act(() => this.onload?.());
  }
}

beforeEach(() => {
  FakeXhr.sent = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

// -- the API's answers ------------------------------------------------------------------------

function item(id: string, overrides: Partial<PortfolioItem> = {}): PortfolioItem {
  return {
    id,
    filename: `${id}.jpg`,
    width: 768,
    height: 1024,
    thumbhash: null,
    dominant_color: "#1f2a44",
    urls: fileUrls(`/api/images/${id}/file`),
    created_at: "2026-12-01T10:00:00Z",
    analysis: { status: "pending", provider: null, model: null, spec: null, confidence: null, error: null },
    ...overrides,
  };
}

const done = (colors: string[], patterns: string[]) => ({
  status: "done" as const,
  provider: "vlt",
  model: "vlt-1",
  spec: { garment_type: "dress", colors, patterns },
  confidence: { colors: 0.9 },
  error: null,
});

const failed = (message: string) => ({
  status: "failed" as const,
  provider: "vlt",
  model: "vlt-1",
  spec: null,
  confidence: null,
  error: { code: "vlt_unavailable", message },
});

const cursorOf = (call: Call) => new URL(call.url, "http://x").searchParams.get("cursor");

/** A portfolio of `items` (a page of two, then the rest) that DELETE removes from. */
function server(initial: PortfolioItem[], overrides: Handlers = {}): Handlers {
  let items = [...initial];
  return {
    "GET /api/portfolio": (call) => {
      const start = cursorOf(call) === "page-2" ? 2 : 0;
      const page = items.slice(start, start + 2);
      return { body: { items: page, next_cursor: start === 0 && items.length > 2 ? "page-2" : null, total: items.length } };
    },
    "DELETE /api/portfolio/b": () => {
      items = items.filter((i) => i.id !== "b");
      return { status: 204 };
    },
    "GET /api/style-profile": () => ({ body: { pending: 0 } }),
    ...overrides,
  };
}

function setup(handlers: Handlers) {
  return renderWithApp(<PortfolioPage />, handlers, { path: "/portfolio" });
}

const png = (name: string, bytes = 100) => new File([new Uint8Array(bytes)], name, { type: "image/png" });

/** axe-core over the page, as the end-to-end tests scan it: no serious or critical violation
 *  (colour contrast needs a real browser's layout). */
async function expectNoSeriousViolations() {
  const results = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(", ")}`);
  expect(serious).toEqual([]);
}

describe("PortfolioPage", () => {
  it("explains the portfolio when it is empty, and uploads with per-file progress and results", async () => {
    const uploaded = [item("n1", { filename: "look-1.png" }), item("n2", { filename: "look-2.png" })];
    let listed: PortfolioItem[] = [];
    const { user, queryClient } = setup({
      "GET /api/portfolio": () => ({ body: { items: listed, next_cursor: null, total: listed.length } }),
      "GET /api/style-profile": () => ({ body: { pending: listed.length } }),
    });
    expect(await screen.findByRole("heading", { name: "Start with the work you have already made" })).toBeTruthy();
    expect(screen.getByText(/builds your style profile from them/)).toBeTruthy();
    await expectNoSeriousViolations();

    const input = screen.getByLabelText("Upload images or a zip") as HTMLInputElement;
    expect(input.multiple).toBe(true);
    expect(input.accept).toContain(".zip");
    await user.upload(input, [png("look-1.png", 300), png("look-2.png", 100), png("look-3.png", 100), png("notes.png", 100)]);

    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    const xhr = FakeXhr.sent[0];
    expect([xhr.method, xhr.url, xhr.headers.Authorization]).toEqual(["POST", "/api/portfolio", "Bearer a"]);
    expect(xhr.files).toEqual(["look-1.png", "look-2.png", "look-3.png", "notes.png"]);

    // Half the request sent: the first file (300 of 600 bytes) is, the others are not yet.
    xhr.progress(300, 600);
    const sending = screen.getByRole("region", { name: "Uploading 4 files" });
    const bars = within(sending).getAllByRole("progressbar") as HTMLProgressElement[];
    expect(bars.map((b) => [b.getAttribute("aria-label"), b.value])).toEqual([
      ["Uploading look-1.png", 100],
      ["Uploading look-2.png", 0],
      ["Uploading look-3.png", 0],
      ["Uploading notes.png", 0],
    ]);
    xhr.progress(450, 600);
    expect(bars.map((b) => b.value)).toEqual([100, 100, 50, 0]);

    listed = uploaded;
    xhr.respond(202, {
      accepted: uploaded,
      duplicates: [{ filename: "look-3.png", id: "old" }],
      errors: [{ filename: "notes.png", code: "invalid_image", message: "This file is not an image." }],
      analysis: { job_id: "job-1", total: 2 },
    });

    const results = await screen.findByRole("region", { name: "This upload" });
    expect(screen.queryByRole("region", { name: "Uploading 4 files" })).toBeNull();
    expect(within(results).getByRole("status").textContent).toBe(
      "2 images added, 1 already in your portfolio, 1 file not added.",
    );
    const rows = () => within(within(results).getByRole("list")).getAllByRole("listitem").map((li) => li.textContent);
    expect(rows()).toEqual([
      "look-1.pngAdded · Waiting to be analysed",
      "look-2.pngAdded · Waiting to be analysed",
      "look-3.pngAlready in your portfolio",
      "notes.pngNot added: This file is not an image.",
    ]);
    expect(within(results).getByText("Analysed 0 of 2")).toBeTruthy();
    // The new images join the grid (the list is asked again after the upload).
    const grid = await screen.findByRole("region", { name: "Your images" });
    expect(within(grid).getAllByRole("listitem", { name: /look-\d\.png/ })).toHaveLength(2);
    expect(within(grid).getByRole("status").textContent).toBe("Analysed 0 of 2");
    expect(screen.queryByRole("heading", { name: "Start with the work you have already made" })).toBeNull();

    // What the live events do (LiveEvents.tsx): one image analysed, the other failed.
    act(() => {
      patchAnalysisStatus(queryClient, "n1", "running");
      patchAnalysisStatus(queryClient, "n2", "failed", { code: "vlt_unavailable", message: "The analyser did not answer." });
      queryClient.setQueryData(analysisJobKey("job-1"), { done: 1, failed: 1, total: 2, finished: true });
    });
    await waitFor(() =>
      expect(rows().slice(0, 2)).toEqual([
        "look-1.pngAdded · Analysing…",
        "look-2.pngAdded · Analysis failed: The analyser did not answer.",
      ]),
    );
    expect(within(results).getByText("Analysed 2 of 2 (1 failed)")).toBeTruthy();
    const second = within(grid).getByRole("listitem", { name: "look-2.png" });
    expect(within(second).getByText("Analysis failed: The analyser did not answer.")).toBeTruthy();
    await expectNoSeriousViolations();
  });

  it("shows the analysed colours and patterns, failed analyses, and loads more by cursor", async () => {
    const { calls, user } = setup(
      server([
        item("a", { filename: "navy-floral.jpg", analysis: done(["navy", "off_white"], ["floral"]) }),
        item("b", { filename: "stripes.jpg", analysis: failed("The image is too small to analyse.") }),
        item("c", { filename: "later.jpg", analysis: { ...done([], []), status: "running" } }),
      ]),
    );
    const grid = await screen.findByRole("region", { name: "Your images" });
    expect(within(grid).getByText("3 images")).toBeTruthy();
    const first = within(grid).getByRole("listitem", { name: "navy-floral.jpg" });
    expect(within(first).getByRole("img", { name: "navy-floral.jpg" }).getAttribute("src")).toBe(
      "/api/images/a/file?variant=thumb",
    );
    const chips = within(first).getByRole("list", { name: "Colours and patterns" });
    expect(within(chips).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "colour: navy",
      "colour: off white",
      "pattern: floral",
    ]);
    const broken = within(grid).getByRole("listitem", { name: "stripes.jpg" });
    expect(within(broken).getByText("Analysis failed: The image is too small to analyse.")).toBeTruthy();
    expect(within(grid).queryByRole("listitem", { name: "later.jpg" })).toBeNull();

    await user.click(within(grid).getByRole("button", { name: "Load more" }));
    const later = await within(grid).findByRole("listitem", { name: "later.jpg" });
    expect(within(later).getByText("Analysing…")).toBeTruthy();
    expect(within(grid).queryByRole("button", { name: "Load more" })).toBeNull();
    expect(calls.filter((c) => c.url.startsWith("/api/portfolio")).map((c) => c.url)).toEqual([
      "/api/portfolio?limit=60",
      "/api/portfolio?limit=60&cursor=page-2",
    ]);
  });

  it("removes an image only after confirming", async () => {
    const { calls, user } = setup(server([item("a"), item("b")]));
    const grid = await screen.findByRole("region", { name: "Your images" });
    const card = within(grid).getByRole("listitem", { name: "b.jpg" });
    const remove = within(card).getByRole("button", { name: "Remove b.jpg" });

    await user.click(remove);
    let dialog = within(card).getByRole("alertdialog", { name: "Remove b.jpg?" });
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Keep it" }));
    await expectNoSeriousViolations();
    await user.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(within(card).queryByRole("alertdialog")).toBeNull();
    expect(document.activeElement).toBe(remove);
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    await user.click(remove);
    dialog = within(card).getByRole("alertdialog", { name: "Remove b.jpg?" });
    await user.click(within(dialog).getByRole("button", { name: "Remove image" }));
    await waitFor(() => expect(within(grid).queryByRole("listitem", { name: "b.jpg" })).toBeNull());
    expect(within(grid).getByRole("listitem", { name: "a.jpg" })).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/portfolio/b"]);
    expect(within(grid).getByText("1 image")).toBeTruthy();
    expect(document.activeElement).toBe(within(grid).getByRole("heading", { name: "Your images" }));
  });

  it("says which files were refused when none could be used", async () => {
    const { user } = setup(server([]));
    await screen.findByRole("heading", { name: "Start with the work you have already made" });
    await user.upload(screen.getByLabelText("Upload images or a zip"), [png("a.png"), png("b.png")]);
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    FakeXhr.sent[0].respond(422, {
      error: {
        code: "no_images",
        message: "None of the files is an image we can use.",
        details: {
          errors: [
            { filename: "a.png", code: "invalid_image", message: "This file is not an image." },
            { filename: "b.png", code: "too_many_pixels", message: "The image is too large." },
          ],
        },
      },
    });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Nothing was uploaded. None of the files is an image the studio can use");
    expect(within(alert).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "a.pngNot added: This file is not an image.",
      "b.pngNot added: The image is too large.",
    ]);
    expect(screen.queryByRole("region", { name: "This upload" })).toBeNull();
  });

  it("refreshes an expired token and sends the upload again", async () => {
    const { calls, user } = setup(
      server([], {
        "POST /api/auth/refresh": () => ({ body: { access_token: "fresh", refresh_token: "r2" } }),
      }),
    );
    await screen.findByRole("heading", { name: "Start with the work you have already made" });
    await user.upload(screen.getByLabelText("Upload images or a zip"), [png("a.png")]);
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    FakeXhr.sent[0].respond(401, { error: { code: "token_expired", message: "expired" } });
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(2));
    expect(FakeXhr.sent[1].headers.Authorization).toBe("Bearer fresh");
    expect(FakeXhr.sent[1].files).toEqual(["a.png"]);
    expect(calls.filter((c) => c.url === "/api/auth/refresh")).toHaveLength(1);
    FakeXhr.sent[1].respond(202, { accepted: [], duplicates: [{ filename: "a.png", id: "x" }], errors: [], analysis: null });
    const results = await screen.findByRole("region", { name: "This upload" });
    expect(within(results).getByRole("status").textContent).toBe("1 already in your portfolio.");
    expect(within(results).getByText("Already in your portfolio")).toBeTruthy();
  });

  it("cancels an upload on the way", async () => {
    const { user } = setup(server([]));
    await screen.findByRole("heading", { name: "Start with the work you have already made" });
    await user.upload(screen.getByLabelText("Upload images or a zip"), [png("a.png")]);
    await waitFor(() => expect(FakeXhr.sent).toHaveLength(1));
    await user.click(screen.getByRole("button", { name: "Cancel upload" }));
    expect(FakeXhr.sent[0].aborted).toBe(true);
    expect((await screen.findByRole("alert")).textContent).toBe("Nothing was uploaded. Upload cancelled.");
    expect((screen.getByLabelText("Upload images or a zip") as HTMLInputElement).disabled).toBe(false);
  });
});
