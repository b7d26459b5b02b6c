import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type FocusEvent,
  type ReactNode,
} from "react";
import "./gallery.css";

type Props<T> = {
  items: T[];
  /** width / height of the item's picture. */
  ratio(item: T): number;
  keyOf(item: T): string;
  /** Keep it stable (useCallback): a new one renders every card on screen again. */
  render(item: T, index: number): ReactNode;
  minColumnWidth?: number;
  /** Pixels below each picture (a caption), the same for every item. */
  extraHeight?: number;
  /** Space between cards, in pixels (default 10 on a phone, 18 wider). */
  gap?: number;
  /** How much is rendered beyond the viewport, above and below, in viewport heights. */
  overscan?: number;
  /** Called when the end of the list comes within a viewport of the screen (load more);
   *  may be called again while it loads, so guard it. */
  onEndReached?(): void;
  /** Name of the list for assistive technology. */
  label?: string;
  /** How many items there are in all, when more than those loaded (aria-setsize). */
  total?: number;
};

/** Where every item goes: computed once per item list and width, and only for the new
 *  items when a page is added below or live items above. Index j of the arrays is item
 *  `held + j`: items that arrived above while the designer was looking further down are
 *  held back (not laid out) until the top is in view again, so nothing moves meanwhile. */
export type Layout = {
  held: number;
  width: number;
  columns: number;
  columnWidth: number;
  gap: number;
  extra: number;
  keys: string[];
  column: Int16Array;
  top: Float64Array;
  height: Float64Array;
  /** Item indexes of each column, top to bottom. */
  byColumn: Int32Array[];
  /** Bottom of each column, with the gap below its last item. */
  bottoms: number[];
  total: number;
  /** When items were added above: how far each column moved down. */
  shifted: number[] | null;
};

const FALLBACK_WIDTH = 1024; // before the width is known (and in tests without layout)

export function columnsFor(width: number, minColumnWidth: number, gap: number): number {
  return Math.max(2, Math.min(6, Math.floor((width + gap) / (minColumnWidth + gap))));
}

function gapFor(width: number): number {
  return width < 640 ? 10 : 18;
}

type Geometry = { width: number; minColumnWidth: number; gap?: number; extra: number };

/** Each item in the shortest column (the leftmost of equals), so items added below never
 *  move those above. Items added above are held back when `holdNew`; otherwise they go
 *  above as a small masonry of their own, each column moving down by what was put in it. */
export function computeLayout<T>(
  previous: Layout | null,
  items: T[],
  keyOf: (item: T) => string,
  ratio: (item: T) => number,
  geometry: Geometry,
  holdNew = false,
): Layout {
  const gap = geometry.gap ?? gapFor(geometry.width);
  const columns = columnsFor(geometry.width, geometry.minColumnWidth, gap);
  const columnWidth = Math.max(1, (geometry.width - gap * (columns - 1)) / columns);
  const all = items.length;
  const allKeys = new Array<string>(all);
  for (let i = 0; i < all; i++) allKeys[i] = keyOf(items[i]);

  // The items laid out before, if they are all still here, in the same order and width.
  let start = -1;
  const same =
    previous !== null &&
    previous.width === geometry.width &&
    previous.columns === columns &&
    previous.gap === gap &&
    previous.extra === geometry.extra &&
    previous.keys.length > 0 &&
    previous.keys.length <= all;
  if (same) {
    const old = previous.keys;
    const first = old[0];
    for (let k = 0; k + old.length <= all; k++) {
      if (allKeys[k] === first) {
        start = k;
        break;
      }
    }
    if (start >= 0) {
      for (let i = 1; i < old.length; i++) {
        if (allKeys[start + i] !== old[i]) {
          start = -1;
          break;
        }
      }
    }
  }
  const held = start > 0 && holdNew ? start : 0;
  const n = all - held;
  const keys = held ? allKeys.slice(held) : allKeys;
  const column = new Int16Array(n);
  const top = new Float64Array(n);
  const height = new Float64Array(n);
  const heightOf = (item: T) => {
    const r = ratio(item);
    return columnWidth / (Number.isFinite(r) && r > 0 ? Math.min(Math.max(r, 0.2), 5) : 0.75) + geometry.extra;
  };
  const place = (j: number, bottoms: number[]) => {
    let shortest = 0;
    for (let c = 1; c < columns; c++) if (bottoms[c] < bottoms[shortest] - 0.5) shortest = c;
    column[j] = shortest;
    top[j] = bottoms[shortest];
    height[j] = heightOf(items[held + j]);
    bottoms[shortest] += height[j] + gap;
  };

  let bottoms: number[];
  let shifted: number[] | null = null;
  if (start >= 0 && previous) {
    const head = new Array<number>(columns).fill(0);
    const before = start - held; // new items laid out above (none when held back)
    for (let j = 0; j < before; j++) place(j, head);
    for (let i = 0; i < previous.keys.length; i++) {
      const c = previous.column[i];
      column[before + i] = c;
      top[before + i] = previous.top[i] + head[c];
      height[before + i] = previous.height[i];
    }
    bottoms = previous.bottoms.map((b, c) => b + head[c]);
    for (let j = before + previous.keys.length; j < n; j++) place(j, bottoms);
    if (before > 0) shifted = head;
  } else {
    bottoms = new Array<number>(columns).fill(0);
    for (let j = 0; j < n; j++) place(j, bottoms);
  }

  const counts = new Array<number>(columns).fill(0);
  for (let j = 0; j < n; j++) counts[column[j]]++;
  const byColumn = counts.map((count) => new Int32Array(count));
  counts.fill(0);
  for (let j = 0; j < n; j++) byColumn[column[j]][counts[column[j]]++] = j;

  return {
    held,
    width: geometry.width,
    columns,
    columnWidth,
    gap,
    extra: geometry.extra,
    keys,
    column,
    top,
    height,
    byColumn,
    bottoms,
    total: n ? Math.max(0, Math.max(...bottoms) - gap) : 0,
    shifted,
  };
}

