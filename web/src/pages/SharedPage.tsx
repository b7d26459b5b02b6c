import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useParams } from "react-router";
import { isGone, useSharedCollection, type SharedItem } from "../api/collections";
import { ratioOf } from "../components/picture";
import { LoadFailed, LoadMore, MasonrySkeletons } from "../components/states";
import { Thumb } from "../components/Thumb";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { Masonry } from "../gallery/Masonry";
import { designCount } from "./collectionParts";
import "./collections.css";

/** The caption's height under each picture, in pixels (collections.css says the same). */
const CAPTION = 30;
const keyOf = (item: SharedItem) => item.id;

function labelOf(item: SharedItem): string {
  return item.title ?? item.garment_type ?? "Design";
}

/** One design, large: its preview, with previous and next. */
function Viewer({
  items,
  index,
  onIndex,
  onClose,
}: {
  items: SharedItem[];
  index: number;
  onIndex(index: number): void;
  onClose(): void;
}) {
  const item = items[index];
  const titleId = useId();
  const close = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    close.current?.focus();
  }, []);

  // Keys work wherever the focus is (a button that turned disabled drops it).
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === "Escape") onClose();
      else if (event.key === "ArrowLeft" && index > 0) onIndex(index - 1);
      else if (event.key === "ArrowRight" && index < items.length - 1) onIndex(index + 1);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [index, items.length, onClose, onIndex]);

  useEffect(() => {
    const active = document.activeElement as HTMLButtonElement | null;
    if (!active || active === document.body || active.disabled) close.current?.focus();
  }, [index]);

  const onKey = (event: KeyboardEvent) => {
    if (event.key !== "Tab") return;
    // Keep the focus inside the viewer while it is open.
    const controls = [...event.currentTarget.querySelectorAll<HTMLElement>("button:not(:disabled)")];
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last?.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first?.focus();
    }
  };

  return (
    <div className="shared-viewer" role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={onKey}>
      <div className="shared-viewer-bar">
        <p id={titleId} className="shared-viewer-title">
          {labelOf(item)}{" "}
          <span className="muted small">
            {index + 1} of {items.length}
          </span>
        </p>
        <button ref={close} type="button" className="button secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="shared-viewer-stage">
        <button
          type="button"
          className="col-tool shared-nav"
          aria-label="Previous design"
          disabled={index === 0}
          onClick={() => onIndex(index - 1)}
        >
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" className="col-icon">
            <path d="M15 5l-7 7 7 7" />
          </svg>
        </button>
        <img
          key={item.id}
          src={item.urls.preview ?? item.urls.thumb}
          alt={labelOf(item)}
          className="shared-viewer-image"
          style={{ aspectRatio: String(ratioOf(item)), backgroundColor: item.dominant_color ?? "#ece6dd" }}
        />
        <button
          type="button"
          className="col-tool shared-nav"
          aria-label="Next design"
          disabled={index === items.length - 1}
          onClick={() => onIndex(index + 1)}
        >
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" className="col-icon">
            <path d="M9 5l7 7-7 7" />
          </svg>
        </button>
      </div>
    </div>
  );
}

function Wordmark() {
  return (
    <header className="shared-top">
      <span className="wordmark">Designer BFF</span>
    </header>
  );
}

/** The public page of a shared collection: no account, no app around it. */
export function SharedPage() {
  const { token = "" } = useParams();
  const shared = useSharedCollection(token);
  const first = shared.data?.pages[0];
  const items = shared.data?.pages.flatMap((p) => p.items) ?? [];
  const [open, setOpen] = useState<number | null>(null);
  const opener = useRef<string | null>(null);
  const dead = shared.isError && isGone(shared.error);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = shared;
  const sentinel = useRef<HTMLDivElement>(null);

  useDocumentTitle(dead ? "This link no longer works" : first ? `${first.name} · Designer BFF` : null);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: "800px 0px" },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const renderCard = useCallback(
    (item: SharedItem, index: number) => (
      <figure className="shared-card">
        <button
          type="button"
          className="shared-open"
          data-open={item.id}
          aria-label={`View larger: ${labelOf(item)}`}
          onClick={() => {
            opener.current = item.id;
            setOpen(index);
          }}
        >
          <Thumb picture={item} alt={labelOf(item)} sizes="(max-width: 600px) 50vw, (max-width: 1200px) 33vw, 300px" />
        </button>
        <figcaption className="shared-caption">{labelOf(item)}</figcaption>
      </figure>
    ),
    [],
  );

  useEffect(() => {
    if (open === null) return;
    const before = document.body.style.overflow;
    document.body.style.overflow = "hidden";
    return () => {
      document.body.style.overflow = before;
    };
  }, [open]);

  const closeViewer = useCallback(() => {
    setOpen(null);
    const id = opener.current;
    // Back to the design that was opened.
    if (id) requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-open="${id}"]`)?.focus());
  }, []);

  if (dead) {
    return (
      <div className="shared">
        <Wordmark />
        <main className="shared-main shared-gone">
          <h1>This link no longer works</h1>
          <p className="muted">
            The designer stopped sharing this collection, or the link is incomplete. Ask them for a new one.
          </p>
        </main>
      </div>
    );
  }

  return (
    <div className="shared">
      <div className="shared-page" inert={open !== null}>
      <Wordmark />
      <main className="shared-main" aria-busy={shared.isPending || undefined}>
        {shared.isPending && (
          <>
            <div className="skeleton col-skeleton-title" role="progressbar" aria-label="Loading the collection" />
            <MasonrySkeletons />
          </>
        )}
        {shared.isError && <LoadFailed error={shared.error} onRetry={() => void shared.refetch()} />}
        {first && (
          <>
            <header className="shared-head">
              <h1>{first.name}</h1>
              {first.description && <p className="col-description">{first.description}</p>}
              <p className="muted small">{designCount(first.image_count)}</p>
            </header>
            {items.length === 0 ? (
              <p className="muted">There are no designs in this collection yet.</p>
            ) : (
              <Masonry
                items={items}
                keyOf={keyOf}
                ratio={ratioOf}
                minColumnWidth={240}
                extraHeight={CAPTION}
                label={`Designs in ${first.name}`}
                total={first.image_count}
                render={renderCard}
              />
            )}
            <div ref={sentinel} className="sentinel" />
            <LoadMore list={shared} label="Show more designs" />
          </>
        )}
      </main>
      </div>
      {open !== null && items[open] && (
        <Viewer
          items={items}
          index={open}
          onIndex={(i) => {
            opener.current = items[i]?.id ?? opener.current;
            setOpen(i);
          }}
          onClose={closeViewer}
        />
      )}
    </div>
  );
}
