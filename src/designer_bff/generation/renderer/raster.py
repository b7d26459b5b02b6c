"""Scene -> RGB image with Pillow, drawn at 2x and box-reduced for anti-aliasing.

Fabrics are rendered once over their bounding box and pasted into each piece through
the piece's mask (scaled by sheerness), in the same painter's order as the SVG.
Tiles are rendered once and repeated with numpy index arithmetic at their exact
(fractional) period, so the raster repeat matches the SVG <pattern>.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .geometry import Circle, Polygon, Polyline, Prim, Pt, Scene, Tile, dash_segments

SUPERSAMPLE = 2


def _scaled(pts: tuple[Pt, ...], k: float, ox: float, oy: float) -> list[tuple[float, float]]:
    return [(x * k - ox, y * k - oy) for x, y in pts]


def _rgba(c: tuple[int, int, int], opacity: float) -> tuple[int, int, int, int]:
    return (c[0], c[1], c[2], max(0, min(255, round(opacity * 255))))


def _line(
    draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], fill: tuple[int, ...], width: float
) -> None:
    w = max(1, round(width))
    draw.line(pts, fill=fill, width=w, joint="curve" if len(pts) > 2 else None)
    if w >= 3:
        # round caps: Pillow's wide lines end square, SVG uses stroke-linecap round
        r = w / 2
        for x, y in (pts[0], pts[-1]):
            draw.ellipse((x - r + 0.5, y - r + 0.5, x + r - 0.5, y + r - 0.5), fill=fill)


def _draw_prims(
    img: Image.Image,
    prims: list[Prim] | tuple[Prim, ...],
    k: float,
    ox: float,
    oy: float,
    blend: bool = True,
) -> None:
    draw = ImageDraw.Draw(img, "RGBA" if blend else None)
    for p in prims:
        if isinstance(p, Polygon):
            draw.polygon(_scaled(p.pts, k, ox, oy), fill=_rgba(p.fill, p.opacity))
        elif isinstance(p, Polyline):
            fill = _rgba(p.color, p.opacity)
            if p.dash is not None:
                for seg in dash_segments(p.pts, p.dash[0], p.dash[1], p.closed):
                    if len(seg) > 1:
                        _line(draw, _scaled(tuple(seg), k, ox, oy), fill, p.width * k)
            else:
                pts = _scaled(p.pts, k, ox, oy)
                if p.closed:
                    pts.append(pts[0])
                _line(draw, pts, fill, p.width * k)
        elif isinstance(p, Circle):
            cx, cy, r = p.cx * k - ox, p.cy * k - oy, p.r * k
            box = (cx - r, cy - r, cx + r, cy + r)
            disc = _rgba(p.fill, p.opacity) if p.fill is not None else None
            outline = _rgba(p.stroke, p.opacity) if p.stroke is not None and p.width > 0 else None
            draw.ellipse(
                box, fill=disc, outline=outline, width=max(1, round(p.width * k)) if outline else 0
            )
        elif isinstance(p, Tile):
            _draw_tile(img, p, k, ox, oy)


def _draw_tile(img: Image.Image, t: Tile, k: float, ox: float, oy: float) -> None:
    # Render one repeat at (at least) the output resolution, then sample it for every
    # pixel centre: index = floor(((x - origin) mod period) * res).
    res = max(k, 1.0)
    tw, th = max(1, math.ceil(t.w * res)), max(1, math.ceil(t.h * res))
    tile = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
    _draw_prims(tile, t.prims, res, 0.0, 0.0, blend=False)
    arr = np.asarray(tile)
    if t.opacity < 0.999:
        arr = arr.copy()
        arr[..., 3] = (arr[..., 3].astype(np.uint16) * round(t.opacity * 255) // 255).astype(
            np.uint8
        )
    w, h = img.size
    xs = (np.arange(w, dtype=np.float64) + 0.5 + ox) / k
    ys = (np.arange(h, dtype=np.float64) + 0.5 + oy) / k
    ix = np.minimum((np.mod(xs - t.ox, t.w) * res).astype(np.intp), tw - 1)
    iy = np.minimum((np.mod(ys - t.oy, t.h) * res).astype(np.intp), th - 1)
    # Gather columns on the small tile first, then whole rows: row copies are memcpy,
    # an element-wise 2-D gather over the full image is several times slower.
    strip = np.ascontiguousarray(arr[:, ix])
    layer = strip[iy]
    over = Image.fromarray(layer, "RGBA")
    img.paste(over, (0, 0), over)


def _px_box(b: tuple[float, float, float, float], k: float, size: int) -> tuple[int, int, int, int]:
    x0 = max(0, math.floor(b[0] * k) - 2)
    y0 = max(0, math.floor(b[1] * k) - 2)
    x1 = min(size, math.ceil(b[2] * k) + 2)
    y1 = min(size, math.ceil(b[3] * k) + 2)
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def rasterize(scene: Scene, size: int) -> Image.Image:
    full = size * SUPERSAMPLE
    k = full / 1000.0
    canvas = Image.new("RGB", (full, full), scene.background)
    fabrics: dict[str, tuple[Image.Image, tuple[int, int, int, int]]] = {}
    for key, fab in scene.fabrics.items():
        box = _px_box(fab.bbox, k, full)
        img = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), fab.base)
        _draw_prims(img, fab.prims, k, box[0], box[1])
        fabrics[key] = (img, box)
    draw = ImageDraw.Draw(canvas, "RGBA")
    for piece in scene.pieces:
        xs = [x for x, _ in piece.outline]
        ys = [y for _, y in piece.outline]
        pb = _px_box((min(xs), min(ys), max(xs), max(ys)), k, full)
        w, h = pb[2] - pb[0], pb[3] - pb[1]
        fab_img, fb = fabrics[piece.fabric]
        op = piece.opacity * scene.fabrics[piece.fabric].opacity
        mask = Image.new("L", (w, h), 0)
        poly = _scaled(piece.outline, k, pb[0], pb[1])
        ImageDraw.Draw(mask).polygon(poly, fill=max(1, round(op * 255)))
        src = fab_img.crop((pb[0] - fb[0], pb[1] - fb[1], pb[2] - fb[0], pb[3] - fb[1]))
        canvas.paste(src, (pb[0], pb[1]), mask)
        if piece.shade > 0:
            draw.polygon(_scaled(piece.outline, k, 0, 0), fill=(0, 0, 0, round(piece.shade * 255)))
        outline = _scaled(piece.outline, k, 0, 0)
        outline.append(outline[0])
        _line(draw, outline, (*piece.outline_color, 255), piece.outline_width * k)
        if piece.details:
            _draw_prims(canvas, piece.details, k, 0, 0)
            draw = ImageDraw.Draw(canvas, "RGBA")
    if scene.overlay:
        _draw_prims(canvas, scene.overlay, k, 0, 0)
    return canvas.reduce(SUPERSAMPLE) if SUPERSAMPLE > 1 else canvas
