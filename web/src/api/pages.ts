// Lists the API sends a page at a time: `limit` designs or collections, then the
// `next_cursor` of the page before, as useInfiniteQuery keeps them.

import type { InfiniteData } from "@tanstack/react-query";
import type { Page } from "./types";

export type Pages<T> = InfiniteData<Page<T>, string | null>;

/** The path asking for one page: `limit`, and the cursor after the first. */
export function withCursor(path: string, limit: number, cursor: string | null): string {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return `${path}?${query}`;
}

/** Whether a cache entry is a paged list (an infinite query's data). */
export function isPages<T>(data: unknown): data is Pages<T> {
  return typeof data === "object" && data !== null && Array.isArray((data as Pages<T>).pages);
}

/** The same pages with `change` made to each page's items. */
export function mapItems<T>(data: Pages<T>, change: (items: T[]) => T[]): Pages<T> {
  return { ...data, pages: data.pages.map((p) => ({ ...p, items: change(p.items) })) };
}
