import { describe, expect, it, vi } from "vitest";
import { Api, ApiError, memoryTokenStore, SESSION_EXPIRED } from "./client";
import { fakeFetch, ME } from "../test/fakeApi";

const expired = { status: 401, body: { error: { code: "token_expired", message: "The access token has expired." } } };

describe("Api", () => {
  it("refreshes an expired access token invisibly and retries the request", async () => {
    const { fetcher, calls } = fakeFetch({
      "GET /api/auth/me": (c) => (c.auth === "Bearer new-access" ? { body: ME } : expired),
      "POST /api/auth/refresh": () => ({ body: { access_token: "new-access", refresh_token: "new-refresh" } }),
    });
    const store = memoryTokenStore({ access: "old-access", refresh: "old-refresh" });
    const api = new Api(store, fetcher);

    await expect(api.json("/api/auth/me")).resolves.toEqual(ME);

    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "GET /api/auth/me",
      "POST /api/auth/refresh",
      "GET /api/auth/me",
    ]);
    expect(calls[1].body).toEqual({ refresh_token: "old-refresh" });
    expect(store.get()).toEqual({ access: "new-access", refresh: "new-refresh" });
  });

  it("refreshes once for many requests refused together (refresh tokens are single use)", async () => {
    let refreshes = 0;
    const { fetcher } = fakeFetch({
      "GET /api/images": (c) => (c.auth === "Bearer fresh" ? { body: { items: [], next_cursor: null } } : expired),
      "POST /api/auth/refresh": () => {
        refreshes += 1;
        return { body: { access_token: "fresh", refresh_token: `r${refreshes}` } };
      },
    });
    const api = new Api(memoryTokenStore({ access: "stale", refresh: "r0" }), fetcher);
    await Promise.all([api.json("/api/images"), api.json("/api/images"), api.json("/api/images")]);
    expect(refreshes).toBe(1);
  });

  it("ends the session when the refresh token is refused", async () => {
    const { fetcher } = fakeFetch({
      "GET /api/auth/me": () => expired,
      "POST /api/auth/refresh": () => ({
        status: 401,
        body: { error: { code: "token_expired", message: "The refresh token has expired; log in again." } },
      }),
    });
    const store = memoryTokenStore({ access: "a", refresh: "r" });
    const api = new Api(store, fetcher);
    const onExpired = vi.fn();
    api.onExpired(onExpired);

    const error = await api.json("/api/auth/me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(SESSION_EXPIRED);
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(store.get()).toBeNull();
  });

  it("keeps the API's error code and message", async () => {
    const { fetcher } = fakeFetch({
      "POST /api/auth/login": () => ({
        status: 401,
        body: { error: { code: "invalid_credentials", message: "Wrong email or password." } },
      }),
    });
    const api = new Api(memoryTokenStore(), fetcher);
    const error = (await api
      .json("/api/auth/login", { body: { email: "a@b.c", password: "x" }, anonymous: true })
      .catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("invalid_credentials");
    expect(error.message).toBe("Wrong email or password.");
  });
});
