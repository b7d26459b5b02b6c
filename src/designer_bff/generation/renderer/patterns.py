"""Print patterns and fabric finishes as primitives over a fabric's bounding box.

Printed fabric is a repeat, so most patterns are one `Tile` (a repeat unit with its
motifs, wrapped at the edges) rather than thousands of loose shapes: that keeps the
SVG small and the rasteriser fast. Prims inside a tile are opaque (colours that
should look layered, like tartan crossings, are pre-mixed), so both backends agree.
Sizes are in canvas units and scale with `u`, the canvas size of one body unit, so a
print keeps its real-world scale on a mini dress and on a coat.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .geometry import Circle, Polygon, Polyline, Prim, Pt, Tile, ellipse_pts, rotate, spline
from .palette import RGB, darken, lighten, luminance, mix

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Roles:
    primary: RGB
    secondary: RGB
    tertiary: RGB
    accent: RGB
    # How many of the colours the spec named (in role order): a print shows them all.
    named: int = 0


@dataclass(slots=True)
class Print:
    base: RGB
    prims: list[Prim]
    roles: list[int]  # indices of colour roles the print shows (0 = primary ...)


def _rect(x0: float, y0: float, x1: float, y1: float, c: RGB) -> Polygon:
    return Polygon(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), c)


def _wrap(prims: Sequence[Polygon | Circle], w: float, h: float) -> list[Polygon | Circle]:
    """Copies of motifs that cross a tile edge, shifted by a period, so repeats join."""
    out: list[Polygon | Circle] = []
    for p in prims:
        if isinstance(p, Circle):
            bx0, by0, bx1, by1 = p.cx - p.r, p.cy - p.r, p.cx + p.r, p.cy + p.r
        else:
            xs = [q[0] for q in p.pts]
            ys = [q[1] for q in p.pts]
            bx0, by0, bx1, by1 = min(xs), min(ys), max(xs), max(ys)
        dxs = [0.0] + ([w] if bx0 < 0 else []) + ([-w] if bx1 > w else [])
        dys = [0.0] + ([h] if by0 < 0 else []) + ([-h] if by1 > h else [])
        for dx in dxs:
            for dy in dys:
                if isinstance(p, Circle):
                    out.append(Circle(p.cx + dx, p.cy + dy, p.r, p.fill, p.stroke, p.width))
                else:
                    out.append(Polygon(tuple((x + dx, y + dy) for x, y in p.pts), p.fill))
    return out


def _tile(
    box: Box, w: float, h: float, prims: Sequence[Polygon | Polyline | Circle], opacity: float = 1.0
) -> Tile:
    return Tile(box[0], box[1], w, h, tuple(prims), opacity)


# --- prints ------------------------------------------------------------------------


def striped(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    period = u * rng.choice((2.0, 2.8, 3.8, 5.2))
    ratio = rng.choice((0.5, 0.38, 0.22))
    orient = rng.choices(("v", "h", "d"), (0.42, 0.42, 0.16))[0]
    accent = rng.random() < 0.3
    third = c.named >= 3  # a third colour named: it is the accent stripe, always
    if third:
        accent, c = True, Roles(c.primary, c.secondary, c.tertiary, c.tertiary, c.named)
    if orient == "d":
        # diagonal stripes as wide bands across the whole box
        x0, y0, x1, y1 = box
        diag = math.hypot(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        prims: list[Prim] = []
        k = -diag / 2
        while k < diag / 2:
            bands = [(k, period * ratio, c.secondary)]
            if third:  # a narrow band of the third colour after each stripe
                bands.append((k + period * (ratio + (1 - ratio) / 2), period * 0.08, c.accent))
            for top, width, colour in bands:
                band = [
                    (cx - diag, cy + top),
                    (cx + diag, cy + top),
                    (cx + diag, cy + top + width),
                    (cx - diag, cy + top + width),
                ]
                prims.append(Polygon(tuple(rotate(band, math.radians(-35), cx, cy)), colour))
            k += period
        if third:
            return Print(c.primary, prims, [0, 1, 2])
        return Print(c.primary, prims, [0, 1])
    inner: list[Polygon | Circle] = [_rect(0, 0, period, period, c.primary)]
    if orient == "v":
        inner.append(_rect(0, 0, period * ratio, period, c.secondary))
        if accent:
            x = period * (ratio + (1 - ratio) / 2)
            inner.append(_rect(x - period * 0.04, 0, x + period * 0.04, period, c.accent))
    else:
        inner.append(_rect(0, 0, period, period * ratio, c.secondary))
        if accent:
            y = period * (ratio + (1 - ratio) / 2)
            inner.append(_rect(0, y - period * 0.04, period, y + period * 0.04, c.accent))
    used = [0, 1, 2 if third else 3] if accent else [0, 1]
    return Print(c.primary, [_tile(box, period, period, inner)], used)


def polka_dot(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    sp = u * rng.choice((2.0, 3.0, 4.4))
    r = sp * rng.uniform(0.16, 0.28)
    w, h = sp, sp * math.sqrt(3)
    inner: list[Polygon | Circle] = [
        _rect(0, 0, w, h, c.primary),
        *_wrap([Circle(0, 0, r, c.secondary), Circle(w / 2, h / 2, r, c.secondary)], w, h),
    ]
    return Print(c.primary, [_tile(box, w, h, inner)], [0, 1])


def _flower(
    cx: float, cy: float, r: float, petal: RGB, centre: RGB, rot: float, petals: int
) -> list[Polygon | Circle]:
    out: list[Polygon | Circle] = []
    for k in range(petals):
        a = rot + 2 * math.pi * k / petals
        px, py = cx + math.cos(a) * r * 0.55, cy + math.sin(a) * r * 0.55
        out.append(Polygon(tuple(ellipse_pts(px, py, r * 0.52, r * 0.3, a, 10)), petal))
    out.append(Circle(cx, cy, r * 0.22, centre))
    return out


def floral(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    size = rng.choice((3.2, 4.6, 6.5))
    cell = u * size
    n = 3
    w = h = cell * n
    leaf = mix(c.tertiary, (70, 110, 60), 0.55) if luminance(c.tertiary) > 0.2 else (70, 110, 60)
    inner: list[Polygon | Circle] = [_rect(0, 0, w, h, c.primary)]
    motifs: list[Polygon | Circle] = []
    for i in range(n):
        for j in range(n):
            cx = (i + 0.5 + rng.uniform(-0.25, 0.25) + (0.5 if j % 2 else 0)) * cell
            cy = (j + 0.5 + rng.uniform(-0.25, 0.25)) * cell
            r = cell * rng.uniform(0.26, 0.38)
            rot = rng.uniform(0, math.pi)
            for k in range(2):
                a = rot + k * math.pi * 0.9 + 0.6
                lx, ly = cx + math.cos(a) * r * 1.05, cy + math.sin(a) * r * 1.05
                motifs.append(Polygon(tuple(ellipse_pts(lx, ly, r * 0.5, r * 0.2, a, 8)), leaf))
            petal = c.secondary if (i + j) % 3 else c.accent
            motifs.extend(
                _flower(
                    cx % w,
                    cy,
                    r,
                    petal,
                    c.tertiary if petal != c.tertiary else c.primary,
                    rot,
                    rng.choice((5, 5, 6)),
                )
            )
            # a scattered bud between blooms
            bx = (cx + cell * 0.5) % w
            by = (cy + cell * 0.45) % h
            motifs.append(Circle(bx, by, r * 0.18, c.accent))
    inner += _wrap(motifs, w, h)
    return Print(c.primary, [_tile(box, w, h, inner)], [0, 1, 2, 3])


def _tartan(
    box: Box, u: float, base: RGB, bands: list[tuple[float, float, RGB, float]], sett: float
) -> Tile:
    """Woven check: bands run both ways and crossings show both colours mixed."""
    inner: list[Polygon | Circle] = [_rect(0, 0, sett, sett, base)]
    for off, wid, col, a in bands:  # horizontal bands
        inner.append(_rect(0, off * sett, sett, (off + wid) * sett, mix(base, col, a)))
    for off, wid, col, a in bands:  # vertical bands, and their crossings
        inner.append(_rect(off * sett, 0, (off + wid) * sett, sett, mix(base, col, a)))
        for off2, wid2, col2, a2 in bands:
            cross = mix(mix(base, col2, a2), col, a)
            inner.append(
                _rect(off * sett, off2 * sett, (off + wid) * sett, (off2 + wid2) * sett, cross)
            )
    return _tile(box, sett, sett, inner)


def plaid(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    sett = u * rng.choice((9.0, 12.0, 15.0))
    dark = darken(c.secondary, 0.35) if luminance(c.secondary) > 0.3 else c.secondary
    bands = [
        (0.0, 0.32, c.secondary, 0.6),
        (0.42, 0.06, dark, 0.75),
        (0.58, 0.04, c.accent, 0.85),
        (0.78, 0.12, c.tertiary, 0.5),
    ]
    return Print(c.primary, [_tartan(box, u, c.primary, bands, sett)], [0, 1, 2, 3])


def gingham(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    """Bands of the darker colour crossing over the lighter one (the resolver gives a
    gingham a light second colour: navy and white); only the spec's colours show."""
    sett = u * rng.choice((1.6, 2.4, 3.4))
    dark, light = (
        (c.primary, c.secondary)
        if luminance(c.primary) <= luminance(c.secondary)
        else (c.secondary, c.primary)
    )
    # Woven gingham: the dark threads cross the light ground as half-tone bands and
    # show in full colour where they cross.
    half = mix(light, dark, 0.5)
    inner: list[Polygon | Circle] = [
        _rect(0, 0, sett, sett, light),
        _rect(0, 0, sett, sett / 2, half),
        _rect(0, 0, sett / 2, sett, half),
        _rect(0, 0, sett / 2, sett / 2, dark),
    ]
    return Print(light, [_tile(box, sett, sett, inner)], [0, 1])


