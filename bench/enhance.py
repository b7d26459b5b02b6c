"""Benchmark the local upscaler (`local-upscale`) against a plain bicubic enlargement.

    .venv/bin/python bench/enhance.py [--n 6] [--size 512] [--sheet /tmp/enhance_sheet.png]

Sources: `--n` rendered flats (`render_flat(spec, seed, size)`, stored as the WebP preview
an enhancement of a flat starts from) and one photo-like image (soft shapes, a woven
texture, sensor noise, JPEG). Each is enlarged ×2 and ×4 by the provider's code path
(decode + upscale) and by decode + Pillow bicubic. Printed per image and scale: output
pixels, edge energy of both (mean gradient magnitude and Laplacian variance of the
luminance, grey levels), their ratio (provider / bicubic), the round trip (PSNR of the
enlargement box-filtered back to the source size against the source: sharpening that
invented detail would lower it) and milliseconds per image (wall and CPU).

Exits 1 if the provider's result is not sharper than bicubic by both measures for every
image, or if its round trip is more than 10 dB worse than bicubic's."""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from designer_bff.generation.providers.local_upscale import SCALES, edge_energy, enhance
from designer_bff.generation.renderer import render_flat
from designer_bff.generation.renderer.spec_resolve import GARMENTS

EXTRA: list[dict[str, Any]] = [
    {"garment_type": "dress", "patterns": ["floral"]},
    {"garment_type": "dress", "styles": ["bohemian"]},
    {"garment_type": "skirt", "patterns": ["plaid"]},
]


