// What a page shows around its data: grey shapes while it loads, a failure in plain
// words (with a way to try again), and the button that loads the next page of a list.

import type { ReactNode } from "react";
import { describeError } from "../api/client";

type ErrorProps = { error: unknown; lead?: string; id?: string; children?: ReactNode };

/** A failure in plain words (after `lead`), read out at once; `children` follow the words. */
export function ErrorNotice({ error, lead, id, children }: ErrorProps) {
  return (
    <p className="notice error" role="alert" id={id}>
      {lead}
      {describeError(error)}
      {children}
    </p>
  );
}

/** What could not be loaded (after `lead`), and a button to ask again. */
export function LoadFailed({ error, onRetry, lead }: { error: unknown; onRetry(): void; lead?: string }) {
  return (
    <div className="notice error" role="alert">
      <p>
        {lead}
        {describeError(error)}
      </p>
      <button type="button" className="button secondary" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

type PagedList = { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage(): Promise<unknown> };

/** Under a list with more pages: the button that loads the next one. */
export function LoadMore({ list, label }: { list: PagedList; label: string }) {
  if (!list.hasNextPage) return null;
  return (
    <div className="load-more">
      <button
        type="button"
        className="button secondary"
        disabled={list.isFetchingNextPage}
        onClick={() => void list.fetchNextPage()}
      >
        {list.isFetchingNextPage ? "Loading…" : label}
      </button>
    </div>
  );
}

/** Grey cards of designs' shapes where a masonry's first page will be. */
export function MasonrySkeletons({ label }: { label?: string }) {
  return (
    <div
      className="skeletons"
      role={label ? "progressbar" : undefined}
      aria-busy={label ? true : undefined}
      aria-label={label}
    >
      {Array.from({ length: 8 }, (_, i) => (
        <div key={i} className="skeleton" style={{ aspectRatio: i % 3 ? "3 / 4" : "4 / 5" }} />
      ))}
    </div>
  );
}

/** Grey cards where a grid (`className`) of collections or designs will be. */
export function GridSkeletons({ className, label }: { className: string; label: string }) {
  return (
    <div className={className} role="progressbar" aria-busy="true" aria-label={label}>
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="skeleton col-skeleton" />
      ))}
    </div>
  );
}
