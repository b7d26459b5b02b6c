"""Benchmark the local design renderer and write a contact sheet to look at.

    .venv/bin/python bench/renderer.py [--n 30] [--size 1024] [--sheet /tmp/flats_sheet.png]

Prints median and p95 milliseconds per design (resolve + geometry + SVG + raster, wall
and CPU time, and separately the PNG encode), then writes a contact sheet of every design
rendered.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from PIL import Image, ImageDraw

from designer_bff.generation.renderer import render_flat
from designer_bff.generation.renderer.spec_resolve import GARMENTS

EXTRA: list[dict[str, Any]] = [
    {"garment_type": "dress", "styles": ["bohemian"]},
    {"garment_type": "dress", "styles": ["minimalist"]},
    {"garment_type": "gown", "occasions": ["bridal"]},
    {"garment_type": "dress", "styles": ["glam"], "occasions": ["party"]},
    {"garment_type": "skirt", "styles": ["preppy"]},
]


def _specs(n: int) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = [{"garment_type": g} for g in GARMENTS] + EXTRA
    while len(specs) < n:
        specs.append(dict(specs[len(specs) % len(GARMENTS)]))
    return specs[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sheet", default="/tmp/flats_sheet.png")
    ap.add_argument("--cols", type=int, default=6)
    args = ap.parse_args()

    render_flat({"garment_type": "dress"}, 0, args.size)  # warm imports and caches
    totals: list[float] = []
    cpus: list[float] = []
    pngs: list[float] = []
    images: list[tuple[Image.Image, str]] = []
    for i, spec in enumerate(_specs(args.n)):
        t0, c0 = time.perf_counter(), time.process_time()
        flat = render_flat(spec, args.seed + i, args.size)
        totals.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
        t1 = time.perf_counter()
        _ = flat.png
        pngs.append((time.perf_counter() - t1) * 1000)
        rs = flat.resolved_spec
        label = " ".join(
            str(x)
            for x in (
                rs["garment_type"],
                rs["silhouette"] or "",
                rs["length"] or "",
                rs["patterns"][0],
                rs["fabrics"][0],
            )
            if x
        )
        images.append((flat.image, label))

    def pct(xs: list[float], q: float) -> float:
        s = sorted(xs)
        return s[min(len(s) - 1, round(q * (len(s) - 1)))]

    print(f"designs: {len(totals)} at {args.size}px")
    print(
        f"render  median {statistics.median(totals):.1f} ms  p95 {pct(totals, 0.95):.1f} ms  "
        f"max {max(totals):.1f} ms"
    )
    # CPU time of the render alone: steadier than wall time on a shared, busy machine.
    print(f"cpu     median {statistics.median(cpus):.1f} ms  p95 {pct(cpus, 0.95):.1f} ms")
    print(f"png     median {statistics.median(pngs):.1f} ms  p95 {pct(pngs, 0.95):.1f} ms")

    thumb = 300
    cols = args.cols
    rows = (len(images) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * thumb, rows * (thumb + 18)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (im, label) in enumerate(images):
        x, y = (i % cols) * thumb, (i // cols) * (thumb + 18)
        sheet.paste(im.resize((thumb, thumb), Image.Resampling.LANCZOS), (x, y))
        draw.text((x + 4, y + thumb + 2), label[:48], fill=(40, 40, 40))
    sheet.save(args.sheet)
    print(f"contact sheet: {args.sheet}")


if __name__ == "__main__":
    main()
