import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { CommandBar } from "../components/CommandBar";
import { ReviewPage } from "./ReviewPage";
import { galleryItem, type Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

function item(id: string, title: string) {
  return galleryItem(id, {
    title,
    width: 800,
    height: 1000,
    ratio: 0.8,
    dominant_color: "#d9c7b8",
    spec: { garment_type: "dress" },
    my_feedback: null,
    cost_usd: "0",
  });
}

const A = item("a", "Look A");
const B = item("b", "Look B");
const C = item("c", "Look C");

type Pages = Record<string, { items: ReturnType<typeof item>[]; next_cursor: string | null }>;

/** The API: pages of designs by cursor, and feedback kept per design as the server does. */
function server(pages: Pages = { "": { items: [A, B, C], next_cursor: null } }, extra: Handlers = {}) {
  const state: Record<string, { is_outlier: boolean; reaction: string | null }> = {};
  const of = (id: string) => (state[id] ??= { is_outlier: false, reaction: null });
  const out = (id: string) => ({
    body: {
      image_id: id,
      ...of(id),
      is_favorite: false,
      rating: null,
      comment: null,
      tags: [],
      updated_at: "2026-03-05T00:00:00Z",
      outlier_marked_at: null,
    },
  });
  const handlers: Handlers = {
    "GET /api/images": (call) => ({ body: pages[new URL(call.url, "http://x").searchParams.get("cursor") ?? ""] }),
  };
  for (const id of ["a", "b", "c", "d"]) {
    handlers[`POST /api/images/${id}/feedback`] = (call) => {
      const type = (call.body as { type: string }).type;
      if (type === "outlier") of(id).is_outlier = true;
      else of(id).reaction = type;
      return out(id);
    };
    handlers[`DELETE /api/images/${id}/feedback`] = (call) => {
      const type = new URL(call.url, "http://x").searchParams.get("type");
      if (type === "outlier") of(id).is_outlier = false;
      else if (of(id).reaction === type) of(id).reaction = null;
      return out(id);
    };
  }
  return { ...handlers, ...extra };
}

function setup(handlers: Handlers) {
  const app = renderWithApp(
    <>
      <CommandBar />
      <Routes>
        <Route path="/review" element={<ReviewPage />} />
        <Route path="/" element={<h1>Gallery</h1>} />
      </Routes>
    </>,
    handlers,
    { path: "/review" },
  );
  const feedback = () =>
    app.calls.filter((c: Call) => c.url.includes("/feedback")).map((c) => `${c.method} ${c.url} ${c.body ? JSON.stringify(c.body) : ""}`.trim());
  const feedbackSent = (expected: string[]) => waitFor(() => expect(feedback()).toEqual(expected));
  return { ...app, feedback, feedbackSent };
}

const shown = () => (screen.getByTestId("review-stage").querySelector("img") as HTMLImageElement).alt;
const progress = () => screen.getByText(/reviewed$/).textContent;

describe("ReviewPage", () => {
  it("takes verdicts from the keys, and undo really takes them back", async () => {
    const { calls, user, feedbackSent } = setup(server());
    expect(await screen.findByRole("img", { name: "Look A" })).toBeTruthy();
    const query = new URL(calls.find((c) => c.url.startsWith("/api/images"))!.url, "http://x").searchParams;
    expect(query.get("feedback")).toBe("unrated");
    expect(query.get("sort")).toBe("newest");
    expect(progress()).toBe("0 of 3 reviewed");
    expect((screen.getByRole("img", { name: "Look A" }) as HTMLImageElement).getAttribute("src")).toBe(
      "/api/images/a/file?variant=preview",
    );

    await user.keyboard("l");
    expect(shown()).toBe("Look B");
    expect(progress()).toBe("1 of 3 reviewed");

    await user.keyboard("o");
    expect(shown()).toBe("Look C");
    expect(progress()).toBe("2 of 3 reviewed");

    await user.keyboard("u"); // back to B, its outlier mark taken back
    expect(shown()).toBe("Look B");
    expect(progress()).toBe("1 of 3 reviewed");

    await user.keyboard("{Control>}z{/Control}"); // and A's like
    expect(shown()).toBe("Look A");
    expect(progress()).toBe("0 of 3 reviewed");

    await feedbackSent([
      'POST /api/images/a/feedback {"type":"like"}',
      'POST /api/images/b/feedback {"type":"outlier"}',
      "DELETE /api/images/b/feedback?type=outlier",
      "DELETE /api/images/a/feedback?type=like",
    ]);
    expect((screen.getByRole("button", { name: "Undo" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("moves with arrows, J/K and Space without giving verdicts, and leaves typing alone", async () => {
    const { user, feedback } = setup(server());
    await screen.findByRole("img", { name: "Look A" });

    await user.keyboard("{ArrowRight}");
    expect(shown()).toBe("Look B");
    await user.keyboard("j");
    expect(shown()).toBe("Look C");
    await user.keyboard("{ArrowLeft}");
    expect(shown()).toBe("Look B");
    await user.keyboard("k");
    expect(shown()).toBe("Look A");
    await user.keyboard(" ");
    expect(shown()).toBe("Look B");

    // Letters typed in the command bar are words, not verdicts.
    await user.type(screen.getByRole("textbox", { name: "Command" }), "old lace dress");
    expect(shown()).toBe("Look B");
    expect(progress()).toBe("0 of 3 reviewed");
    expect(feedback()).toEqual([]);
  });

  it("has a labelled button for each action, with its key", async () => {
    const { user, feedbackSent } = setup(server());
    await screen.findByRole("img", { name: "Look A" });
    const group = screen.getByRole("group", { name: "Verdict" });
    expect(within(group).getAllByRole("button").map((b) => [b.textContent, b.getAttribute("aria-keyshortcuts")])).toEqual([
      ["✕Discard D", "D"],
      ["★Outlier O", "O"],
      ["♥Like L", "L"],
    ]);

    await user.click(screen.getByRole("button", { name: "Discard" }));
    expect(shown()).toBe("Look B");
    await user.click(screen.getByRole("button", { name: "Like" }));
    expect(shown()).toBe("Look C");
    await user.click(screen.getByRole("button", { name: "Previous" }));
    expect(shown()).toBe("Look B");
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(shown()).toBe("Look C");
    await user.click(screen.getByRole("button", { name: "Undo" }));
    expect(shown()).toBe("Look B");
    await feedbackSent([
      'POST /api/images/a/feedback {"type":"dislike"}',
      'POST /api/images/b/feedback {"type":"like"}',
      "DELETE /api/images/b/feedback?type=like",
    ]);
  });

  it("takes swipes: right likes, left discards, up marks an outlier, a short drag nothing", async () => {
    const { feedbackSent } = setup(server());
    await screen.findByRole("img", { name: "Look A" });
    const swipe = (dx: number, dy: number) => {
      const stage = screen.getByTestId("review-stage");
      fireEvent.pointerDown(stage, { pointerId: 1, pointerType: "touch", clientX: 200, clientY: 300 });
      fireEvent.pointerMove(stage, { pointerId: 1, pointerType: "touch", clientX: 200 + dx / 2, clientY: 300 + dy / 2 });
      fireEvent.pointerMove(stage, { pointerId: 1, pointerType: "touch", clientX: 200 + dx, clientY: 300 + dy });
      fireEvent.pointerUp(stage, { pointerId: 1, pointerType: "touch", clientX: 200 + dx, clientY: 300 + dy });
    };

    swipe(30, 10); // too short
    expect(shown()).toBe("Look A");
    swipe(160, 20);
    expect(shown()).toBe("Look B");
    swipe(-150, -30);
    expect(shown()).toBe("Look C");
    swipe(10, -140);
    await feedbackSent([
      'POST /api/images/a/feedback {"type":"like"}',
      'POST /api/images/b/feedback {"type":"dislike"}',
      'POST /api/images/c/feedback {"type":"outlier"}',
    ]);
    // Past the last design: a summary of the round.
    expect(await screen.findByRole("heading", { name: "All caught up" })).toBeTruthy();
    expect(screen.getByText("This round: 1 outlier, 1 liked, 1 discarded.")).toBeTruthy();
    expect(screen.getByRole("link", { name: "See your outliers" }).getAttribute("href")).toBe("/?outliers=true");
    expect(progress()).toBe("3 of 3 reviewed");
  });

  it("undo restores a verdict changed on a second look", async () => {
    const { user, feedbackSent } = setup(server());
    await screen.findByRole("img", { name: "Look A" });
    await user.keyboard("d"); // discard A
    await user.keyboard("{ArrowLeft}");
    expect(shown()).toBe("Look A");
    expect(within(screen.getByRole("list", { name: "Your verdict so far" })).getByText("Discarded")).toBeTruthy();
    await user.keyboard("l"); // then like it after all
    expect(progress()).toBe("1 of 3 reviewed");
    await user.keyboard("u"); // the discard comes back
    expect(shown()).toBe("Look A");
    await waitFor(() => expect(within(screen.getByRole("list", { name: "Your verdict so far" })).getByText("Discarded")).toBeTruthy());
    await user.keyboard("u"); // and goes
    await feedbackSent([
      'POST /api/images/a/feedback {"type":"dislike"}',
      'POST /api/images/a/feedback {"type":"like"}',
      'POST /api/images/a/feedback {"type":"dislike"}',
      "DELETE /api/images/a/feedback?type=dislike",
    ]);
    expect(screen.queryByRole("list", { name: "Your verdict so far" })).toBeNull();
    expect(progress()).toBe("0 of 3 reviewed");
  });

  it("fetches the next page before the end, and offers the skipped designs again", async () => {
    const D = item("d", "Look D");
    const { calls, user } = setup(
      server({ "": { items: [A, B], next_cursor: "cur-1" }, "cur-1": { items: [C, D], next_cursor: null } }),
    );
    await screen.findByRole("img", { name: "Look A" });
    await waitFor(() => expect(progress()).toBe("0 of 4 reviewed"));
    const pages = calls.filter((c) => c.url.startsWith("/api/images?"));
    expect(pages).toHaveLength(2);
    const second = new URL(pages[1].url, "http://x").searchParams;
    expect(second.get("cursor")).toBe("cur-1");
    expect(second.get("feedback")).toBe("unrated");

    await user.keyboard("l");
    await user.keyboard("j"); // skip B
    await user.keyboard("l");
    await user.keyboard("l");
    expect(await screen.findByRole("heading", { name: "All caught up" })).toBeTruthy();
    expect(screen.getByText("This round: 0 outliers, 3 liked, 0 discarded.")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Review the 1 design you skipped" }));
    expect(shown()).toBe("Look B");
  });

  it("says plainly when a verdict is not saved, and counts it out", async () => {
    const { user } = setup(
      server(undefined, {
        "POST /api/images/a/feedback": () => ({
          status: 500,
          body: { error: { code: "internal_error", message: "Something broke on our side." } },
        }),
      }),
    );
    await screen.findByRole("img", { name: "Look A" });
    await user.keyboard("l");
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("Your like on “Look A” was not saved: Something broke on our side.")).toBeTruthy();
    expect(progress()).toBe("0 of 3 reviewed");
    await user.click(within(alert).getByRole("button", { name: "Show that design" }));
    expect(shown()).toBe("Look A");
  });

  it("teaches what to do when there is nothing new", async () => {
    const { user, calls } = setup(
      server(
        { "": { items: [], next_cursor: null } },
        {
          "GET /api/voice/examples": () => ({
            body: {
              examples: [
                { command: "make me 4 bohemian dresses", intent: "generate" },
                { command: "show me my outliers", intent: "show" },
              ],
            },
          }),
          "POST /api/voice/process-text": () => ({ body: { intent: "generate", reply: "", error: null } }),
        },
      ),
    );
    expect(await screen.findByRole("heading", { name: "Nothing new to review" })).toBeTruthy();
    const how = screen.getByRole("list", { name: "How review works" });
    expect(within(how).getAllByRole("listitem")).toHaveLength(4);
    expect(screen.queryByRole("group", { name: "Verdict" })).toBeNull();
    const examples = await screen.findByRole("list", { name: "Commands to try" });
    expect(within(examples).getAllByRole("button").map((b) => b.textContent)).toEqual(["“make me 4 bohemian dresses”"]);
    await user.click(within(examples).getByRole("button"));
    await waitFor(() =>
      expect(calls.find((c) => c.url === "/api/voice/process-text")?.body).toEqual({
        command: "make me 4 bohemian dresses",
        dry_run: true,
      }),
    );
  });
});
