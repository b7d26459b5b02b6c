"""`local-upscale`: enhancement offline, on the CPU: a design enlarged ×2 or ×4 with
Lanczos resampling, then sharpened where it has edges, within each pixel's neighbourhood.

Why not a neural upscaler: the Real-ESRGAN builds on PyPI that ship their weights need
system libraries outside the project's install (Vulkan and OpenMP loaders) and took
~3 s (the small animevideov3 ×2 model) to ~90 s (x4plus) for one 512 px design on this
project's 2-core machines. The remote `replicate-real-esrgan` provider offers that model;
this one is free and fast.

The sharpening is an unsharp mask with two guards, so it steepens edges without the
usual side effects:
- edge-aware: its strength follows the local gradient, so flat areas (a plain fabric, the
  paper around a flat) stay smooth and their noise or compression blocks are not amplified;
- halo-free: each sharpened pixel stays within the range of its neighbourhood in the
  Lanczos enlargement, so an edge gets steeper but gains no bright or dark rims.
It works on horizontal strips (a few MB each), so a 50 MP result needs no float copy of
the whole image; the strips overlap by the filters' reach, so the result is the same as
one pass over the whole image."""

from __future__ import annotations

import asyncio
import functools
import io
import time
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from designer_bff.generation.providers.base import (
    DesignRequest,
    GeneratedDesign,
    ImageProvider,
    PermanentProviderError,
)
from designer_bff.media.variants import DEFAULT_MAX_PIXELS

__all__ = [
    "SCALES",
    "LocalUpscaleProvider",
    "decode_source",
    "edge_energy",
    "enhance",
    "upscale",
]

SCALES = (2, 4)

# Formats the source may be in (the variant maker's inputs; a vector original is
# enhanced from its raster preview, never decoded here).
SOURCE_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "AVIF", "BMP", "TIFF")

# Tuned with bench/enhance.py on rendered flats and a photo-like image.
_AMOUNT = 1.8  # detail added back, × the blur's difference
_EDGE_KNEE = 3.5  # gradient (grey levels per source pixel) where the strength reaches half
# The blur whose difference is the detail, per ×1 of scale: a little wider than what a
# Lanczos enlargement softens, so the whole edge ramp is steepened.
_SIGMA_PER_SCALE = 0.7
_STRIP_ROWS = 256
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@functools.cache
def _source_formats() -> tuple[str, ...]:
    # Image.open(formats=...) needs each plugin registered; preinit() loads only five.
    Image.init()
    return tuple(f for f in SOURCE_FORMATS if f in Image.OPEN)


def _sigma(scale: int) -> float:
    return _SIGMA_PER_SCALE * scale


