"""Image derivatives from one decode (the Immich habit).

`make_variants` opens the image once, applies EXIF orientation and colour management,
then derives everything from that single bitmap: preview WebP (≤ 1024 px), thumbnail
WebP (≤ 256 px, made from the preview, not the original, because it is ~16x cheaper),
the ThumbHash placeholder (from a ≤ 100 px copy of the thumbnail) and the average
colour. The original bytes are stored as they came, unless `strip_metadata` asks for
them re-encoded upright and without EXIF (GPS, camera serials), XMP or comments. The
preview and thumbnail never carry metadata: Pillow's WebP encoder writes only what it is
given explicitly, and it is given none.

Pillow releases the GIL while decoding, resizing and encoding, so
`make_variants_async` (asyncio.to_thread) keeps the event loop free and lets a worker
process several images in parallel.
"""

from __future__ import annotations

import asyncio
import functools
import io
import struct
import time
import warnings
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageOps, JpegImagePlugin, UnidentifiedImageError

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
_INPUT_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "AVIF", "BMP", "TIFF", "HEIF")

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
    "HEIF": ("image/heic", "heic"),
}

# Phones save photos as HEIC: pillow-heif's opener makes them readable (never written:
# a stripped HEIC original is stored as JPEG, which browsers show).
pillow_heif.register_heif_opener()

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


# Re-encoding an original without its metadata (strip_metadata): the modes each format
# stores as they are; any other mode goes through the sRGB bitmap the previews use.
_STRIP_MODES: dict[str, frozenset[str]] = {
    "JPEG": frozenset({"L", "RGB"}),
    "PNG": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
    "AVIF": frozenset({"RGB", "RGBA"}),
}
# Quality 95 keeps a re-encoded JPEG visually the same as the upload; WebP and AVIF
# likewise; PNG is lossless whatever the level.
_STRIP_SAVE_ARGS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 95},
    "PNG": {"compress_level": 6},
    "WEBP": {"quality": 95, "method": 4},
    "AVIF": {"quality": 90},
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


def _kept_icc(icc: object) -> bytes | None:
    """The ICC profile worth keeping in a stripped original: a valid one that is not
    sRGB (which viewers assume anyway). Its text is a colour-space name, harmless."""
    if not isinstance(icc, bytes) or not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(profile) or "").lower()
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None
    return None if "srgb" in description else icc


# PNG chunks a stripped original keeps: the picture and how to show its colours. The
# rest (tEXt/iTXt/zTXt with XMP or authors, eXIf, tIME, pHYs, APNG frames) goes.
_PNG_KEPT_CHUNKS = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT"}
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_without_metadata(data: bytes, keep_icc: bool) -> bytes | None:
    """The PNG with its metadata chunks dropped: the same pixels, no re-encoding (which
    costs seconds for a large photo). None when the file is not plain enough for that
    (an unknown critical chunk, a bad length or CRC): the caller re-encodes."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return None
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            return None
        if kind in _PNG_KEPT_CHUNKS or (kind == b"iCCP" and keep_icc):
            out.append(data[pos:end])
        elif kind[:1].isupper():
            return None  # critical and unknown: not ours to drop
        pos = end
        if kind == b"IEND":
            return b"".join(out)  # anything after IEND goes too
    return None


def _stripped_original(
    oriented: Image.Image,
    display: Image.Image,
    source_format: str,
    icc: object,
    sampling: int,
) -> tuple[bytes, str]:
    """Re-encode the (upright, full-size) picture with no EXIF, XMP or comments.

    `oriented` has the source's pixels and colour space (its ICC profile is kept when
    it matters); `display` is the sRGB bitmap, used for modes the format cannot store.
    Returns the bytes and the format written (MPO and HEIF become JPEG; GIF, BMP and
    TIFF become PNG).
    """
    fmt = "JPEG" if source_format in ("JPEG", "MPO", "HEIF") else source_format
    if fmt not in _STRIP_MODES:
        fmt = "PNG"  # GIF, BMP, TIFF: lossless, and no metadata of theirs survives
    image, kept_icc = oriented, _kept_icc(icc)
    if image.mode not in _STRIP_MODES[fmt]:
        image, kept_icc = display, None
    args: dict[str, object] = dict(_STRIP_SAVE_ARGS[fmt])
    if kept_icc:
        args["icc_profile"] = kept_icc
    if fmt == "JPEG" and sampling != -1 and image.mode == "RGB":
        args["subsampling"] = sampling  # keep 4:4:4 photos 4:4:4, 4:2:0 ones 4:2:0
    if fmt == "PNG" and "transparency" in image.info:
        args["transparency"] = image.info["transparency"]
    # Some encoders fall back on image.info (PNG and AVIF: the ICC profile; JPEG: the
    # comment): save with an empty info so only what `args` names is written.
    info = image.info
    image.info = {}
    try:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **args)
    finally:
        image.info = info
    return buffer.getvalue(), fmt


def make_variants(
    data: bytes | Image.Image,
    *,
    preview_max: int = 1024,
    thumb_max: int = 256,
    webp_quality: int = 80,
    webp_method: int = DEFAULT_WEBP_METHOD,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    original_format: str | None = "PNG",
    strip_metadata: bool = False,
) -> Variants:
    """Decode once and derive original, preview, thumbnail, thumbhash and colour.

    `data` is the encoded image (stored unchanged as the original) or a Pillow image
    (e.g. straight from the renderer), which is then encoded once as `original_format`
    (lossless PNG by default; None: no raster original, the caller keeps its own).
    With `strip_metadata`, encoded input is stored re-encoded instead: EXIF orientation
    applied, no EXIF/GPS, XMP or comments, a non-sRGB ICC profile kept, JPEG at quality
    95 (uploads from people; the pixels are decoded at full size for it).
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

    strip = strip_metadata and original_bytes is not None
    source_icc = source.info.get("icc_profile")
    sampling = JpegImagePlugin.get_sampling(source)
    oriented = source
    try:
        if source_format in ("JPEG", "MPO") and not strip:
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
        oriented = image
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
    stripped_png = (
        _png_without_metadata(original_bytes, _kept_icc(source_icc) is not None)
        if strip and original_bytes is not None and source_format == "PNG" and orientation == 1
        else None
    )
    if stripped_png is not None:
        original_bytes = stripped_png
        original_encode = clock.lap()
    elif strip and source_format is not None:
        try:
            original_bytes, source_format = _stripped_original(
                oriented, image, source_format, source_icc, sampling
            )
        except (OSError, ValueError) as exc:
            raise InvalidImage(f"cannot re-encode the image: {exc}") from exc
        original_encode = clock.lap()
    elif original_bytes is None and original_format is not None:
        # No bytes to pass through (rendered in memory): encode the bitmap once,
        # losslessly and with the fastest settings: it is an archive copy, rarely served.
        buffer = io.BytesIO()
        fmt = original_format.upper()
        save_args = dict(_ORIGINAL_SAVE_ARGS.get(fmt, {}))
        if strip_metadata:
            # The caller's image may carry an ICC profile or text that PNG would write.
            save_args["icc_profile"] = None
        image.save(buffer, fmt, **save_args)
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
