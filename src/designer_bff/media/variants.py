"""Image derivatives from one decode (the Immich habit).

`make_variants` opens the image once, applies EXIF orientation and colour management,
then derives everything from that single bitmap: preview WebP (≤ 1024 px), thumbnail
WebP (≤ 256 px, made from the preview, not the original, because it is ~16x cheaper),
the ThumbHash placeholder (from a ≤ 100 px copy of the thumbnail) and the average
colour. The original bytes are stored as they came.

Pillow releases the GIL while decoding, resizing and encoding, so
`make_variants_async` (asyncio.to_thread) keeps the event loop free and lets a worker
process several images in parallel.
"""

from __future__ import annotations

import asyncio
import functools
import io
import time
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .thumbhash import image_to_thumbhash, thumbhash_to_base64

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_WEBP_METHOD",
    "EncodedImage",
    "InvalidImage",
    "VariantTimings",
    "Variants",
    "make_variants",
    "make_variants_async",
]

#: Refuse images above this many pixels before decoding them (decompression bombs).
#: 50 MP covers phone and camera photos (12-48 MP) with room to spare.
DEFAULT_MAX_PIXELS = 50_000_000

# Formats we accept as input. Restricting Image.open to these keeps Pillow's rarer (and
# less fuzzed) decoders out of reach of uploaded bytes.
_INPUT_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "AVIF", "BMP", "TIFF")

# MIME type and extension of the stored original, by Pillow format name. MPO is what
# Pillow calls a JPEG with extra (multi-picture) frames: browsers treat it as JPEG.
_FORMAT_INFO: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
    "AVIF": ("image/avif", "avif"),
    "BMP": ("image/bmp", "bmp"),
    "TIFF": ("image/tiff", "tiff"),
}

# EXIF orientations 5-8 swap width and height.
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112

_SRGB = ImageCms.createProfile("sRGB")

#: libwebp effort 0 (fast) .. 6 (small). Measured here on 1024² previews at q80:
#: method 2 ≈ 20 ms, methods 3-4 ≈ 55 ms, for files only ~5% smaller. Variants sit on
#: the generation hot path (10 designs in ≤ 1.5 s on 2 cores), so speed wins.
DEFAULT_WEBP_METHOD = 2


# Lossless, fast settings for an original made from a Pillow image. Measured on a
# 1024² drawn flat: PNG level 1 ≈ 16 ms / 24 KB (level 6: 18 ms / 10 KB); WebP lossless
# method 0 ≈ 4 ms / 10 KB. On photo-like noise PNG level 1 ≈ 115 ms (level 6: 190 ms).
_ORIGINAL_SAVE_ARGS: dict[str, dict[str, object]] = {
    "PNG": {"compress_level": 1},
    "WEBP": {"lossless": True, "method": 0, "quality": 0},
}


class InvalidImage(ValueError):
    """The bytes are not an image we can use (unknown format, corrupt, too large)."""


@dataclass(frozen=True, slots=True)
class EncodedImage:
    """One stored rendition: its bytes and what the image row records about it."""

    data: bytes
    format: str  # Pillow format name: "WEBP", "PNG", "JPEG", ...
    mime: str
    ext: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(slots=True)
class VariantTimings:
    """Milliseconds per step.

    Two views of the same work: by kind (decode, resize, encode, thumbhash) and by
    output (preview = its resize + encode, thumb likewise). `encode_ms` includes the
    original when it had to be encoded (Pillow input); `thumbhash_ms` includes its
    ≤ 100 px downscale and the average colour.
    """

    decode_ms: float = 0.0
    resize_ms: float = 0.0
    encode_ms: float = 0.0
    thumbhash_ms: float = 0.0
    preview_ms: float = 0.0
    thumb_ms: float = 0.0
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Variants:
    # None when the caller keeps its own original (a renderer's vector drawing).
    original: EncodedImage | None
    preview: EncodedImage
    thumb: EncodedImage
    thumbhash: str  # standard base64 of the ThumbHash bytes
    average_color: str  # "#rrggbb", alpha-weighted mean of the thumbnail
    has_alpha: bool
    # The displayed (EXIF-oriented) full size, which is what the gallery lays out.
    width: int
    height: int
    timings: VariantTimings = field(compare=False)


class _Clock:
    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed = (now - self._last) * 1000.0
        self._last = now
        return elapsed