def _reach(scale: int) -> int:
    """Half the side of the neighbourhood that bounds a sharpened pixel."""
    return max(1, scale // 2)


def decode_source(data: bytes, scale: int) -> Image.Image:
    """The source design's pixels: oriented (EXIF), RGB or RGBA, ICC profile kept (the
    variant maker converts to sRGB). Refuses what is not an image, and a source whose
    enlargement would exceed what the variant maker accepts."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=_source_formats())
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise PermanentProviderError(f"the design to enhance is not an image: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PermanentProviderError(f"the design to enhance is unreadable: {exc}") from exc
    width, height = opened.size
    if width * height * scale * scale > DEFAULT_MAX_PIXELS:
        raise PermanentProviderError(
            f"a {width}x{height} design enlarged ×{scale} would exceed {DEFAULT_MAX_PIXELS} pixels"
        )
    try:
        opened.load()
        icc = opened.info.get("icc_profile")
        image: Image.Image = ImageOps.exif_transpose(opened) or opened
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PermanentProviderError(f"the design to enhance is corrupt: {exc}") from exc
    transparent = image.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if transparent else "RGB")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    if icc:
        image.info["icc_profile"] = icc
    return image


def _range_filter(rows: np.ndarray, reach: int, pick: Any) -> np.ndarray:
    """Per channel, the min (np.minimum) or max (np.maximum) over a (2·reach+1)² square,
    separably: rows then columns; edges use what exists (as Pillow's rank filters)."""
    out = rows.copy()
    for d in range(1, reach + 1):
        pick(out[d:], rows[:-d], out=out[d:])
        pick(out[:-d], rows[d:], out=out[:-d])
    cols = out.copy()
    for d in range(1, reach + 1):
        pick(out[:, d:], cols[:, :-d], out=out[:, d:])
        pick(out[:, :-d], cols[:, d:], out=out[:, :-d])
    return out


def _sharpen_strip(up: np.ndarray, blur: np.ndarray, scale: int) -> np.ndarray:
    """The sharpened pixels of a strip (uint8 H×W×3 in, the same out)."""
    a = up.astype(np.float32)
    b = blur.astype(np.float32)
    detail = a - b
    # Edge strength from the blurred luminance (noise barely moves it), in grey levels
    # per source pixel, so one knee serves both scales.
    y = b @ _LUMA
    gx = np.zeros_like(y)
    gy = np.zeros_like(y)
    gx[:, 1:-1] = y[:, 2:] - y[:, :-2]
    gy[1:-1] = y[2:] - y[:-2]
    g2 = (gx * gx + gy * gy) * (0.25 * scale * scale)
    weight = g2 / (g2 + _EDGE_KNEE * _EDGE_KNEE)
    sharp = a + (_AMOUNT * weight)[..., None] * detail
    reach = _reach(scale)
    lo = _range_filter(up, reach, np.minimum)
    hi = _range_filter(up, reach, np.maximum)
    np.clip(sharp, lo, hi, out=sharp)
    return np.rint(sharp).astype(np.uint8)


def upscale(image: Image.Image, scale: int, *, strip_rows: int = _STRIP_ROWS) -> Image.Image:
    """`image` (RGB or RGBA) enlarged ×scale: Lanczos, then edge-aware, halo-free
    sharpening of the colour (alpha is only resampled)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    if image.mode not in ("RGB", "RGBA"):
        raise ValueError(f"expected an RGB or RGBA image, not {image.mode}")
    size = (image.width * scale, image.height * scale)
    # Pillow resamples RGBA premultiplied: no dark fringes where transparency meets colour.
    big = image.resize(size, Image.Resampling.LANCZOS)
    alpha = big.getchannel("A") if big.mode == "RGBA" else None
    rgb = big.convert("RGB") if alpha is not None else big
    blurred = rgb.filter(ImageFilter.GaussianBlur(_sigma(scale)))
    up = np.asarray(rgb)
    blur = np.asarray(blurred)
    out = np.empty_like(up)
    # Rows of context each strip needs: the neighbourhood's reach, and the gradient's 1.
    margin = _reach(scale) + 1
    height = up.shape[0]
    for top in range(0, height, strip_rows):
        bottom = min(height, top + strip_rows)
        lo, hi = max(0, top - margin), min(height, bottom + margin)
        strip = _sharpen_strip(up[lo:hi], blur[lo:hi], scale)
        out[top:bottom] = strip[top - lo : top - lo + (bottom - top)]
    result = Image.fromarray(out, "RGB")
    if alpha is not None:
        result.putalpha(alpha)
    icc = image.info.get("icc_profile")
    if icc:
        result.info["icc_profile"] = icc
    return result


def enhance(data: bytes, scale: int) -> tuple[Image.Image, dict[str, float]]:
    """Decode the source and enlarge it: the image and the milliseconds of each step."""
    t0 = time.perf_counter()
    image = decode_source(data, scale)
    t1 = time.perf_counter()
    result = upscale(image, scale)
    t2 = time.perf_counter()
    return result, {
        "decode_ms": round((t1 - t0) * 1000, 2),
        "upscale_ms": round((t2 - t1) * 1000, 2),
    }


def edge_energy(image: Image.Image) -> tuple[float, float]:
    """How sharp an image looks, as (mean gradient magnitude, variance of the Laplacian)
    of its luminance, in grey levels: the measure the bench and the tests compare."""
    y = np.asarray(image.convert("L"), dtype=np.float32)
    gx = (y[1:-1, 2:] - y[1:-1, :-2]) * 0.5
    gy = (y[2:, 1:-1] - y[:-2, 1:-1]) * 0.5
    lap = y[1:-1, :-2] + y[1:-1, 2:] + y[:-2, 1:-1] + y[2:, 1:-1] - 4 * y[1:-1, 1:-1]
    return float(np.hypot(gx, gy).mean()), float(lap.var())


def _scale(options: Mapping[str, Any]) -> int:
    scale = options.get("scale", 2)
    if isinstance(scale, bool) or scale not in SCALES:
        raise PermanentProviderError(f"scale must be one of {SCALES}, not {scale!r}")
    return int(scale)


class LocalUpscaleProvider(ImageProvider):
    name = "local-upscale"
    model = "local-upscale-v1"
    vendor = "local-upscale"
    operation = "enhance"
    # No face restoration model runs locally: `face_fix` is refused when asked.
    supports_face_fix: ClassVar[bool] = False
    # CPU-bound on large images: one at a time per process by default.
    default_concurrency = 1

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        if not request.source:
            raise PermanentProviderError(f"{self.name} needs the design to enhance")
        scale = _scale(request.options)
        if request.options.get("face_fix"):
            raise PermanentProviderError(f"{self.name} cannot restore faces (face_fix)")
        # CPU-bound work runs in a thread so the event loop keeps serving.
        image, timings = await asyncio.to_thread(enhance, request.source, scale)
        return GeneratedDesign(
            data=None,
            image=image,
            format="png",
            model=self.model,
            seed=request.seed,
            cost_usd=self.price(request.options),
            timings=timings,
            resolved_spec=request.spec.model_dump(),
        )
