// The app's providers around a page or component under test, on a fake API.

import type { ReactNode } from "react";
import { vi } from "vitest";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter } from "react-router";
import { Api, memoryTokenStore, type Tokens } from "../api/client";
import { AuthProvider } from "../auth/AuthContext";
import { CommandBarProvider } from "../components/CommandBar";
import { LiveContext, type Live } from "../live/LiveEvents";
import { fakeFetch, ME } from "./fakeApi";

export type Handlers = Parameters<typeof fakeFetch>[0];

type Options = {
  /** The URL the app opens at (MemoryRouter's default: "/"). */
  path?: string;
  /** The session's tokens; null for a visitor who is not logged in. */
  tokens?: Tokens | null;
  /** Wraps the fake fetch, for requests it cannot answer (uploads). */
  fetcher?(fake: typeof fetch): typeof fetch;
  /** A cache set up before the page renders. */
  queryClient?: QueryClient;
};

/** A cache that fails at once instead of retrying. */
export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false } } });
}

/** Renders `ui` signed in as ME (GET /api/auth/me answers unless `handlers` says
 *  otherwise), with live events recorded instead of sent. */
export function renderWithApp(ui: ReactNode, handlers: Handlers = {}, options: Options = {}) {
  const fake = fakeFetch({ "GET /api/auth/me": () => ({ body: ME }), ...handlers });
  const tokens = options.tokens === undefined ? { access: "a", refresh: "r" } : options.tokens;
  const api = new Api(memoryTokenStore(tokens), options.fetcher?.(fake.fetcher) ?? fake.fetcher);
  const live: Live = { connected: true, jobs: [], track: vi.fn(), dismiss: vi.fn(), cancel: vi.fn() };
  const queryClient = options.queryClient ?? testQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <AuthProvider api={api}>
        <MemoryRouter initialEntries={options.path ? [options.path] : undefined}>
          <LiveContext.Provider value={live}>
            <CommandBarProvider>{ui}</CommandBarProvider>
          </LiveContext.Provider>
        </MemoryRouter>
      </AuthProvider>
    </QueryClientProvider>,
  );
  return { ...fake, live, queryClient, user: userEvent.setup() };
}