def photo_like(size: int, seed: int = 3) -> bytes:
    """A deterministic photo stand-in as JPEG q85: a lit backdrop, overlapping soft-edged
    shapes, a woven fabric texture, a slight lens blur and sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = np.stack([0.6 + 0.3 * xx, 0.5 + 0.2 * yy, 0.4 + 0.3 * (1 - xx)], -1) * 200
    for _ in range(40):
        cx, cy, r = rng.random(), rng.random(), rng.uniform(0.03, 0.2)
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        inside = np.clip((r - np.hypot(xx - cx, yy - cy)) * size, 0, 1)[..., None]
        img = img * (1 - inside) + colour * inside
    img += (10 * np.sin(xx * size * 0.9) * np.sin(yy * size * 0.7))[..., None]
    soft = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(0.8)
    )
    noisy = np.asarray(soft, np.float32) + rng.normal(0, 3, (size, size, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def flat_preview(spec: dict[str, Any], seed: int, size: int) -> bytes:
    """A rendered flat as the WebP preview the engine stores (q80, method 2)."""
    buf = io.BytesIO()
    render_flat(spec, seed, size).image.save(buf, "WEBP", quality=80, method=2)
    return buf.getvalue()


def _label(spec: dict[str, Any]) -> str:
    return " ".join(v if isinstance(v, str) else v[0] for v in spec.values())


def psnr(a: Image.Image, b: Image.Image) -> float:
    d = np.asarray(a.convert("RGB"), np.float32) - np.asarray(b.convert("RGB"), np.float32)
    mse = float((d * d).mean())
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


@dataclass
class Row:
    name: str
    scale: int
    pixels: int
    grad: tuple[float, float]  # provider, bicubic
    lap: tuple[float, float]
    trip: tuple[float, float]
    ms: float
    cpu_ms: float
    bicubic_ms: float
    images: tuple[Image.Image, Image.Image]

    @property
    def grad_ratio(self) -> float:
        return self.grad[0] / self.grad[1]

    @property
    def lap_ratio(self) -> float:
        return self.lap[0] / self.lap[1]


def measure(name: str, data: bytes, scale: int) -> Row:
    source = Image.open(io.BytesIO(data)).convert("RGB")
    t0, c0 = time.perf_counter(), time.process_time()
    ours, _ = enhance(data, scale)
    ms, cpu_ms = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    t1 = time.perf_counter()
    plain = Image.open(io.BytesIO(data)).convert("RGB")
    plain = plain.resize((plain.width * scale, plain.height * scale), Image.Resampling.BICUBIC)
    bicubic_ms = (time.perf_counter() - t1) * 1000
    ours = ours.convert("RGB")
    g_ours, l_ours = edge_energy(ours)
    g_plain, l_plain = edge_energy(plain)
    back = [im.resize(source.size, Image.Resampling.BOX) for im in (ours, plain)]
    return Row(
        name=name,
        scale=scale,
        pixels=ours.width * ours.height,
        grad=(g_ours, g_plain),
        lap=(l_ours, l_plain),
        trip=(psnr(back[0], source), psnr(back[1], source)),
        ms=ms,
        cpu_ms=cpu_ms,
        bicubic_ms=bicubic_ms,
        images=(ours, plain),
    )


def write_sheet(rows: list[Row], path: str, crop: int = 256) -> None:
    """Bicubic (left) and provider (right): a centre crop of each ×4 result."""
    picked = [r for r in rows if r.scale == max(SCALES)]
    sheet = Image.new("RGB", (2 * crop + 8, len(picked) * (crop + 8)), (255, 255, 255))
    for i, row in enumerate(picked):
        ours, plain = row.images
        left, top = (ours.width - crop) // 2, (ours.height - crop) // 2
        box = (left, top, left + crop, top + crop)
        sheet.paste(plain.crop(box), (0, i * (crop + 8)))
        sheet.paste(ours.crop(box), (crop + 8, i * (crop + 8)))
    sheet.save(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6, help="rendered flats")
    ap.add_argument("--size", type=int, default=512, help="source side, px")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sheet", default=None, help="write a bicubic | provider crop sheet")
    args = ap.parse_args()

    specs: list[dict[str, Any]] = [{"garment_type": g} for g in GARMENTS][: max(0, args.n - 3)]
    specs = (specs + EXTRA)[: args.n]
    sources = [(_label(s), flat_preview(s, args.seed + i, args.size)) for i, s in enumerate(specs)]
    sources.append(("photo", photo_like(args.size, args.seed)))

    enhance(sources[0][1], 2)  # warm imports and caches
    rows = [measure(name, data, scale) for name, data in sources for scale in SCALES]

    print(f"sources: {len(specs)} flats + 1 photo-like, {args.size}px; ratio = provider / bicubic")
    print(
        f"{'image':<18}{'×':>2}{'pixels':>11}  {'grad ours/bic':>15}{'ratio':>7}"
        f"  {'lapvar ours/bic':>17}{'ratio':>7}  {'trip dB ours/bic':>17}  {'ms':>7}{'cpu':>7}"
        f"{'bic ms':>8}"
    )
    for r in rows:
        print(
            f"{r.name[:18]:<18}{r.scale:>2}{r.pixels:>11,}  "
            f"{r.grad[0]:>7.2f}/{r.grad[1]:<7.2f}{r.grad_ratio:>7.2f}  "
            f"{r.lap[0]:>8.1f}/{r.lap[1]:<8.1f}{r.lap_ratio:>7.2f}  "
            f"{r.trip[0]:>8.1f}/{r.trip[1]:<8.1f}  {r.ms:>7.0f}{r.cpu_ms:>7.0f}{r.bicubic_ms:>8.0f}"
        )
    for scale in SCALES:
        sel = [r for r in rows if r.scale == scale]
        print(
            f"×{scale}: grad ratio median {statistics.median(r.grad_ratio for r in sel):.2f} "
            f"min {min(r.grad_ratio for r in sel):.2f}; lapvar ratio median "
            f"{statistics.median(r.lap_ratio for r in sel):.2f} "
            f"min {min(r.lap_ratio for r in sel):.2f}; "
            f"ms per image median {statistics.median(r.ms for r in sel):.0f} "
            f"(bicubic {statistics.median(r.bicubic_ms for r in sel):.0f})"
        )
    if args.sheet:
        write_sheet(rows, args.sheet)
        print(f"sheet: {args.sheet}")

    failures = [
        f"{r.name} ×{r.scale}: "
        + ", ".join(
            why
            for bad, why in (
                (r.grad_ratio <= 1, f"gradient ratio {r.grad_ratio:.3f}"),
                (r.lap_ratio <= 1, f"Laplacian ratio {r.lap_ratio:.3f}"),
                (r.trip[0] < r.trip[1] - 10, f"round trip {r.trip[0]:.1f} dB"),
            )
            if bad
        )
        for r in rows
        if r.grad_ratio <= 1 or r.lap_ratio <= 1 or r.trip[0] < r.trip[1] - 10
    ]
    if failures:
        print("NOT SHARPER:\n  " + "\n  ".join(failures))
        return 1
    print("sharper than bicubic on every image, at both scales")
    return 0


if __name__ == "__main__":
    sys.exit(main())
