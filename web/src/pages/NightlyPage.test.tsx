import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import axe from "axe-core";
import { NightlyPage, specText, zonedText } from "./NightlyPage";
import type { NightlyChanges, NightlyRun, NightlySettings } from "../api/nightly";
import { galleryItem, PROVIDERS, type Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

function run(overrides: Partial<NightlyRun> = {}): NightlyRun {
  return {
    id: "r1",
    run_date: "2026-03-04",
    status: "completed",
    designs: 20,
    cost_usd: "0.800000",
    collection_id: "c1",
    collection_name: "Nightly — 2026-03-04",
    job_id: "j1",
    error_message: null,
    scheduled_for: "2026-03-04T01:00:00Z",
    started_at: "2026-03-04T01:00:02Z",
    finished_at: "2026-03-04T01:04:00Z",
    ...overrides,
  };
}

function settings(overrides: Partial<NightlySettings> = {}): NightlySettings {
  return {
    configured: true,
    enabled: true,
    local_time: "02:00",
    timezone: "Europe/Paris",
    quantity: 20,
    provider: null,
    max_cost: "5.000000",
    spec: null,
    // 02:00 in Paris (UTC+1 in winter).
    next_run_at: "2026-03-05T01:00:00Z",
    next_run_local: "2026-03-05T02:00:00+01:00",
    last_run: run(),
    ...overrides,
  };
}

const RUNS = [
  run(),
  run({ id: "r0", run_date: "2026-03-03", status: "failed", designs: 0, cost_usd: "0", collection_id: null, collection_name: null, error_message: "The monthly budget is spent." }),
];

/** The fake API: PUT merges what it is sent, refusing an unknown zone as the server does. */
function server(start: NightlySettings = settings(), overrides: Handlers = {}): Handlers {
  let current = start;
  return {
    "GET /api/nightly": () => ({ body: current }),
    "PUT /api/nightly": (call) => {
      const body = call.body as NightlyChanges;
      if (body.timezone === "Mars/Olympus_Mons") {
        return { status: 422, body: { error: { code: "invalid_timezone", message: "Unknown time zone 'Mars/Olympus_Mons'." } } };
      }
      current = { ...current, ...body, configured: true, next_run_at: body.enabled === false ? null : current.next_run_at };
      return { body: current };
    },
    "GET /api/nightly/runs": () => ({ body: { items: RUNS } }),
    "GET /api/collections/c1/images": () => ({
      body: {
        items: [
          galleryItem("d1", { spec: { garment_type: "dress", styles: ["minimalist"] } }),
          galleryItem("d2", { spec: { garment_type: "top" } }),
        ],
        next_cursor: null,
      },
    }),
    "GET /api/generations/providers": () => ({ body: PROVIDERS }),
    ...overrides,
  };
}

const setup = (handlers: Handlers = server()) => renderWithApp(<NightlyPage />, handlers, { path: "/nightly" });

async function expectNoSeriousViolations() {
  const results = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(", ")}`);
  expect(serious).toEqual([]);
}

const puts = (calls: Call[]) => calls.filter((c) => c.method === "PUT").map((c) => c.body);

describe("NightlyPage", () => {
  it("shows the next run on the designer's clock, and the morning's designs", async () => {
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "Nightly designs" })).toBeTruthy();
    const next = await screen.findByRole("region", { name: "Next run" });
    // 01:00 UTC is 02:00 in Paris, whatever zone the browser is in.
    expect(within(next).getByText(/Thursday.*March 5.*02:00/)).toBeTruthy();
    expect(next.textContent).toContain("20 designs at 02:00, Europe/Paris time, spending at most $5.00.");

    const latest = screen.getByRole("region", { name: "The morning’s results" });
    expect(latest.textContent).toContain("20 designs for $0.80.");
    expect(within(latest).getByText("Done")).toBeTruthy();
    const link = within(latest).getByRole("link", { name: "Open Nightly — 2026-03-04" });
    expect(link.getAttribute("href")).toBe("/collections/c1");
    const designs = await within(latest).findByRole("list", { name: "Designs in Nightly — 2026-03-04" });
    expect(within(designs).getAllByRole("link").map((a) => a.getAttribute("href"))).toEqual(["/designs/d1", "/designs/d2"]);
    expect(within(designs).getByRole("img", { name: "minimalist dress" })).toBeTruthy();

    const earlier = screen.getByRole("region", { name: "Earlier nights" });
    const rows = within(earlier).getAllByRole("row").map((r) => r.textContent);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/Failed0\$0\.00The monthly budget is spent\.$/);
    await expectNoSeriousViolations();
  });

  it("offers the browser's time zone before anything is saved, and saves every setting", async () => {
    const { calls, user } = setup(
      server(settings({ configured: false, enabled: false, timezone: "Pacific/Chatham", max_cost: null, next_run_at: null, next_run_local: null, last_run: null }), {
        "GET /api/nightly/runs": () => ({ body: { items: [] } }),
      }),
    );
    const form = await screen.findByRole("region", { name: "Settings" });
    const zone = within(form).getByRole("combobox", { name: "Time zone" }) as HTMLSelectElement;
    // Not the server's default (never saved): the browser's own zone.
    expect(zone.value).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(zone.value).not.toBe("Pacific/Chatham");
    expect(screen.getByText(/Nightly designs are off\. Turn them on below and choose when/)).toBeTruthy();
    expect(await screen.findByText(/No night has run yet/)).toBeTruthy();

    await user.click(within(form).getByRole("checkbox", { name: "Make designs every night" }));
    await user.selectOptions(zone, "Asia/Tokyo");
    const quantity = within(form).getByRole("spinbutton", { name: "Designs a night" });
    await user.clear(quantity);
    await user.type(quantity, "12");
    await waitFor(() => expect(within(form).getAllByRole("option").some((o) => o.textContent === "replicate")).toBe(true));
    await user.selectOptions(within(form).getByRole("combobox", { name: "Provider" }), "replicate");
    await user.type(within(form).getByRole("textbox", { name: "Most to spend a night, in dollars" }), "3.5");
    await user.click(within(form).getByRole("button", { name: "Save nightly settings" }));

    expect(await screen.findByText("Saved. Your designs will be ready in the morning.")).toBeTruthy();
    expect(puts(calls)).toEqual([
      { enabled: true, local_time: "02:00", timezone: "Asia/Tokyo", quantity: 12, provider: "replicate", max_cost: "3.50" },
    ]);
    expect(screen.queryByText(/Nightly designs are off/)).toBeNull();
  });

  it("checks the figures before sending, and shows the server's refusal", async () => {
    const { calls, user } = setup(server(settings({ timezone: "Mars/Olympus_Mons" })));
    const form = await screen.findByRole("region", { name: "Settings" });
    const quantity = within(form).getByRole("spinbutton", { name: "Designs a night" });
    await user.clear(quantity);
    await user.type(quantity, "0");
    await user.click(within(form).getByRole("button", { name: "Save nightly settings" }));
    expect((await within(form).findByRole("alert")).textContent).toBe("Choose a whole number of designs a night, at least 1.");
    expect(puts(calls)).toEqual([]);

    await user.clear(quantity);
    await user.type(quantity, "20");
    await user.click(within(form).getByRole("button", { name: "Save nightly settings" }));
    expect((await within(form).findByRole("alert")).textContent).toBe("Not saved: Unknown time zone 'Mars/Olympus_Mons'.");
    expect(puts(calls)).toHaveLength(1);
  });

  it("turns the batch off, and goes back from a spoken spec to the designer's style", async () => {
    const { calls, user } = setup(server(settings({ spec: { garment_type: "top", styles: ["minimalist"], colors: ["black"] } })));
    const next = await screen.findByRole("region", { name: "Next run" });
    expect(next.textContent).toContain("What to make: minimalist top in black.");
    await user.click(within(next).getByRole("button", { name: "Follow my style instead" }));
    await waitFor(() => expect(next.textContent).not.toContain("What to make"));

    const form = screen.getByRole("region", { name: "Settings" });
    await user.click(within(form).getByRole("checkbox", { name: "Make designs every night" }));
    await user.click(within(form).getByRole("button", { name: "Save nightly settings" }));
    expect(await screen.findByText(/Nightly designs are off\. Turn them on below to wake up/)).toBeTruthy();
    expect(puts(calls)[0]).toEqual({ spec: null });
    expect(puts(calls)[1]).toMatchObject({ enabled: false, timezone: "Europe/Paris" });
  });
});

describe("zonedText and specText", () => {
  it("shows one moment on different clocks, and a spec in words", () => {
    expect(zonedText("2026-07-01T00:30:00Z", "America/New_York")).toMatch(/June 30.*08:30/);
    expect(zonedText("2026-07-01T00:30:00Z", "Asia/Tokyo")).toMatch(/July 1.*09:30/);
    expect(specText({ garment_type: "dress", length: "maxi", colors: ["sage", "off_white"] })).toBe("maxi dress in sage, off white");
    expect(specText({})).toBe("designs");
  });
});
