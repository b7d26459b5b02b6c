"""Front-view constructions, one per garment type, drawn onto a Sketch.

Painter's order matters: what is behind (inside back neck, hood, skirt under a
bodice, trousers under a jacket) is drawn first; each piece's seams and stitching
are attached to it so a piece drawn later hides them too.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .geometry import Pt, cubic, ellipse_pts, mirror_x, offset_polyline, quad, spline, symmetric
from .parts import (
    CROTCH_Y,
    HIP_Y,
    REAL_SLEEVES,
    WAIST_Y,
    Fit,
    Top,
    back_neck,
    bodice_top,
    cut_at,
    fit_for,
    hem,
    legs,
    mirror_sleeve,
    neck_curve,
    shoulder_y,
    side_curve,
    skirt,
    sleeve,
)
from .sketch import FRAMES, Frame, Sketch
from .spec_resolve import Resolved

DRESS_HEM: dict[str | None, float] = {
    "mini": 76.0,
    "knee": 98.0,
    "midi": 118.0,
    "maxi": 140.0,
    "ankle": 138.0,
    "floor": 150.0,
    "cropped": 70.0,
    None: 98.0,
}
TOP_HEM: dict[str | None, float] = {
    None: 60.0,
    "cropped": 34.0,
    "mini": 64.0,
    "knee": 74.0,
    "midi": 80.0,
    "maxi": 82.0,
    "floor": 82.0,
    "ankle": 82.0,
}
JACKET_HEM: dict[str | None, float] = {
    None: 63.0,
    "cropped": 38.0,
    "mini": 70.0,
    "knee": 80.0,
    "midi": 82.0,
    "maxi": 82.0,
    "floor": 82.0,
    "ankle": 82.0,
}
COAT_HEM: dict[str | None, float] = {
    None: 100.0,
    "mini": 80.0,
    "cropped": 66.0,
    "knee": 100.0,
    "midi": 118.0,
    "maxi": 138.0,
    "ankle": 138.0,
    "floor": 146.0,
}
PANTS_HEM: dict[str | None, float] = {
    None: 140.0,
    "ankle": 140.0,
    "floor": 150.0,
    "maxi": 150.0,
    "cropped": 124.0,
    "midi": 120.0,
    "knee": 100.0,
    "mini": 78.0,
}
SHORTS_HEM: dict[str | None, float] = {
    None: 80.0,
    "mini": 74.0,
    "cropped": 72.0,
    "knee": 97.0,
    "midi": 97.0,
    "maxi": 97.0,
    "floor": 97.0,
    "ankle": 97.0,
}
KIMONO_HEM: dict[str | None, float] = {
    None: 66.0,
    "cropped": 50.0,
    "mini": 78.0,
    "knee": 100.0,
    "midi": 118.0,
    "maxi": 138.0,
    "ankle": 138.0,
    "floor": 146.0,
}

FRAME_OF: dict[str, str] = {
    "dress": "full",
    "gown": "full",
    "jumpsuit": "full",
    "coat": "full",
    "trench-coat": "full",
    "kimono": "full",
    "suit": "full",
    "skirt": "bottom",
    "pants": "bottom",
    "jeans": "bottom",
    "shorts": "shorts",
    "romper": "romper",
}

ONE_PIECE = {
    "sheath",
    "bodycon",
    "shift",
    "slip",
    "straight",
    "relaxed",
    "oversized",
    "boxy",
    "tailored",
    "pencil",
}


@dataclass(slots=True)
class Ctx:
    r: Resolved
    fit: Fit
    rng: random.Random
    want: set[str]  # details asked for (explicitly or by styles)
    shade: float = 0.28  # how dark the inside of the garment reads

    def wants(self, d: str) -> bool:
        return d in self.want


def frame_for(garment: str) -> Frame:
    return FRAMES[FRAME_OF.get(garment, "top")]


# --- shared drawing helpers --------------------------------------------------------


def _inner_back(sk: Sketch, c: Ctx, top: Top) -> None:
    if top.neck_front is None:
        return
    half = [*top.neck_front, *back_neck(top.neck_front)]
    sk.piece(symmetric(half), shade=c.shade)


def _sleeves(
    sk: Sketch,
    c: Ctx,
    top: Top,
    kind: str | None,
    *,
    cuff_rib: bool = False,
    cuffed: bool = True,
    hem_stitch: bool = False,
    angle_bias: float = 0.0,
    length_scale: float = 1.0,
    buttons: int = 0,
) -> None:
    if kind not in REAL_SLEEVES or top.sp is None:
        return
    g = sleeve(
        kind, top.sp, top.ua, cuffed=cuffed, angle_bias=angle_bias, length_scale=length_scale
    )
    sides = []
    if top.right_sleeve:
        sides.append(g)
    if top.left_sleeve:
        sides.append(mirror_sleeve(g))
    for s in sides:
        sk.piece(s.outline)
        for f in s.folds:
            sk.seam(f, width=1.1)
        for gl in s.gathers:
            sk.seam(gl, width=1.0)
        if hem_stitch and s.cuff is None:
            sk.stitch(offset_polyline(s.hem_line, -1.3 if s is g else 1.3))
        if s.cuff is not None:
            sk.piece(s.cuff)
            if cuff_rib:
                _rib_lines(sk, s.cuff, 9)
            elif buttons:
                p = s.cuff[1]
                q = s.cuff[-2]
                sk.button(((p[0] * 0.65 + q[0] * 0.35), (p[1] * 0.65 + q[1] * 0.35)), 0.55)
        elif buttons and kind in ("long", "three-quarter"):
            e = s.top_edge
            for k in range(buttons):
                p = e[-2 - k]
                q = s.bottom_edge[-2 - k]
                sk.button((p[0] * 0.75 + q[0] * 0.25, p[1] * 0.75 + q[1] * 0.25), 0.42)


def _rib_lines(sk: Sketch, poly: list[Pt], n: int) -> None:
    """Rib knit lines across a band polygon whose two long edges are its halves."""
    half = len(poly) // 2
    a, b = poly[:half], list(reversed(poly[half:]))
    for k in range(1, n):
        t = k / n
        i = min(int(t * (half - 1)), half - 2)
        f = t * (half - 1) - i
        p = (a[i][0] + (a[i + 1][0] - a[i][0]) * f, a[i][1] + (a[i + 1][1] - a[i][1]) * f)
        q = (b[i][0] + (b[i + 1][0] - b[i][0]) * f, b[i][1] + (b[i + 1][1] - b[i][1]) * f)
        sk.seam([p, q], width=0.9)


def _band(x0: float, x1: float, y0: float, y1: float, steps: int = 8) -> list[Pt]:
    """Straight horizontal band as a polygon with matching top and bottom point counts."""
    top = [(x0 + (x1 - x0) * i / steps, y0) for i in range(steps + 1)]
    bot = [(x0 + (x1 - x0) * i / steps, y1) for i in range(steps + 1)]
    return [*top, *reversed(bot)]


def _side(fit: Fit, ua: Pt, hem_y: float, hem_x: float | None = None) -> list[Pt]:
    """Side seam from the underarm through waist and hip down to hem_y."""
    # A cropped hem on a dropped (oversized) underarm could sit above the underarm: keep
    # a minimal side seam so every cropped body still has sides.
    hem_y = max(hem_y, ua[1] + 6.0)
    ctrl: list[Pt] = [ua]
    if hem_y > WAIST_Y + 4:
        ctrl.append((fit.waist_x, WAIST_Y))
    if hem_y > HIP_Y - 2:
        ctrl.append((fit.hip_x, HIP_Y))
    end_x = (
        hem_x
        if hem_x is not None
        else (
            fit.hip_x
            if hem_y >= HIP_Y
            else fit.waist_x
            + (fit.hip_x - fit.waist_x) * max(0.0, hem_y - WAIST_Y) / (HIP_Y - WAIST_Y)
            if hem_y > WAIST_Y
            else ua[0] + (fit.waist_x - ua[0]) * (hem_y - ua[1]) / (WAIST_Y - ua[1])
        )
    )
    if ctrl[-1][1] < hem_y - 0.5:
        ctrl.append((end_x, hem_y))
    pts = side_curve(ctrl, 6)
    return cut_at([ua, *pts], hem_y)[1:]


def _flat_hem(x: float, y: float, droop: float = 0.8) -> list[Pt]:
    pts, _ = hem(x, y, droop, steps=10)
    return pts


def _neck_trims(sk: Sketch, c: Ctx, top: Top, neckline: str | None, *, knit: bool = False) -> None:
    if top.mode != "shoulders" or top.neck_front is None:
        return
    front = top.neck_front
    if neckline == "turtleneck":
        nx = front[-1][0] + 0.8
        poly = [*_arc_row(-nx, nx, -8.5, 0.0), *reversed(_arc_row(-nx - 0.5, nx + 0.5, 3.8, 1.5))]
        sk.piece(poly)
        _rib_lines(sk, poly, 14)
        sk.seam(_arc_row(-nx, nx, -3.0, 0.6), width=1.2)
    elif neckline == "high-neck":
        nx = front[-1][0]
        poly = [*_arc_row(-nx + 0.4, nx - 0.4, -4.8, 0.0), *reversed(_arc_row(-nx, nx, 4.2, 2.5))]
        sk.piece(poly)
        if knit:
            _rib_lines(sk, poly, 12)
        else:
            sk.stitch(_arc_row(-nx + 0.9, nx - 0.9, -3.8, 0.2))
    elif neckline == "collared":
        _shirt_collar(sk, c, front)
    elif neckline == "cowl":
        for k, dy in enumerate((3.5, 7.0, 10.5)):
            w = front[-1][0] - 1.0 - k * 1.2
            sk.seam(_arc_row(-w, w, front[0][1] - 12.5 + dy, 3.2 + k * 0.6), width=1.2)
    elif knit:
        band = offset_polyline(front, -1.5)
        full = [*mirror_x(list(reversed(front)))[:-1], *front]
        fullb = [*mirror_x(list(reversed(band)))[:-1], *band]
        poly = [*full, *reversed(fullb)]
        sk.piece(poly)
        _rib_lines_along(sk, full, fullb, 22)
    else:
        # a narrow facing stitched around the neckline
        sk.stitch(
            [
                *mirror_x(list(reversed(offset_polyline(front, -1.0))))[:-1],
                *offset_polyline(front, -1.0),
            ]
        )


def _rib_lines_along(sk: Sketch, a: list[Pt], b: list[Pt], n: int) -> None:
    # A strapless or open top has no neckline edge to rib: nothing to draw.
    m = min(len(a), len(b))
    if m < 2:
        return
    for k in range(1, n):
        i = round(k * (m - 1) / n)
        sk.seam([a[i], b[i]], width=0.8)


def _arc_row(x0: float, x1: float, y: float, sag: float, n: int = 10) -> list[Pt]:
    """Gentle arc from x0 to x1 at height y that dips by `sag` in the middle."""
    return [(x0 + (x1 - x0) * i / n, y + sag * math.sin(math.pi * i / n)) for i in range(n + 1)]


def _shirt_collar(sk: Sketch, c: Ctx, front: list[Pt]) -> None:
    nx = front[-1][0]
    # collar stand and fall seen around the back of the neck
    back = [
        (-nx - 1.4, 0.4),
        *quad((-nx - 1.4, 0.4), (0.0, -4.4), (nx + 1.4, 0.4), 10),
        (nx, 1.0),
        *quad((nx, 1.0), (0.0, -1.4), (-nx, 1.0), 10),
    ]
    sk.piece(back)
    leaf = [
        (0.3, front[0][1] - 0.2),
        (nx + 0.3, -0.6),
        (nx + 3.6, 2.2),
        (6.4, 11.6),
        (0.6, front[0][1] + 0.9),
    ]
    leaf = [
        leaf[0],
        *quad(leaf[0], (3.0, 1.0), leaf[1], 6),
        leaf[2],
        *quad(leaf[2], (nx + 2.0, 7.0), leaf[3], 5),
        leaf[4],
    ]
    for side in (leaf, mirror_x(leaf)):
        sk.piece(side)
        sk.stitch(offset_polyline(side[-6:-1], 1.0 if side is leaf else -1.0))


def _placket(
    sk: Sketch, y0: float, y1: float, n_buttons: int, width: float = 1.6, fabric: str = "main"
) -> None:
    sk.piece(_band(-width, width, y0, y1, 2), fabric=fabric, outline_w=1.6)
    sk.stitch([(-width + 0.5, y0 + 0.4), (-width + 0.5, y1 - 0.4)])
    if n_buttons:
        step = (y1 - y0 - 4.0) / max(n_buttons - 1, 1)
        for k in range(n_buttons):
            sk.button((0.0, y0 + 2.0 + k * step), 0.62)


def _belt(
    sk: Sketch, y: float, half_w: float, c: Ctx, *, tie: bool = False, fabric: str = "contrast"
) -> None:
    h = 3.2
    sk.piece(
        _band(-half_w - 0.4, half_w + 0.4, y - h / 2, y + h / 2, 8), fabric=fabric, outline_w=1.8
    )
    if tie:
        _bow(sk, (half_w * 0.35, y), 1.0, fabric)
        return
    sk.stitch([(-half_w, y - h / 2 + 0.6), (half_w, y - h / 2 + 0.6)])
    sk.stitch([(-half_w, y + h / 2 - 0.6), (half_w, y + h / 2 - 0.6)])
    bx = -1.8
    buckle = [(bx - 2.0, y - 2.3), (bx + 2.0, y - 2.3), (bx + 2.0, y + 2.3), (bx - 2.0, y + 2.3)]
    sk.stroke_shape(buckle, (196, 164, 80), 3.2, closed=True)
    sk.stroke_shape(buckle, (60, 50, 30), 0.8, closed=True)


def _bow(sk: Sketch, p: Pt, scale: float, fabric: str = "contrast") -> None:
    x, y = p
    s = scale
    loop_r = [
        (x, y),
        *cubic((x, y), (x + 3 * s, y - 3.2 * s), (x + 5.5 * s, y - 2.2 * s), (x + 5.2 * s, y), 6),
        *cubic((x + 5.2 * s, y), (x + 5.5 * s, y + 2.4 * s), (x + 3 * s, y + 3.0 * s), (x, y), 6),
    ]
    tail_r = [
        (x + 0.4 * s, y + 0.6 * s),
        (x + 3.2 * s, y + 7.5 * s),
        (x + 1.8 * s, y + 7.0 * s),
        (x + 0.8 * s, y + 7.8 * s),
        (x - 0.3 * s, y + 1.0 * s),
    ]
    tail_l = [(2 * x - px, py) for px, py in tail_r]
    loop_l = [(2 * x - px, py) for px, py in loop_r]
    for poly in (tail_r, tail_l, loop_r, loop_l):
        sk.piece(poly, fabric=fabric, outline_w=1.6)
    sk.piece(ellipse_pts(x, y, 1.1 * s, 1.4 * s, 0, 10), fabric=fabric, outline_w=1.6)


def _fringe_row(sk: Sketch, x0: float, x1: float, y: float, drop: float = 5.5) -> None:
    """Fringe hanging from a hem between x0 and x1."""
    n = max(4, int(abs(x1 - x0) / 0.9))
    for k in range(n + 1):
        x = x0 + (x1 - x0) * k / n
        sk.outline_line([(x, y), (x * 1.01, y + drop)], width=1.2)


def _neck_ruffle(sk: Sketch, top: Top) -> bool:
    """A ruffle along the front neckline (or a strapless or off-shoulder top edge); False
    where the top has no symmetric edge to follow (halter, one shoulder)."""
    if top.mode == "shoulders" and top.neck_front is not None:
        front = top.neck_front
    elif top.mode in ("strapless", "straps", "off-shoulder"):
        front = list(top.right)
    else:
        return False
    band = offset_polyline(front, 2.6)
    full = [*mirror_x(list(reversed(front)))[:-1], *front]
    fullb = [*mirror_x(list(reversed(band)))[:-1], *band]
    sk.piece([*full, *reversed(fullb)])
    _rib_lines_along(sk, full, fullb, 16)
    return True


# --- skirt-region details (dresses, skirts, gowns) ---------------------------------


@dataclass(slots=True)
class SkirtBox:
    waist_y: float
    waist_x: float
    hem_y: float
    hem_x: float
    flared: bool


def _skirt_details(sk: Sketch, c: Ctx, box: SkirtBox) -> None:
    length = box.hem_y - box.waist_y
    if c.wants("pleat") and not box.flared:
        n = 6
        for k in range(-n + 1, n):
            x0 = box.waist_x * k / n
            x1 = box.hem_x * k / n
            sk.seam([(x0, box.waist_y + 1.0), (x1, box.hem_y - 0.4)], width=1.1)
        sk.detail("pleat")
    elif c.wants("pleat"):
        for k in range(-5, 6):
            if k == 0:
                continue
            x0 = box.waist_x * k / 6
            sk.seam([(x0, box.waist_y + 1), (x0 * 1.06, box.waist_y + 6.0)], width=1.1)
        sk.detail("pleat")
    if c.wants("slit") and length > 30:
        x = box.hem_x * 0.42
        top = box.hem_y - length * 0.38
        sk.outline_line([(x, box.hem_y + 0.8), (x * 0.97, top)], width=2.0)
        sk.detail("slit")
    if c.wants("pocket"):
        for s in (1, -1):
            x = box.waist_x * 0.92 * s
            sk.seam(
                [
                    (x, box.waist_y + 1.5),
                    (x + 3.2 * s, box.waist_y + 4.5),
                    (box.waist_x * 1.06 * s + 0.6 * s, box.waist_y + 11.0),
                ],
                width=1.2,
            )
        sk.detail("pocket")
    if c.wants("fringe"):
        steps = int(box.hem_x * 1.2)
        for k in range(-steps, steps + 1):
            x = box.hem_x * 0.98 * k / steps
            u = x / box.hem_x
            y = box.hem_y + 1.2 * (1 - u * u)
            sk.outline_line([(x, y), (x * 1.01, y + 5.5)], width=1.2)
        sk.detail("fringe")
    if c.wants("lace-trim"):
        n = int(box.hem_x / 1.6)
        pts: list[Pt] = []
        for k in range(-n, n):
            x0 = box.hem_x * k / n
            x1 = box.hem_x * (k + 1) / n
            pts += [
                (x0, box.hem_y - 1.4),
                *quad(
                    (x0, box.hem_y - 1.4),
                    ((x0 + x1) / 2, box.hem_y + 0.6),
                    (x1, box.hem_y - 1.4),
                    3,
                ),
            ]
        sk.seam(pts, width=1.0)
        sk.detail("lace-trim")


def _ruffle_hem(sk: Sketch, c: Ctx, box: SkirtBox) -> float:
    """A flounce sewn to the hem; returns the new hem height."""
    depth = 7.0 if box.hem_y - box.waist_y > 40 else 4.5
    x0, y0 = box.hem_x - 0.8, box.hem_y - 1.0
    x1 = box.hem_x + 4.0
    y1 = box.hem_y + depth
    hem_pts, cusps = hem(x1, y1, 1.5, max(4, int(x1 / 4)), 1.2)
    half = [
        (0.0, y0 + 1.0),
        *quad((0.0, y0 + 1.0), (x0 * 0.6, y0 + 0.6), (x0, y0), 6),
        (x1, y1),
        *hem_pts,
    ]
    sk.piece(symmetric(half))
    for cx, cy in cusps:
        for s in (1, -1):
            sk.seam([(cx * s, cy), (cx * 0.93 * s, cy - depth * 0.7)], width=1.0)
    sk.detail("ruffle")
    return y1


# --- dresses and gowns -------------------------------------------------------------


def draw_dress(sk: Sketch, c: Ctx, gown: bool = False) -> None:
    r, fit = c.r, c.fit
    sil = r.silhouette or "a-line"
    hem_y = DRESS_HEM.get(r.length, 98.0)
    top = bodice_top(r.neckline, r.sleeve, fit)
    volume = 1.22 if gown else 1.0
    waist_y = 27.0 if sil == "empire" else WAIST_Y
    waist_x = fit.waist_x + (1.2 if sil == "empire" else 0.0)
    box: SkirtBox

    _inner_back(sk, c, top)
    if top.mode == "straps":
        _straps(sk, top, fit)
    if sil == "mermaid":
        box = _mermaid(sk, c, top, hem_y)
    elif sil in ONE_PIECE:
        box = _one_piece(sk, c, top, hem_y, sil)
    else:
        if sil == "tiered":
            box = _tiers(sk, c, waist_y, waist_x, hem_y, volume)
        else:
            skirt_sil = {
                "peplum": "pencil",
                "wide-leg": "a-line",
                "empire": "a-line",
                "wrap": "a-line",
            }.get(sil, sil)
            g = skirt(
                skirt_sil,
                waist_y,
                waist_x,
                hem_y,
                fit.hip_x + (3 if sil == "empire" else 0),
                volume,
            )
            sk.piece(symmetric(g.half))
            for f in g.folds:
                sk.seam(f, width=1.1)
                sk.seam(mirror_x(f), width=1.1)
            if sil == "wrap":
                sk.outline_line(
                    cubic(
                        (-waist_x + 1.0, waist_y + 0.5),
                        (-2.0, waist_y + 14),
                        (g.hem_x * 0.35, hem_y - 20),
                        (g.hem_x * 0.55, hem_y + 1.8),
                        12,
                    ),
                    width=2.0,
                )
            box = SkirtBox(
                waist_y, waist_x, hem_y, g.hem_x, sil in ("fit-and-flare", "flared", "ball-gown")
            )
            if sil == "peplum":
                _peplum(sk, waist_y, waist_x)
        if c.wants("ruffle"):
            box.hem_y = _ruffle_hem(sk, c, box)
        _skirt_details(sk, c, box)
        _sleeves(sk, c, top, r.sleeve)
        bottom = [
            *_side(fit, top.ua, waist_y, waist_x),
            (waist_x, waist_y),
            *[
                (waist_x * (1 - i / 6), waist_y + 0.3 * math.sin(math.pi * i / 12))
                for i in range(1, 7)
            ],
        ]
        sk.piece(_outline(top, bottom))
        _bodice_seams(sk, c, top, waist_y)
        if sil == "wrap":
            # the crossover starts at the neck point, or on the top edge of a bodice
            # without shoulders
            if top.neck_front is not None:
                nx = top.neck_front[-1][0]
                start = (-nx, shoulder_y(fit, nx))
            else:
                start = (-6.0, _edge_y(top.left, 6.0) + 0.3)
            sk.outline_line(
                cubic(
                    start,
                    (-3.0, max(16.0, start[1] + 4)),
                    (6.0, 30.0),
                    (waist_x - 0.5, waist_y),
                    10,
                ),
                width=2.0,
            )
            if not c.wants("belt"):
                _bow(sk, (waist_x - 1.0, waist_y), 0.9, "main")
                sk.detail("tie")
    _neck_trims(sk, c, top, r.neckline)
    _common_top_details(sk, c, top, waist_y, hem_y)
    if c.wants("belt"):
        _belt(sk, waist_y, fit.waist_x + (1.2 if sil == "empire" else 0.2), c)
        sk.detail("belt")
    elif c.wants("tie") and sil != "wrap":
        _belt(sk, waist_y, fit.waist_x + 0.2, c, tie=True, fabric="main")
        sk.detail("tie")


def _outline(top: Top, bottom: list[Pt]) -> list[Pt]:
    from .parts import outline

    return outline(top, bottom)


def _bodice_seams(sk: Sketch, c: Ctx, top: Top, waist_y: float) -> None:
    """Bust darts / princess lines that make a bodice read as shaped."""
    fit = c.fit
    for s in (1, -1):
        x = fit.waist_x * 0.52
        if top.mode == "shoulders":
            sk.seam([(x * s, waist_y - 0.5), (x * 0.96 * s, waist_y - 8.5)], width=1.1)
        else:
            sk.seam([(x * s, waist_y - 0.5), (x * 0.98 * s, waist_y - 7.0)], width=1.1)


def _one_piece(sk: Sketch, c: Ctx, top: Top, hem_y: float, sil: str) -> SkirtBox:
    fit = c.fit
    g = skirt(sil, WAIST_Y, fit.waist_x, hem_y, fit.hip_x)
    # side from the underarm through the waist into the skirt's side
    skirt_side = g.half[2:]
    side = _side(fit, top.ua, WAIST_Y, fit.waist_x)
    box = SkirtBox(WAIST_Y, fit.waist_x, hem_y, g.hem_x, False)
    _sleeves(sk, c, top, c.r.sleeve)
    sk.piece(_outline(top, [*side, *skirt_side]))
    if sil in ("sheath", "bodycon", "tailored", "pencil"):
        for s in (1, -1):
            x = fit.waist_x * 0.5
            sk.seam(
                spline(
                    [
                        (x * s * 1.05, 17.0),
                        (x * s, WAIST_Y),
                        (x * 1.15 * s, HIP_Y + 4),
                        (g.hem_x * 0.52 * s, hem_y + 0.8),
                    ],
                    6,
                ),
                width=1.1,
            )
    elif sil in ("shift", "straight", "relaxed", "boxy", "oversized"):
        for s in (1, -1):
            sk.seam([(fit.waist_x * 0.6 * s, 24.0), (fit.waist_x * 0.62 * s, 31.0)], width=1.1)
    if sil == "slip":
        sk.seam(_arc_row(-fit.ua_x + 1.0, fit.ua_x - 1.0, 22.0, 1.5), width=1.0)
    if c.wants("ruffle"):
        box.hem_y = _ruffle_hem(sk, c, box)
    _skirt_details(sk, c, box)
    return box


def _mermaid(sk: Sketch, c: Ctx, top: Top, hem_y: float) -> SkirtBox:
    fit = c.fit
    knee = min(98.0, hem_y - 18.0) if hem_y > 80 else hem_y - 8.0
    flare_x = min(fit.hip_x + 16.0 + 0.15 * (hem_y - knee), 44.0)
    body_side = spline(
        [top.ua, (fit.waist_x, WAIST_Y), (fit.hip_x, HIP_Y), (fit.hip_x - 3.8, knee)], 7
    )[1:]
    hem_pts, cusps = hem(flare_x, hem_y, 2.5, max(3, int(flare_x / 6)), 1.6)
    kx = fit.hip_x - 3.8
    flounce = [
        (0.0, knee - 1.0),
        (kx - 0.3, knee - 1.0),
        *cubic(
            (kx - 0.3, knee - 1.0),
            (kx + 1.0, knee + 8.0),
            (flare_x - 5.0, hem_y - 6.0),
            (flare_x, hem_y),
            10,
        ),
        *hem_pts,
    ]
    sk.piece(symmetric(flounce))
    for cx, cy in cusps:
        for s in (1, -1):
            sk.seam(
                quad(
                    (cx * s, cy),
                    (cx * 0.8 * s, cy - (hem_y - knee) * 0.5),
                    (kx * cx / flare_x * s, knee + 1.0),
                    6,
                ),
                width=1.1,
            )
    _sleeves(sk, c, top, c.r.sleeve)
    bottom = [
        *body_side,
        *[(kx * (1 - i / 8), knee + 0.6 * math.sin(math.pi * i / 16)) for i in range(1, 9)],
    ]
    sk.piece(_outline(top, bottom))
    for s in (1, -1):
        sk.seam(
            spline(
                [
                    (fit.waist_x * 0.5 * s, 17.0),
                    (fit.waist_x * 0.48 * s, WAIST_Y),
                    (fit.hip_x * 0.55 * s, HIP_Y),
                    (kx * 0.5 * s, knee + 0.3),
                ],
                6,
            ),
            width=1.1,
        )
    box = SkirtBox(WAIST_Y, fit.waist_x, hem_y, flare_x, True)
    _skirt_details(sk, c, box)
    return box


def _tiers(
    sk: Sketch, c: Ctx, waist_y: float, waist_x: float, hem_y: float, volume: float
) -> SkirtBox:
    length = hem_y - waist_y
    n = 3 if length > 45 else 2
    edges = [waist_y + length * k / n for k in range(n + 1)]
    widths: list[tuple[float, float]] = []
    x_top = waist_x
    for k in range(n):
        seg = edges[k + 1] - edges[k]
        x_bot = x_top + (3.5 + 0.22 * seg) * volume
        widths.append((x_top, x_bot))
        x_top = x_bot - 1.2
    for k in reversed(range(n)):
        y0, y1 = edges[k], edges[k + 1]
        xt, xb = widths[k]
        hp, cusps = hem(xb, y1, 1.2, max(3, int(xb / 6)), 0.9)
        half = [
            (0.0, y0),
            (xt, y0),
            *quad((xt, y0), (xt + (xb - xt) * 0.3, (y0 + y1) / 2), (xb, y1), 6),
            *hp,
        ]
        sk.piece(symmetric(half))
        for i in range(-int(xt / 1.6), int(xt / 1.6) + 1):
            x = i * 1.6
            sk.seam([(x, y0 + 0.4), (x * 1.02, y0 + 2.2)], width=0.9)
        for cx, cy in cusps:
            for s in (1, -1):
                sk.seam([(cx * s, cy), (cx * 0.95 * s, cy - (y1 - y0) * 0.45)], width=1.0)
    return SkirtBox(waist_y, waist_x, hem_y, widths[-1][1], True)


def _peplum(sk: Sketch, y: float, x: float) -> None:
    hp, cusps = hem(x + 8.0, y + 11.0, 1.5, 4, 1.2)
    half = [
        (0.0, y - 0.5),
        (x, y - 0.5),
        *quad((x, y - 0.5), (x + 3.0, y + 4.0), (x + 8.0, y + 11.0), 6),
        *hp,
    ]
    sk.piece(symmetric(half))
    for cx, cy in cusps:
        for s in (1, -1):
            sk.seam([(cx * s, cy), (cx * 0.8 * s, y + 2.0)], width=1.0)


def _common_top_details(sk: Sketch, c: Ctx, top: Top, waist_y: float, hem_y: float) -> None:
    fit = c.fit
    if c.wants("button") and top.mode == "shoulders" and top.neck_front is not None:
        y0 = top.neck_front[0][1] + 1.5
        y1 = min(hem_y - 2.0, waist_y + 26.0)
        n = max(3, int((y1 - y0) / 6.5))
        for k in range(n):
            sk.button((0.0, y0 + k * (y1 - y0) / max(n - 1, 1)), 0.6)
        sk.detail("button")
    if c.wants("bow"):
        if top.neck_front is not None and top.mode == "shoulders":
            _bow(sk, (0.0, top.neck_front[0][1] + 0.8), 0.9)
        else:
            _bow(sk, (0.0, waist_y), 1.0)
        sk.detail("bow")
    if c.wants("embroidery"):
        y = (top.neck_front[0][1] if top.neck_front else 14.0) + 4.0
        for k in range(-2, 3):
            x, yy = k * 3.6, y + abs(k) * -1.2
            petals = [
                ellipse_pts(x + 0.9 * math.cos(a), yy + 0.9 * math.sin(a), 0.75, 0.45, a, 8)
                for a in (0.0, 1.26, 2.51, 3.77, 5.03)
            ]
            for p in petals:
                sk.fill_shape(p, (196, 72, 60) if k % 2 else (214, 170, 60))
            sk.dot((x, yy), 0.35, (60, 90, 50))
        sk.detail("embroidery")
    if c.wants("smocking") and top.mode in ("shoulders", "strapless", "straps", "off-shoulder"):
        for k in range(5):
            y = waist_y - 10.0 + k * 2.2
            w = fit.waist_x - 0.6
            sk.seam([(x * w / 12, y + 0.5 * math.sin(x * 1.3)) for x in range(-12, 13)], width=0.8)
        sk.detail("smocking")
    if c.wants("cutout") and hem_y > waist_y:
        for s in (1, -1):
            cut = ellipse_pts(s * (fit.waist_x - 3.0), waist_y - 3.0, 2.6, 4.0, 0.0, 14)
            sk.fill_shape(cut, (248, 247, 244))
            sk.stroke_shape(cut, (34, 34, 38), 2.0, closed=True)
        sk.detail("cutout")
    if c.wants("zipper") and top.neck_front is not None:
        y0 = top.neck_front[0][1]
        sk.seam([(0.0, y0), (0.0, min(hem_y - 1.0, waist_y + 16.0))], width=2.0)
        sk.fill_shape(_band(-0.6, 0.6, y0, y0 + 3.2, 1), (190, 190, 196))
        sk.detail("zipper")


# --- skirts ------------------------------------------------------------------------


def draw_skirt(sk: Sketch, c: Ctx) -> None:
    r, fit = c.r, c.fit
    sil = r.silhouette or "a-line"
    hem_y = DRESS_HEM.get(r.length, 98.0)
    wb_top, wb_bot = WAIST_Y - 3.4, WAIST_Y
    waist_x = fit.waist_x + 0.6
    if sil == "tiered":
        box = _tiers(sk, c, wb_bot, waist_x, hem_y, 1.0)
    elif sil == "mermaid":
        knee = min(96.0, hem_y - 16.0)
        kx = fit.hip_x - 3.5
        flare = min(kx + 16.0, 40.0)
        hp, _ = hem(flare, hem_y, 2.5, 4, 1.5)
        sk.piece(
            symmetric(
                [
                    (0.0, knee - 1),
                    (kx, knee - 1),
                    *cubic(
                        (kx, knee - 1),
                        (kx + 1, knee + 6),
                        (flare - 4, hem_y - 5),
                        (flare, hem_y),
                        10,
                    ),
                    *hp,
                ]
            )
        )
        sk.piece(
            symmetric(
                [
                    (0.0, wb_bot),
                    (waist_x, wb_bot),
                    *spline([(waist_x, wb_bot), (fit.hip_x, HIP_Y), (kx, knee)], 7)[1:],
                    *[(kx * (1 - i / 6), knee) for i in range(1, 7)],
                ]
            )
        )
        box = SkirtBox(wb_bot, waist_x, hem_y, flare, True)
    else:
        skirt_sil = {
            "wrap": "a-line",
            "wide-leg": "a-line",
            "empire": "a-line",
            "peplum": "pencil",
            "shift": "straight",
        }.get(sil, sil)
        g = skirt(skirt_sil, wb_bot, waist_x, hem_y, fit.hip_x + 0.5)
        sk.piece(symmetric(g.half))
        for f in g.folds:
            sk.seam(f, width=1.1)
            sk.seam(mirror_x(f), width=1.1)
        box = SkirtBox(
            wb_bot, waist_x, hem_y, g.hem_x, skirt_sil in ("fit-and-flare", "flared", "ball-gown")
        )
        if sil == "wrap":
            sk.outline_line(
                cubic(
                    (-waist_x + 0.8, wb_bot),
                    (-2.0, wb_bot + 16.0),
                    (g.hem_x * 0.3, hem_y - 18.0),
                    (g.hem_x * 0.5, hem_y + 1.5),
                    12,
                ),
                width=2.0,
            )
        if sil == "peplum":
            _peplum(sk, wb_bot, waist_x)
        if skirt_sil in ("pencil", "straight") and not c.wants("slit"):
            # a walking vent drawn as a short centre-back line seen through
            sk.seam([(0.0, hem_y + 1.0), (0.0, hem_y - 9.0)], width=1.1)
    if c.wants("ruffle"):
        box.hem_y = _ruffle_hem(sk, c, box)
    _skirt_details(sk, c, box)
    sk.piece(_band(-waist_x, waist_x, wb_top, wb_bot, 8))
    sk.stitch([(-waist_x + 0.5, wb_top + 0.7), (waist_x - 0.5, wb_top + 0.7)])
    sk.button((waist_x - 2.2, (wb_top + wb_bot) / 2), 0.7)
    if c.wants("button"):
        for k in range(5):
            sk.button((0.0, wb_bot + 4.0 + k * (hem_y - wb_bot - 8) / 5), 0.65)
        sk.seam([(1.6, wb_bot), (1.6 + (box.hem_x - waist_x) * 0.03, hem_y)], width=1.1)
        sk.detail("button")
    if c.wants("belt"):
        _belt(sk, WAIST_Y - 1.7, waist_x, c)
        sk.detail("belt")
    elif c.wants("tie") or sil == "wrap":
        _bow(sk, (waist_x - 2.0, WAIST_Y - 1.7), 1.0, "main")
        if c.wants("tie"):
            sk.detail("tie")
    if c.wants("bow"):
        _bow(sk, (0.0, WAIST_Y - 1.7), 1.0)
        sk.detail("bow")


# --- trousers, jeans, shorts -------------------------------------------------------


def _trousers(
    sk: Sketch,
    c: Ctx,
    hem_y: float,
    *,
    jeans: bool,
    sil: str | None,
    waist_y: float = WAIST_Y,
    with_band: bool = True,
) -> None:
    fit = c.fit
    waist_x = fit.waist_x + 1.4
    g = legs(sil, waist_y, waist_x, fit.hip_x, hem_y)
    sk.piece(symmetric(g.half))
    gold = (204, 146, 52)
    thread = gold if jeans else None
    # fly: J-stitch on the wearer's left front
    fly = [
        (2.6, waist_y + 0.5),
        (2.6, waist_y + 15.0),
        *quad((2.6, waist_y + 15.0), (2.4, waist_y + 18.5), (0.0, waist_y + 19.5), 5),
    ]
    if jeans:
        sk.stitch(fly, color=thread)
        sk.stitch(offset_polyline(fly, -0.8), color=thread)
    else:
        sk.stitch(fly)
    sk.seam([(0.0, waist_y + 0.5), (0.0, CROTCH_Y - 0.5)], width=1.2)
    for s in (1, -1):
        if jeans:
            pk = [
                (waist_x * 0.58 * s, waist_y + 0.3),
                *quad(
                    (waist_x * 0.58 * s, waist_y + 0.3),
                    (waist_x * 0.62 * s, waist_y + 6.5),
                    (waist_x * 1.05 * s, waist_y + 7.5),
                    8,
                ),
            ]
            sk.seam(pk, width=1.3)
            sk.stitch(offset_polyline(pk, 0.9 * s), color=thread)
            sk.dot((waist_x * 1.02 * s, waist_y + 7.3), 0.45, (190, 150, 70))
            sk.dot((waist_x * 0.6 * s, waist_y + 0.9), 0.45, (190, 150, 70))
        else:
            sk.seam(
                [(waist_x * 0.62 * s, waist_y + 0.3), (waist_x * 1.02 * s, waist_y + 11.0)],
                width=1.3,
            )
        if (
            not jeans
            and sil in ("tailored", "wide-leg", "straight", "flared", None)
            and hem_y > 100
        ):
            # pressed crease from the pleat to the hem
            cx = (g.hem_out[0] + g.hem_in[0]) / 2
            sk.seam([(g.crease_top[0] * s, waist_y + 1.0), (cx * s, hem_y - 0.5)], width=1.0)
        if c.wants("pleat"):
            px = waist_x * 0.42 * s
            sk.seam([(px, waist_y + 0.3), (px * 1.02, waist_y + 9.0)], width=1.1)
            sk.seam([(px * 0.75, waist_y + 0.3), (px * 0.77, waist_y + 6.0)], width=1.1)
    if jeans:
        coin = [
            (waist_x * 0.62, waist_y + 1.6),
            (waist_x * 0.88, waist_y + 1.2),
            (waist_x * 0.9, waist_y + 4.6),
        ]
        sk.stitch(coin, color=thread)
        hem_line = [(g.hem_out[0], hem_y - 1.3), (g.hem_in[0], hem_y - 1.3)]
        sk.stitch(hem_line, color=thread)
        sk.stitch(mirror_x(hem_line), color=thread)
    elif hem_y < 100 and c.r.garment_type == "shorts" and c.rng.random() < 0.5:
        # a turned-up cuff
        for s in (1, -1):
            sk.seam([(g.hem_out[0] * s, hem_y - 3.2), (g.hem_in[0] * s, hem_y - 3.2)], width=1.3)
    if c.wants("pocket") and not jeans and hem_y > 100:
        for s in (1, -1):
            x = (g.hem_out[0] + fit.hip_x) / 2 * s + 1.0 * s
            pk = _band(x - 4.5 * s, x + 0.5 * s, 78.0, 90.0, 2)
            sk.seam(pk, closed=True, width=1.2)
            sk.seam([(x - 4.5 * s, 80.5), (x + 0.5 * s, 80.5)], width=1.2)
        sk.detail("pocket")
    elif c.wants("pocket"):
        sk.detail("pocket")
    if c.wants("pleat"):
        sk.detail("pleat")
    if c.wants("fringe"):
        for s in (1, -1):
            _fringe_row(sk, g.hem_in[0] * s, g.hem_out[0] * s, hem_y, 4.5 if hem_y < 100 else 6.0)
        sk.detail("fringe")
    if with_band:
        band = _band(-waist_x - 0.3, waist_x + 0.3, waist_y - 3.6, waist_y + 0.2, 8)
        sk.piece(band)
        sk.stitch([(-waist_x, waist_y - 3.0), (waist_x, waist_y - 3.0)], color=thread)
        sk.stitch([(-waist_x, waist_y - 0.4), (waist_x, waist_y - 0.4)], color=thread)
        sk.button((1.0, waist_y - 1.7), 0.85)
        for x in (-waist_x * 0.85, -waist_x * 0.35, waist_x * 0.35, waist_x * 0.85):
            sk.piece(_band(x - 0.45, x + 0.45, waist_y - 4.0, waist_y + 1.2, 1), outline_w=1.2)
        if c.wants("belt"):
            _belt(sk, waist_y - 1.7, waist_x, c)
            sk.detail("belt")


def draw_pants(sk: Sketch, c: Ctx, jeans: bool = False) -> None:
    hem_y = PANTS_HEM.get(c.r.length, 140.0)
    _trousers(sk, c, hem_y, jeans=jeans, sil=c.r.silhouette)


def draw_shorts(sk: Sketch, c: Ctx) -> None:
    hem_y = SHORTS_HEM.get(c.r.length, 80.0)
    _trousers(sk, c, hem_y, jeans=c.r.fabric == "denim", sil=c.r.silhouette)


# --- tops --------------------------------------------------------------------------


def _top_body(
    sk: Sketch,
    c: Ctx,
    top: Top,
    hem_y: float,
    *,
    curved_hem: bool = False,
    hem_x: float | None = None,
) -> list[Pt]:
    fit = c.fit
    side = _side(fit, top.ua, hem_y, hem_x)
    end = side[-1] if side else top.ua
    if curved_hem:
        hp = [
            *cubic(
                end,
                (end[0] - 1.0, end[1] + 3.5),
                (end[0] * 0.55, hem_y + 3.5),
                (0.0, hem_y + 3.5),
                12,
            )
        ]
    else:
        hp = _flat_hem(end[0], hem_y, 0.6)
    full = _outline(top, [*side, *hp])
    sk.piece(full)
    return hp


def draw_top(sk: Sketch, c: Ctx, kind: str) -> None:
    """top, blouse, t-shirt, shirt, sweater: one bodice with sleeves and neck finish."""
    r, fit = c.r, c.fit
    hem_y = TOP_HEM.get(r.length, 60.0)
    knit = kind == "sweater" or r.fabric in ("knit", "cashmere", "crochet")
    top = bodice_top(r.neckline, r.sleeve, fit)
    _inner_back(sk, c, top)
    if top.mode == "straps":
        _straps(sk, top, fit)
    sil = r.silhouette
    _sleeves(
        sk,
        c,
        top,
        r.sleeve,
        cuff_rib=knit,
        hem_stitch=kind in ("t-shirt", "top"),
        buttons=1 if kind in ("shirt", "blouse") else 0,
    )
    peplum = sil == "peplum" and hem_y > WAIST_Y + 4
    body_hem = WAIST_Y if peplum else (hem_y - 4.5 if knit and hem_y > 36 else hem_y)
    if peplum:
        _peplum(sk, WAIST_Y, fit.waist_x)
    hp = _top_body(sk, c, top, body_hem, curved_hem=kind == "shirt")
    if kind in ("t-shirt", "top") and not peplum and hp:
        # hem runs side -> centre; stitch it left to right, 1.3 units above the edge
        sk.stitch(offset_polyline([*mirror_x(hp), *list(reversed(hp))[1:]], 1.3))
    if sil == "wrap" and top.neck_front is not None:
        nx = top.neck_front[-1][0]
        sk.outline_line(
            cubic(
                (-nx, shoulder_y(fit, nx)),
                (-3.0, 16.0),
                (6.0, 30.0),
                (fit.waist_x + 0.5, min(body_hem, WAIST_Y)),
                10,
            ),
            width=2.0,
        )
        _bow(sk, (fit.waist_x, min(body_hem, WAIST_Y) - 0.5), 0.8, "main")
    if sil == "empire" and top.neck_front is not None:
        sk.seam(_arc_row(-fit.ua_x + 0.4, fit.ua_x - 0.4, 27.0, 0.8), width=1.3)
        for k in range(-5, 6):
            sk.seam([(k * 1.6, 27.5), (k * 1.7, 31.0)], width=0.9)
    if knit and hem_y > 36:
        x = _side(fit, top.ua, body_hem)[-1][0] - 0.6
        band = _band(-x, x, body_hem - 0.4, hem_y, 12)
        sk.piece(band)
        _rib_lines(sk, band, 28)
    if kind == "shirt":
        y0 = top.neck_front[0][1] if top.neck_front else 8.0
        _placket(sk, y0, hem_y + 3.0, max(4, int((hem_y - y0) / 8)))
        pk = _band(5.0, 11.5, 20.0, 28.0, 2)
        sk.seam(pk, closed=True, width=1.2)
        sk.stitch([(5.0, 21.2), (11.5, 21.2)])
        sk.seam(
            _arc_row(-fit.sh_x + 1.5, fit.sh_x - 1.5, shoulder_y(fit, 10) + 3.0, 0.6), width=1.0
        )
    elif kind == "blouse" and top.mode == "shoulders" and r.neckline != "collared":
        for s in (1, -1):
            for k in range(3):
                x = (2.5 + k * 1.6) * s
                yy = (top.neck_front[0][1] if top.neck_front else 10) + 1.5
                sk.seam([(x, yy), (x * 1.08, yy + 5.0)], width=0.9)
    _neck_trims(sk, c, top, r.neckline, knit=knit)
    _common_top_details(sk, c, top, WAIST_Y, hem_y)
    if c.wants("belt") and hem_y > WAIST_Y + 4:
        _belt(sk, WAIST_Y, fit.waist_x + 0.5, c)
        sk.detail("belt")
    if c.wants("ruffle") and _neck_ruffle(sk, top):
        sk.detail("ruffle")
    if c.wants("pocket"):
        if kind != "shirt":  # a shirt has its chest pocket already
            pk = _band(4.5, 10.5, 22.0, 29.0, 2)
            sk.seam(pk, closed=True, width=1.2)
            sk.stitch([(4.5, 23.2), (10.5, 23.2)])
        sk.detail("pocket")
    if c.wants("fringe"):
        x = _side(fit, top.ua, hem_y)[-1][0] - 0.4
        _fringe_row(sk, -x, x, hem_y)
        sk.detail("fringe")


def draw_cardigan(sk: Sketch, c: Ctx) -> None:
    r, fit = c.r, c.fit
    hem_y = TOP_HEM.get(r.length, 60.0) if r.length != "knee" else 76.0
    neck = r.neckline if r.neckline in ("v-neck", "crew") else "v-neck"
    top = bodice_top(neck if neck == "crew" else "plunging", r.sleeve, fit)
    _inner_back(sk, c, top)
    _sleeves(sk, c, top, r.sleeve, cuff_rib=True)
    body_hem = hem_y - 4.5
    _top_body(sk, c, top, body_hem)
    x = _side(fit, top.ua, body_hem)[-1][0] - 0.6
    band = _band(-x, x, body_hem - 0.4, hem_y, 12)
    sk.piece(band)
    _rib_lines(sk, band, 28)
    front = top.neck_front or neck_curve("v-neck", fit)
    for s in (1, -1):
        edge = [(p[0] * s, p[1]) for p in reversed(front)] + [(0.0, hem_y)]
        inner = [(p[0] + 1.8 * s, p[1] + 0.4) for p in edge[:-2]] + [
            (1.8 * s, front[0][1] + 1.0),
            (1.8 * s, hem_y),
        ]
        sk.piece([*edge, *reversed(inner)], outline_w=1.6)
    n = 5
    y0 = front[0][1] + 1.5
    for k in range(n):
        sk.button((0.9, y0 + k * (hem_y - y0 - 4.0) / (n - 1)), 0.6)
    if c.rng.random() < 0.5 or c.wants("pocket"):
        for s in (1, -1):
            pk = _band(5.0 * s, 11.5 * s, body_hem - 13.0, body_hem - 4.0, 2)
            sk.piece(pk, outline_w=1.6)
            sk.seam(
                _band(5.0 * s, 11.5 * s, body_hem - 13.0, body_hem - 11.5, 1),
                closed=True,
                width=1.0,
            )
        if c.wants("pocket"):
            sk.detail("pocket")
    if c.wants("button"):
        sk.detail("button")


def draw_hoodie(sk: Sketch, c: Ctx) -> None:
    r, fit = c.r, c.fit
    hem_y = TOP_HEM.get(r.length, 60.0) + 2.0
    hood = [
        (0.0, -24.5),
        *cubic((0.0, -24.5), (8.0, -24.5), (13.5, -18.0), (13.6, -8.0), 10),
        *cubic((13.6, -8.0), (13.8, -1.0), (12.0, 3.0), (8.0, 4.0), 8),
        (0.0, 7.0),
    ]
    sk.piece(symmetric(hood))
    opening = [
        (0.0, -20.0),
        *cubic((0.0, -20.0), (6.0, -20.0), (8.8, -13.0), (8.8, -6.0), 10),
        *cubic((8.8, -6.0), (8.8, 0.0), (6.5, 4.0), (0.0, 8.0), 8),
    ]
    sk.piece(symmetric(opening), shade=0.35)
    top = bodice_top("crew", r.sleeve or "long", fit)
    _sleeves(sk, c, top, r.sleeve or "long", cuff_rib=True)
    body_hem = hem_y - 5.0
    _top_body(sk, c, top, body_hem)
    x = _side(fit, top.ua, body_hem)[-1][0] - 0.5
    band = _band(-x, x, body_hem - 0.4, hem_y, 12)
    sk.piece(band)
    _rib_lines(sk, band, 30)
    # the hood's front edges overlapping at the neck
    cross = [(-8.6, -2.0), (0.0, 9.0), (8.6, -2.0), (7.0, -2.2), (0.0, 6.2), (-7.0, -2.2)]
    sk.piece(cross)
    sk.stitch([(-7.8, -1.6), (0.0, 7.6), (7.8, -1.6)])
    if top.mode == "shoulders":
        y0 = max(WAIST_Y - 2.0, body_hem - 16.0)
        pocket = [(-10.0, y0), (10.0, y0), (14.0, body_hem - 0.5), (-14.0, body_hem - 0.5)]
        pocket = [
            pocket[0],
            pocket[1],
            *quad((10.0, y0), (11.0, body_hem - 8.0), (14.0, body_hem - 0.5), 6),
            pocket[3],
            *quad((-14.0, body_hem - 0.5), (-11.0, body_hem - 8.0), (-10.0, y0), 6),
        ]
        sk.piece(pocket, outline_w=2.0)
        sk.stitch([(-9.6, y0 + 0.8), (9.6, y0 + 0.8)])
        if c.wants("pocket"):
            sk.detail("pocket")
    # the drawstrings hang over the pocket, so they belong to it (drawn after it)
    for s in (1, -1):
        string = [(2.6 * s, 6.5), *quad((2.6 * s, 6.5), (3.2 * s, 16.0), (2.2 * s, 24.0), 8)]
        sk.stroke_shape(string, (34, 34, 38), 2.6)
        sk.stroke_shape(string, (236, 234, 228), 1.2)
        sk.stroke_shape([(2.2 * s, 23.5), (2.15 * s, 26.0)], (120, 120, 124), 3.0)
        sk.dot((2.6 * s, 6.5), 0.55, (120, 120, 124))
    if c.wants("drawstring"):
        sk.detail("drawstring")
    if c.wants("zipper"):
        sk.seam([(0.0, 8.0), (0.0, hem_y)], width=2.0)
        sk.detail("zipper")


def draw_corset(sk: Sketch, c: Ctx) -> None:
    r, fit = c.r, c.fit
    fit2 = Fit(fit.sh_x, fit.sh_y, 16.6, 19.0, 12.6, 17.0)
    sleeve_kind = r.sleeve or "strapless"
    top = bodice_top(r.neckline, sleeve_kind, fit2)
    bottom_y = 46.0 if r.length != "cropped" else 38.0
    _inner_back(sk, c, top)
    if top.mode == "straps":
        _straps(sk, top, fit2)
    _sleeves(sk, c, top, sleeve_kind)
    if r.silhouette == "peplum":
        _peplum(sk, bottom_y - 1.5, fit2.waist_x + 0.8)
    side = _side(fit2, top.ua, bottom_y, fit2.waist_x + (bottom_y - WAIST_Y) * 0.35)
    end = side[-1]
    point = [*quad(end, (end[0] * 0.5, bottom_y + 1.0), (0.0, bottom_y + 5.5), 8)]
    sk.piece(_outline(top, [*side, *point]))
    top_edge = top.right
    for f in (0.3, 0.62, 0.9):
        ys = [top_edge[0][1] + 1.0 + (bottom_y - top_edge[0][1]) * i / 8 for i in range(9)]
        line = []
        for y in ys:
            w = _width_at(top.ua, fit2, y)
            line.append((w * f, y + (1 - f) * 4.5 * (y - ys[0]) / (bottom_y - ys[0])))
        top_y = _edge_y(top_edge, line[0][0])
        line[0] = (line[0][0], top_y + 0.6)
        sk.seam(line, width=1.3)
        sk.seam(mirror_x(line), width=1.3)
    y0 = top.right[0][1] + 1.5
    n = 6
    for k in range(n):
        y = y0 + k * (bottom_y + 3.5 - y0) / n
        sk.dot((1.3, y), 0.35, (200, 200, 205))
        sk.dot((-1.3, y), 0.35, (200, 200, 205))
        if k < n - 1:
            y2 = y0 + (k + 1) * (bottom_y + 3.5 - y0) / n
            sk.stroke_shape([(1.3, y), (-1.3, y2)], (240, 238, 232), 1.0)
            sk.stroke_shape([(-1.3, y), (1.3, y2)], (240, 238, 232), 1.0)
    _common_top_details(sk, c, top, WAIST_Y, bottom_y)


def _width_at(ua: Pt, fit: Fit, y: float) -> float:
    if y <= ua[1]:
        return ua[0]
    if y <= WAIST_Y:
        return ua[0] + (fit.waist_x - ua[0]) * (y - ua[1]) / (WAIST_Y - ua[1])
    return fit.waist_x + (fit.hip_x - fit.waist_x) * (y - WAIST_Y) / (HIP_Y - WAIST_Y)


def _edge_y(edge: list[Pt], x: float) -> float:
    for i in range(len(edge) - 1):
        a, b = edge[i], edge[i + 1]
        if (a[0] - x) * (b[0] - x) <= 0 and a[0] != b[0]:
            return a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0])
    return edge[0][1]


def _straps(sk: Sketch, top: Top, fit: Fit) -> None:
    for s in (1, -1):
        x = 7.0
        y = _edge_y(top.right, x)
        strap = [
            (x - 0.6, y + 0.5),
            (x + 0.6, y + 0.5),
            (8.6, shoulder_y(fit, 8.6) - 0.6),
            (7.4, shoulder_y(fit, 7.4) - 0.6),
        ]
        if s < 0:
            strap = mirror_x(strap)
        sk.piece(strap, outline_w=1.4)


def draw_bodysuit(sk: Sketch, c: Ctx, swim: bool = False) -> None:
    r, fit = c.r, c.fit
    fit2 = Fit(fit.sh_x, fit.sh_y, fit.ua_x - 0.6, fit.ua_y, 13.2, 17.6)
    sleeve_kind = r.sleeve or ("spaghetti-strap" if swim else "long")
    if swim and c.r.variant == "bikini":
        _bikini(sk, c, fit2)
        return
    top = bodice_top(r.neckline, sleeve_kind, fit2)
    _inner_back(sk, c, top)
    if top.mode == "straps":
        _straps(sk, top, fit2)
    _sleeves(sk, c, top, sleeve_kind)
    leg_top = 50.0 if swim else 54.0
    side = _side(fit2, top.ua, leg_top, fit2.hip_x - 0.8)
    end = side[-1]
    leg = cubic(end, (end[0] - 1.5, leg_top + 8.0), (5.5, CROTCH_Y - 1.0), (3.4, CROTCH_Y), 10)
    sk.piece(_outline(top, [*side, *leg, (0.0, CROTCH_Y)]))
    sk.seam(_arc_row(-3.4, 3.4, CROTCH_Y - 3.0, 0.0), width=1.1)
    for s in (1, -1):
        sk.stitch([(p[0] * s, p[1]) for p in offset_polyline([end, *leg], 1.0)])
    if not swim:
        for x in (-1.8, 0.0, 1.8):
            sk.dot((x, CROTCH_Y - 1.5), 0.35, (150, 150, 155))
    _neck_trims(sk, c, top, r.neckline, knit=False)
    _common_top_details(sk, c, top, WAIST_Y, leg_top)


def _bikini(sk: Sketch, c: Ctx, fit: Fit) -> None:
    for s in (1, -1):
        tri = [
            (1.2, 21.0),
            *quad((1.2, 21.0), (3.5, 14.0), (7.6, 9.0), 6),
            *quad((7.6, 9.0), (13.0, 13.5), (15.0, 21.0), 6),
            *quad((15.0, 21.0), (8.0, 22.5), (1.2, 21.0), 6),
        ]
        tri = tri if s > 0 else mirror_x(tri)
        sk.piece(tri)
        sk.stroke_shape([(7.6 * s, 9.0), (5.0 * s, -1.0)], (34, 34, 38), 2.4)
        sk.seam([(7.6 * s, 9.6), (8.0 * s, 20.8)], width=1.0)
    sk.stroke_shape([(-15.0, 21.0), (-19.0, 22.0)], (34, 34, 38), 2.4)
    sk.stroke_shape([(15.0, 21.0), (19.0, 22.0)], (34, 34, 38), 2.4)
    sk.stroke_shape([(-1.2, 21.0), (1.2, 21.0)], (34, 34, 38), 2.4)
    y = 50.0
    half = [
        (0.0, y + 1.0),
        (16.0, y - 0.5),
        (16.4, y + 3.5),
        *cubic((16.4, y + 3.5), (13.0, y + 9.0), (6.0, CROTCH_Y - 3.0), (3.2, CROTCH_Y - 2.0), 8),
        (0.0, CROTCH_Y - 2.0),
    ]
    sk.piece(symmetric(half))
    sk.stitch(offset_polyline([(-16.0, y + 0.3), (0.0, y + 1.8), (16.0, y + 0.3)], -0.9))


def draw_vest(sk: Sketch, c: Ctx) -> None:
    r, fit = c.r, c.fit
    hem_y = JACKET_HEM.get(r.length, 60.0) - 4.0 if r.length else 58.0
    fit2 = Fit(
        fit.sh_x - 1.5, fit.sh_y, fit.ua_x, fit.ua_y + 3.0, fit.waist_x + 0.8, fit.hip_x + 0.5
    )
    neck = (
        "collared" if r.neckline == "collared" else ("crew" if r.neckline == "crew" else "plunging")
    )
    top = bodice_top("plunging" if neck == "collared" else neck, "sleeveless", fit2)
    _inner_back(sk, c, top)
    side = _side(fit2, top.ua, hem_y)
    end = side[-1]
    point = [(2.0, hem_y + 6.5), (0.0, hem_y + 5.0)]
    sk.piece(_outline(top, [*side, *quad(end, (8.0, hem_y + 1.0), point[0], 8), point[1]]))
    y0 = top.neck_front[0][1] if top.neck_front else 10.0
    sk.outline_line([(0.0, y0), (0.0, hem_y + 5.0)], width=1.8)
    n = 5 if neck != "crew" else 6
    for k in range(n):
        sk.button((-0.8, y0 + 2.0 + k * (hem_y - y0) / n), 0.6)
    py = min(48.5, hem_y - 8.0)
    for s in (1, -1):
        sk.seam(_band(6.0 * s, 12.0 * s, py, py + 1.3, 1), closed=True, width=1.3)
    if neck == "collared" and top.neck_front is not None:
        _lapels(sk, c, top.neck_front[0][1], 5.5, wide=False)
    if c.wants("pocket"):
        sk.detail("pocket")
    if c.wants("button"):
        sk.detail("button")


# --- tailoring and outerwear -------------------------------------------------------


def _lapels(
    sk: Sketch, c: Ctx, break_y: float, width: float, *, wide: bool, peak: bool = False
) -> None:
    lp = (7.8 + width, 12.5) if not peak else (8.6 + width, 8.0)
    gorge = (8.6, 10.8)
    roll_top = (7.0, 1.0)
    brk = (0.6, break_y)
    lapel = [
        brk,
        *quad(brk, (lp[0] + 0.6, (break_y + lp[1]) / 2 + 3.0), lp, 10),
        gorge,
        roll_top,
        *quad(roll_top, (4.8, break_y * 0.55), brk, 8),
    ]
    collar_end = (10.8, 9.4) if not peak else (10.0, 10.0)
    collar = [
        (0.0, -3.6),
        *quad((0.0, -3.6), (9.0, -3.4), (11.2, 1.5), 8),
        collar_end,
        gorge,
        roll_top,
        *quad(roll_top, (4.0, 2.0), (0.0, 2.2), 6),
    ]
    for poly in (lapel, mirror_x(lapel)):
        sk.piece(poly)
        if wide:
            sk.stitch(offset_polyline(poly[1:11], -0.9 if poly is lapel else 0.9))
    sk.piece(symmetric(collar))


def draw_jacket(sk: Sketch, c: Ctx, kind: str) -> None:
    """blazer, jacket (tailored / denim / bomber / moto), coat and trench coat."""
    r, fit = c.r, c.fit
    variant = r.variant or "single-breasted"
    long_coat = kind in ("coat", "trench-coat")
    hem_y = COAT_HEM.get(r.length, 100.0) if long_coat else JACKET_HEM.get(r.length, 63.0)
    if kind == "jacket" and variant in ("denim", "bomber", "moto"):
        _casual_jacket(sk, c, variant, hem_y)
        return
    double = variant == "double-breasted" or kind == "trench-coat"
    neck = r.neckline or "collared"
    break_y = 30.0 if double else 34.0
    if long_coat:
        break_y = 28.0
    if neck == "v-neck":
        break_y = 26.0
    sil = r.silhouette
    front = [(0.0, break_y), *quad((0.0, break_y), (5.0, break_y * 0.5), (7.0, 0.0), 8)]
    if neck == "high-neck":
        front = neck_curve("high-neck", fit)
    elif neck == "crew":
        front = neck_curve("crew", fit)
    arm_sp = (fit.sh_x, fit.sh_y)
    arm_ua = (fit.ua_x, fit.ua_y)
    arm = [
        arm_sp,
        *cubic(
            arm_sp,
            (arm_sp[0] - 0.6, arm_sp[1] + 6.0),
            (arm_ua[0] + 0.2, arm_ua[1] - 5.0),
            arm_ua,
            8,
        ),
    ]
    top = Top([*front, *arm], [*front, *arm], arm_sp, arm_ua, True, True, front, "shoulders")
    sk.piece(symmetric([*front, *back_neck(front)]), shade=c.shade)
    _sleeves(sk, c, top, r.sleeve or "long", cuffed=False, buttons=3 if not long_coat else 0)
    flare = 0.0
    if long_coat and sil in ("a-line", "oversized", "relaxed", "wrap"):
        flare = 4.0 + 0.06 * (hem_y - HIP_Y)
    elif long_coat:
        flare = 1.5 + 0.03 * (hem_y - HIP_Y)
    hem_x = fit.hip_x + flare if hem_y > HIP_Y else None
    side = _side(fit, top.ua, hem_y, hem_x)
    end = side[-1]
    hem_half = _flat_hem(end[0], hem_y, 0.4)
    sk.piece(_outline(top, [*side, *hem_half]))
    edge_x = 5.5 if double else 0.6
    sk.outline_line(
        [(edge_x, break_y + (2.0 if double else 0.0)), (edge_x, hem_y + 0.4)], width=2.2
    )
    # princess seams / darts
    for s in (1, -1):
        sk.seam(
            spline(
                [
                    ((fit.ua_x - 4.5) * s, fit.ua_y + 2.0),
                    (fit.waist_x * 0.62 * s, WAIST_Y),
                    (fit.hip_x * 0.6 * s, min(hem_y, HIP_Y + 4)),
                ],
                6,
            ),
            width=1.1,
        )
    # pockets
    py = min(hem_y - 9.0, 52.0) if not long_coat else min(hem_y - 12.0, 62.0)
    for s in (1, -1):
        x0, x1 = 6.8 * s, (fit.hip_x - 1.8) * s
        if kind == "trench-coat" or (long_coat and c.rng.random() < 0.5):
            sk.seam([(x0 * 1.2, py - 5.0), (x1 * 0.98, py + 3.0)], width=1.6)
            sk.stitch([(x0 * 1.2 + 0.8 * s, py - 5.6), (x1 * 0.98 + 0.8 * s, py + 2.4)])
        else:
            flap = [(x0, py), (x1, py - 0.4), (x1, py + 3.4), (x0, py + 3.8)]
            sk.piece(flap, outline_w=1.6)
    if not long_coat:
        sk.seam(_band(-13.0, -7.5, 25.0, 26.2, 1), closed=True, width=1.3)
    # lapels and buttons
    if neck not in ("high-neck", "crew", "v-neck"):
        _lapels(
            sk,
            c,
            break_y,
            5.0 if not long_coat else 7.0,
            wide=long_coat,
            peak=double and kind != "trench-coat",
        )
    elif neck == "high-neck":
        nx = front[-1][0]
        stand = [*_arc_row(-nx - 0.5, nx + 0.5, -5.0, 0.0), *reversed(_arc_row(-nx, nx, 4.2, 2.5))]
        sk.piece(stand)
    rows = 3 if long_coat else (2 if double else (1 if c.rng.random() < 0.4 else 2))
    for k in range(rows):
        y = break_y + 2.0 + k * (9.0 if not long_coat else 11.0)
        if y > hem_y - 4.0:
            break
        if double:
            sk.button((3.8, y), 0.75)
            sk.button((-3.8, y), 0.75)
        else:
            sk.button((0.0, y), 0.8)
    if kind == "trench-coat":
        _trench_extras(sk, c)
    if (kind == "trench-coat" or variant == "wrap" or c.wants("belt")) and hem_y > WAIST_Y + 6:
        _belt(sk, WAIST_Y + 1.0, fit.waist_x + 1.0, c, tie=variant == "wrap", fabric="main")
        if c.wants("belt"):
            sk.detail("belt")
    if c.wants("pocket"):
        sk.detail("pocket")
    if c.wants("button"):
        sk.detail("button")


def _trench_extras(sk: Sketch, c: Ctx) -> None:
    fit = c.fit
    flap = [(8.5, 0.5), (fit.sh_x - 0.6, fit.sh_y - 0.2), (fit.sh_x - 1.6, 16.0), (7.0, 17.0)]
    sk.piece(flap, outline_w=1.8)
    sk.stitch(offset_polyline(flap[1:4], -0.8))
    sk.button((8.6, 14.5), 0.6)
    for s in (1, -1):
        ep = [
            (8.0 * s, 0.6),
            (fit.sh_x * s, fit.sh_y - 1.4),
            (fit.sh_x * s, fit.sh_y + 0.8),
            (8.4 * s, 2.6),
        ]
        sk.piece(ep, outline_w=1.4)
        sk.button(((fit.sh_x - 2.4) * s, fit.sh_y - 0.3), 0.5)


def _casual_jacket(sk: Sketch, c: Ctx, variant: str, hem_y: float) -> None:
    r, fit = c.r, c.fit
    sleeve_kind = r.sleeve or "long"
    hem_y = min(hem_y, 58.0) if variant != "moto" else min(hem_y, 52.0)
    if variant == "bomber":
        top = bodice_top("crew", sleeve_kind, fit)
        _inner_back(sk, c, top)
        _sleeves(sk, c, top, sleeve_kind, cuff_rib=True)
        body_hem = hem_y - 5.0
        _top_body(sk, c, top, body_hem)
        x = _side(fit, top.ua, body_hem)[-1][0] - 1.5
        band = _band(-x, x, body_hem - 0.4, hem_y, 12)
        sk.piece(band, fabric="contrast")
        _rib_lines(sk, band, 28)
        neck = top.neck_front or []
        nb = offset_polyline(neck, -1.8)
        full = [*mirror_x(list(reversed(neck)))[:-1], *neck]
        fullb = [*mirror_x(list(reversed(nb)))[:-1], *nb]
        sk.piece([*full, *reversed(fullb)], fabric="contrast")
        _rib_lines_along(sk, full, fullb, 20)
        sk.outline_line([(0.0, neck[0][1] if neck else 6.0), (0.0, hem_y)], width=2.0)
        sk.seam([(0.6, 7.0), (0.6, hem_y)], width=1.0)
        for s in (1, -1):
            sk.seam([(8.0 * s, 40.0), (11.0 * s, 50.0)], width=1.6)
        sk.piece(_band(-2.4, -0.4, 18.0, 23.0, 1), outline_w=1.2)
        _casual_details(sk, c, ("pocket", "zipper"), hem_y)  # welt pockets, a zip front
        return
    if variant == "moto":
        top = bodice_top("crew", sleeve_kind, fit)
        _inner_back(sk, c, top)
        _sleeves(sk, c, top, sleeve_kind, cuffed=False)
        hp = _top_body(sk, c, top, hem_y)
        del hp
        zip_line = [(-5.5, 2.0), *quad((-5.5, 2.0), (7.0, 18.0), (5.0, hem_y), 10)]
        sk.outline_line(zip_line, width=2.0)
        sk.stroke_shape(offset_polyline(zip_line, 0.7), (190, 190, 196), 1.4)
        lapel = [(-7.0, 0.4), (-15.0, 12.0), (-8.0, 18.0), (-5.2, 6.0)]
        sk.piece(lapel)
        lapel_r = [(7.0, 0.4), (14.0, 13.0), (8.0, 19.0), (2.5, 10.0)]
        sk.piece(lapel_r)
        for s in (1, -1):
            sk.outline_line([(9.0 * s, 34.0), (14.0 * s, 40.0)], width=1.6)
        sk.piece(_band(-fit.hip_x - 0.6, fit.hip_x + 0.6, hem_y - 4.0, hem_y, 8))
        sk.piece(
            _band(-fit.hip_x - 1.0, -fit.hip_x + 3.0, hem_y - 4.4, hem_y + 0.4, 2),
            fabric="contrast",
            outline_w=1.2,
        )
        _casual_details(sk, c, ("pocket", "zipper"), hem_y)  # zip pockets, the asymmetric zip
        return
    # denim trucker jacket
    top = bodice_top("collared", sleeve_kind, fit)
    _inner_back(sk, c, top)
    gold = (204, 146, 52)
    _sleeves(sk, c, top, sleeve_kind, buttons=1)
    body_hem = hem_y - 4.0
    _top_body(sk, c, top, body_hem)
    x = _side(fit, top.ua, body_hem)[-1][0]
    band = _band(-x, x, body_hem - 0.3, hem_y, 8)
    sk.piece(band)
    sk.stitch([(-x + 0.5, body_hem + 1.0), (x - 0.5, body_hem + 1.0)], color=gold)
    sk.stitch(_arc_row(-fit.sh_x + 1.0, fit.sh_x - 1.0, 14.0, 2.0), color=gold)
    sk.outline_line([(0.0, 6.0), (0.0, hem_y)], width=2.0)
    for s in (1, -1):
        pk = _band(5.0 * s, 12.0 * s, 17.0, 25.0, 2)
        sk.seam(pk, closed=True, width=1.3)
        flap = [
            (5.0 * s, 17.0),
            (12.0 * s, 17.0),
            (12.0 * s, 19.5),
            (8.5 * s, 21.0),
            (5.0 * s, 19.5),
        ]
        sk.seam(flap, closed=True, width=1.3)
        sk.button((8.5 * s, 19.6), 0.55)
        sk.stitch([(3.5 * s, 15.0), (3.5 * s, body_hem)], color=gold)
        sk.stitch([(13.5 * s, 15.0), (14.0 * s, body_hem)], color=gold)
    for k in range(5):
        sk.button((0.0, 9.0 + k * (hem_y - 11.0) / 4), 0.65)
    _shirt_collar(sk, c, top.neck_front or neck_curve("collared", fit))
    _casual_details(sk, c, ("pocket", "button"), hem_y)  # flap chest pockets, a button front


def _casual_details(sk: Sketch, c: Ctx, built_in: tuple[str, ...], hem_y: float) -> None:
    """Details a casual jacket's construction always has, reported when asked for; a
    belt asked for is added at the waist of one long enough to have it."""
    for d in built_in:
        if c.wants(d):
            sk.detail(d)
    if c.wants("belt") and hem_y > WAIST_Y + 6:
        fit = c.fit
        _belt(sk, WAIST_Y + 1.0, fit.waist_x + 1.0, c, tie=False, fabric="main")
        sk.detail("belt")


def draw_suit(sk: Sketch, c: Ctx) -> None:
    r = c.r
    hem_y = PANTS_HEM.get(r.length, 140.0)
    sil = (
        r.silhouette
        if r.silhouette in ("wide-leg", "flared", "relaxed", "tailored", "straight")
        else "straight"
    )
    _trousers(sk, c, hem_y, jeans=False, sil=sil, with_band=False)
    jacket_fit = fit_for("blazer", r.silhouette if r.silhouette != "wide-leg" else "tailored")
    c2 = Ctx(r, jacket_fit, c.rng, c.want, c.shade)
    saved = r.length
    r.length = None
    draw_jacket(sk, c2, "blazer")
    r.length = saved


def draw_jumpsuit(sk: Sketch, c: Ctx, romper: bool = False) -> None:
    r, fit = c.r, c.fit
    hem_y = SHORTS_HEM.get(r.length, 76.0) if romper else PANTS_HEM.get(r.length, 140.0)
    sil = (
        r.silhouette
        if r.silhouette in ("wide-leg", "flared", "relaxed", "tailored", "straight", "oversized")
        else "wide-leg"
    )
    top = bodice_top(r.neckline, r.sleeve, fit)
    _inner_back(sk, c, top)
    if top.mode == "straps":
        _straps(sk, top, fit)
    g = legs(sil, WAIST_Y, fit.waist_x + 0.6, fit.hip_x, hem_y)
    sk.piece(symmetric(g.half))
    sk.seam([(0.0, WAIST_Y), (0.0, CROTCH_Y - 0.5)], width=1.2)
    for s in (1, -1):
        sk.seam(
            [(fit.waist_x * 0.6 * s, WAIST_Y + 0.3), (fit.waist_x * 1.04 * s, WAIST_Y + 10)],
            width=1.2,
        )
    _sleeves(sk, c, top, r.sleeve)
    bottom = [*_side(fit, top.ua, WAIST_Y, fit.waist_x), *_flat_hem(fit.waist_x, WAIST_Y, 0.3)]
    sk.piece(_outline(top, bottom))
    _bodice_seams(sk, c, top, WAIST_Y)
    if r.silhouette == "wrap" and top.neck_front is not None:
        nx = top.neck_front[-1][0]
        sk.outline_line(
            cubic(
                (-nx, shoulder_y(fit, nx)),
                (-3.0, 16.0),
                (6.0, 30.0),
                (fit.waist_x - 0.5, WAIST_Y),
                10,
            ),
            width=2.0,
        )
    _neck_trims(sk, c, top, r.neckline)
    _common_top_details(sk, c, top, WAIST_Y, hem_y)
    if c.wants("belt") or (r.silhouette == "wrap"):
        _belt(
            sk,
            WAIST_Y,
            fit.waist_x + 0.3,
            c,
            tie=r.silhouette == "wrap",
            fabric="main" if r.silhouette == "wrap" else "contrast",
        )
        if c.wants("belt"):
            sk.detail("belt")
    if c.wants("pocket"):
        sk.detail("pocket")
    if c.wants("ruffle") and _neck_ruffle(sk, top):
        sk.detail("ruffle")
    if c.wants("fringe"):
        for s in (1, -1):
            _fringe_row(sk, g.hem_in[0] * s, g.hem_out[0] * s, hem_y, 4.5)
        sk.detail("fringe")


def draw_kimono(sk: Sketch, c: Ctx) -> None:
    r = c.r
    hem_y = KIMONO_HEM.get(r.length, 66.0)
    short = r.sleeve in ("short", "cap", "elbow", "flutter", "puff")
    wrapped = c.rng.random() < 0.4 or c.wants("belt") or c.wants("tie")
    sleeve_end = 40.0 if short else 46.0
    drop = 30.0 if short else 40.0
    sh = (19.5, 3.0)
    sl = [
        sh,
        (sleeve_end, 6.5),
        (sleeve_end + 0.8, drop - 4.0),
        *quad(
            (sleeve_end + 0.8, drop - 4.0), (sleeve_end + 0.8, drop), (sleeve_end - 4.0, drop), 5
        ),
        (24.0, drop),
        *quad((24.0, drop), (21.0, drop), (20.6, drop - 5.0), 4),
        (20.2, 22.0),
        (17.0, 22.0),
        (17.0, 5.0),
    ]
    # the back neck is visible above the open front
    sk.piece(
        symmetric([(0.0, 30.0), (6.5, 0.0), *back_neck([(0.0, 30.0), (6.5, 0.0)])]), shade=c.shade
    )
    for poly in (sl, mirror_x(sl)):
        sk.piece(poly)
        sk.seam([(poly[0][0], poly[0][1] + 0.5), (poly[-4][0], poly[-4][1])], width=1.2)
        sk.stitch(offset_polyline(poly[2:6], 1.0 if poly is sl else -1.0))
    half = [
        (0.0, 30.0),
        (6.5, 0.0),
        (sh[0], sh[1]),
        (20.2, 22.0),
        (20.8, hem_y),
        *_flat_hem(20.8, hem_y, 0.3),
    ]
    sk.piece(symmetric(half))
    # collar bands running from the back neck down each front edge
    for s in (1, -1):
        band = [
            (6.5, 0.0),
            (9.4, 0.8),
            (3.4, 30.0) if not wrapped else (4.0, 26.0),
            (3.4, hem_y),
            (0.4, hem_y),
            (0.4, 30.0) if not wrapped else (1.0, 26.0),
        ]
        if wrapped:
            band = [(6.5, 0.0), (9.4, 0.8), (2.0, 38.0), (-1.6, 38.0)]
        band = band if s > 0 else mirror_x(band)
        sk.piece(band, fabric="contrast", outline_w=1.8)
    sk.piece(
        symmetric([(0.0, -1.8), (6.6, -0.8), (9.4, 0.8), (6.5, 0.0), (0.0, 1.2)]),
        fabric="contrast",
        outline_w=1.8,
    )
    if wrapped:
        sk.outline_line([(-1.6, 38.0), (-3.5, hem_y + 0.3)], width=2.0)
        obi = _band(-20.6, 20.6, 35.0, 44.0, 8)
        sk.piece(obi, fabric="contrast")
        sk.seam(_arc_row(-20.4, 20.4, 39.5, 0.0), width=1.2)
        if c.wants("belt"):
            sk.detail("belt")
        if c.wants("tie"):
            sk.detail("tie")
    if c.wants("fringe"):
        for k in range(-20, 21):
            x = k * 1.0
            sk.outline_line([(x, hem_y + 0.4), (x, hem_y + 5.0)], width=1.1)
        sk.detail("fringe")


DRAWERS: dict[str, Callable[[Sketch, Ctx], None]] = {
    "dress": lambda sk, c: draw_dress(sk, c),
    "gown": lambda sk, c: draw_dress(sk, c, gown=True),
    "top": lambda sk, c: draw_top(sk, c, "top"),
    "blouse": lambda sk, c: draw_top(sk, c, "blouse"),
    "shirt": lambda sk, c: draw_top(sk, c, "shirt"),
    "t-shirt": lambda sk, c: draw_top(sk, c, "t-shirt"),
    "sweater": lambda sk, c: draw_top(sk, c, "sweater"),
    "cardigan": draw_cardigan,
    "skirt": draw_skirt,
    "pants": lambda sk, c: draw_pants(sk, c),
    "jeans": lambda sk, c: draw_pants(sk, c, jeans=True),
    "shorts": draw_shorts,
    "jumpsuit": lambda sk, c: draw_jumpsuit(sk, c),
    "romper": lambda sk, c: draw_jumpsuit(sk, c, romper=True),
    "jacket": lambda sk, c: draw_jacket(sk, c, "jacket"),
    "blazer": lambda sk, c: draw_jacket(sk, c, "blazer"),
    "coat": lambda sk, c: draw_jacket(sk, c, "coat"),
    "trench-coat": lambda sk, c: draw_jacket(sk, c, "trench-coat"),
    "vest": draw_vest,
    "suit": draw_suit,
    "hoodie": draw_hoodie,
    "corset": draw_corset,
    "bodysuit": lambda sk, c: draw_bodysuit(sk, c),
    "swimsuit": lambda sk, c: draw_bodysuit(sk, c, swim=True),
    "kimono": draw_kimono,
}
