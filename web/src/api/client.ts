// The one way the app talks to the API: JSON in and out, the access token on every
// request, and an invisible refresh (POST /api/auth/refresh) when it has expired.

export type Tokens = { access: string; refresh: string };

export interface TokenStore {
  get(): Tokens | null;
  set(tokens: Tokens | null): void;
}

const KEY = "designer-bff.tokens";

export const browserTokenStore: TokenStore = {
  get() {
    try {
      const raw = localStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as Tokens) : null;
    } catch {
      return null;
    }
  },
  set(tokens) {
    if (tokens) localStorage.setItem(KEY, JSON.stringify(tokens));
    else localStorage.removeItem(KEY);
  },
};

export function memoryTokenStore(initial: Tokens | null = null): TokenStore {
  let value = initial;
  return { get: () => value, set: (t) => void (value = t) };
}

/** An answer other than 2xx, with the API's stable error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const SESSION_EXPIRED = "session_expired";

/** A query's `retry`: ask again after a failure, twice at most, but not when the API
 *  refused the request itself (4xx: a design or collection that is gone stays gone). */
export function retryServerErrors(failures: number, error: unknown): boolean {
  return failures < 2 && !(error instanceof ApiError && error.status < 500);
}

type AuthAnswer = { access_token: string; refresh_token: string };

export type RequestOptions = {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Send without the token and never refresh (login, register, refresh itself). */
  anonymous?: boolean;
};

export class Api {
  private refreshing: Promise<string | null> | null = null;
  private readonly fetcher: typeof fetch;

  private readonly expiredListeners = new Set<() => void>();

  constructor(
    readonly store: TokenStore,
    fetcher?: typeof fetch,
  ) {
    this.fetcher = fetcher ?? ((...args) => globalThis.fetch(...args));
  }

  /** Called when the session cannot be refreshed any more; returns the unsubscribe. */
  onExpired(listener: () => void): () => void {
    this.expiredListeners.add(listener);
    return () => void this.expiredListeners.delete(listener);
  }

  get accessToken(): string | null {
    return this.store.get()?.access ?? null;
  }

  get signedIn(): boolean {
    return this.store.get() !== null;
  }

  /** Keep the tokens of a login, register or refresh answer. */
  remember(answer: AuthAnswer): void {
    this.store.set({ access: answer.access_token, refresh: answer.refresh_token });
  }

  forget(): void {
    this.store.set(null);
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async blob(path: string, signal?: AbortSignal): Promise<Blob> {
    return (await this.send(path, { signal })).blob();
  }

  /** POST a multipart form (a file upload): the same token, refresh and errors as json(). */
  async upload<T>(path: string, form: FormData, signal?: AbortSignal): Promise<T> {
    return (await (await this.send(path, { method: "POST", body: form, signal })).json()) as T;
  }

  /** A new access token from the refresh token; one request at a time, however many
   *  calls were refused together (refresh tokens are single use). */
  refresh(): Promise<string | null> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<string | null> {
    const tokens = this.store.get();
    if (!tokens) return null;
    const response = await this.fetcher("/api/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh }),
    });
    if (!response.ok) {
      if (response.status === 401 || response.status === 400 || response.status === 422) {
        return null; // expired, revoked or reused: the session is over
      }
      throw await toError(response);
    }
    const answer = (await response.json()) as AuthAnswer;
    this.remember(answer);
    return answer.access_token;
  }

  private async send(path: string, options: RequestOptions): Promise<Response> {
    const attempt = (token: string | null) => {
      const headers: Record<string, string> = { Accept: "application/json" };
      // A FormData body sets its own multipart Content-Type (with the boundary).
      const form = typeof FormData !== "undefined" && options.body instanceof FormData ? options.body : null;
      if (options.body !== undefined && !form) headers["Content-Type"] = "application/json";
      if (token && !options.anonymous) headers.Authorization = `Bearer ${token}`;
      return this.fetcher(path, {
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        headers,
        body: form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
        signal: options.signal,
      });
    };
    let response = await attempt(this.accessToken);
    if (response.status === 401 && !options.anonymous && this.signedIn) {
      const fresh = await this.refresh();
      if (fresh === null) {
        this.expire();
        throw new ApiError(401, SESSION_EXPIRED, "Your session has ended. Log in again to carry on.");
      }
      response = await attempt(fresh);
      if (response.status === 401) {
        this.expire();
        throw new ApiError(401, SESSION_EXPIRED, "Your session has ended. Log in again to carry on.");
      }
    }
    if (!response.ok) throw await toError(response);
    return response;
  }

  private expire(): void {
    this.forget();
    for (const listener of this.expiredListeners) listener();
  }
}

async function toError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (body.error) {
      return new ApiError(
        response.status,
        body.error.code ?? "error",
        body.error.message ?? response.statusText,
        body.error.details,
      );
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(response.status, "http_error", `The server answered ${response.status}.`);
}

/** What to tell the designer about a failure, in plain words. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "validation_error" && Array.isArray(error.details) && error.details.length) {
      const first = error.details[0] as { message?: string; field?: string };
      if (first?.message) return first.field ? `${first.field}: ${first.message}` : first.message;
    }
    return error.message;
  }
  if (error instanceof TypeError) return "Cannot reach the studio. Check your connection and try again.";
  return "Something went wrong. Try again.";
}
