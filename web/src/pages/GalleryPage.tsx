import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { useQueryClient, type InfiniteData } from "@tanstack/react-query";
import type { GalleryItem, Page } from "../api/types";
import { useCommandBar } from "../components/CommandBar";
import { ExampleCommands, useExampleCommands } from "../components/ExampleCommands";
import { JobsTray } from "../components/JobsTray";
import { ratioOf } from "../components/picture";
import { LoadFailed, LoadMore, MasonrySkeletons } from "../components/states";
import { CAPTION_HEIGHT, DesignCard } from "../gallery/DesignCard";
import { FilterBar } from "../gallery/FilterBar";
import {
  activeCount,
  facetChoices,
  noteValues,
  readView,
  seenValues,
  valueLabel,
  withFilters,
  withoutFilters,
  type GalleryView,
  type ViewChange,
} from "../gallery/filters";
import { Masonry } from "../gallery/Masonry";
import { useCollectionChoices, useGallery, useToggleOutlier, type CollectionChoice } from "../gallery/queries";
import { SelectionBar } from "../gallery/SelectionBar";
import { useVocabulary } from "../api/vocabulary";
import "../gallery/gallery.css";

const FALLBACK_EXAMPLES = [
  "make me 4 bohemian dresses",
  "10 minimalist black blazers in wool",
  "show me my outliers",
];

function Examples() {
  const examples = useExampleCommands();
  const commands = examples.data?.examples.map((e) => e.command).slice(0, 4) ?? FALLBACK_EXAMPLES;
  return <ExampleCommands commands={commands} />;
}

function search(params: URLSearchParams): string {
  const query = params.toString();
  return query ? `?${query}` : "/";
}

