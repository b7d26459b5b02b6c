import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, render, screen } from "@testing-library/react";
import { computeLayout, itemsBetween, Masonry } from "./Masonry";

type Tile = { id: string; ratio: number };

const RATIOS = [0.75, 1, 0.6, 1.33, 0.8];
const tiles = (n: number, prefix = "t") =>
  Array.from({ length: n }, (_, i): Tile => ({ id: `${prefix}${i}`, ratio: RATIOS[i % RATIOS.length] }));

const WIDTH = 1000;
const VIEWPORT = 800;
let containerTop = 0;
const originalRect = HTMLElement.prototype.getBoundingClientRect;

beforeEach(() => {
  containerTop = 0;
  // jsdom has no layout: the masonry is 1000 px wide, the window 800 px high, and the
  // masonry's top is wherever the test scrolls it.
  Object.defineProperty(window, "innerHeight", { configurable: true, value: VIEWPORT });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains("vmasonry") ? WIDTH : 0;
    },
  });
  HTMLElement.prototype.getBoundingClientRect = function (this: HTMLElement) {
    const top = this.classList.contains("vmasonry") ? containerTop : 0;
    return { top, bottom: top, left: 0, right: WIDTH, width: WIDTH, height: 0, x: 0, y: top, toJSON: () => ({}) };
  };
});

afterEach(() => {
  cleanup();
  Reflect.deleteProperty(HTMLElement.prototype, "clientWidth"); // back to Element's
  HTMLElement.prototype.getBoundingClientRect = originalRect;
  vi.restoreAllMocks();
});

const renderTile = (tile: Tile) => <div data-testid="tile">{tile.id}</div>;

function show(items: Tile[], onEndReached?: () => void) {
  return render(
    <Masonry
      items={items}
      keyOf={(t) => t.id}
      ratio={(t) => t.ratio}
      render={renderTile}
      extraHeight={30}
      onEndReached={onEndReached}
    />,
  );
}

function shown(): string[] {
  return screen.queryAllByTestId("tile").map((el) => el.textContent ?? "");
}

function cellOf(id: string): HTMLElement {
  return screen.getByText(id).closest<HTMLElement>(".vmasonry-cell")!;
}

function translate(el: HTMLElement): [number, number] {
  // jsdom writes translate(0px, 0px) as translate(0px).
  const match = /translate\((-?[\d.]+)px(?:, (-?[\d.]+)px)?\)/.exec(el.style.transform);
  return [Number(match![1]), Number(match![2] ?? 0)];
}

async function scrollTo(offset: number) {
  containerTop = -offset;
  await act(async () => {
    window.dispatchEvent(new Event("scroll"));
    await new Promise((resolve) => setTimeout(resolve, 40)); // one animation frame
  });
}

