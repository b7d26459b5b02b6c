import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { useLocation } from "react-router";
import { CostsPage } from "./CostsPage";
import { budget, costs, PROVIDERS, type Call } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

function Where() {
  const location = useLocation();
  return <span data-testid="where">{location.pathname + location.search}</span>;
}

const periodOf = (call: Call) => new URL(call.url, "http://x").searchParams.get("period");

/** The fake API of the costs page, with a budget that PUT changes (and the cap enforced). */
function server(overrides: Handlers = {}): Handlers {
  let current = budget();
  return {
    "GET /api/costs": (call) => ({ body: costs({ period: periodOf(call), budget: current }) }),
    "PUT /api/costs/budget": (call) => {
      const asked = (call.body as { monthly_budget_usd: string | null }).monthly_budget_usd;
      if (asked !== null && Number(asked) > 50) {
        return {
          status: 422,
          body: {
            error: {
              code: "budget_above_cap",
              message: "Your budget cannot be above the $50.00 cap an administrator set.",
              details: { cap_usd: "50.000000" },
            },
          },
        };
      }
      const effective = asked === null ? "50.000000" : Number(asked).toFixed(6);
      current = budget({
        monthly_budget_usd: asked === null ? null : Number(asked).toFixed(6),
        effective_usd: effective,
        remaining_usd: (Number(effective) - 4.2).toFixed(6),
      });
      return { body: current };
    },
    "GET /api/generations/providers": () => ({ body: PROVIDERS }),
    "GET /api/generations/defaults": () => ({ body: { default_provider: null, provider_strategy: null } }),
    "PUT /api/generations/defaults": (call) => ({ body: call.body }),
    ...overrides,
  };
}

function setup(handlers: Handlers = server(), path = "/costs") {
  return renderWithApp(
    <>
      <CostsPage />
      <Where />
    </>,
    handlers,
    { path },
  );
}

const figure = (region: HTMLElement, term: string) =>
  within(region).getByText(term, { selector: "dt" }).parentElement!.querySelector("dd")!.textContent;

