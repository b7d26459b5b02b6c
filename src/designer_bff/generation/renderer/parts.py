"""Reusable garment parts in body units: fit, necklines, bodices, sleeves, skirts, legs.

Every function returns point lists (already flattened) in body units; the garment
constructions decide the painter's order and which fabric each piece is cut from.
Right-half outlines run from the centre line back to it and are mirrored by
`symmetric`, so a construction only describes one side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .geometry import Pt, cubic, mirror_x, quad, spline

WAIST_Y = 40.0
HIP_Y = 58.0
CROTCH_Y = 68.0
KNEE_Y = 100.0


@dataclass(frozen=True, slots=True)
class Fit:
    sh_x: float = 19.0
    sh_y: float = 4.0
    ua_x: float = 17.5
    ua_y: float = 20.0
    waist_x: float = 14.0
    hip_x: float = 18.5


FITTED = {
    "bodycon",
    "sheath",
    "tailored",
    "pencil",
    "mermaid",
    "fit-and-flare",
    "peplum",
    "ball-gown",
    "wrap",
    "empire",
}
STRAIGHT = {"shift", "straight", "slip", "a-line", "tiered", "flared", "wide-leg"}


def fit_for(garment: str, silhouette: str | None) -> Fit:
    f = Fit()
    sil = silhouette or ""
    if sil in ("bodycon",):
        f = replace(f, waist_x=13.0, hip_x=17.8, ua_x=16.8)
    elif sil in FITTED:
        f = replace(f, waist_x=13.8, hip_x=18.3)
    elif sil in ("shift", "straight", "slip"):
        f = replace(f, waist_x=16.5, hip_x=18.6)
    elif sil == "boxy":
        f = replace(f, sh_x=20.5, ua_x=19.5, ua_y=21.0, waist_x=19.5, hip_x=19.5)
    elif sil == "relaxed":
        f = replace(f, sh_x=19.8, ua_x=18.6, waist_x=17.2, hip_x=19.4)
    elif sil == "oversized":
        f = replace(f, sh_x=24.0, sh_y=8.5, ua_x=22.5, ua_y=29.0, waist_x=22.0, hip_x=22.0)
    if garment in ("coat", "trench-coat", "jacket", "blazer", "suit"):
        f = replace(
            f,
            sh_x=f.sh_x + 1.6,
            sh_y=f.sh_y - 0.6,
            ua_x=f.ua_x + 1.6,
            waist_x=f.waist_x + 1.8,
            hip_x=f.hip_x + 1.8,
        )
    elif garment in ("hoodie", "sweater", "cardigan") and sil not in ("oversized", "boxy"):
        f = replace(
            f,
            sh_x=f.sh_x + 1.5,
            sh_y=f.sh_y + 2.0,
            ua_x=f.ua_x + 1.2,
            ua_y=f.ua_y + 2.5,
            waist_x=max(f.waist_x, 17.5) + 0.5,
            hip_x=f.hip_x + 0.5,
        )
    elif garment in ("t-shirt", "shirt") and sil not in ("oversized", "boxy"):
        f = replace(f, waist_x=max(f.waist_x, 16.0), hip_x=max(f.hip_x, 18.8))
    return f


def shoulder_y(fit: Fit, x: float) -> float:
    """Height of the shoulder line at x (the neck point is at (7, 0))."""
    return max(0.0, fit.sh_y * (x - 7.0) / (fit.sh_x - 7.0))


# --- necklines ---------------------------------------------------------------------

NECK_SHAPES = {
    "crew",
    "scoop",
    "v-neck",
    "plunging",
    "square",
    "boat",
    "cowl",
    "sweetheart",
    "high-neck",
    "turtleneck",
    "collared",
}


def neck_curve(kind: str | None, fit: Fit) -> list[Pt]:
    """Front neckline of a shoulder-covering bodice: centre front -> neck point."""
    k = kind if kind in NECK_SHAPES else "crew"
    if k in ("crew", "collared", "high-neck", "turtleneck"):
        nw, d = {
            "crew": (7.0, 6.5),
            "collared": (7.0, 5.5),
            "high-neck": (6.6, 4.2),
            "turtleneck": (6.8, 4.4),
        }[k]
        hy = shoulder_y(fit, nw)
        return [(0.0, d), *cubic((0.0, d), (nw * 0.62, d), (nw, d * 0.55), (nw, hy), 10)]
    if k == "scoop":
        nw, d = 9.5, 15.0
        hy = shoulder_y(fit, nw)
        return [(0.0, d), *cubic((0.0, d), (6.8, d), (nw, d * 0.6), (nw, hy), 12)]
    if k == "v-neck":
        nw, d = 8.0, 18.0
        hy = shoulder_y(fit, nw)
        return [(0.0, d), *quad((0.0, d), (nw * 0.58, d * 0.42), (nw, hy), 8)]
    if k == "plunging":
        nw, d = 8.6, 30.0
        hy = shoulder_y(fit, nw)
        return [(0.0, d), *quad((0.0, d), (nw * 0.55, d * 0.4), (nw, hy), 8)]
    if k == "square":
        nw, d = 9.5, 13.0
        hy = shoulder_y(fit, nw)
        return [(0.0, d), (nw - 1.2, d), *quad((nw - 1.2, d), (nw, d), (nw, d - 1.2), 4), (nw, hy)]
    if k == "boat":
        nw, d = 12.5, 3.2
        hy = shoulder_y(fit, nw)
        return [(0.0, d), *quad((0.0, d), (8.0, d), (nw, hy), 10)]
    if k == "cowl":
        nw, d = 10.0, 13.0
        hy = shoulder_y(fit, nw)
        return [(0.0, d), *cubic((0.0, d), (7.0, d), (nw, 6.0), (nw, hy), 12)]
    # sweetheart with shoulder straps
    nw = 8.6
    hy = shoulder_y(fit, nw)
    pts: list[Pt] = [(0.0, 17.0)]
    pts += cubic((0.0, 17.0), (0.6, 12.5), (3.0, 10.2), (5.3, 10.4), 8)
    pts += cubic((5.3, 10.4), (7.6, 10.6), (9.6, 11.8), (9.8, 13.0), 6)
    pts += [(nw + 0.6, 6.0), (nw, hy)]
    return pts


def back_neck(front: list[Pt]) -> list[Pt]:
    """Back neckline seen through the front one: neck point -> centre back (x=0)."""
    nx, ny = front[-1]
    return cubic((nx, ny), (nx * 0.7, ny + 2.0), (nx * 0.35, 2.2), (0.0, 2.2), 8)


def strapless_edge(kind: str | None, fit: Fit) -> list[Pt]:
    """Top edge of a strapless or strappy bodice: centre front -> side seam top."""
    side = (fit.ua_x - 0.3, 14.5)
    if kind == "sweetheart":
        pts: list[Pt] = [(0.0, 17.0)]
        pts += cubic((0.0, 17.0), (0.6, 12.2), (3.0, 10.0), (5.6, 10.2), 8)
        pts += cubic((5.6, 10.2), (9.0, 10.5), (fit.ua_x - 2.0, 12.5), side, 8)
        return pts
    if kind in ("v-neck", "plunging"):
        d = 19.0 if kind == "v-neck" else 26.0
        return [
            (0.0, d),
            *quad((0.0, d), (4.0, 12.0), (7.5, 10.6), 6),
            *quad((7.5, 10.6), (fit.ua_x - 3.0, 11.0), side, 6),
        ]
    if kind == "square":
        return [
            (0.0, 11.5),
            (fit.ua_x - 3.0, 11.5),
            *quad((fit.ua_x - 3.0, 11.5), (fit.ua_x - 0.8, 11.8), side, 4),
        ]
    if kind == "scoop":
        return [
            (0.0, 15.5),
            *cubic((0.0, 15.5), (5.0, 15.5), (7.0, 10.8), (8.6, 10.6), 8),
            *quad((8.6, 10.6), (fit.ua_x - 2.0, 11.0), side, 5),
        ]
    return [(0.0, 12.6), *quad((0.0, 12.6), (fit.ua_x * 0.6, 12.2), side, 8)]


@dataclass(slots=True)
class Top:
    right: list[Pt]  # centre-front top -> underarm, right half (x >= 0)
    left: list[Pt]  # same for the left half, in mirrored (x >= 0) coordinates
    sp: Pt | None  # sleeve attachment on the right side (shoulder point, underarm)
    ua: Pt
    left_sleeve: bool
    right_sleeve: bool
    neck_front: list[Pt] | None  # for the inside-back piece and neck trims
    mode: str


def top_mode(neckline: str | None, sleeve: str | None) -> str:
    if neckline == "halter":
        return "halter"
    if neckline == "one-shoulder":
        return "one-shoulder"
    if neckline == "off-shoulder":
        return "off-shoulder"
    if sleeve == "strapless":
        return "strapless"
    if sleeve == "spaghetti-strap":
        return "straps"
    return "shoulders"


# Sleeves set into an armhole; the others are straps or none.
REAL_SLEEVES = {
    "cap",
    "short",
    "elbow",
    "three-quarter",
    "long",
    "puff",
    "bishop",
    "bell",
    "flutter",
    "balloon",
}


def _armhole(fit: Fit, sleeved: bool) -> tuple[list[Pt], Pt, Pt]:
    """Shoulder point -> underarm. Sleeveless armholes are cut in towards the neck."""
    if sleeved:
        sp = (fit.sh_x, fit.sh_y)
        ua = (fit.ua_x, fit.ua_y)
        pts = [sp, *cubic(sp, (sp[0] - 0.6, sp[1] + 6.0), (ua[0] + 0.2, ua[1] - 5.0), ua, 8)]
        return pts, sp, ua
    sp = (fit.sh_x - 3.2, shoulder_y(fit, fit.sh_x - 3.2))
    ua = (fit.ua_x - 0.2, fit.ua_y + 1.5)
    pts = [sp, *cubic(sp, (sp[0] - 1.2, sp[1] + 7.0), (ua[0] - 3.8, ua[1] - 0.5), ua, 10)]
    return pts, sp, ua


def bodice_top(neckline: str | None, sleeve: str | None, fit: Fit) -> Top:
    mode = top_mode(neckline, sleeve)
    sleeved = sleeve in REAL_SLEEVES
    ua = (fit.ua_x, fit.ua_y)
    if mode == "shoulders":
        neck = neck_curve(neckline, fit)
        arm, sp, ua2 = _armhole(fit, sleeved)
        right = [*neck, *arm]
        return Top(right, right, sp if sleeved else None, ua2, sleeved, sleeved, neck, mode)
    if mode in ("strapless", "straps"):
        kind = (
            neckline
            if neckline in ("sweetheart", "v-neck", "plunging", "square", "scoop")
            else None
        )
        edge = strapless_edge(kind, fit)
        right = [*edge, *quad(edge[-1], (fit.ua_x, edge[-1][1] + 2.0), ua, 4)]
        strap_sp = (fit.ua_x + 3.0, 13.0) if sleeved else None
        return Top(right, right, strap_sp, ua, sleeved, sleeved, None, mode)
    if mode == "halter":
        right = [(0.0, 3.0), *quad((0.0, 3.0), (3.0, 2.8), (4.6, -1.4), 6), (6.0, -1.0)]
        right += cubic(
            (6.0, -1.0),
            (7.4, 8.0),
            (fit.ua_x - 3.2, fit.ua_y - 3.0),
            (fit.ua_x - 0.3, fit.ua_y + 0.5),
            10,
        )
        halter_sp = (fit.ua_x + 3.0, 13.0) if sleeved else None
        halter_ua = (fit.ua_x - 0.3, fit.ua_y + 0.5)
        return Top(right, right, halter_sp, halter_ua, sleeved, sleeved, None, mode)
    if mode == "off-shoulder":
        right = [
            (0.0, 12.0),
            *quad((0.0, 12.0), (fit.ua_x * 0.7, 10.8), (fit.ua_x + 4.6, 10.2), 8),
            (fit.ua_x + 4.6, 14.5),
        ]
        right += quad((fit.ua_x + 4.6, 14.5), (fit.ua_x + 0.6, 15.5), ua, 5)
        sp = (fit.ua_x + 3.4, 13.0)
        return Top(right, right, sp if sleeved else None, ua, sleeved, sleeved, None, mode)
    # one-shoulder: the wearer's left shoulder (viewer's right stays bare)
    yc = 15.0 - (fit.ua_x / (fit.ua_x + 6.5)) * 14.5
    right = [
        (0.0, yc),
        (fit.ua_x - 0.3, 15.0),
        *quad((fit.ua_x - 0.3, 15.0), (fit.ua_x, 17.5), ua, 4),
    ]
    arm, sp, ua2 = _armhole(fit, sleeved)
    left = [(0.0, yc), (6.5, 0.5), *arm]
    return Top(right, left, sp if sleeved else None, ua2, sleeved, False, None, mode)


def outline(top: Top, right_bottom: list[Pt], left_bottom: list[Pt] | None = None) -> list[Pt]:
    """Closed outline from a top (neck to underarm) and the side-and-hem of each half.

    `right_bottom` runs from just below the underarm to the centre line at the hem.
    """
    lb = right_bottom if left_bottom is None else left_bottom
    right = [*top.right, *right_bottom]
    left = [*top.left, *lb]
    left_m = [(-x, y) for x, y in reversed(left)]
    if abs(left_m[0][0]) < 1e-9 and abs(right[-1][0]) < 1e-9:
        left_m = left_m[1:]
    if abs(left_m[-1][0]) < 1e-9 and abs(right[0][0]) < 1e-9 and right[0] == (0.0, left[0][1]):
        left_m = left_m[:-1]
    return [*right, *left_m]


def side_curve(points: list[Pt], n: int = 5) -> list[Pt]:
    """Smooth side seam through control points (first point excluded)."""
    return spline(points, n)[1:]


def cut_at(pts: list[Pt], y: float) -> list[Pt]:
    """Keep a downward polyline up to height y (interpolating the last point)."""
    out: list[Pt] = [pts[0]]
    for i in range(1, len(pts)):
        a, b = pts[i - 1], pts[i]
        if b[1] >= y:
            if b[1] == a[1]:
                out.append(b)
            else:
                t = (y - a[1]) / (b[1] - a[1])
                out.append((a[0] + (b[0] - a[0]) * t, y))
            return out
        out.append(b)
    return out


def hem(
    x0: float, y0: float, droop: float, flutes: int = 0, amp: float = 0.0, steps: int = 24
) -> tuple[list[Pt], list[Pt]]:
    """Hem from (x0, y0) to the centre line; flutes make the scalloped hem of a flare.

    Returns the hem points (start excluded) and the cusp points folds rise from.
    """
    pts: list[Pt] = []
    cusps: list[Pt] = []
    n = max(steps, flutes * 8)
    for i in range(1, n + 1):
        x = x0 * (1 - i / n)
        u = x / x0 if x0 else 0.0
        y = y0 + droop * (1 - u * u)
        if flutes:
            y += amp * abs(math.sin(math.pi * flutes * (1 - u)))
        pts.append((x, y))
    if flutes:
        for k in range(1, flutes):
            u = 1 - k / flutes
            cusps.append((x0 * u, y0 + droop * (1 - u * u)))
    return pts, cusps


# --- sleeves -----------------------------------------------------------------------

# angle from vertical (degrees), length along the arm from the armhole centre,
# half-width at the hem (None: keep the armhole width)
SLEEVE_GEOM: dict[str, tuple[float, float, float | None]] = {
    "cap": (62.0, 5.0, None),
    "short": (52.0, 11.0, None),
    "puff": (52.0, 11.5, None),
    "flutter": (56.0, 10.0, None),
    "elbow": (40.0, 25.0, 5.8),
    "three-quarter": (33.0, 36.0, 5.0),
    "long": (25.0, 49.0, 4.4),
    "bishop": (25.0, 49.0, 4.4),
    "bell": (27.0, 45.0, 12.5),
    "balloon": (27.0, 46.0, 4.6),
}


@dataclass(slots=True)
class SleeveGeom:
    outline: list[Pt]
    cuff: list[Pt] | None
    hem_line: list[Pt]  # from top edge end to bottom edge end
    top_edge: list[Pt]
    bottom_edge: list[Pt]
    gathers: list[list[Pt]]
    folds: list[list[Pt]]


def sleeve(
    kind: str,
    sp: Pt,
    ua: Pt,
    cuffed: bool = True,
    angle_bias: float = 0.0,
    length_scale: float = 1.0,
) -> SleeveGeom:
    """Right sleeve (viewer's right) set into the armhole between sp and ua."""
    ang, length, end_hw = SLEEVE_GEOM[kind]
    th = math.radians(ang + angle_bias)
    d = (math.sin(th), math.cos(th))
    n = (math.cos(th), -math.sin(th))  # points up and outwards: the top of the arm
    m = ((sp[0] + ua[0]) / 2, (sp[1] + ua[1]) / 2)
    a_sp = (sp[0] - m[0]) * d[0] + (sp[1] - m[1]) * d[1]
    a_ua = (ua[0] - m[0]) * d[0] + (ua[1] - m[1]) * d[1]
    l_sp = (sp[0] - m[0]) * n[0] + (sp[1] - m[1]) * n[1]
    l_ua = (ua[0] - m[0]) * n[0] + (ua[1] - m[1]) * n[1]
    hw0 = (l_sp - l_ua) / 2
    length = max(length * length_scale, a_ua + 3.0)
    he = end_hw if end_hw is not None else hw0 * 0.9

    def hw(t: float) -> float:
        base = hw0 + (he - hw0) * t
        if kind == "puff":
            return hw0 * (1 - 0.15 * t) + 4.2 * math.sin(math.pi * min(t, 0.999)) ** 0.7
        if kind == "bishop":
            return hw0 + (9.5 - hw0) * min(t / 0.86, 1.0) if t < 0.9 else he
        if kind == "balloon":
            return base + 5.5 * math.sin(math.pi * t) ** 1.2
        if kind == "bell":
            fit_hw = hw0 + (5.5 - hw0) * min(t / 0.45, 1.0)
            return fit_hw if t < 0.45 else 5.5 + (he - 5.5) * ((t - 0.45) / 0.55) ** 1.6
        if kind == "flutter":
            return hw0 + 5.5 * t**1.1
        return base

    steps = 14

    def at(t: float, top: bool) -> Pt:
        a = a_sp + (length - a_sp) * t if top else a_ua + (length - a_ua) * t
        lat = (l_sp + (hw(t) - hw0)) if top else (l_ua - (hw(t) - hw0))
        return (m[0] + d[0] * a + n[0] * lat, m[1] + d[1] * a + n[1] * lat)

    top_edge = [at(i / steps, True) for i in range(steps + 1)]
    bottom_edge = [at(i / steps, False) for i in range(steps + 1)]
    t_end, b_end = top_edge[-1], bottom_edge[-1]
    if kind in ("bell", "flutter"):
        # the flared hem swings out; flutter sleeves ripple
        mid = ((t_end[0] + b_end[0]) / 2 + d[0] * 2.5, (t_end[1] + b_end[1]) / 2 + d[1] * 2.5)
        base_hem = quad(t_end, mid, b_end, 16)
        if kind == "flutter":
            hem_pts: list[Pt] = []
            for i, p in enumerate(base_hem):
                w = 1.1 * abs(math.sin(math.pi * 3 * (i + 1) / len(base_hem)))
                hem_pts.append((p[0] + d[0] * w, p[1] + d[1] * w))
            base_hem = hem_pts
        hem_line = [t_end, *base_hem]
    else:
        mid = ((t_end[0] + b_end[0]) / 2 + d[0] * 0.5, (t_end[1] + b_end[1]) / 2 + d[1] * 0.5)
        hem_line = [t_end, *quad(t_end, mid, b_end, 6)]
    inner = [(ua[0] - 2.5, ua[1] - 1.0), (sp[0] - 2.5, sp[1] + 1.5)]
    outline_pts = [*top_edge, *hem_line[1:], *reversed(bottom_edge[:-1]), *inner]

    cuff = None
    gathers: list[list[Pt]] = []
    folds: list[list[Pt]] = []
    if cuffed and kind in ("long", "bishop", "balloon"):
        tc = 1.0 - 5.0 / max(length - a_sp, 10.0)
        ct = [at(tc + (1 - tc) * i / 4, True) for i in range(5)]
        cb = [at(tc + (1 - tc) * i / 4, False) for i in range(5)]
        if kind in ("bishop", "balloon"):
            # the cuff is narrower than the sleeve above it
            cen = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(ct, cb, strict=True)]
            ct = [(c[0] + n[0] * he, c[1] + n[1] * he) for c in cen]
            cb = [(c[0] - n[0] * he, c[1] - n[1] * he) for c in cen]
        cuff = [*ct, *reversed(cb)]
        if kind in ("bishop", "balloon"):
            for k in range(1, 5):
                f = k / 5
                base = (ct[0][0] + (cb[0][0] - ct[0][0]) * f, ct[0][1] + (cb[0][1] - ct[0][1]) * f)
                gathers.append([base, (base[0] - d[0] * 3.5, base[1] - d[1] * 3.5)])
    if kind == "puff":
        for k in range(1, 5):
            f = k / 5
            a = (t_end[0] + (b_end[0] - t_end[0]) * f, t_end[1] + (b_end[1] - t_end[1]) * f)
            gathers.append([a, (a[0] - d[0] * 2.2, a[1] - d[1] * 2.2)])
            s = (sp[0] + (ua[0] - sp[0]) * f * 0.6, sp[1] + (ua[1] - sp[1]) * f * 0.6)
            gathers.append([s, (s[0] + d[0] * 2.0 + n[0] * 0.3, s[1] + d[1] * 2.0)])
    if kind in ("long", "bishop", "balloon", "three-quarter", "bell") and length > 30:
        # soft creases at the elbow read as fabric, not a tube
        e = at(0.52, False)
        folds.append([e, (e[0] + n[0] * 2.6 + d[0] * 1.2, e[1] + n[1] * 2.6 + d[1] * 1.2)])
        e2 = at(0.58, False)
        folds.append([e2, (e2[0] + n[0] * 1.8 + d[0] * 0.8, e2[1] + n[1] * 1.8 + d[1] * 0.8)])
    return SleeveGeom(outline_pts, cuff, hem_line, top_edge, bottom_edge, gathers, folds)


