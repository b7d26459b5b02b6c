import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import axe from "axe-core";
import { PreferencesPage } from "./PreferencesPage";
import type { Correction, PreferenceValue, Preferences } from "../api/learning";
import type { Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

const value = (attribute: string, v: string, score: number | null, more: Partial<PreferenceValue> = {}): PreferenceValue => ({
  attribute,
  value: v,
  successes: 0,
  failures: 0,
  shown: 0,
  score,
  correction: null,
  ...more,
});

function preferences(overrides: Partial<Preferences> = {}): Preferences {
  return {
    designs_considered: 42,
    feedback_count: 20,
    cold_start: false,
    explore: 0.15,
    statements: [
      { attribute: "length", value: "maxi", text: "You mark maxi lengths as outliers 3× more often than others", ratio: 3, direction: "more" },
      { attribute: "length", value: "mini", text: "You mark mini lengths as outliers half as often as others", ratio: 0.5, direction: "less" },
    ],
    values: [
      value("length", "mini", 0.12, { failures: 10, shown: 12 }),
      value("length", "maxi", 0.81, { successes: 10, shown: 12 }),
      value("colors", "off_white", 0.55, { successes: 2, failures: 1, shown: 6 }),
      value("colors", "sage", null, { correction: "forget" }),
    ],
    ...overrides,
  };
}

/** The fake API of the page: corrections change the fake's values as the server would. */
function server(start: Preferences = preferences(), overrides: Handlers = {}): Handlers {
  let current = start;
  const put = (call: Call) => {
    const [, , , attribute, v] = call.url.split("/").map(decodeURIComponent);
    const correction = (call.body as { correction: Correction | null }).correction;
    if (!current.values.some((x) => x.attribute === attribute && x.value === v)) {
      return { status: 404, body: { error: { code: "not_found", message: `Nothing was learned about '${v}'.` } } };
    }
    current = {
      ...current,
      values: current.values.map((x) => (x.attribute === attribute && x.value === v ? { ...x, correction } : x)),
    };
    return { body: current };
  };
  return {
    "GET /api/preferences": () => ({ body: current }),
    "PUT /api/preferences/length/maxi": put,
    "PUT /api/preferences/length/mini": put,
    "PUT /api/preferences/colors/off_white": put,
    "DELETE /api/preferences": () => {
      current = preferences({ feedback_count: 0, designs_considered: 0, cold_start: true, statements: [], values: [] });
      return { status: 204 };
    },
    ...overrides,
  };
}

const setup = (handlers: Handlers = server()) => renderWithApp(<PreferencesPage />, handlers, { path: "/preferences" });

async function expectNoSeriousViolations() {
  const results = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(", ")}`);
  expect(serious).toEqual([]);
}

const rows = (table: HTMLElement) => within(table).getAllByRole("row").map((r) => r.textContent);
const puts = (calls: Call[]) => calls.filter((c) => c.method === "PUT").map((c) => [c.url, c.body]);

describe("PreferencesPage", () => {
  it("says what was learned in plain words, per attribute, and what it is based on", async () => {
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "What I’ve learned about you" })).toBeTruthy();
    const words = await screen.findByRole("list", { name: "In plain words" });
    expect(within(words).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "You mark maxi lengths as outliers 3× more often than others",
      "You mark mini lengths as outliers half as often as others",
    ]);

    // Grouped by attribute in the taxonomy's order (lengths before colours), likeliest first.
    const tables = screen.getAllByRole("table");
    expect(tables.map((t) => t.querySelector("caption")?.textContent)).toEqual([
      "Lengths: what was learned",
      "Colours: what was learned",
    ]);
    expect(rows(tables[0])).toEqual([
      "ValueLikely to loveLikedDislikedShownCorrection",
      "maxi81%10012PreferAvoidForget",
      "mini12%01012PreferAvoidForget",
    ]);
    expect(rows(tables[1]).slice(1)).toEqual(["off white55%216PreferAvoidForget", "sageforgotten—000PreferAvoidForget"]);
    const bar = tables[0].querySelector(".meter-bar > span") as HTMLElement;
    expect(bar.style.width).toBe("81%");

    const basis = screen.getByRole("region", { name: "What it is based on" });
    expect(basis.textContent).toContain("Your reactions20");
    expect(basis.textContent).toContain("Designs considered42");
    expect(basis.textContent).toContain("About 15% of the open choices try something new");
    expect(screen.queryByText(/You have not given much feedback yet/)).toBeNull();
    await expectNoSeriousViolations();
  });

  it("corrects one value, and undoes the correction when pressed again", async () => {
    const { calls, user } = setup();
    const lengths = (await screen.findAllByRole("table"))[0];
    const avoid = within(lengths).getByRole("button", { name: "Avoid mini" });
    expect(avoid.getAttribute("aria-pressed")).toBe("false");

    await user.click(avoid);
    await waitFor(() => expect(avoid.getAttribute("aria-pressed")).toBe("true"));
    expect(screen.getByText("Mini: new designs no longer use it unless you ask for it.")).toBeTruthy();
    expect(rows(lengths)[2]).toMatch(/^miniavoided/);

    await user.click(within(lengths).getByRole("button", { name: "Prefer maxi" }));
    await waitFor(() => expect(within(lengths).getByRole("button", { name: "Prefer maxi" }).getAttribute("aria-pressed")).toBe("true"));

    await user.click(avoid);
    await waitFor(() => expect(avoid.getAttribute("aria-pressed")).toBe("false"));
    expect(screen.getByText("Mini: back to what was learned.")).toBeTruthy();
    expect(puts(calls)).toEqual([
      ["/api/preferences/length/mini", { correction: "avoid" }],
      ["/api/preferences/length/maxi", { correction: "prefer" }],
      ["/api/preferences/length/mini", { correction: null }],
    ]);
  });

  it("says when a correction is refused", async () => {
    const { user } = setup(
      server(preferences(), {
        "PUT /api/preferences/colors/off_white": () => ({
          status: 422,
          body: { error: { code: "invalid_value", message: "Off white is not a colour of the taxonomy." } },
        }),
      }),
    );
    await user.click(await screen.findByRole("button", { name: "Forget off white" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Not changed: Off white is not a colour of the taxonomy.");
    expect(screen.getByRole("button", { name: "Forget off white" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("forgets everything after a confirmation, and then says nothing is learned", async () => {
    const { calls, user } = setup();
    const reset = await screen.findByRole("region", { name: "Start over" });
    await user.click(within(reset).getByRole("button", { name: "Forget everything…" }));
    const confirm = within(reset).getByRole("group", { name: "Confirm forgetting everything" });
    // The focus goes to the safe choice first.
    expect(document.activeElement).toBe(within(confirm).getByRole("button", { name: "Keep it" }));
    await user.click(within(confirm).getByRole("button", { name: "Forget everything" }));

    expect(await screen.findByRole("heading", { name: "Nothing learned yet" })).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/preferences"]);
    expect(screen.getByText("Everything learned is forgotten. I start again from your next reaction.")).toBeTruthy();
    expect(screen.getByText(/You have not given much feedback yet/)).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();
    expect(within(reset).queryByRole("group")).toBeNull();
    await expectNoSeriousViolations();
  });

  it("says plainly when it cannot be loaded", async () => {
    setup({
      // A 4xx: asked once, not again (5xx answers are retried).
      "GET /api/preferences": () => ({ status: 429, body: { error: { code: "rate_limited", message: "Too many requests." } } }),
    });
    expect((await screen.findByRole("alert")).textContent).toContain("What was learned could not be loaded: Too many requests.");
  });
});
