"""Scene -> SVG text. Each fabric is defined once and clipped into every piece cut from it."""

from __future__ import annotations

from collections.abc import Iterable

from .geometry import CANVAS, Circle, Polygon, Polyline, Prim, Pt, Scene, Tile
from .palette import hex_color


def _n(v: float) -> str:
    s = f"{v:.1f}"
    return "0" if s in ("0.0", "-0.0") else (s[:-2] if s.endswith(".0") else s)


def _d(pts: Iterable[Pt], closed: bool) -> str:
    # One decimal of a 1000-unit canvas is a tenth of a pixel at 1024 px: plenty.
    body = "L".join([f"{x:.1f} {y:.1f}" for x, y in pts])
    return f"M{body}Z" if closed else f"M{body}"


def _op(o: float) -> str:
    return "" if o >= 0.999 else f' opacity="{o:.3f}"'


def _prim(p: Prim, out: list[str], defs: list[str], ids: dict[str, int]) -> None:
    if isinstance(p, Polygon):
        out.append(f'<path d="{_d(p.pts, True)}" fill="{hex_color(p.fill)}"{_op(p.opacity)}/>')
    elif isinstance(p, Polyline):
        dash = f' stroke-dasharray="{_n(p.dash[0])} {_n(p.dash[1])}"' if p.dash else ""
        out.append(
            f'<path d="{_d(p.pts, p.closed)}" fill="none" stroke="{hex_color(p.color)}" '
            f'stroke-width="{_n(p.width)}" stroke-linecap="round" stroke-linejoin="round"'
            f"{dash}{_op(p.opacity)}/>"
        )
    elif isinstance(p, Circle):
        fill = hex_color(p.fill) if p.fill is not None else "none"
        stroke = (
            f' stroke="{hex_color(p.stroke)}" stroke-width="{_n(p.width)}"'
            if p.stroke is not None and p.width > 0
            else ""
        )
        out.append(
            f'<circle cx="{_n(p.cx)}" cy="{_n(p.cy)}" r="{_n(p.r)}" fill="{fill}"{stroke}'
            f"{_op(p.opacity)}/>"
        )
    elif isinstance(p, Tile):
        ids["tile"] = ids.get("tile", 0) + 1
        pid = f"t{ids['tile']}"
        inner: list[str] = []
        for q in p.prims:
            _prim(q, inner, defs, ids)
        defs.append(
            f'<pattern id="{pid}" patternUnits="userSpaceOnUse" x="{_n(p.ox)}" y="{_n(p.oy)}" '
            f'width="{p.w:.3f}" height="{p.h:.3f}">{"".join(inner)}</pattern>'
        )
        out.append(
            f'<rect x="0" y="0" width="{_n(CANVAS)}" height="{_n(CANVAS)}" '
            f'fill="url(#{pid})"{_op(p.opacity)}/>'
        )


def to_svg(scene: Scene, size: int) -> str:
    defs: list[str] = []
    body: list[str] = []
    ids: dict[str, int] = {}
    for key, fab in scene.fabrics.items():
        x0, y0, x1, y1 = fab.bbox
        group = [
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" '
            f'fill="{hex_color(fab.base)}"/>'
        ]
        for p in fab.prims:
            _prim(p, group, defs, ids)
        defs.append(f'<g id="fab-{key}">{"".join(group)}</g>')
    for i, piece in enumerate(scene.pieces):
        d = _d(piece.outline, True)
        defs.append(f'<clipPath id="c{i}"><path d="{d}"/></clipPath>')
        fab = scene.fabrics[piece.fabric]
        op = piece.opacity * fab.opacity
        body.append(f'<use xlink:href="#fab-{piece.fabric}" clip-path="url(#c{i})"{_op(op)}/>')
        if piece.shade > 0:
            body.append(f'<path d="{d}" fill="#000000" opacity="{piece.shade:.3f}"/>')
        body.append(
            f'<path d="{d}" fill="none" stroke="{hex_color(piece.outline_color)}" '
            f'stroke-width="{_n(piece.outline_width)}" stroke-linejoin="round"/>'
        )
        for p in piece.details:
            _prim(p, body, defs, ids)
    for p in scene.overlay:
        _prim(p, body, defs, ids)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {_n(CANVAS)} {_n(CANVAS)}" width="{size}" height="{size}">'
        f'<rect width="{_n(CANVAS)}" height="{_n(CANVAS)}" fill="{hex_color(scene.background)}"/>'
        f"<defs>{''.join(defs)}</defs>{''.join(body)}</svg>"
    )