/** The indexes of the items that overlap [from, to] (container pixels), in list order. */
export function itemsBetween(layout: Layout, from: number, to: number): number[] {
  const out: number[] = [];
  for (const list of layout.byColumn) {
    // The first item whose bottom reaches `from`.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const i = list[mid];
      if (layout.top[i] + layout.height[i] < from) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < list.length && layout.top[list[j]] <= to; j++) out.push(list[j]);
  }
  return out.sort((a, b) => a - b);
}

type Window = { from: number; to: number };

/** The window to render, in container pixels: the viewport and `overscan` viewports either
 *  side, in steps of half a viewport so that scrolling renders again only every so often. */
function windowOf(offset: number, overscan: number): Window {
  const viewport = window.innerHeight || 800;
  const step = Math.max(100, viewport / 2);
  return {
    from: Math.floor((offset - viewport * overscan) / step) * step,
    to: Math.ceil((offset + viewport * (1 + overscan)) / step) * step,
  };
}

/** How far the top of the container is above the top of the screen. */
function offsetOf(el: HTMLElement | null): number {
  return el ? -el.getBoundingClientRect().top : 0;
}

/** Scrolled less than this into the masonry, its top counts as in view. */
const TOP_SLACK = 160;

type CellProps = {
  slot: number;
  index: number;
  item: unknown;
  x: number;
  y: number;
  width: number;
  height: number;
  setSize: number;
  render(item: unknown, index: number): ReactNode;
};

const Cell = memo(function Cell({ slot, index, item, x, y, width, height, setSize, render }: CellProps) {
  return (
    <div
      role="listitem"
      className="vmasonry-cell"
      data-slot={slot}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      style={{ width, height, transform: `translate(${x}px, ${y}px)` }}
    >
      {render(item, index)}
    </div>
  );
});

/** A masonry of cards that renders only those near the viewport, so ten thousand designs
 *  scroll as smoothly as ten: positions come from each item's aspect ratio, cards are
 *  placed absolutely, and a scroll listener (one update per animation frame) renders a
 *  new window only after half a viewport of scrolling. Cards keep their place when pages
 *  are added below; items added above while the designer looks further down wait behind
 *  a "new designs" button (or until the top is in view), so nothing moves under their eyes. */