describe("CostsPage", () => {
  it("shows the period's total, spending per day, by provider and by operation", async () => {
    setup();
    expect(screen.getByRole("heading", { level: 1, name: "Costs" })).toBeTruthy();
    const total = await screen.findByRole("region", { name: "Spent this month" });
    expect(within(total).getByText("$4.20")).toBeTruthy();
    expect(within(total).getByText(/^57 calls ·/)).toBeTruthy();

    // The chart says what it shows; its figures are in a table for screen readers.
    const byDay = screen.getByRole("region", { name: "By day" });
    expect(within(byDay).getByRole("img").getAttribute("aria-label")).toMatch(/the most, \$3\.00, on/);
    const table = within(byDay).getByRole("table", { name: "Spending per day" });
    const rows = within(table).getAllByRole("row").map((r) => r.textContent);
    expect(rows[0]).toBe("DaySpentCallsopenaireplicate");
    expect(rows).toHaveLength(4);
    expect(rows[3]).toMatch(/\$3\.0042\$2\.40\$0\.60$/);
    expect(byDay.querySelectorAll("rect")).toHaveLength(4); // two stacked days, the empty one draws nothing

    const byProvider = within(screen.getByRole("region", { name: "By provider" })).getByRole("list");
    expect(within(byProvider).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "openai gpt-image-1$3.20 · 40 calls",
      "replicate flux-schnell$1.00 · 12 calls",
      "local-flats local-flats-v1$0.00 · 5 calls",
    ]);
    const ops = within(screen.getByRole("region", { name: "By operation" })).getByRole("table");
    expect(within(ops).getAllByRole("row").map((r) => r.textContent)).toEqual([
      "OperationSpentCalls",
      "Making designs$3.9050",
      "Enhancing$0.307",
    ]);

    const money = screen.getByRole("region", { name: "Monthly budget" });
    expect(figure(money, "Your budget")).toBe("$20.00");
    expect(figure(money, "Cap set by an administrator")).toBe("$50.00");
    expect(figure(money, "Spent this month")).toBe("$4.20");
    expect(figure(money, "Left this month")).toBe("$15.80");
    const meter = within(money).getByLabelText("Budget used") as HTMLMeterElement;
    expect(meter.value).toBe(4_200_000);
    expect(meter.max).toBe(20_000_000);
    expect(within(money).getByText("$4.20 of $20.00 (21%)")).toBeTruthy();
  });

  it("switches the period, in the URL too", async () => {
    const { calls, user } = setup();
    await screen.findByRole("region", { name: "Spent this month" });
    expect((screen.getByRole("radio", { name: "This month" }) as HTMLInputElement).checked).toBe(true);
    await user.click(screen.getByRole("radio", { name: "This week" }));
    expect(await screen.findByRole("region", { name: "Spent this week" })).toBeTruthy();
    expect(calls.filter((c) => c.url.startsWith("/api/costs?")).map(periodOf)).toEqual(["month", "week"]);
    expect(screen.getByTestId("where").textContent).toBe("/costs?period=week");
  });

  it("says when nothing was spent", async () => {
    setup(
      server({
        "GET /api/costs": () => ({
          body: costs({
            period: "day",
            total_usd: "0.000000",
            calls: 0,
            by_provider: [],
            by_operation: [],
            by_day: [{ day: "2026-12-03", amount_usd: "0.000000", calls: 0, by_provider: {} }],
            budget: budget({ monthly_budget_usd: null, cap_usd: null, effective_usd: null, spent_usd: "0.000000", remaining_usd: null }),
          }),
        }),
      }),
      "/costs?period=day",
    );
    expect(await screen.findByRole("heading", { name: "Nothing spent today" })).toBeTruthy();
    expect(screen.queryByRole("region", { name: "By provider" })).toBeNull();
    const money = screen.getByRole("region", { name: "Monthly budget" });
    expect(figure(money, "Your budget")).toBe("None");
    expect(figure(money, "Left this month")).toBe("No limit");
    expect(within(money).queryByLabelText("Budget used")).toBeNull();
    expect(within(money).queryByRole("button", { name: "Remove budget" })).toBeNull();
  });

  it("saves a budget, says when it is above the cap, and removes it", async () => {
    const { calls, user } = setup();
    const money = await screen.findByRole("region", { name: "Monthly budget" });
    const input = within(money).getByRole("textbox", { name: "Monthly budget in dollars" }) as HTMLInputElement;
    expect(input.value).toBe("20.00");

    await user.clear(input);
    await user.type(input, "60{Enter}");
    const alert = await within(money).findByRole("alert");
    expect(alert.textContent).toBe("That is above the $50.00 cap an administrator set on your budget. Choose $50.00 or less.");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toContain(alert.id);
    expect(input.value).toBe("60"); // kept, to correct

    await user.clear(input);
    await user.type(input, "$25.5");
    await user.click(within(money).getByRole("button", { name: "Save budget" }));
    expect(await within(money).findByText("Budget saved: $25.50 a month.")).toBeTruthy();
    expect(within(money).queryByRole("alert")).toBeNull();
    expect(figure(money, "Your budget")).toBe("$25.50");
    expect(figure(money, "Left this month")).toBe("$21.30");
    expect(input.value).toBe("25.50");

    await user.click(within(money).getByRole("button", { name: "Remove budget" }));
    expect(await within(money).findByText("Budget removed.")).toBeTruthy();
    expect(figure(money, "Your budget")).toBe("None");

    const puts = calls.filter((c) => c.method === "PUT" && c.url === "/api/costs/budget").map((c) => c.body);
    expect(puts).toEqual([{ monthly_budget_usd: "60.00" }, { monthly_budget_usd: "25.50" }, { monthly_budget_usd: null }]);
  });

  it("refuses an amount that is not dollars without asking the API", async () => {
    const { calls, user } = setup();
    const money = await screen.findByRole("region", { name: "Monthly budget" });
    const input = within(money).getByRole("textbox", { name: "Monthly budget in dollars" });
    await user.clear(input);
    await user.type(input, "twenty{Enter}");
    expect((await within(money).findByRole("alert")).textContent).toBe("Enter an amount in dollars, such as 20 or 20.50.");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
  });

  it("sets the default provider and strategy", async () => {
    const { calls, user } = setup();
    const panel = await screen.findByRole("region", { name: "Provider for new designs" });
    const providerSelect = await within(panel).findByRole("combobox", { name: "Default provider" });
    expect(within(providerSelect).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Automatic",
      "local-flats — Free",
      "replicate — $0.04 per design",
      "openai — $0.08 per design",
    ]);
    const save = within(panel).getByRole("button", { name: "Save provider settings" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    await user.selectOptions(within(panel).getByRole("combobox", { name: "Automatic picks by" }), "cost");
    await user.click(save);
    expect(await within(panel).findByText("Provider settings saved.")).toBeTruthy();
    await user.selectOptions(providerSelect, "replicate");
    await user.click(save);
    await waitFor(() => expect(calls.filter((c) => c.method === "PUT" && c.url === "/api/generations/defaults")).toHaveLength(2));
    expect(calls.filter((c) => c.method === "PUT" && c.url === "/api/generations/defaults").map((c) => c.body)).toEqual([
      { default_provider: null, provider_strategy: "cost" },
      { default_provider: "replicate", provider_strategy: "cost" },
    ]);
  });
});
