import { afterEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { AdminCostsPage } from "./AdminCostsPage";
import { Layout } from "../components/Layout";
import { adminCosts, budget, ME } from "../test/fakeApi";
import { renderWithApp, type Handlers } from "../test/render";

afterEach(cleanup);

const ADMIN = { ...ME, role: "admin" };

function setup(handlers: Handlers) {
  return renderWithApp(
    <Routes>
      <Route element={<Layout />}>
        <Route path="/admin/costs" element={<AdminCostsPage />} />
      </Route>
    </Routes>,
    handlers,
    { path: "/admin/costs" },
  );
}

describe("AdminCostsPage", () => {
  it("is hidden from designers who are not admins, and says so at its address", async () => {
    const { calls } = setup({});
    await screen.findByText("Ada"); // signed in
    expect(screen.getByRole("heading", { level: 1, name: "Admins only" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Costs" }).getAttribute("href")).toBe("/costs");
    expect(within(nav).queryByRole("link", { name: "Admin costs" })).toBeNull();
    expect(calls.some((c) => c.url.startsWith("/api/admin/"))).toBe(false);
  });

  it("says admins only when the API refuses (403)", async () => {
    setup({
      "GET /api/auth/me": () => ({ body: ADMIN }),
      "GET /api/admin/costs": () => ({ status: 403, body: { error: { code: "admin_required", message: "Admins only." } } }),
    });
    await screen.findByText("Ada");
    expect(await screen.findByRole("heading", { level: 1, name: "Admins only" })).toBeTruthy();
  });

  it("shows everyone's spending and budgets, and sets a cap", async () => {
    const answer = adminCosts();
    const { calls, user } = setup({
      "GET /api/auth/me": () => ({ body: ADMIN }),
      "GET /api/admin/costs": () => ({ body: answer }),
      "PUT /api/admin/users/u3/budget-cap": () => {
        const capped = budget({ monthly_budget_usd: null, cap_usd: "60.000000", effective_usd: "60.000000", spent_usd: "2.500000", remaining_usd: "57.500000" });
        answer.users[1] = { ...answer.users[1], budget: capped };
        return { body: capped };
      },
    });
    expect(await screen.findByRole("heading", { level: 1, name: "Costs by designer" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Admin costs" }).getAttribute("href")).toBe("/admin/costs");

    const total = await screen.findByRole("region", { name: "Spent this month by everyone" });
    expect(within(total).getByText("$6.70")).toBeTruthy();
    const table = within(screen.getByRole("region", { name: "Designers" })).getByRole("table");
    expect(within(table).getAllByRole("row").map((r) => r.textContent)).toEqual([
      "DesignerSpent this monthCallsBudgetCapLeft this monthChange the cap",
      "Bobo@example.com$4.2057$20.00$50.00$15.80Edit cap",
      "Cycy@example.com$2.5023NoneNoneNo limitEdit cap",
    ]);

    await user.click(within(table).getByRole("button", { name: "Edit cap for Cy" }));
    const input = within(table).getByRole("textbox", { name: "Cap for Cy in dollars" });
    expect(document.activeElement).toBe(input);
    await user.type(input, "60");
    await user.click(within(table).getByRole("button", { name: "Save cap" }));
    await waitFor(() => expect(within(table).getAllByRole("row")[2].textContent).toBe("Cycy@example.com$2.5023None$60.00$57.50Edit cap"));
    expect(calls.find((c) => c.method === "PUT")!.body).toEqual({ budget_cap_usd: "60.00" });
    expect(document.activeElement).toBe(within(table).getByRole("button", { name: "Edit cap for Cy" }));
  });
});
