import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { Api, memoryTokenStore } from "../api/client";
import { LiveProvider, useLive, type Live } from "./LiveEvents";

// The socket the provider opens: its listeners kept so the test can play the server.
const listeners = new Map<string, (data: unknown) => void>();
const opened: { disconnected: boolean }[] = [];
vi.mock("socket.io-client", () => ({
  io: () => {
    const socket = {
      connected: true,
      disconnected: false,
      on: (event: string, listener: (data: unknown) => void) => listeners.set(event, listener),
      removeAllListeners: () => listeners.clear(),
      disconnect: () => {
        socket.disconnected = true;
      },
      connect: () => undefined,
    };
    opened.push(socket);
    return socket;
  },
}));

afterEach(cleanup);

const stale = (client: QueryClient, key: readonly unknown[]) => client.getQueryState(key)?.isInvalidated ?? null;

describe("LiveProvider", () => {
  it("refreshes the nights, collections, analytics and preferences when a nightly batch is ready", () => {
    const client = new QueryClient();
    const keys = [
      ["nightly", "settings"],
      ["nightly", "runs", 10],
      ["collections", "list"],
      ["analytics", "dashboard", "/api/analytics/dashboard?weeks=12"],
      ["preferences"],
      ["trends"],
    ] as const;
    for (const key of keys) client.setQueryData(key, { seeded: true });
    render(
      <QueryClientProvider client={client}>
        <LiveProvider api={new Api(memoryTokenStore({ access: "a", refresh: "r" }))}>
          <span />
        </LiveProvider>
      </QueryClientProvider>,
    );
    expect(keys.map((k) => stale(client, k))).toEqual([false, false, false, false, false, false]);
    listeners.get("nightly.ready")?.({ id: "r1", status: "completed", designs: 20, collection_id: "c1" });
    // The trends are the studio's, rebuilt by a periodic task: one designer's night leaves them.
    expect(keys.map((k) => stale(client, k))).toEqual([true, true, true, true, true, false]);
  });

  it("lends its socket to streaming speech, and closes it when unmounted", () => {
    opened.length = 0;
    const seen: Live["socket"][] = [];
    function Voice() {
      seen.push(useLive().socket);
      return null;
    }
    const view = render(
      <QueryClientProvider client={new QueryClient()}>
        <LiveProvider api={new Api(memoryTokenStore({ access: "a", refresh: "r" }))}>
          <Voice />
        </LiveProvider>
      </QueryClientProvider>,
    );
    expect(opened).toHaveLength(1);
    expect(seen.at(-1)).toBe(opened[0]);
    view.unmount();
    expect(opened[0].disconnected).toBe(true);
  });
});
