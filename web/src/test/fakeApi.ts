// A fetch that answers like the API, recording what was sent, and what the API sends.

import type { GalleryItem } from "../api/types";

export type Call = { method: string; url: string; body: unknown; auth: string | null };
type Handler = (call: Call) => { status?: number; body?: unknown } | undefined;

export function fakeFetch(handlers: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? "GET";
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method,
      url,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      auth: headers.Authorization ?? null,
    };
    calls.push(call);
    const path = url.split("?")[0];
    const handler = handlers[`${method} ${path}`];
    const answer = handler?.(call) ?? {
      status: 404,
      body: { error: { code: "not_found", message: `no fake for ${method} ${path}` } },
    };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { "Content-Type": "application/json" },
    });
  }) as typeof fetch;
  return { fetcher, calls };
}

export const ME = {
  id: "u1",
  email: "ada@example.com",
  name: "Ada",
  role: "user",
  timezone: "UTC",
  created_at: "2026-01-01T00:00:00Z",
};

export function spec(overrides: Record<string, unknown> = {}) {
  return {
    quantity: 4,
    garment_type: "dress",
    silhouette: null,
    length: null,
    neckline: null,
    sleeve: null,
    styles: ["bohemian"],
    colors: ["red"],
    palettes: [],
    patterns: [],
    fabrics: ["silk"],
    occasions: [],
    seasons: [],
    details: [],
    exclude: { colors: [], patterns: [] },
    ...overrides,
  };
}

export function commandResult(overrides: Record<string, unknown> = {}) {
  return {
    command_id: null,
    intent: "generate",
    confidence: 0.96,
    spec: spec(),
    specs: [],
    target: { filters: {} },
    reply: "On it: 4 red silk bohemian dresses.",
    job_id: null,
    error: null,
    processing_time_ms: 1,
    ...overrides,
  };
}

/** The thumb, preview and original of a design's file route. */
export function fileUrls(base: string): Record<string, string> {
  return { thumb: `${base}?variant=thumb`, preview: `${base}?variant=preview`, original: `${base}?variant=original` };
}

/** A design as GET /api/images lists it (extra fields, such as my_feedback, may be added). */
export function galleryItem(id: string, overrides: Partial<GalleryItem> & Record<string, unknown> = {}): GalleryItem {
  return {
    id,
    type: "generated",
    title: null,
    width: 768,
    height: 1024,
    ratio: 0.75,
    thumbhash: null,
    dominant_color: null,
    urls: fileUrls(`/api/images/${id}/file`),
    spec: {},
    provider: "local_flats",
    is_outlier: false,
    job_id: null,
    created_at: "2026-03-04T10:30:00Z",
    ...overrides,
  };
}

// -- providers, estimates, costs and budgets (issue 11) -----------------------------------------

/** One provider as GET /api/generations/providers lists it. */
export function provider(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    vendor: name,
    model: `${name}-v1`,
    operation: "generate",
    prompt_family: "photo",
    unit_price_usd: "0.000000",
    is_default: false,
    ...overrides,
  };
}

export const PROVIDERS = [
  provider("local-flats", { prompt_family: "flat", is_default: true }),
  provider("replicate", { model: "flux-schnell", unit_price_usd: "0.040000" }),
  provider("openai", { model: "gpt-image-1", unit_price_usd: "0.080000" }),
  provider("local-upscale", { operation: "enhance", unit_price_usd: "0.000000" }),
];

const sixPlaces = (micro: number) => (micro / 1_000_000).toFixed(6);

/** POST /api/generations/estimate as the API works it out: the provider asked for, else
 *  `fallbackProvider`, at its list price, against `remainingUsd` (null: no budget). */
export function estimateHandler(remainingUsd: string | null, fallbackProvider = "local-flats") {
  return (call: Call) => {
    const body = call.body as { quantity: number; provider?: string; strategy?: string };
    const name = body.provider ?? fallbackProvider;
    const chosen = PROVIDERS.find((p) => p.name === name);
    if (!chosen) return { status: 422, body: { error: { code: "unknown_provider", message: `Unknown provider '${name}'.` } } };
    const unit = Math.round(Number(chosen.unit_price_usd) * 1_000_000);
    const total = unit * body.quantity;
    const left = remainingUsd === null ? null : Math.round(Number(remainingUsd) * 1_000_000);
    return {
      body: {
        provider: chosen.name,
        model: chosen.model,
        chosen_by: body.provider ? "asked" : body.strategy ? `strategy: ${body.strategy}` : "deployment default",
        fallback: [],
        options: {},
        quantity: body.quantity,
        unit_price_usd: sixPlaces(unit),
        total_usd: sixPlaces(total),
        remaining_usd: left === null ? null : sixPlaces(left),
        within_budget: left === null || total <= left,
      },
    };
  };
}

export function budget(overrides: Record<string, unknown> = {}) {
  return {
    monthly_budget_usd: "20.000000",
    cap_usd: "50.000000",
    effective_usd: "20.000000",
    spent_usd: "4.200000",
    remaining_usd: "15.800000",
    ...overrides,
  };
}

/** GET /api/costs?period=month: December so far, two paid providers and the free one. */
export function costs(overrides: Record<string, unknown> = {}) {
  return {
    period: "month",
    start: "2026-12-01T00:00:00Z",
    end: "2027-01-01T00:00:00Z",
    total_usd: "4.200000",
    calls: 57,
    by_provider: [
      { provider: "openai", model: "gpt-image-1", amount_usd: "3.200000", calls: 40 },
      { provider: "replicate", model: "flux-schnell", amount_usd: "1.000000", calls: 12 },
      { provider: "local-flats", model: "local-flats-v1", amount_usd: "0.000000", calls: 5 },
    ],
    by_operation: [
      { operation: "generate", amount_usd: "3.900000", calls: 50 },
      { operation: "enhance", amount_usd: "0.300000", calls: 7 },
    ],
    by_day: [
      { day: "2026-12-01", amount_usd: "1.200000", calls: 15, by_provider: { openai: "0.800000", replicate: "0.400000" } },
      { day: "2026-12-02", amount_usd: "0.000000", calls: 0, by_provider: {} },
      { day: "2026-12-03", amount_usd: "3.000000", calls: 42, by_provider: { openai: "2.400000", replicate: "0.600000", "local-flats": "0.000000" } },
    ],
    budget: budget(),
    ...overrides,
  };
}

/** GET /api/admin/costs?period=month. */
export function adminCosts(overrides: Record<string, unknown> = {}) {
  return {
    period: "month",
    start: "2026-12-01T00:00:00Z",
    end: "2027-01-01T00:00:00Z",
    total_usd: "6.700000",
    calls: 80,
    users: [
      { user_id: "u2", email: "bo@example.com", name: "Bo", amount_usd: "4.200000", calls: 57, budget: budget() },
      {
        user_id: "u3",
        email: "cy@example.com",
        name: "Cy",
        amount_usd: "2.500000",
        calls: 23,
        budget: budget({ monthly_budget_usd: null, cap_usd: null, effective_usd: null, spent_usd: "2.500000", remaining_usd: null }),
      },
    ],
    by_provider: [
      { provider: "openai", model: "gpt-image-1", amount_usd: "5.200000", calls: 60 },
      { provider: "replicate", model: "flux-schnell", amount_usd: "1.500000", calls: 20 },
    ],
    ...overrides,
  };
}