def mirror_sleeve(g: SleeveGeom) -> SleeveGeom:
    return SleeveGeom(
        mirror_x(g.outline),
        mirror_x(g.cuff) if g.cuff else None,
        mirror_x(g.hem_line),
        mirror_x(g.top_edge),
        mirror_x(g.bottom_edge),
        [mirror_x(x) for x in g.gathers],
        [mirror_x(x) for x in g.folds],
    )


# --- skirts ------------------------------------------------------------------------


@dataclass(slots=True)
class SkirtGeom:
    half: list[Pt]  # (0, waist) -> side -> hem -> (0, hem)
    folds: list[list[Pt]]
    hem_x: float
    hem_y: float


def skirt(
    silhouette: str | None,
    waist_y: float,
    waist_x: float,
    hem_y: float,
    hip_x: float,
    volume: float = 1.0,
) -> SkirtGeom:
    sil = silhouette or "a-line"
    length = hem_y - waist_y
    top = [(0.0, waist_y), (waist_x, waist_y)]
    folds: list[list[Pt]] = []
    flutes, amp, droop = 0, 0.0, 1.0
    if sil in ("pencil", "bodycon", "sheath", "tailored"):
        hx = hip_x - (2.2 if sil in ("pencil", "bodycon") else 0.6)
        ctrl = [(waist_x, waist_y), (hip_x, max(HIP_Y, waist_y + 14)), (hx, max(hem_y, HIP_Y + 1))]
        side = cut_at(spline(ctrl, 8), hem_y)[1:]
        hx = side[-1][0]
    elif sil in ("straight", "shift", "slip", "relaxed", "boxy", "oversized", "wrap-straight"):
        hx = hip_x + 1.0 + 0.04 * max(0.0, hem_y - HIP_Y)
        ctrl = [
            (waist_x, waist_y),
            (hip_x + 0.4, max(HIP_Y, waist_y + 14)),
            (hx, max(hem_y, HIP_Y + 1)),
        ]
        side = cut_at(spline(ctrl, 8), hem_y)[1:]
        hx = side[-1][0]
    elif sil in ("fit-and-flare", "flared", "circle", "peplum"):
        hx = min(waist_x + (0.55 * length + 9.0) * volume, 58.0)
        side = cubic(
            (waist_x, waist_y),
            (waist_x + 5.0, waist_y + 4.0),
            (hx - 0.22 * length, hem_y - 0.45 * length),
            (hx, hem_y),
            14,
        )
        flutes, amp, droop = max(3, int(hx / 7)), 1.6, 3.0
    elif sil == "ball-gown":
        hx = min((26.0 + 0.42 * length) * volume, 64.0)
        side = cubic(
            (waist_x, waist_y),
            (waist_x + 16.0, waist_y + 3.0),
            (hx - 4.0, hem_y - 0.55 * length),
            (hx, hem_y),
            16,
        )
        flutes, amp, droop = max(4, int(hx / 8)), 2.0, 4.5
    else:  # a-line and everything that falls like it (empire, tiered base, wrap, wide-leg)
        hx = min(hip_x + 1.0 + (0.33 * max(0.0, hem_y - HIP_Y) + 2.0) * volume, 50.0)
        hip_y = min(HIP_Y, waist_y + (hem_y - waist_y) * 0.4)
        ctrl = [
            (waist_x, waist_y),
            (hip_x + 0.8, hip_y) if hip_y > waist_y + 6 else (waist_x + 3, waist_y + 5),
            (hx, hem_y),
        ]
        side = spline(ctrl, 8)[1:]
        if length > 40:
            flutes, amp, droop = max(3, int(hx / 9)), 1.0, 2.2
        else:
            droop = 1.6
    hem_pts, cusps = hem(hx, hem_y, droop, flutes, amp)
    for cx, cy in cusps:
        rise = length * (0.55 if sil in ("ball-gown", "fit-and-flare", "flared") else 0.4)
        top_x = waist_x * (cx / hx) * 1.05 + (cx - waist_x * cx / hx) * 0.35
        folds.append(
            [(cx, cy), *quad((cx, cy), (cx * 0.96, cy - rise * 0.5), (top_x, cy - rise), 6)]
        )
    return SkirtGeom([*top, *side, *hem_pts], folds, hx, hem_y)


