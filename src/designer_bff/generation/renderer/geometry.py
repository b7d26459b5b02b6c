"""The one geometry both backends draw: flattened paths and simple primitives.

Curves are flattened to point lists when a garment is constructed, so the SVG writer
and the rasteriser receive exactly the same polygons and polylines; nothing is
re-interpreted per backend. All scene coordinates are in a 1000 x 1000 canvas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .palette import RGB

Pt = tuple[float, float]

CANVAS = 1000.0


@dataclass(frozen=True, slots=True)
class Polygon:
    pts: tuple[Pt, ...]
    fill: RGB
    opacity: float = 1.0


@dataclass(frozen=True, slots=True)
class Polyline:
    pts: tuple[Pt, ...]
    color: RGB
    width: float
    opacity: float = 1.0
    dash: tuple[float, float] | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: RGB | None
    stroke: RGB | None = None
    width: float = 0.0
    opacity: float = 1.0


@dataclass(frozen=True, slots=True)
class Tile:
    """A periodic texture: `prims` (tile coordinates) repeated every (w, h) from origin.

    Used for fine, dense structure (houndstooth, knit, twill) that would take tens of
    thousands of individual primitives; SVG writes a <pattern>, the rasteriser samples
    one rendered tile, so both repeat the same geometry with the same period.
    """

    ox: float
    oy: float
    w: float
    h: float
    prims: tuple[Polygon | Polyline | Circle, ...]
    opacity: float = 1.0


Prim = Polygon | Polyline | Circle | Tile


@dataclass(slots=True)
class Fabric:
    """What a piece is cut from: a base colour with pattern and texture drawn over it."""

    key: str
    base: RGB
    prims: list[Prim] = field(default_factory=list)
    opacity: float = 1.0  # below 1 for sheer fabrics: the background shows through
    bbox: tuple[float, float, float, float] = (0.0, 0.0, CANVAS, CANVAS)


@dataclass(slots=True)
class Piece:
    """One filled garment part, drawn in painter's order: fill, outline, then details."""

    outline: tuple[Pt, ...]
    fabric: str
    outline_color: RGB
    outline_width: float
    opacity: float = 1.0
    shade: float = 0.0  # >0 darkens (inside of the garment seen through a neckline)
    details: list[Prim] = field(default_factory=list)


@dataclass(slots=True)
class Scene:
    background: RGB
    fabrics: dict[str, Fabric]
    pieces: list[Piece]
    overlay: list[Prim] = field(default_factory=list)


# --- curve flattening -------------------------------------------------------------


def cubic(p0: Pt, p1: Pt, p2: Pt, p3: Pt, n: int = 12) -> list[Pt]:
    """Points of a cubic Bezier after p0 (p0 excluded, p3 included)."""
    out: list[Pt] = []
    for i in range(1, n + 1):
        t = i / n
        u = 1 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        out.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return out


def quad(p0: Pt, p1: Pt, p2: Pt, n: int = 10) -> list[Pt]:
    out: list[Pt] = []
    for i in range(1, n + 1):
        t = i / n
        u = 1 - t
        out.append(
            (
                u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
            )
        )
    return out


def spline(points: Sequence[Pt], n: int = 6, closed: bool = False) -> list[Pt]:
    """Catmull-Rom curve through `points` (all of them included)."""
    pts = list(points)
    if len(pts) < 3:
        return pts
    if closed:
        ext = [pts[-1], *pts, pts[0], pts[1]]
    else:
        ext = [pts[0], *pts, pts[-1]]
    out: list[Pt] = [pts[0]]
    segs = len(pts) if closed else len(pts) - 1
    for i in range(segs):
        p0, p1, p2, p3 = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
        for k in range(1, n + 1):
            t = k / n
            t2, t3 = t * t, t * t * t
            x = 0.5 * (
                2 * p1[0]
                + (-p0[0] + p2[0]) * t
                + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3
            )
            y = 0.5 * (
                2 * p1[1]
                + (-p0[1] + p2[1]) * t
                + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3
            )
            out.append((x, y))
    if closed:
        out.pop()
    return out


def mirror_x(pts: Iterable[Pt]) -> list[Pt]:
    return [(-x, y) for x, y in pts]


def symmetric(half: Sequence[Pt]) -> list[Pt]:
    """Closed outline from a right half that runs from the centre line back to it."""
    left = [(-x, y) for x, y in reversed(half)]
    if left and abs(left[0][0]) < 1e-9:
        left = left[1:]
    if left and abs(left[-1][0]) < 1e-9:
        left = left[:-1]
    return [*half, *left]


def ellipse_pts(
    cx: float, cy: float, rx: float, ry: float, rot: float = 0.0, n: int = 16
) -> list[Pt]:
    cr, sr = math.cos(rot), math.sin(rot)
    out: list[Pt] = []
    for i in range(n):
        a = 2 * math.pi * i / n
        x, y = rx * math.cos(a), ry * math.sin(a)
        out.append((cx + x * cr - y * sr, cy + x * sr + y * cr))
    return out


def offset_polyline(pts: Sequence[Pt], d: float) -> list[Pt]:
    """Parallel polyline at distance d (positive = left of travel direction)."""
    out: list[Pt] = []
    n = len(pts)
    for i in range(n):
        x0, y0 = pts[max(i - 1, 0)]
        x1, y1 = pts[min(i + 1, n - 1)]
        dx, dy = x1 - x0, y1 - y0
        ln = math.hypot(dx, dy) or 1.0
        out.append((pts[i][0] + dy / ln * d, pts[i][1] - dx / ln * d))
    return out


def dash_segments(pts: Sequence[Pt], on: float, off: float, closed: bool = False) -> list[list[Pt]]:
    """Split a polyline into dashes exactly as SVG stroke-dasharray does (phase 0)."""
    path = [*pts, pts[0]] if closed else list(pts)
    out: list[list[Pt]] = []
    drawing, left = True, on
    cur: list[Pt] = [path[0]]
    for i in range(len(path) - 1):
        a, b = path[i], path[i + 1]
        seg = math.dist(a, b)
        pos = 0.0
        while seg - pos > left:
            pos += left
            t = pos / seg
            p = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            if drawing:
                cur.append(p)
                out.append(cur)
                cur = []
            else:
                cur = [p]
            drawing = not drawing
            left = on if drawing else off
        left -= seg - pos
        if drawing:
            cur.append(b)
    if drawing and len(cur) > 1:
        out.append(cur)
    return out


def rotate(pts: Iterable[Pt], angle: float, cx: float = 0.0, cy: float = 0.0) -> list[Pt]:
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in pts]
