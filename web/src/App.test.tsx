import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter } from "react-router";
import { Api, memoryTokenStore } from "./api/client";
import { AppRoutes } from "./App";
import { AuthProvider, EXPIRED_NOTICE } from "./auth/AuthContext";
import { costs, fakeFetch, ME } from "./test/fakeApi";

afterEach(cleanup);

describe("an expired session", () => {
  it("returns to the login page with a plain message", async () => {
    const refused = { status: 401, body: { error: { code: "token_expired", message: "expired" } } };
    const { fetcher, calls } = fakeFetch({
      "GET /api/auth/me": () => refused,
      "POST /api/auth/refresh": () => refused,
    });
    const store = memoryTokenStore({ access: "old", refresh: "old" });
    render(
      <QueryClientProvider client={new QueryClient()}>
        <AuthProvider api={new Api(store, fetcher)}>
          <MemoryRouter initialEntries={["/history"]}>
            <AppRoutes />
          </MemoryRouter>
        </AuthProvider>
      </QueryClientProvider>,
    );
    expect(await screen.findByRole("heading", { name: "Welcome back" })).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe(EXPIRED_NOTICE);
    expect(screen.getByLabelText("Email")).toBeTruthy();
    expect(calls.map((c) => c.url)).toEqual(["/api/auth/me", "/api/auth/refresh"]);
    expect(store.get()).toBeNull();
  });
});

describe("the costs pages", () => {
  it("open at /costs (loaded when first opened), with Costs in the main navigation", async () => {
    const { fetcher } = fakeFetch({
      "GET /api/auth/me": () => ({ body: ME }),
      "GET /api/costs": () => ({ body: costs() }),
    });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <AuthProvider api={new Api(memoryTokenStore({ access: "a", refresh: "r" }), fetcher)}>
          <MemoryRouter initialEntries={["/costs"]}>
            <AppRoutes />
          </MemoryRouter>
        </AuthProvider>
      </QueryClientProvider>,
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Costs" })).toBeTruthy();
    expect(await screen.findByRole("region", { name: "Spent this month" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Costs" }).getAttribute("aria-current")).toBe("page");
  });
});