export function Masonry<T>({
  items,
  ratio,
  keyOf,
  render,
  minColumnWidth = 220,
  extraHeight = 0,
  gap,
  overscan = 1,
  onEndReached,
  label = "Designs",
  total,
}: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [view, setView] = useState<Window>(() => windowOf(0, overscan));
  const [focused, setFocused] = useState<string | null>(null);
  // Bumped to lay out again with the items held back (top in view, or asked for).
  const [reveal, setReveal] = useState(0);
  const atTop = useRef(true);
  const forceReveal = useRef(false);
  // The layout depends on the items and width only: the accessors are read through refs.
  const accessors = useRef({ keyOf, ratio });
  accessors.current = { keyOf, ratio };
  const endReached = useRef(onEndReached);
  endReached.current = onEndReached;
  const previous = useRef<Layout | null>(null);

  const layout = useMemo(
    () =>
      computeLayout(
        previous.current,
        items,
        accessors.current.keyOf,
        accessors.current.ratio,
        { width: width || FALLBACK_WIDTH, minColumnWidth, gap, extra: extraHeight },
        !atTop.current && !forceReveal.current,
      ),
    // `reveal` only asks for a new layout (reading the refs again).
    [items, width, minColumnWidth, gap, extraHeight, reveal],
  );

  useLayoutEffect(() => {
    previous.current = layout;
    forceReveal.current = false;
  }, [layout]);

  // Width: measured now, then whenever the container changes size.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const w = Math.floor(el.clientWidth);
      if (w > 0) setWidth((old) => (old === w ? old : w));
    };
    measure();
    if (typeof ResizeObserver === "undefined") {
      window.addEventListener("resize", measure);
      return () => window.removeEventListener("resize", measure);
    }
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(measure);
    });
    observer.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, []);

  // The window: on scroll and resize, at most once a frame, and only a changed one renders.
  const update = useCallback(() => {
    const offset = offsetOf(ref.current);
    atTop.current = offset < TOP_SLACK;
    if (atTop.current && previous.current?.held) setReveal((r) => r + 1);
    const next = windowOf(offset, overscan);
    setView((old) => (old.from === next.from && old.to === next.to ? old : next));
  }, [overscan]);

  useLayoutEffect(() => {
    update();
    let frame = 0;
    const schedule = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        update();
      });
    };
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener("scroll", schedule);
      window.removeEventListener("resize", schedule);
    };
  }, [update]);

  // Content above the masonry may have changed height (a job tray, a message): look again.
  useEffect(() => {
    update();
  }, [layout, update]);

  // Near the end of what is loaded: ask for more.
  useEffect(() => {
    if (layout.keys.length > 0 && view.to >= layout.total - (window.innerHeight || 800)) endReached.current?.();
  }, [view, layout]);

  const visible = useMemo(() => {
    const list = itemsBetween(layout, view.from, view.to);
    // The card that has the focus stays, wherever it scrolled to.
    if (focused !== null) {
      const slot = layout.keys.indexOf(focused);
      if (slot >= 0 && !list.includes(slot)) {
        list.push(slot);
        list.sort((a, b) => a - b);
      }
    }
    return list;
  }, [layout, view, focused]);

  const onFocus = useCallback((event: FocusEvent<HTMLDivElement>) => {
    const cell = (event.target as HTMLElement).closest<HTMLElement>("[data-slot]");
    const key = cell ? previous.current?.keys[Number(cell.dataset.slot)] : undefined;
    setFocused(key ?? null);
  }, []);
  const onBlur = useCallback((event: FocusEvent<HTMLDivElement>) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setFocused(null);
  }, []);

  const showNew = useCallback(() => {
    forceReveal.current = true;
    setReveal((r) => r + 1);
    const el = ref.current;
    if (el) {
      const y = window.scrollY + el.getBoundingClientRect().top - 160;
      window.scrollTo({ top: Math.max(0, y), behavior: "smooth" });
    }
  }, []);

  const held = layout.held;
  const setSize = total ?? items.length;
  const left = (c: number) => Math.round(c * (layout.columnWidth + layout.gap));
  const renderAny = render as (item: unknown, index: number) => ReactNode;

  return (
    <>
      <div className="vmasonry-news" aria-live="polite">
        {held > 0 && (
          <button type="button" className="button primary" onClick={showNew}>
            <span aria-hidden="true">↑</span> Show {held === 1 ? "1 new design" : `${held} new designs`}
          </button>
        )}
      </div>
      <div
        ref={ref}
        className="vmasonry"
        role="list"
        aria-label={label}
        style={{ height: Math.ceil(layout.total) }}
        onFocus={onFocus}
        onBlur={onBlur}
      >
        {visible.map((j) => (
          <Cell
            key={layout.keys[j]}
            slot={j}
            index={held + j}
            item={items[held + j]}
            x={left(layout.column[j])}
            y={Math.round(layout.top[j])}
            width={Math.floor(layout.columnWidth)}
            height={Math.round(layout.height[j])}
            setSize={setSize}
            render={renderAny}
          />
        ))}
      </div>
    </>
  );
}