function formatDay(day: string): string {
  const date = new Date(`${day}T00:00:00`);
  return Number.isNaN(date.getTime())
    ? day
    : date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** "dress" -> "dresses", "skirt" -> "skirts", "jeans" stays. */
function plural(word: string): string {
  if (/(ss|x|ch|sh)$/.test(word)) return `${word}es`;
  if (/s$/.test(word)) return word;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

function either(value: string, each: (word: string) => string = (w) => w): string {
  return value.split(",").map(each).join(" or ");
}

/** "Red bohemian dresses with floral pattern, in “Summer”, from 1 Jan 2026" */
export function describeView(view: GalleryView, collections: CollectionChoice[] | undefined): string {
  const words = [view.colour, view.style].filter((w): w is string => Boolean(w)).map((w) => either(w));
  const garment = view.garment ? either(view.garment, plural) : "designs";
  let text = [...words, garment].join(" ");
  if (view.pattern) text += ` with ${either(view.pattern)} pattern`;
  const collection = view.collection && collections?.find((c) => c.id === view.collection);
  if (view.collection) text += collection ? `, in “${collection.name}”` : ", in this collection";
  if (view.from && view.to) text += `, from ${formatDay(view.from)} to ${formatDay(view.to)}`;
  else if (view.from) text += `, since ${formatDay(view.from)}`;
  else if (view.to) text += `, until ${formatDay(view.to)}`;
  return valueLabel(text);
}

type Empty = { title: string; body: ReactNode; command?: string };

/** What to say when a view has no designs: each filter its own words. */
function emptyState(view: GalleryView, collections: CollectionChoice[] | undefined): Empty {
  const attributes = Boolean(view.garment || view.style || view.colour || view.pattern);
  const only = activeCount(view) === 1;
  if (only && view.outliers) {
    return {
      title: "No outliers yet",
      body: "Mark the designs you love with the star; they will wait for you here and teach the studio your taste.",
    };
  }
  if (only && view.favourites) {
    return {
      title: "No favourites yet",
      body: "Open a design and mark it a favourite: your favourites gather here.",
    };
  }
  if (only && view.collection) {
    const name = collections?.find((c) => c.id === view.collection)?.name;
    return {
      title: name ? `Nothing in “${name}” yet` : "Nothing in this collection yet",
      body: "Choose Select above the gallery, pick designs, then Add to collection.",
    };
  }
  if ((view.from || view.to) && activeCount(view) === (view.from ? 1 : 0) + (view.to ? 1 : 0)) {
    return { title: "No designs in these dates", body: "Widen the dates, or clear them to see everything." };
  }
  if (attributes && !view.outliers && !view.favourites && !view.collection && !view.from && !view.to) {
    const what = describeView(view, collections).toLowerCase();
    const command = `make me 4 ${what}`;
    return {
      title: `No ${what} yet`,
      body: "None of your designs match. Ask the studio for some:",
      command,
    };
  }
  return { title: "No designs match these filters", body: "Try fewer filters, or clear them all." };
}

// Where the gallery was scrolled, by history entry: coming back from a design page shows
// the same cards.
const scrolled = new Map<string, number>();

export function GalleryPage() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const queryString = params.toString();
  const view = useMemo(() => readView(new URLSearchParams(queryString)), [queryString]);
  const filtered = activeCount(view) > 0;
  const gallery = useGallery(view);
  const { mutate: toggleOutlier } = useToggleOutlier();
  const collections = useCollectionChoices();
  const queryClient = useQueryClient();
  const { run } = useCommandBar();
  const { data, hasNextPage, isFetchingNextPage, fetchNextPage } = gallery;
  const items = useMemo(() => data?.pages.flatMap((p) => p.items) ?? [], [data]);

  // The values offered by the filter bar: the taxonomy's, those of every design loaded so
  // far (in every view), and the view's own.
  const vocabulary = useVocabulary();
  const choices = useMemo(() => {
    const seen = seenValues(queryClient);
    for (const [, cached] of queryClient.getQueriesData<InfiniteData<Page<GalleryItem>>>({ queryKey: ["images"] })) {
      for (const page of cached?.pages ?? []) if (page?.items) noteValues(seen, page);
    }
    for (const page of data?.pages ?? []) noteValues(seen, page);
    return facetChoices(seen, view, vocabulary.data);
  }, [queryClient, data, view, vocabulary.data]);

  const change = useCallback(
    (next: ViewChange, options?: { replace?: boolean }) =>
      setParams((current) => withFilters(current, next), { replace: options?.replace }),
    [setParams],
  );
  const clear = useCallback(() => setParams((current) => withoutFilters(current)), [setParams]);

  // -- selecting designs ---------------------------------------------------------------
  const [selecting, setSelecting] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const anchor = useRef<string | null>(null);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  const onSelect = useCallback((item: GalleryItem, range: boolean) => {
    const list = itemsRef.current;
    const from = range && anchor.current ? list.findIndex((i) => i.id === anchor.current) : -1;
    const to = list.findIndex((i) => i.id === item.id);
    setSelected((old) => {
      const next = new Set(old);
      if (from >= 0 && to >= 0) {
        for (let i = Math.min(from, to); i <= Math.max(from, to); i++) next.add(list[i].id);
      } else if (next.has(item.id)) {
        next.delete(item.id);
      } else {
        next.add(item.id);
      }
      return next;
    });
    anchor.current = item.id;
  }, []);
  const clearSelection = useCallback(() => {
    setSelected(new Set());
    anchor.current = null;
  }, []);
  const stopSelecting = useCallback(() => {
    setSelecting(false);
    clearSelection();
  }, [clearSelection]);
  const selectedIds = useMemo(() => [...selected], [selected]);

  useEffect(() => {
    if (!selecting) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape" && !(event.target as HTMLElement | null)?.closest?.("form")) stopSelecting();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [selecting, stopSelecting]);

  // -- cards ---------------------------------------------------------------------------
  const onToggle = useCallback(
    (item: GalleryItem) => toggleOutlier({ id: item.id, outlier: !item.is_outlier }),
    [toggleOutlier],
  );
  const renderCard = useCallback(
    (item: GalleryItem) => (
      <DesignCard
        item={item}
        onToggleOutlier={onToggle}
        selecting={selecting}
        selected={selected.has(item.id)}
        onSelect={onSelect}
      />
    ),
    [onToggle, selecting, selected, onSelect],
  );
  const keyOf = useCallback((item: GalleryItem) => item.id, []);
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  // -- scroll kept per history entry -----------------------------------------------------
  const restored = useRef(false);
  useLayoutEffect(() => {
    const key = location.key;
    return () => {
      scrolled.set(key, window.scrollY);
    };
  }, [location.key]);
  useEffect(() => {
    if (restored.current || items.length === 0) return;
    restored.current = true;
    const y = scrolled.get(location.key);
    if (y) {
      const frame = requestAnimationFrame(() => window.scrollTo(0, y));
      return () => cancelAnimationFrame(frame);
    }
  }, [items.length, location.key]);

  const title = view.outliers ? "Outliers" : view.favourites ? "Favourites" : "Your designs";
  const subtitle = !filtered
    ? "Everything you have generated, newest first."
    : view.outliers && activeCount(view) === 1
      ? "The standouts you marked. They teach the studio your taste."
      : describeView(view, collections.data) + (view.outliers ? " (outliers)" : "") + ".";
  const empty = gallery.isSuccess && items.length === 0 ? (filtered ? emptyState(view, collections.data) : null) : null;

  return (
    <section className={`gallery${selecting ? " selecting" : ""}`} aria-labelledby="gallery-title">
      <JobsTray />
      <div className="gallery-head">
        <header className="section-head">
          <div>
            <h1 id="gallery-title">{title}</h1>
            <p className="muted">{subtitle}</p>
          </div>
          <nav className="views" aria-label="Gallery views">
            <Link
              to={search(withFilters(params, { outliers: false }))}
              className="pill"
              aria-current={!view.outliers ? "page" : undefined}
            >
              All designs
            </Link>
            <Link
              to={search(withFilters(params, { outliers: true }))}
              className="pill"
              aria-current={view.outliers ? "page" : undefined}
            >
              Outliers
            </Link>
            <button
              type="button"
              className="toggle-chip"
              aria-pressed={selecting}
              onClick={() => (selecting ? stopSelecting() : setSelecting(true))}
            >
              Select
            </button>
          </nav>
        </header>
        <FilterBar view={view} choices={choices} collections={collections.data} onChange={change} onClear={clear} />
      </div>

      {gallery.isPending && <MasonrySkeletons label="Loading designs" />}
      {gallery.isError && <LoadFailed error={gallery.error} onRetry={() => void gallery.refetch()} />}
      {gallery.isSuccess && items.length === 0 && !filtered && (
        <div className="empty">
          <h2>Your studio is ready</h2>
          <p>Type what you want to see in the command bar above. A few to try:</p>
          <Examples />
        </div>
      )}
      {empty && (
        <div className="empty">
          <h2>{empty.title}</h2>
          <p>{empty.body}</p>
          <div className="empty-actions">
            {empty.command && (
              <button type="button" className="example" onClick={() => void run(empty.command!)}>
                “{empty.command}”
              </button>
            )}
            <button type="button" className="button secondary" onClick={clear}>
              Clear filters
            </button>
          </div>
        </div>
      )}
      {items.length > 0 && (
        <Masonry
          items={items}
          keyOf={keyOf}
          ratio={ratioOf}
          render={renderCard}
          extraHeight={CAPTION_HEIGHT}
          onEndReached={loadMore}
          label={title}
          total={hasNextPage ? -1 : items.length}
        />
      )}
      <LoadMore list={gallery} label="Load more" />
      {selecting && <SelectionBar selected={selectedIds} onClear={clearSelection} onDone={stopSelecting} />}
    </section>
  );
}
