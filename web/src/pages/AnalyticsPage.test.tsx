import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import axe from "axe-core";
import { useLocation } from "react-router";
import { AnalyticsPage } from "./AnalyticsPage";
import type { Dashboard, EvolutionPeriod } from "../api/analytics";
import type { Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

function Where() {
  const location = useLocation();
  return <span data-testid="where">{location.pathname + location.search}</span>;
}

function dashboard(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    totals: { designs: 60, outliers: 9, outlier_rate: 0.15, favorites: 4, cost_usd: "12.400000", cost_this_month_usd: "3.200000" },
    weekly: [
      { week_start: "2026-02-16", designs: 20, outliers: 2, outlier_rate: 0.1, cost_usd: "4.000000" },
      { week_start: "2026-02-23", designs: 0, outliers: 0, outlier_rate: 0, cost_usd: "0.000000" },
      { week_start: "2026-03-02", designs: 40, outliers: 7, outlier_rate: 0.175, cost_usd: "8.400000" },
    ],
    favourite_styles: [{ value: "bohemian", designs: 20, outliers: 5 }],
    top_attributes: [{ attribute: "length", value: "maxi", designs: 10, outliers: 6, outlier_rate: 0.6 }],
    ...overrides,
  };
}

const period = (week_start: string, lengths: [string, number][], profile: EvolutionPeriod["profile"] = null): EvolutionPeriod => ({
  week_start,
  designs: 10,
  outliers: lengths.length,
  outlier_attributes: lengths.length
    ? { length: lengths.map(([value, share]) => ({ value, share, count: Math.round(share * 4) })), colors: [{ value: "sage", share: 1, count: 4 }] }
    : {},
  profile,
});

const EVOLUTION = {
  periods: [
    period("2026-02-16", [["mini", 0.75], ["midi", 0.25]]),
    period("2026-02-23", []),
    period("2026-03-02", [["maxi", 0.5], ["midi", 0.5]], { silhouette: [{ value: "a_line", share: 0.6 }, { value: "wrap", share: 0.4 }] }),
  ],
};

const TRENDS = {
  k: 5,
  updated_at: "2026-03-04T03:00:00Z",
  styles: [{ value: "minimalist", success_rate: 0.32, successes: 40, designs: 125, designers: 7 }],
  attributes: { length: [{ value: "maxi", success_rate: 0.28, successes: 14, designs: 50, designers: 5 }] },
};

function server(overrides: Handlers = {}): Handlers {
  return {
    "GET /api/analytics/dashboard": () => ({ body: dashboard() }),
    "GET /api/analytics/style-evolution": () => ({ body: EVOLUTION }),
    "GET /api/analytics/provider-performance": () => ({
      body: {
        items: [
          { provider: "openai", model: "gpt-image-1", designs: 40, outliers: 8, outlier_rate: 0.2, cost_usd: "3.200000", cost_per_design: "0.080000", cost_per_outlier: "0.400000" },
          { provider: "local-flats", model: null, designs: 20, outliers: 0, outlier_rate: 0, cost_usd: "0.000000", cost_per_design: "0.000000", cost_per_outlier: null },
        ],
      },
    }),
    "GET /api/analytics/recent-activity": () => ({
      body: {
        items: [
          { type: "feedback", at: "2026-03-04T08:00:00Z", text: "You marked a maxi dress as an outlier", ref: { image_id: "d1" } },
          { type: "nightly", at: "2026-03-04T01:04:00Z", text: "20 nightly designs are ready", ref: { job_id: "j1", collection_id: "c1" } },
          { type: "generation", at: "2026-03-01T00:00:00Z", text: "10 designs from “make me 10 bohemian dresses”", ref: { job_id: "j0" } },
        ],
      },
    }),
    "GET /api/trends": () => ({ body: TRENDS }),
    ...overrides,
  };
}

function setup(handlers: Handlers = server(), path = "/analytics") {
  return renderWithApp(
    <>
      <AnalyticsPage />
      <Where />
    </>,
    handlers,
    { path },
  );
}