def fit_within(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Size that fits a max_side box, keeping the aspect ratio; never upscales."""
    if max_side <= 0:
        raise ValueError("max_side must be positive")
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


@functools.cache
def _input_formats() -> tuple[str, ...]:
    # Image.open(formats=...) needs every named plugin registered; preinit() only loads
    # the common five, so register all once and keep the ones this build has.
    Image.init()
    return tuple(fmt for fmt in _INPUT_FORMATS if fmt in Image.OPEN)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse anything too large before decoding it."""
    try:
        with warnings.catch_warnings():
            # Our own max_pixels check below is the guard; Pillow's warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_input_formats())
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise InvalidImage(f"not a supported image: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage(f"unreadable image: {exc}") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise InvalidImage("image has no pixels")
    if width * height > max_pixels:
        raise InvalidImage(
            f"image is {width}x{height} ({width * height} pixels), "
            f"more than the {max_pixels} allowed"
        )
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a corrupt EXIF block must not reject the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded ICC profile to sRGB (browsers assume sRGB for WebP).

    Wide-gamut phone photos (Display P3) look washed out otherwise. A broken profile is
    ignored rather than rejecting the image.
    """
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(source) or "").lower()
        if "srgb" in description and image.mode != "CMYK":
            return image  # already sRGB: skip a full-image transform
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image really has transparency."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit/float greyscale: scale to 8 bits instead of letting convert() clip.
        values = np.asarray(image, dtype=np.float64)
        peak = float(values.max()) if values.size else 0.0
        if peak > 255.0:
            values = values * (255.0 / (65535.0 if peak <= 65535.0 else peak))
        grey = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
        return grey.convert("RGB")
    if mode == "P":
        mode = "RGBA" if "transparency" in image.info else "RGB"
        image = image.convert(mode)
    elif mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        # 1, L, CMYK without a usable profile, YCbCr, LAB, HSV, ...
        image = image.convert("RGB")
    if image.mode == "RGBA":
        alpha_min, _ = image.getchannel("A").getextrema()
        if alpha_min == 255:
            # Fully opaque: dropping the channel makes smaller, faster WebPs.
            image = image.convert("RGB")
    return image


def _resized(image: Image.Image, size: tuple[int, int], reducing_gap: float) -> Image.Image:
    """Lanczos down to `size`; the image itself when it is that size already."""
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def _encode_webp(image: Image.Image, quality: int, method: int) -> EncodedImage:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=quality, method=method)
    return EncodedImage(
        data=buffer.getvalue(),
        format="WEBP",
        mime="image/webp",
        ext="webp",
        width=image.width,
        height=image.height,
    )


def _average_color(small: Image.Image) -> str:
    pixels = np.asarray(small.convert("RGBA"), dtype=np.float64).reshape(-1, 4)
    weights = pixels[:, 3]
    total = weights.sum()
    if total <= 0:
        rgb = pixels[:, :3].mean(axis=0)
    else:
        rgb = (pixels[:, :3] * weights[:, None]).sum(axis=0) / total
    r, g, b = (round(float(v)) for v in np.clip(rgb, 0, 255))
    return f"#{r:02x}{g:02x}{b:02x}"


def make_variants(
    data: bytes | Image.Image,
    *,
    preview_max: int = 1024,
    thumb_max: int = 256,
    webp_quality: int = 80,
    webp_method: int = DEFAULT_WEBP_METHOD,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    original_format: str | None = "PNG",
) -> Variants:
    """Decode once and derive original, preview, thumbnail, thumbhash and colour.

    `data` is the encoded image (stored unchanged as the original) or a Pillow image
    (e.g. straight from the renderer), which is then encoded once as `original_format`
    (lossless PNG by default; None: no raster original, the caller keeps its own).
    Raises InvalidImage for anything unusable.
    """
    if not 0 < thumb_max <= preview_max:
        raise ValueError("need 0 < thumb_max <= preview_max")
    timings = VariantTimings()
    started = time.perf_counter()
    clock = _Clock()

    original_bytes: bytes | None
    if isinstance(data, Image.Image):
        source, original_bytes, source_format = data, None, None
        width, height = source.size
        if width * height > max_pixels:
            raise InvalidImage(f"image is {width}x{height}, more than {max_pixels} pixels")
    elif isinstance(data, bytes | bytearray | memoryview):
        original_bytes = bytes(data)
        if not original_bytes:
            raise InvalidImage("empty image")
        source = _open(original_bytes, max_pixels)
        source_format = source.format
    else:
        raise TypeError(f"expected bytes or a PIL image, not {type(data).__name__}")

    orientation = _orientation(source)
    raw_w, raw_h = source.size
    oriented_w, oriented_h = (
        (raw_h, raw_w) if orientation in _TRANSPOSED_ORIENTATIONS else (raw_w, raw_h)
    )
    preview_size = fit_within(oriented_w, oriented_h, preview_max)

    try:
        if source_format in ("JPEG", "MPO"):
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the preview is that much
            # smaller: the biggest single saving for large photos. draft() only picks a
            # scale that stays >= the requested size, so quality is kept.
            want = (
                (preview_size[1], preview_size[0])
                if orientation in _TRANSPOSED_ORIENTATIONS
                else preview_size
            )
            source.draft("RGB", want)
        source.load()
        image = source
        if orientation != 1:
            image = ImageOps.exif_transpose(image) or image
        image = _normalise_mode(_to_srgb(image))
    except InvalidImage:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidImage(f"corrupt image: {exc}") from exc
    has_alpha = image.mode == "RGBA"
    timings.decode_ms = clock.lap()

    # Preview from the decoded bitmap, thumbnail from the preview (16x fewer pixels
    # to filter than the original), thumbhash input from the thumbnail.
    preview_img = _resized(image, preview_size, reducing_gap=3.0)
    preview_resize = clock.lap()
    preview = _encode_webp(preview_img, webp_quality, webp_method)
    preview_encode = clock.lap()

    thumb_size = fit_within(preview_img.width, preview_img.height, thumb_max)
    # reducing_gap 2: Pillow pre-reduces by an integer factor first (about half the time
    # of a plain 4x Lanczos at no visible cost at thumbnail size).
    thumb_img = _resized(preview_img, thumb_size, reducing_gap=2.0)
    thumb_resize = clock.lap()
    thumb = _encode_webp(thumb_img, webp_quality, webp_method)
    thumb_encode = clock.lap()

    original_encode = 0.0
    if original_bytes is None and original_format is not None:
        # No bytes to pass through (rendered in memory): encode the bitmap once,
        # losslessly and with the fastest settings: it is an archive copy, rarely served.
        buffer = io.BytesIO()
        fmt = original_format.upper()
        image.save(buffer, fmt, **_ORIGINAL_SAVE_ARGS.get(fmt, {}))
        original_bytes = buffer.getvalue()
        source_format = fmt
        original_encode = clock.lap()

    hash_size = fit_within(thumb_img.width, thumb_img.height, 100)
    hash_img = (
        thumb_img
        if thumb_img.size == hash_size
        else thumb_img.resize(hash_size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    )
    thumbhash = thumbhash_to_base64(image_to_thumbhash(hash_img))
    average = _average_color(hash_img)
    timings.thumbhash_ms = clock.lap()
    timings.preview_ms = preview_resize + preview_encode
    timings.thumb_ms = thumb_resize + thumb_encode
    timings.resize_ms = preview_resize + thumb_resize
    timings.encode_ms = preview_encode + thumb_encode + original_encode

    mime, ext = _FORMAT_INFO.get(
        source_format or "", (Image.MIME.get(source_format or "", "image/png"), "png")
    )
    # Sizes come from the header because a JPEG may have been decoded at reduced scale.
    original = (
        None
        if original_bytes is None
        else EncodedImage(
            data=original_bytes,
            format=source_format or "PNG",
            mime=mime,
            ext=ext,
            width=oriented_w,
            height=oriented_h,
        )
    )
    timings.total_ms = (time.perf_counter() - started) * 1000.0
    return Variants(
        original=original,
        preview=preview,
        thumb=thumb,
        thumbhash=thumbhash,
        average_color=average,
        has_alpha=has_alpha,
        width=oriented_w,
        height=oriented_h,
        timings=timings,
    )


def _in_worker_thread(fn: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(fn, *args, **kwargs)

    return run


# CPU-bound, and Pillow releases the GIL: in a worker thread the event loop stays free.
make_variants_async = _in_worker_thread(make_variants)
