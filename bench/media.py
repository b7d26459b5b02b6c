"""Benchmark the image-variant pipeline (one decode → preview, thumb, thumbhash).

Usage:  .venv/bin/python bench/media.py [--runs 10] [--quality 80] [--method 4]

For 1024² and 2048² photo-like images as PNG and JPEG bytes, and as in-memory Pillow
images (the renderer's path, which also encodes the PNG original; "flat" is a drawn
flat like the renderer's), prints the median over `runs` of each step in ms. "total"
includes the original's PNG encode for Pillow inputs.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time

import numpy as np
from PIL import Image, ImageDraw

from designer_bff.media.thumbhash import rgba_to_thumbhash
from designer_bff.media.variants import DEFAULT_WEBP_METHOD, VariantTimings, make_variants

COLUMNS = ("decode_ms", "preview_ms", "thumb_ms", "thumbhash_ms", "total_ms")


def photo_like(size: int, seed: int = 0) -> Image.Image:
    """Gradients, a few shapes and mild noise: compresses like a photo, unlike pure noise."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    r = 128 + 100 * np.sin(x / size * 6.0)
    g = 128 + 100 * np.cos(y / size * 5.0)
    b = 255 * (x + y) / (2 * size)
    rgb = np.stack([r, g, b], -1)
    rng = np.random.default_rng(seed)
    rgb += rng.normal(0, 6, rgb.shape).astype(np.float32)
    for _ in range(6):
        cx, cy = rng.uniform(0, size, 2).tolist()
        rad = rng.uniform(size / 12, size / 4)
        disc = (x - cx) ** 2 + (y - cy) ** 2 < rad**2
        rgb[disc] = rgb[disc] * 0.4 + rng.uniform(0, 255, 3).astype(np.float32) * 0.6
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def flat_design(size: int) -> Image.Image:
    """Like the local renderer's output: flat fills and outlines on white."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    s = size / 100
    body = [(35 * s, 10 * s), (65 * s, 10 * s), (80 * s, 90 * s), (20 * s, 90 * s)]
    draw.polygon(body, fill=(176, 112, 72), outline=(40, 30, 20), width=max(1, int(s)))
    for i in range(12):
        draw.ellipse(
            [(30 + i * 4) * s, (40 + i * 3) * s, (34 + i * 4) * s, (44 + i * 3) * s],
            fill=(230, 200, 120),
        )
    draw.line([(50 * s, 10 * s), (50 * s, 90 * s)], fill=(40, 30, 20), width=max(1, int(s)))
    return image


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def median_timings(samples: list[VariantTimings]) -> dict[str, float]:
    return {col: statistics.median(getattr(s, col) for s in samples) for col in COLUMNS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quality", type=int, default=80)
    parser.add_argument(
        "--method", type=int, default=DEFAULT_WEBP_METHOD, help="WebP method 0 (fast)..6"
    )
    args = parser.parse_args()

    print(f"python {platform.python_version()}, Pillow {Image.__version__}, {platform.machine()}")
    print(f"median of {args.runs} runs, WebP q{args.quality} method {args.method}; ms")
    header = f"{'input':<22}{'bytes':>10}" + "".join(
        f"{c.removesuffix('_ms'):>11}" for c in COLUMNS
    )
    print(header)
    print("-" * len(header))
    for size in (1024, 2048):
        image = photo_like(size)
        inputs: list[tuple[str, bytes | Image.Image]] = [
            (f"{size}² PNG", encode(image, "PNG")),
            (f"{size}² JPEG q90", encode(image, "JPEG")),
            (f"{size}² Pillow photo", image),
            (f"{size}² Pillow flat", flat_design(size)),
        ]
        for label, data in inputs:
            make_variants(data, webp_quality=args.quality, webp_method=args.method)  # warm-up
            samples = [
                make_variants(data, webp_quality=args.quality, webp_method=args.method).timings
                for _ in range(args.runs)
            ]
            med = median_timings(samples)
            size_text = f"{len(data):,}" if isinstance(data, bytes) else "-"
            print(f"{label:<22}{size_text:>10}" + "".join(f"{med[c]:>11.1f}" for c in COLUMNS))

    # The encoder alone on its largest input, for comparison with the ~27 ms of the
    # pure-Python packages.
    pixels = np.asarray(photo_like(100).convert("RGBA"))
    rgba_to_thumbhash(pixels)
    runs = []
    for _ in range(max(args.runs, 50)):
        started = time.perf_counter()
        rgba_to_thumbhash(pixels)
        runs.append((time.perf_counter() - started) * 1000)
    print(f"rgba_to_thumbhash 100x100: median {statistics.median(runs):.2f} ms")


if __name__ == "__main__":
    main()