async function expectNoSeriousViolations() {
  const results = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(", ")}`);
  expect(serious).toEqual([]);
}

const rows = (table: HTMLElement) => within(table).getAllByRole("row").map((r) => r.textContent);
const weeksOf = (calls: Call[], path: string) =>
  calls.filter((c) => c.url.startsWith(path)).map((c) => new URL(c.url, "http://x").searchParams.get("weeks"));

describe("AnalyticsPage", () => {
  it("shows the totals, the weekly chart with its figures in words, providers, favourites, activity and trends", async () => {
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "Analytics" })).toBeTruthy();
    const totals = await screen.findByRole("region", { name: "At a glance" });
    expect(totals.textContent).toBe("At a glanceDesigns60Outliers9Outlier rate15%Favourites4Spent this month$3.20Spent in all$12.40");

    const weekly = screen.getByRole("region", { name: "Designs and outliers per week" });
    expect(within(weekly).getByRole("img").getAttribute("aria-label")).toMatch(
      /^Designs and outlier rate per week from Feb 16 to Mar 2: 60 designs, 9 outliers \(15%\); the most designs, 40, in the week of Mar 2\.$/,
    );
    const table = within(weekly).getByRole("table", { name: "Designs and outlier rate per week" });
    expect(rows(table)).toEqual([
      "Week ofDesignsOutliersOutlier rate",
      "Feb 16, 202620210%",
      "Feb 23, 2026000%",
      "Mar 2, 202640718%",
    ]);
    expect(weekly.querySelectorAll("rect")).toHaveLength(3);

    const providers = await screen.findByRole("table", { name: "Outlier rate and cost per provider and model" });
    expect(rows(providers)).toEqual([
      "ProviderDesignsOutlier rateCostPer designPer outlier",
      "openai gpt-image-14020% (8 outliers)$3.20$0.08$0.40",
      "local-flats200% (0 outliers)$0.00$0.00—",
    ]);

    expect(within(screen.getByRole("list", { name: "Favourite styles" })).getByRole("listitem").textContent).toBe("bohemian 5 outliers of 20 designs");
    expect(within(screen.getByRole("list", { name: "Most often outliers" })).getByRole("listitem").textContent).toBe("maxi lengths 60% of 10 designs");

    const activity = await screen.findByRole("list", { name: "Recent activity" });
    const links = within(activity).getAllByRole("link").map((a) => [a.textContent, a.getAttribute("href")]);
    expect(links).toEqual([
      ["You marked a maxi dress as an outlier", "/designs/d1"],
      ["20 nightly designs are ready", "/collections/c1"],
    ]);
    expect(within(activity).getByText("10 designs from “make me 10 bohemian dresses”")).toBeTruthy();

    const trends = await screen.findByRole("region", { name: "Trends across designers" });
    expect(within(within(trends).getByRole("list", { name: "Styles" })).getByRole("listitem").textContent).toBe("minimalist 32% loved · 7 designers");
    expect(within(within(trends).getByRole("list", { name: "Lengths" })).getByRole("listitem").textContent).toBe("maxi 28% loved · 5 designers");
    await expectNoSeriousViolations();
  });

  it("charts how the outliers' attributes and the profile moved", async () => {
    const { user } = setup();
    const evolution = await screen.findByRole("region", { name: "Style evolution" });
    const chart = await within(evolution).findByRole("img");
    expect(chart.getAttribute("aria-label")).toBe(
      "Lengths of your outliers from Feb 16 to Mar 2: mostly mini (75%) at first, maxi (50%) in the latest week.",
    );
    const table = within(evolution).getByRole("table", { name: "Lengths of your outliers per week" });
    // Largest total share first: midi (0.75 in all), mini (0.75), maxi (0.5).
    expect(rows(table)[0]).toBe("Week ofmidiminimaxi");
    expect(rows(table)[1]).toMatch(/25%75%0%$/);
    expect(rows(table)[2]).toMatch(/0%0%0%$/);
    expect(evolution.querySelectorAll("rect")).toHaveLength(4);

    await user.selectOptions(within(evolution).getByRole("combobox", { name: "Attribute" }), "colors");
    expect(within(evolution).getByRole("table", { name: "Colours of your outliers per week" })).toBeTruthy();

    await user.selectOptions(within(evolution).getByRole("combobox", { name: "Show" }), "profile");
    const profile = within(evolution).getByRole("table", { name: "Silhouettes of your style profile per week" });
    expect(rows(profile)[0]).toBe("Week ofa linewrap");
    expect(within(evolution).getByRole("img").getAttribute("aria-label")).toBe(
      "Silhouettes of your style profile in the week of Mar 2: mostly a line (60%).",
    );
    await expectNoSeriousViolations();
  });

  it("asks for the weeks chosen, and keeps them in the URL", async () => {
    const { calls, user } = setup();
    await screen.findByRole("region", { name: "At a glance" });
    await user.selectOptions(screen.getByRole("combobox", { name: "Weeks shown" }), "26");
    await waitFor(() => expect(weeksOf(calls, "/api/analytics/dashboard")).toEqual(["12", "26"]));
    await waitFor(() => expect(weeksOf(calls, "/api/analytics/style-evolution")).toEqual(["12", "26"]));
    expect(screen.getByTestId("where").textContent).toBe("/analytics?weeks=26");
  });

  it("says plainly when there is nothing to show yet", async () => {
    setup(
      server({
        "GET /api/analytics/dashboard": () => ({
          body: dashboard({
            totals: { designs: 0, outliers: 0, outlier_rate: 0, favorites: 0, cost_usd: "0", cost_this_month_usd: "0" },
            weekly: [{ week_start: "2026-03-02", designs: 0, outliers: 0, outlier_rate: 0, cost_usd: "0" }],
            favourite_styles: [],
            top_attributes: [],
          }),
        }),
        "GET /api/analytics/style-evolution": () => ({ body: { periods: [period("2026-03-02", [])] } }),
        "GET /api/analytics/provider-performance": () => ({ body: { items: [] } }),
        "GET /api/analytics/recent-activity": () => ({ body: { items: [] } }),
        "GET /api/trends": () => ({ body: { k: 5, updated_at: null, styles: [], attributes: {} } }),
      }),
      "/analytics?weeks=4",
    );
    expect(await screen.findByText(/No designs in the last 4 weeks\./)).toBeTruthy();
    expect(screen.queryByRole("img")).toBeNull();
    expect(await screen.findByText(/No outliers in these weeks yet\./)).toBeTruthy();
    expect(await screen.findByText("No provider has made a design for you yet.")).toBeTruthy();
    expect(await screen.findByText("Nothing has happened yet.")).toBeTruthy();
    expect(await screen.findByText(/Not enough designers yet\. A style is shown here only once at least 5 designers/)).toBeTruthy();
    await expectNoSeriousViolations();
  });
});