def check(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    sett = u * rng.choice((4.0, 6.0, 8.0))
    dark = c.secondary if distance_ok(c.primary, c.secondary) else darken(c.primary, 0.6)
    tile = _tartan(box, u, c.primary, [(0.0, 0.5, dark, 0.55)], sett)
    return Print(c.primary, [tile], [0, 1])


def distance_ok(a: RGB, b: RGB) -> bool:
    return abs(luminance(a) - luminance(b)) > 0.15


def houndstooth(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    cell = u * rng.choice((0.45, 0.65, 0.9))
    # The spec's two colours, the darker as the tooth (the resolver keeps them apart in
    # lightness); two alike get a deeper shade of the darker rather than a stray black.
    light, dark = (
        (c.primary, c.secondary)
        if luminance(c.primary) >= luminance(c.secondary)
        else (c.secondary, c.primary)
    )
    if luminance(light) - luminance(dark) < 0.25:
        dark = darken(dark, 0.5)
    # a 2/2 twill with four dark and four light threads each way is houndstooth
    inner: list[Polygon | Circle] = [_rect(0, 0, 8 * cell, 8 * cell, light)]
    for i in range(8):
        run_start: int | None = None
        for j in range(9):
            dark_cell = False
            if j < 8:
                warp_up = (i + j) % 4 < 2
                dark_cell = (j % 8 < 4) if warp_up else (i % 8 < 4)
            if dark_cell and run_start is None:
                run_start = j
            elif not dark_cell and run_start is not None:
                inner.append(_rect(run_start * cell, i * cell, j * cell, (i + 1) * cell, dark))
                run_start = None
    used = [0, 1]
    return Print(light, [_tile(box, 8 * cell, 8 * cell, inner)], used)


def _paisley(cx: float, cy: float, s: float, rot: float) -> list[Pt]:
    pts = [
        (0.0, -1.0),
        (0.55, -0.7),
        (0.75, 0.0),
        (0.5, 0.65),
        (0.0, 0.85),
        (-0.5, 0.6),
        (-0.6, 0.1),
        (-0.35, -0.35),
        (0.05, -0.55),
        (0.25, -1.1),
        (0.1, -1.5),
    ]
    curve = spline(pts, 3)
    return rotate([(cx + x * s, cy + y * s) for x, y in curve], rot, cx, cy)


def paisley(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    cell = u * rng.choice((4.5, 6.5))
    w = h = cell * 2
    inner: list[Polygon | Circle] = [_rect(0, 0, w, h, c.primary)]
    motifs: list[Polygon | Circle] = []
    for i in range(2):
        for j in range(2):
            cx = (i + 0.5 + (0.25 if j else 0)) * cell
            cy = (j + 0.5) * cell
            rot = rng.uniform(-0.6, 0.6) + (math.pi if (i + j) % 2 else 0)
            s = cell * 0.34
            motifs.append(Polygon(tuple(_paisley(cx, cy, s, rot)), c.secondary))
            motifs.append(Polygon(tuple(_paisley(cx, cy + s * 0.12, s * 0.62, rot)), c.tertiary))
            motifs.append(Circle(cx + math.sin(-rot) * s * 0.1, cy + s * 0.2, s * 0.16, c.accent))
            for k in range(7):
                a = rot + k * 0.8
                motifs.append(
                    Circle(
                        cx + math.cos(a) * s * 1.05, cy + math.sin(a) * s * 1.05, s * 0.07, c.accent
                    )
                )
    inner += _wrap(motifs, w, h)
    return Print(c.primary, [_tile(box, w, h, inner)], [0, 1, 2, 3])


def leopard(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    base = c.primary
    spot = (
        c.secondary
        if abs(luminance(c.secondary) - luminance(base)) > 0.25
        else (darken(base, 0.82) if luminance(base) > 0.3 else lighten(base, 0.6))
    )
    centre = (
        mix(base, c.tertiary, 0.5)
        if abs(luminance(c.tertiary) - luminance(base)) < 0.5
        else darken(base, 0.22)
    )
    cell = u * rng.choice((2.6, 3.6))
    n = 4
    w = h = cell * n
    motifs: list[Polygon | Circle] = []
    for i in range(n):
        for j in range(n):
            cx = (i + 0.5 + rng.uniform(-0.22, 0.22)) * cell
            cy = (j + 0.5 + rng.uniform(-0.22, 0.22)) * cell
            r = cell * rng.uniform(0.26, 0.36)
            motifs.append(Polygon(tuple(_blob(cx, cy, r * 0.75, rng, 10)), centre))
            start = rng.uniform(0, math.tau)
            for k in range(rng.choice((3, 4))):
                a0 = start + k * math.tau / 3.6
                arc = [
                    (cx + math.cos(a0 + t * 0.9) * r, cy + math.sin(a0 + t * 0.9) * r)
                    for t in (0, 0.33, 0.66, 1.0)
                ]
                outer = [(cx + (x - cx) * 1.28, cy + (y - cy) * 1.28) for x, y in reversed(arc)]
                motifs.append(Polygon(tuple(arc + outer), spot))
    inner: list[Polygon | Circle] = [_rect(0, 0, w, h, base), *_wrap(motifs, w, h)]
    return Print(base, [_tile(box, w, h, inner)], [0, 1, 2])


def zebra(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    base = c.primary
    stripe = (
        c.secondary
        if abs(luminance(c.secondary) - luminance(base)) > 0.3
        else ((28, 28, 30) if luminance(base) > 0.4 else (246, 244, 238))
    )
    w = u * 16.0
    h = u * 4.2 * 4
    inner: list[Polygon | Circle] = [_rect(0, 0, w, h, base)]
    waves = [(rng.uniform(0, math.tau), rng.uniform(0.6, 1.1)) for _ in range(4)]
    for k in range(4):
        y = (k + 0.5) * h / 4
        ph, amp = waves[k]
        thick = h / 4 * 0.42
        top: list[Pt] = []
        bot: list[Pt] = []
        steps = 24
        for i in range(steps + 1):
            x = w * i / steps
            # whole sine periods across the tile so the stripe joins its neighbour
            yy = y + math.sin(2 * math.pi * x / w + ph) * u * amp * 1.4
            t = thick * (0.55 + 0.45 * math.sin(4 * math.pi * x / w + ph * 2) ** 2)
            top.append((x, yy - t / 2))
            bot.append((x, yy + t / 2))
        inner.append(Polygon(tuple(top + list(reversed(bot))), stripe))
    return Print(base, [_tile(box, w, h, inner)], [0, 1])


def _blob(cx: float, cy: float, r: float, rng: random.Random, n: int = 9) -> list[Pt]:
    pts = []
    for k in range(n):
        a = math.tau * k / n
        rr = r * rng.uniform(0.7, 1.15)
        pts.append((cx + math.cos(a) * rr, cy + math.sin(a) * rr))
    return spline(pts, 3, closed=True)


def camouflage(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    cols = [c.primary, c.secondary, c.tertiary, c.accent]
    w = h = u * 22.0
    motifs: list[Polygon | Circle] = []
    for layer, col in enumerate(cols[1:]):
        for _ in range(7):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            r = u * rng.uniform(1.8, 3.6) * (1.0 - layer * 0.15)
            blob = _blob(cx, cy, r, rng, 8)
            blob = [(x, cy + (y - cy) * 0.7) for x, y in blob]
            motifs.append(Polygon(tuple(blob), col))
    inner: list[Polygon | Circle] = [_rect(0, 0, w, h, cols[0]), *_wrap(motifs, w, h)]
    return Print(cols[0], [_tile(box, w, h, inner)], [0, 1, 2, 3])


def geometric(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    kind = rng.choice(("diamond", "triangle", "chevron"))
    s = u * rng.choice((3.0, 4.5))
    inner: list[Polygon | Circle] = []
    if kind == "diamond":
        w, h = s, s * 1.4
        inner.append(_rect(0, 0, w, h, c.primary))
        inner += _wrap(
            [
                Polygon(((w / 2, 0), (w, h / 2), (w / 2, h), (0, h / 2)), c.secondary),
                Polygon(
                    ((w / 2, h * 0.3), (w * 0.72, h / 2), (w / 2, h * 0.7), (w * 0.28, h / 2)),
                    c.accent,
                ),
            ],
            w,
            h,
        )
    elif kind == "triangle":
        w, h = s, s * 0.87
        inner.append(_rect(0, 0, w, h * 2, c.primary))
        inner.append(Polygon(((0, h), (w / 2, 0), (w, h)), c.secondary))
        inner.append(Polygon(((w / 2, h), (w, h * 2), (0, h * 2)), c.tertiary))
        inner.append(
            Polygon(((w / 2, h * 0.45), (w * 0.7, h * 0.82), (w * 0.3, h * 0.82)), c.accent)
        )
        h *= 2
    else:
        w, h = s, s
        inner.append(_rect(0, 0, w, h, c.primary))
        t = s * 0.28
        inner.append(
            Polygon(
                ((0, 0), (w / 2, h / 2), (w, 0), (w, t), (w / 2, h / 2 + t), (0, t)), c.secondary
            )
        )
        inner.append(
            Polygon(
                (
                    (0, h / 2),
                    (w / 2, h),
                    (w, h / 2),
                    (w, h / 2 + t * 0.5),
                    (w / 2, h + t * 0.5),
                    (0, h / 2 + t * 0.5),
                ),
                c.accent,
            )
        )
    return Print(c.primary, [_tile(box, w, h, inner)], [0, 1, 2, 3])


def abstract(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    x0, y0, x1, y1 = box
    prims: list[Prim] = []
    area = (x1 - x0) * (y1 - y0)
    n = max(6, min(26, int(area / (u * u * 90))))
    cols = [c.secondary, c.tertiary, c.accent]
    for k in range(n):
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        col = cols[k % 3]
        if k % 2:
            prims.append(Polygon(tuple(_blob(cx, cy, u * rng.uniform(2.0, 5.0), rng, 7)), col))
        else:
            pts = [(cx, cy)]
            ang = rng.uniform(0, math.tau)
            for _ in range(4):
                ang += rng.uniform(-1.2, 1.2)
                pts.append((pts[-1][0] + math.cos(ang) * u * 5, pts[-1][1] + math.sin(ang) * u * 5))
            prims.append(Polyline(tuple(spline(pts, 5)), col, u * rng.uniform(0.8, 1.8)))
    return Print(c.primary, prims, [0, 1, 2, 3])


def tie_dye(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    x0, y0, x1, y1 = box
    cx = x0 + (x1 - x0) * rng.uniform(0.35, 0.65)
    cy = y0 + (y1 - y0) * rng.uniform(0.3, 0.55)
    rmax = math.hypot(max(cx - x0, x1 - cx), max(cy - y0, y1 - cy)) * 1.05
    cols = [c.primary, lighten(c.secondary, 0.1), c.tertiary, lighten(c.primary, 0.45)]
    prims: list[Prim] = []
    rings = 11
    twist = rng.uniform(2.0, 3.5)
    for k in range(rings, 0, -1):
        r = rmax * k / rings
        pts = []
        for i in range(48):
            a = math.tau * i / 48
            rr = r * (1 + 0.08 * math.sin(a * 5 + k * 1.7)) + u * 0.6 * math.sin(a * 11 + k)
            aa = a + twist * (r / rmax)
            pts.append((cx + math.cos(aa) * rr, cy + math.sin(aa) * rr))
        prims.append(Polygon(tuple(pts), cols[k % len(cols)]))
    for i in range(18):
        a = math.tau * i / 18
        pts = [
            (cx + math.cos(a + twist * t) * rmax * t, cy + math.sin(a + twist * t) * rmax * t)
            for t in (0.05, 0.3, 0.55, 0.8, 1.0)
        ]
        prims.append(Polyline(tuple(spline(pts, 4)), (255, 255, 255), u * 0.35, 0.35))
    return Print(c.primary, prims, [0, 1, 2])


def color_block(box: Box, u: float, c: Roles, rng: random.Random) -> Print:
    x0, y0, x1, y1 = box
    mx = (x0 + x1) / 2
    style = rng.choice(("split", "band", "diagonal"))
    prims: list[Prim] = []
    if style == "split":
        prims.append(_rect(mx, y0, x1 + 1, y1 + 1, c.secondary))
        prims.append(_rect(x0 - 1, y0 + (y1 - y0) * 0.62, x1 + 1, y1 + 1, c.tertiary))
    elif style == "band":
        prims.append(
            _rect(x0 - 1, y0 + (y1 - y0) * 0.33, x1 + 1, y0 + (y1 - y0) * 0.55, c.secondary)
        )
        prims.append(_rect(x0 - 1, y0 + (y1 - y0) * 0.55, x1 + 1, y1 + 1, c.tertiary))
    else:
        prims.append(
            Polygon(
                ((x0 - 1, y1 + 1), (x1 + 1, y0 + (y1 - y0) * 0.25), (x1 + 1, y1 + 1)), c.secondary
            )
        )
        prims.append(_rect(x0 - 1, y0 + (y1 - y0) * 0.8, x1 + 1, y1 + 1, c.tertiary))
    return Print(c.primary, prims, [0, 1, 2])


_PRINTS: dict[str, Callable[[Box, float, Roles, random.Random], Print]] = {
    "striped": striped,
    "polka-dot": polka_dot,
    "floral": floral,
    "plaid": plaid,
    "gingham": gingham,
    "check": check,
    "houndstooth": houndstooth,
    "paisley": paisley,
    "leopard": leopard,
    "zebra": zebra,
    "geometric": geometric,
    "abstract": abstract,
    "tie-dye": tie_dye,
    "camouflage": camouflage,
    "color-block": color_block,
}


def make_print(
    pattern: str, variant: str | None, box: Box, u: float, c: Roles, rng: random.Random
) -> Print:
    if pattern == "animal-print" and variant in ("leopard", "zebra"):
        pattern = variant
    draw = _PRINTS.get(pattern)
    return draw(box, u, c, rng) if draw is not None else Print(c.primary, [], [0])


# --- fabric finishes ---------------------------------------------------------------

SHEER: dict[str, float] = {"chiffon": 0.72, "tulle": 0.62, "organza": 0.7, "lace": 0.86}


def _streaks(
    box: Box, u: float, rng: random.Random, color: RGB, alpha: float, count: int, width: float
) -> list[Prim]:
    """Soft vertical highlights: nested translucent bands read as a gradient."""
    x0, y0, x1, y1 = box
    out: list[Prim] = []
    for k in range(count):
        x = x0 + (x1 - x0) * (k + 0.5 + rng.uniform(-0.2, 0.2)) / count
        bend = rng.uniform(-1.5, 1.5) * u
        for layer, f in enumerate((1.0, 0.6, 0.3)):
            wdt = width * u * f
            pts: list[Pt] = []
            steps = 10
            for i in range(steps + 1):
                y = y0 + (y1 - y0) * i / steps
                t = i / steps
                pts.append((x + bend * math.sin(math.pi * t) - wdt / 2 + t * u * 2, y))
            right = [(px + wdt, py) for px, py in reversed(pts)]
            out.append(Polygon(tuple(pts + right), color, alpha * (0.7 + layer * 0.3)))
    return out


def finish(fabric: str, box: Box, u: float, base: RGB, rng: random.Random) -> list[Prim]:
    """Texture and light behaviour of a fabric, drawn over its print."""
    dk = darken(base, 0.35) if luminance(base) > 0.25 else lighten(base, 0.25)
    lt = lighten(base, 0.5)
    if fabric in ("satin", "silk"):
        return _streaks(box, u, rng, (255, 255, 255), 0.11 if fabric == "satin" else 0.07, 3, 3.2)
    if fabric == "leather":
        return [
            *_streaks(box, u, rng, (0, 0, 0), 0.1, 2, 5.0),
            *_streaks(box, u, rng, (255, 255, 255), 0.2, 4, 1.4),
        ]
    if fabric == "velvet":
        return [
            *_streaks(box, u, rng, (0, 0, 0), 0.12, 3, 4.5),
            *_streaks(box, u, rng, (255, 255, 255), 0.06, 2, 2.0),
        ]
    if fabric == "organza":
        return _streaks(box, u, rng, (255, 255, 255), 0.08, 3, 2.5)
    if fabric in ("denim", "chambray"):
        p = u * (0.55 if fabric == "denim" else 0.4)
        line = Polygon(((0, p), (p, 0), (p, p * 0.3), (p * 0.3, p)), lt)
        return [_tile(box, p, p, [line], 0.32 if fabric == "denim" else 0.22)]
    if fabric == "knit":
        w, h = u * 0.9, u * 0.8
        a = [(0.08 * w, 0.05 * h), (0.5 * w, 0.78 * h), (0.5 * w, 0.98 * h), (0.0, 0.25 * h)]
        b = [(0.92 * w, 0.05 * h), (1.0 * w, 0.25 * h), (0.5 * w, 0.98 * h), (0.5 * w, 0.78 * h)]
        return [_tile(box, w, h, [Polygon(tuple(a), dk), Polygon(tuple(b), dk)], 0.28)]
    if fabric == "corduroy":
        w = u * 0.7
        return [_tile(box, w, w, [_rect(0, 0, w * 0.28, w, dk)], 0.3)]
    if fabric == "tweed":
        s = u * 3.0
        flecks: list[Polygon | Circle] = []
        cols = [lt, dk, (200, 60, 50), (60, 90, 160), (235, 225, 200)]
        for k in range(40):
            x, y = rng.uniform(0, s), rng.uniform(0, s)
            ang = rng.uniform(0, math.pi)
            flecks.append(
                Polygon(
                    tuple(ellipse_pts(x, y, u * 0.18, u * 0.06, ang, 6)),
                    cols[k % len(cols)] if k % 4 == 0 else cols[k % 2],
                )
            )
        return [_tile(box, s, s, _wrap(flecks, s, s), 0.55)]
    if fabric in ("wool", "cashmere", "crepe", "suede", "linen"):
        s = u * 3.0
        n = {"wool": 26, "cashmere": 16, "crepe": 30, "suede": 22, "linen": 18}[fabric]
        marks: list[Polygon | Circle] = []
        for k in range(n):
            x, y = rng.uniform(0, s), rng.uniform(0, s)
            col = dk if k % 2 else lt
            if fabric == "linen":
                marks.append(_rect(x, y, x + u * rng.uniform(0.6, 1.6), y + u * 0.07, col))
            else:
                marks.append(Circle(x, y, u * (0.09 if fabric != "suede" else 0.22), col))
        alpha = {"wool": 0.3, "cashmere": 0.2, "crepe": 0.16, "suede": 0.18, "linen": 0.28}[fabric]
        return [_tile(box, s, s, _wrap(marks, s, s), alpha)]
    if fabric == "tulle":
        s = u * 0.55
        return [
            _tile(
                box,
                s,
                s * 0.87,
                [
                    Circle(0, 0, s * 0.16, dk),
                    Circle(s, 0, s * 0.16, dk),
                    Circle(s / 2, s * 0.43, s * 0.16, dk),
                    Circle(0, s * 0.87, s * 0.16, dk),
                    Circle(s, s * 0.87, s * 0.16, dk),
                ],
                0.3,
            )
        ]
    if fabric == "lace":
        s = u * 2.4
        motif: list[Polygon | Circle] = []
        for k in range(6):
            ang = math.tau * k / 6
            motif.append(
                Circle(
                    s / 2 + math.cos(ang) * s * 0.22,
                    s / 2 + math.sin(ang) * s * 0.22,
                    s * 0.1,
                    None,
                    dk,
                    u * 0.09,
                )
            )
        motif.append(Circle(s / 2, s / 2, s * 0.07, dk))
        motif.append(Circle(0, 0, s * 0.06, dk))
        motif.append(Circle(s, 0, s * 0.06, dk))
        motif.append(Circle(0, s, s * 0.06, dk))
        motif.append(Circle(s, s, s * 0.06, dk))
        return [_tile(box, s, s, motif, 0.55)]
    if fabric == "crochet":
        s = u * 1.8
        motif = [
            Circle(s / 2, s / 2, s * 0.34, None, dk, u * 0.16),
            Circle(s / 2, s / 2, s * 0.12, (248, 247, 244)),
            Circle(0, 0, s * 0.1, (248, 247, 244)),
            Circle(s, 0, s * 0.1, (248, 247, 244)),
            Circle(0, s, s * 0.1, (248, 247, 244)),
            Circle(s, s, s * 0.1, (248, 247, 244)),
        ]
        return [_tile(box, s, s, motif, 0.7)]
    if fabric == "sequin":
        s = u * 0.9
        seq: list[Polygon | Circle] = []
        for i in range(3):
            for j in range(3):
                x = (i + 0.5 + (0.5 if j % 2 else 0)) * s / 3
                y = (j + 0.5) * s / 3
                shade = rng.random()
                col = (
                    lighten(base, 0.55)
                    if shade > 0.8
                    else (darken(base, 0.25) if shade < 0.35 else lighten(base, 0.15))
                )
                seq.append(Circle(x % s, y, s / 6.2, col, darken(base, 0.35), u * 0.03))
        tile = _tile(box, s, s, _wrap(seq, s, s), 0.85)
        sparkle: list[Prim] = []
        x0, y0, x1, y1 = box
        for _ in range(int((x1 - x0) * (y1 - y0) / (u * u * 14))):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            r = u * rng.uniform(0.25, 0.6)
            sparkle.append(
                Polygon(
                    (
                        (x - r, y),
                        (x - r * 0.15, y - r * 0.15),
                        (x, y - r),
                        (x + r * 0.15, y - r * 0.15),
                        (x + r, y),
                        (x + r * 0.15, y + r * 0.15),
                        (x, y + r),
                        (x - r * 0.15, y + r * 0.15),
                    ),
                    (255, 255, 255),
                    0.85,
                )
            )
        return [tile, *sparkle]
    # cotton and jersey read as plain cloth: no texture to draw
    return []
