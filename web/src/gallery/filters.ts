// The gallery's filters, kept in the URL (so a view can be bookmarked or shared) and
// turned into the query of GET /api/images.
//
//   /?outliers=true&favourites=true&garment=dress&style=bohemian&colour=red
//     &pattern=floral&collection=<uuid>&from=2026-01-01&to=2026-01-31

import { valuesOf, type Vocabulary } from "../api/vocabulary";
import type { GalleryItem } from "../api/types";

/** What the gallery shows. `outliers` is always there (false: all designs), the rest only
 *  when set, so the unfiltered view is exactly `{ outliers: false }` (the live events add
 *  new designs to that view's cache). */
export type GalleryView = {
  outliers: boolean;
  favourites?: true;
  garment?: string;
  style?: string;
  colour?: string;
  pattern?: string;
  collection?: string;
  from?: string;
  to?: string;
};

/** The filters read from design attributes, with their URL name, API filter and the
 *  field of a gallery item's `spec` summary that holds their values. */
export const FACETS = [
  { key: "garment", label: "Garment", api: "garment_type", spec: "garment_type" },
  { key: "style", label: "Style", api: "style", spec: "styles" },
  { key: "colour", label: "Colour", api: "color", spec: "colors" },
  { key: "pattern", label: "Pattern", api: "pattern", spec: "patterns" },
] as const;

export type FacetKey = (typeof FACETS)[number]["key"];

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// What the API takes for an attribute value: a word of 1..60 characters (lists by comma).
const WORDS = /^[^,]{1,60}(,[^,]{1,60})*$/;

function word(value: string | null): string | undefined {
  const clean = value?.trim().toLowerCase();
  return clean && WORDS.test(clean) ? clean : undefined;
}

function day(value: string | null): string | undefined {
  if (!value || !DAY.test(value)) return undefined;
  return Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? undefined : value;
}

/** The view named by the URL's search parameters; values the API would refuse are left out. */
export function readView(params: URLSearchParams): GalleryView {
  const view: GalleryView = { outliers: params.get("outliers") === "true" };
  if (params.get("favourites") === "true") view.favourites = true;
  for (const facet of FACETS) {
    const value = word(params.get(facet.key));
    if (value) view[facet.key] = value;
  }
  const collection = params.get("collection");
  if (collection && UUID.test(collection)) view.collection = collection.toLowerCase();
  const from = day(params.get("from"));
  const to = day(params.get("to"));
  if (from) view.from = from;
  if (to) view.to = to;
  return view;
}

export type ViewChange = Partial<Record<keyof GalleryView, string | boolean | undefined | null>>;

/** The search parameters with the filters changed (false, "" or null removes one); other
 *  parameters are kept, and a changed filter moves to the end. */
export function withFilters(params: URLSearchParams, change: ViewChange): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(change)) {
    next.delete(key);
    if (value === true) next.set(key, "true");
    else if (typeof value === "string" && value.trim()) next.set(key, value.trim());
  }
  return next;
}

/** The search parameters without any filter. */
export function withoutFilters(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of FILTER_KEYS) next.delete(key);
  return next;
}

const FILTER_KEYS = ["outliers", "favourites", ...FACETS.map((f) => f.key), "collection", "from", "to"] as const;

/** How many filters are set (outliers included). */
export function activeCount(view: GalleryView): number {
  return FILTER_KEYS.filter((key) => (key === "outliers" ? view.outliers : view[key] !== undefined)).length;
}

/** GET /api/images's query for the view (without limit and cursor). */
export function apiQuery(view: GalleryView): URLSearchParams {
  const query = new URLSearchParams();
  if (view.outliers) query.set("is_outlier", "true");
  if (view.favourites) query.set("feedback", "favorite");
  for (const facet of FACETS) {
    const value = view[facet.key];
    if (value) query.set(facet.api, value);
  }
  if (view.collection) query.set("collection_id", view.collection);
  if (view.from) query.set("date_from", view.from);
  if (view.to) query.set("date_to", view.to);
  return query;
}

type CommandTarget = {
  filters?: Record<string, unknown>;
  time_range?: { start?: string | null; end?: string | null } | null;
  [key: string]: unknown;
};

function first(value: unknown): string | undefined {
  const list = Array.isArray(value) ? value : [value];
  const words = list.filter((v): v is string => typeof v === "string" && v.trim() !== "");
  return words.length ? words.join(",") : undefined;
}

/** The gallery URL that shows what a "show …" command asked for ("show me red dresses
 *  from last week" -> /?garment=dress&colour=red&from=…&to=…). */
export function showPath(target: CommandTarget, collectionId?: string | null): string {
  const filters = target.filters ?? {};
  const params = new URLSearchParams();
  for (const facet of FACETS) {
    const value = first(filters[facet.spec]);
    if (value) params.set(facet.key, value);
  }
  if (filters.is_favorite) params.set("favourites", "true");
  if (collectionId) params.set("collection", collectionId);
  const range = target.time_range;
  if (range?.start && DAY.test(range.start)) params.set("from", range.start);
  if (range?.end && DAY.test(range.end)) params.set("to", range.end);
  if (filters.is_outlier) params.set("outliers", "true");
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

// -- the values offered in the filter bar ---------------------------------------------------
//
// The API has no taxonomy or facet route, so the choices are the values found in the
// designs this session has loaded (every view), plus whatever the URL asks for.

export type FacetValues = Record<FacetKey, string[]>;

type Seen = { values: Record<FacetKey, Set<string>>; pages: WeakSet<object>; version: number };

const SEEN = new WeakMap<object, Seen>();

/** The set of values seen, one per owner (the query client: a new session starts empty). */
export function seenValues(owner: object): Seen {
  let seen = SEEN.get(owner);
  if (!seen) {
    seen = { values: { garment: new Set(), style: new Set(), colour: new Set(), pattern: new Set() }, pages: new WeakSet(), version: 0 };
    SEEN.set(owner, seen);
  }
  return seen;
}

/** Note the attribute values of a page of designs (each page object once). */
export function noteValues(seen: Seen, page: { items: GalleryItem[] }): void {
  if (seen.pages.has(page)) return;
  seen.pages.add(page);
  const before = countValues(seen);
  for (const item of page.items) {
    const spec = item.spec ?? {};
    for (const facet of FACETS) {
      const raw = spec[facet.spec];
      const list = Array.isArray(raw) ? raw : [raw];
      for (const value of list) {
        if (typeof value === "string" && value) seen.values[facet.key].add(value.toLowerCase());
      }
    }
  }
  if (countValues(seen) !== before) seen.version++;
}

function countValues(seen: Seen): number {
  return FACETS.reduce((n, f) => n + seen.values[f.key].size, 0);
}

/** The choices for each facet, sorted, with the view's own values among them. */
export function facetChoices(seen: Seen, view: GalleryView, vocabulary?: Vocabulary): FacetValues {
  const out = {} as FacetValues;
  for (const facet of FACETS) {
    const values = new Set([...valuesOf(vocabulary, facet.spec), ...seen.values[facet.key]]);
    const chosen = view[facet.key];
    if (chosen) values.add(chosen);
    out[facet.key] = [...values].sort((a, b) => a.localeCompare(b));
  }
  return out;
}

/** "a-line" -> "A-line", "off-shoulder" -> "Off-shoulder". */
export function valueLabel(value: string): string {
  const text = value.replace(/,/g, ", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