# --- legs --------------------------------------------------------------------------


@dataclass(slots=True)
class LegsGeom:
    half: list[Pt]  # (0, waist) -> outseam -> hem -> inseam -> crotch (0, CROTCH_Y)
    hem_out: Pt
    hem_in: Pt
    crease_top: Pt
    knee: float


def legs(
    silhouette: str | None,
    waist_y: float,
    waist_x: float,
    hip_x: float,
    hem_y: float,
    crotch_y: float = CROTCH_Y,
) -> LegsGeom:
    sil = silhouette or "straight"
    shorts = hem_y < KNEE_Y - 6
    hip_x = hip_x + 1.0
    if sil in ("wide-leg", "oversized"):
        out_x, in_x, knee_out, knee_in = hip_x + 8.5, 1.2, hip_x + 5.0, 2.5
    elif sil in ("flared",):
        out_x, in_x, knee_out, knee_in = hip_x + 7.0, 1.0, hip_x - 1.8, 5.2
    elif sil in ("tailored", "pencil", "bodycon", "sheath"):
        out_x, in_x, knee_out, knee_in = hip_x - 3.0, 7.2, hip_x - 1.6, 5.2
    elif sil in ("relaxed", "boxy", "a-line", "shift"):
        out_x, in_x, knee_out, knee_in = hip_x + 2.5, 1.8, hip_x + 1.8, 2.6
    else:  # straight
        out_x, in_x, knee_out, knee_in = hip_x + 0.4, 3.2, hip_x + 0.2, 3.4
    if shorts:
        # shorts open wider than a trouser leg cut at the same height
        frac = (hem_y - crotch_y) / (KNEE_Y - crotch_y)
        out_x = hip_x + 1.5 + (2.0 if sil in ("wide-leg", "relaxed", "oversized") else 0.0)
        in_x = max(0.6, 3.0 - frac * 1.5)
        outer = spline([(waist_x, waist_y), (hip_x, HIP_Y), (out_x, hem_y)], 6)
        inner = quad((in_x, hem_y), (1.2, crotch_y + 2.0), (0.0, crotch_y), 6)
    else:
        knee_y = min(KNEE_Y, hem_y - 10)
        outer = spline([(waist_x, waist_y), (hip_x, HIP_Y), (knee_out, knee_y), (out_x, hem_y)], 7)
        inner = spline(
            [(in_x, hem_y), (knee_in, knee_y), (1.4, crotch_y + 6.0), (0.0, crotch_y)], 7
        )[1:]
    hem_pts = [
        (out_x - (out_x - in_x) * i / 6, hem_y + 0.6 * math.sin(math.pi * i / 6))
        for i in range(1, 6)
    ]
    half = [(0.0, waist_y), *outer, *hem_pts, (in_x, hem_y), *inner]
    crease_x = (out_x + in_x) / 2
    return LegsGeom(
        half,
        (out_x, hem_y),
        (in_x, hem_y),
        (crease_x * 0.85, waist_y + 6.0),
        min(KNEE_Y, hem_y - 10),
    )
