"""Local design renderer (provider `local-flats`): technical fashion flats from a spec.

    flat = render_flat({"garment_type": "dress", "styles": ["bohemian"]}, seed=7)
    flat.svg            # SVG text (viewBox 0 0 1000 1000)
    flat.image          # RGB Pillow image, size x size
    flat.png            # PNG bytes (encoded on first access, then cached)
    flat.resolved_spec  # every attribute actually drawn, including the ones chosen
    flat.timings        # milliseconds per stage

Output is a pure function of (spec, seed, size): no global RNG, no clock, no I/O.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from PIL import Image

from designer_bff.garments.spec import GarmentSpec

from .garments import DRAWERS, Ctx, frame_for
from .geometry import CANVAS, Fabric, Scene
from .palette import COLORS
from .parts import fit_for
from .patterns import SHEER, Roles, finish, make_print
from .raster import rasterize
from .sketch import Sketch
from .spec_resolve import Resolved, resolve
from .svg import to_svg

__all__ = ["BACKGROUND", "RenderedFlat", "render_flat", "resolve"]

BACKGROUND = (248, 247, 244)


@dataclass
class RenderedFlat:
    svg: str
    image: Image.Image
    resolved_spec: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @cached_property
    def png(self) -> bytes:
        t0 = time.perf_counter()
        buf = io.BytesIO()
        # Level 1: these flats compress well anyway, and encode time is per-image cost.
        self.image.save(buf, format="PNG", compress_level=1)
        self.timings["png_ms"] = (time.perf_counter() - t0) * 1000
        return buf.getvalue()

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def _rng(seed: int, name: str) -> random.Random:
    # Design variety, not security: reproducible per (seed, purpose).
    return random.Random(f"{seed}|{name}")  # noqa: S311


def _build(r: Resolved, seed: int) -> tuple[Scene, list[str], list[str]]:
    frame = frame_for(r.garment_type)
    fit = fit_for(r.garment_type, r.silhouette)
    roles_rgb = [COLORS[c] for c in r.colors]
    pattern_rng = _rng(seed, "print")
    # The main fabric's base colour is known before drawing (details pick readable
    # thread colours from it); the print itself needs the garment's bounding box.
    contrast_idx = 1 if r.pattern == "solid" else 3
    bases = {"main": roles_rgb[0], "contrast": roles_rgb[contrast_idx]}
    roles = Roles(roles_rgb[0], roles_rgb[1], roles_rgb[2], roles_rgb[3], r.named_colors)
    u = frame.scale
    probe = make_print(
        r.pattern, r.pattern_variant, (0, 0, CANVAS, CANVAS), u, roles, _rng(seed, "print-probe")
    )
    bases["main"] = probe.base
    sk = Sketch(frame, bases, buttonless="button" in r.exclude.get("details", ()))
    ctx = Ctx(r, fit, _rng(seed, "construction"), set(r.details))
    DRAWERS[r.garment_type](sk, ctx)

    fabrics: dict[str, Fabric] = {}
    used_roles: set[int] = set()
    for key in ("main", "contrast"):
        pieces = [p for p in sk.pieces if p.fabric == key]
        if not pieces:
            continue
        xs = [x for p in pieces for x, _ in p.outline]
        ys = [y for p in pieces for _, y in p.outline]
        box = (min(xs) - 4, min(ys) - 4, max(xs) + 4, max(ys) + 4)
        if key == "main":
            pr = make_print(r.pattern, r.pattern_variant, box, u, roles, pattern_rng)
            prims = [*pr.prims, *finish(r.fabric, box, u, pr.base, _rng(seed, "finish"))]
            fabrics[key] = Fabric(key, pr.base, prims, SHEER.get(r.fabric, 1.0), box)
            used_roles.update(pr.roles)
        else:
            fabrics[key] = Fabric(key, bases["contrast"], [], 1.0, box)
            used_roles.add(contrast_idx)
    colors_drawn = [r.colors[i] for i in sorted(used_roles)]
    scene = Scene(BACKGROUND, fabrics, sk.pieces, sk.overlay)
    return scene, colors_drawn, sk.drawn_details


def render_flat(spec: GarmentSpec | Mapping[str, Any], seed: int, size: int = 1024) -> RenderedFlat:
    """Render one design. Unknown or contradictory spec values never raise. Takes the
    garment spec (a loose mapping too: the renderer is also fuzzed with raw input)."""
    if size < 16 or size > 4096:
        raise ValueError("size must be between 16 and 4096 pixels")
    t0 = time.perf_counter()
    if isinstance(spec, GarmentSpec):
        spec = spec.model_dump()
    r = resolve(spec if isinstance(spec, Mapping) else {}, int(seed))
    t1 = time.perf_counter()
    scene, colors_drawn, details = _build(r, int(seed))
    t2 = time.perf_counter()
    svg = to_svg(scene, size)
    t3 = time.perf_counter()
    image = rasterize(scene, size)
    t4 = time.perf_counter()
    resolved = {
        "garment_type": r.garment_type,
        "silhouette": r.silhouette,
        "length": r.length,
        "neckline": r.neckline,
        "sleeve": r.sleeve,
        "styles": list(r.styles),
        "colors": colors_drawn,
        "palettes": list(r.palettes),
        "patterns": [r.pattern],
        "pattern_variant": r.pattern_variant,
        "fabrics": [r.fabric],
        "occasions": list(r.occasions),
        "seasons": list(r.seasons),
        "details": details,
        "variant": r.variant,
        "exclude": {k: list(v) for k, v in r.exclude.items()},
        "explicit": sorted(r.explicit),
        "ignored": dict(r.ignored),
        "seed": int(seed),
    }
    timings = {
        "resolve_ms": (t1 - t0) * 1000,
        "geometry_ms": (t2 - t1) * 1000,
        "svg_ms": (t3 - t2) * 1000,
        "raster_ms": (t4 - t3) * 1000,
        "total_ms": (t4 - t0) * 1000,
    }
    return RenderedFlat(svg=svg, image=image, resolved_spec=resolved, timings=timings)