describe("Masonry", () => {
  it("renders only the cards near the viewport of 10,000", async () => {
    const items = tiles(10_000);
    const { container } = show(items);
    const list = container.querySelector<HTMLElement>(".vmasonry")!;

    // 4 columns of ~236 px: the whole list is far taller than the screen...
    expect(parseInt(list.style.height)).toBeGreaterThan(500_000);
    // ...but only the viewport and one viewport below it are in the page.
    const first = shown();
    expect(first.length).toBeGreaterThan(8);
    expect(first.length).toBeLessThan(60);
    expect(first).toContain("t0");
    expect(first).not.toContain("t9999");
    expect(screen.getAllByRole("listitem")).toHaveLength(first.length);

    // Halfway down: the cards there, and none of the first ones.
    await scrollTo(300_000);
    const middle = shown();
    expect(middle.length).toBeGreaterThan(8);
    expect(middle.length).toBeLessThan(80);
    expect(middle).not.toContain("t0");
    for (const id of middle) {
      const [, y] = translate(cellOf(id));
      const height = parseInt(cellOf(id).style.height);
      // Within one viewport (plus half a viewport of rounding) either side of the screen.
      expect(y + height).toBeGreaterThanOrEqual(300_000 - VIEWPORT * 1.5);
      expect(y).toBeLessThanOrEqual(300_000 + VIEWPORT * 2.5);
    }
    // In list order, so Tab goes from one card to the next.
    const indexes = middle.map((id) => Number(id.slice(1)));
    expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
  });

  it("does not render again for a small scroll", async () => {
    const renders = vi.fn(renderTile);
    render(<Masonry items={tiles(1000)} keyOf={(t) => t.id} ratio={(t) => t.ratio} render={renders} />);
    await scrollTo(10_100);
    const calls = renders.mock.calls.length;
    await scrollTo(10_150);
    await scrollTo(10_200);
    expect(renders.mock.calls.length).toBe(calls);
  });

  it("keeps every card in place when a page is added below", () => {
    const { rerender } = show(tiles(100));
    const before = ["t0", "t7", "t12"].map((id) => cellOf(id).style.transform);
    rerender(
      <Masonry
        items={[...tiles(100), ...tiles(100, "u")]}
        keyOf={(t) => t.id}
        ratio={(t) => t.ratio}
        render={renderTile}
        extraHeight={30}
      />,
    );
    expect(["t0", "t7", "t12"].map((id) => cellOf(id).style.transform)).toEqual(before);
  });

  it("holds live designs that arrive above while the designer looks further down", async () => {
    const items = tiles(400);
    const { rerender } = show(items);
    await scrollTo(5_000);
    const before = new Map(shown().map((id) => [id, cellOf(id).style.transform]));

    const live = [{ id: "new1", ratio: 0.75 }, { id: "new2", ratio: 1 }, ...items];
    rerender(
      <Masonry items={live} keyOf={(t) => t.id} ratio={(t) => t.ratio} render={renderTile} extraHeight={30} />,
    );
    // Nothing moved...
    expect(new Map(shown().map((id) => [id, cellOf(id).style.transform]))).toEqual(before);
    // ...and the new ones wait behind a button.
    const button = screen.getByRole("button", { name: /Show 2 new designs/ });
    // Positions in the list count them already.
    const first = shown()[0];
    expect(cellOf(first).getAttribute("aria-posinset")).toBe(String(Number(first.slice(1)) + 3));

    // A page below still goes below, without moving anything.
    rerender(
      <Masonry
        items={[...live, ...tiles(50, "u")]}
        keyOf={(t) => t.id}
        ratio={(t) => t.ratio}
        render={renderTile}
        extraHeight={30}
      />,
    );
    expect(new Map(shown().map((id) => [id, cellOf(id).style.transform]))).toEqual(before);

    const scrollTo_ = vi.spyOn(window, "scrollTo").mockImplementation(() => {});
    await act(async () => button.click());
    expect(scrollTo_).toHaveBeenCalled();
    expect(screen.queryByRole("button", { name: /new design/ })).toBeNull();
    await scrollTo(0);
    expect(shown().slice(0, 2)).toEqual(["new1", "new2"]);
  });

  it("shows designs that arrive above at once when the top is in view", async () => {
    const items = tiles(400);
    const { rerender } = show(items);
    await scrollTo(5_000);
    const live = [{ id: "new1", ratio: 0.75 }, ...items];
    rerender(
      <Masonry items={live} keyOf={(t) => t.id} ratio={(t) => t.ratio} render={renderTile} extraHeight={30} />,
    );
    expect(screen.getByRole("button", { name: "Show 1 new design" })).toBeTruthy();
    // Back at the top: they take their place.
    await scrollTo(0);
    expect(shown()[0]).toBe("new1");
    expect(screen.queryByRole("button", { name: /new design/ })).toBeNull();
  });

  it("puts designs that arrive above in place when the top is in view, each column moving down", () => {
    const scrollBy = vi.spyOn(window, "scrollBy").mockImplementation(() => {});
    const items = tiles(50);
    const { rerender } = show(items);
    const before = new Map(shown().map((id) => [id, translate(cellOf(id))]));
    rerender(
      <Masonry
        items={[{ id: "new1", ratio: 1 }, ...items]}
        keyOf={(t) => t.id}
        ratio={(t) => t.ratio}
        render={renderTile}
        extraHeight={30}
      />,
    );
    expect(shown()[0]).toBe("new1");
    expect(translate(cellOf("new1"))).toEqual([0, 0]);
    for (const [id, [x, y]] of before) {
      if (!shown().includes(id)) continue;
      const [x2, y2] = translate(cellOf(id));
      expect(x2).toBe(x); // same column
      expect(y2 === y || x === 0).toBe(true); // only the first column moved
    }
    expect(scrollBy).not.toHaveBeenCalled();
  });

  it("asks for more near the end only", async () => {
    const more = vi.fn();
    show(tiles(10_000), more);
    await act(async () => {});
    expect(more).not.toHaveBeenCalled();
    await scrollTo(parseInt(document.querySelector<HTMLElement>(".vmasonry")!.style.height) - VIEWPORT);
    expect(more).toHaveBeenCalled();
  });
});

describe("computeLayout", () => {
  const geometry = { width: 1000, minColumnWidth: 220, gap: 20, extra: 30 };

  it("puts each item in the shortest column, without overlaps", () => {
    const items = tiles(500);
    const layout = computeLayout(null, items, (t) => t.id, (t) => t.ratio, geometry);
    expect(layout.columns).toBe(4);
    for (const list of layout.byColumn) {
      for (let j = 1; j < list.length; j++) {
        const above = list[j - 1];
        expect(layout.top[list[j]]).toBeCloseTo(layout.top[above] + layout.height[above] + 20);
      }
    }
    // Columns end within one card of each other.
    const bottoms = layout.bottoms;
    expect(Math.max(...bottoms) - Math.min(...bottoms)).toBeLessThan(layout.columnWidth / 0.6 + 30 + 20);
    // The window query finds exactly the items that overlap it.
    const found = itemsBetween(layout, 2000, 2600);
    const expected = items
      .map((_, i) => i)
      .filter((i) => layout.top[i] <= 2600 && layout.top[i] + layout.height[i] >= 2000);
    expect(found).toEqual(expected);
  });

  it("lays out again from scratch when the width changes", () => {
    const items = tiles(50);
    const wide = computeLayout(null, items, (t) => t.id, (t) => t.ratio, geometry);
    const narrow = computeLayout(wide, items, (t) => t.id, (t) => t.ratio, { ...geometry, width: 358, gap: 10 });
    expect(narrow.columns).toBe(2);
    expect(narrow.columnWidth).toBe(174);
    expect(narrow.shifted).toBeNull();
  });
});
