"""ThumbHash placeholders: a vectorised numpy encoder (the browser decodes them).

ThumbHash (Evan Wallace, https://github.com/evanw/thumbhash, MIT) stores a ~25-byte
DCT sketch of an image: average colour, aspect ratio and alpha included. The format is
the reference implementation's, so the web app can render our hashes with the stock JS
decoder. Our own implementation because the pure-Python PyPI packages take ~27 ms per
100×100 encode (one is also wrong on images with alpha); here the per-pixel loops
become a few small matrix products.

Layout (little-endian bit fields):
  bytes 0-2  header24: L dc (6 bits), P dc (6), Q dc (6), L scale (5), has-alpha (1)
  bytes 3-4  header16: lx or ly (3), P scale (6), Q scale (6), is-landscape (1)
  byte  5    (alpha only) A dc (4), A scale (4)
  then       4-bit AC coefficients of L, P, Q (and A), two per byte, low nibble first.

Colour space: L = (r+g+b)/3, P = (r+g)/2 - b, Q = r - g, with RGB composited over the
image's average colour where it is transparent.
"""

from __future__ import annotations

import base64
import binascii
import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "MAX_SIZE",
    "image_to_thumbhash",
    "rgba_to_thumbhash",
    "thumbhash_from_base64",
    "thumbhash_to_base64",
]

#: Largest width/height the encoder accepts; more pixels add cost, not information.
MAX_SIZE = 100

# Results must match the reference encoder bit for bit, also where a value sits exactly
# on a rounding boundary. That happens in real use: our design flats are left-right
# symmetric on flat backgrounds, so many DCT terms are zero in exact arithmetic and the
# stored nibble is decided by floating-point noise; a grey image has a flat P/Q channel
# whose "scale" is pure noise. Matrix products sum in a different order than the
# reference's running sum, so in those (rare) cases we redo the channel with the
# reference's summation order; everything else uses the fast path.
_TIE_MARGIN = 1e-6  # distance to .5 below which the fast path's rounding may differ
_NOISE_SCALE = 1e-7  # an AC scale this small is summation noise: use the exact path


def _js_round(x: float) -> int:
    """JavaScript's Math.round (halves go up), which the reference format relies on."""
    return math.floor(x + 0.5)


@lru_cache(maxsize=512)
def _cosines(n_freq: int, size: int) -> NDArray[np.float64]:
    """Matrix [freq, pixel] of cos(pi / size * freq * (pixel + 0.5)) — the DCT-II basis."""
    freq = np.arange(n_freq, dtype=np.float64)[:, None]
    pixel = np.arange(size, dtype=np.float64)[None, :] + 0.5
    out = np.cos(np.pi / size * freq * pixel)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def _triangle(nx: int, ny: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(cy, cx) indices of the coefficients kept for an nx×ny channel, in stored order.

    The format keeps the low-frequency triangle cx*ny < nx*(ny-cy), row by row, DC first.
    """
    cys: list[int] = []
    cxs: list[int] = []
    for cy in range(ny):
        cx = 0
        while cx * ny < nx * (ny - cy):
            cys.append(cy)
            cxs.append(cx)
            cx += 1
    return np.array(cys, dtype=np.intp), np.array(cxs, dtype=np.intp)


def _sequential_sum(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum over the last axis strictly left to right, like the reference's `+=` loop.

    np.sum uses pairwise summation, which rounds differently; cumsum is sequential.
    """
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1])
    return np.cumsum(values, axis=-1)[..., -1]


def _near_tie(values: NDArray[np.float64] | float) -> bool:
    frac = np.asarray(values, dtype=np.float64) % 1.0
    return bool(np.any(np.abs(frac - 0.5) < _TIE_MARGIN))


def _channel_terms(
    channel: NDArray[np.float64], nx: int, ny: int, *, exact: bool
) -> NDArray[np.float64]:
    """The kept DCT coefficients of one channel (DC first), in stored order."""
    h, w = channel.shape
    cy, cx = _triangle(nx, ny)
    if not exact:
        # coeffs[cy, cx] = mean over pixels of channel * cos_x[cx] * cos_y[cy]
        coeffs = _cosines(ny, h) @ channel @ _cosines(nx, w).T / (w * h)
        return coeffs[cy, cx]
    # Reference order: f += channel[y, x] * fx[x] * fy[y], rows outer, columns inner.
    fx = _cosines(nx, w)[cx]  # (terms, w)
    fy = _cosines(ny, h)[cy]  # (terms, h)
    products = (channel[None, :, :] * fx[:, None, :]) * fy[:, :, None]
    return _sequential_sum(products.reshape(len(cy), h * w)) / (w * h)


def _encode_channel(
    channel: NDArray[np.float64],
    nx: int,
    ny: int,
    dc_quant: tuple[float, float],
    scale_quant: float,
) -> tuple[float, NDArray[np.float64], float]:
    """DCT of one channel → (dc, AC normalised to [0, 1], AC scale).

    `dc_quant` (offset, factor) and `scale_quant` describe how the header rounds the
    DC and scale, so near-ties there also trigger the exact path.
    """
    for exact in (False, True):
        values = _channel_terms(channel, nx, ny, exact=exact)
        dc = float(values[0])
        ac = values[1:]
        scale = float(np.abs(ac).max()) if ac.size else 0.0
        if scale:
            ac = 0.5 + 0.5 / scale * ac
        if exact:
            break
        quantised = np.concatenate([ac * 15, [dc_quant[0] + dc_quant[1] * dc, scale_quant * scale]])
        if scale >= _NOISE_SCALE and not _near_tie(quantised):
            break
    return dc, ac, scale


def rgba_to_thumbhash(rgba: NDArray[np.uint8]) -> bytes:
    """Encode an RGBA image (h, w, 4) uint8, not premultiplied, at most 100×100."""
    pixels = np.asarray(rgba)
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"expected an (h, w, 4) RGBA array, got shape {pixels.shape}")
    h, w = int(pixels.shape[0]), int(pixels.shape[1])
    if not (0 < w <= MAX_SIZE and 0 < h <= MAX_SIZE):
        raise ValueError(f"{w}x{h} doesn't fit in {MAX_SIZE}x{MAX_SIZE}")

    px = pixels.astype(np.float64)
    alpha = px[..., 3] / 255.0
    weight = alpha / 255.0  # alpha/255 * channel, as the reference computes it
    # Sequential sums (cheap: one pass each) so the composite below is bit-identical.
    total_alpha = float(_sequential_sum(alpha.reshape(-1)))
    avg = _sequential_sum((weight[..., None] * px[..., :3]).reshape(-1, 3).T)
    if total_alpha:
        avg = avg / total_alpha

    has_alpha = total_alpha < w * h
    l_limit = 5 if has_alpha else 7  # fewer luminance terms when alpha needs bytes
    lx = max(1, _js_round(l_limit * w / max(w, h)))
    ly = max(1, _js_round(l_limit * h / max(w, h)))

    # Composite atop the average colour, then RGB → LPQ.
    inv = 1.0 - alpha
    r = avg[0] * inv + weight * px[..., 0]
    g = avg[1] * inv + weight * px[..., 1]
    b = avg[2] * inv + weight * px[..., 2]
    lum = (r + g + b) / 3.0
    p = (r + g) / 2.0 - b
    q = r - g

    l_dc, l_ac, l_scale = _encode_channel(lum, max(3, lx), max(3, ly), (0.0, 63.0), 31.0)
    p_dc, p_ac, p_scale = _encode_channel(p, 3, 3, (31.5, 31.5), 63.0)
    q_dc, q_ac, q_scale = _encode_channel(q, 3, 3, (31.5, 31.5), 63.0)

    is_landscape = w > h
    header24 = (
        _js_round(63 * l_dc)
        | (_js_round(31.5 + 31.5 * p_dc) << 6)
        | (_js_round(31.5 + 31.5 * q_dc) << 12)
        | (_js_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (
        (ly if is_landscape else lx)
        | (_js_round(63 * p_scale) << 3)
        | (_js_round(63 * q_scale) << 9)
        | (int(is_landscape) << 15)
    )
    out = bytearray(
        [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    )
    acs = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = _encode_channel(alpha, 5, 5, (0.0, 15.0), 15.0)
        out.append(_js_round(15 * a_dc) | (_js_round(15 * a_scale) << 4))
        acs.append(a_ac)

    # Quantise every AC term to 4 bits (JS rounding: floor(x + 0.5)) and pack pairs,
    # low nibble first.
    nibbles = np.floor(np.concatenate(acs) * 15 + 0.5).astype(np.uint8)
    if nibbles.size % 2:
        nibbles = np.append(nibbles, np.uint8(0))
    out += (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8).tobytes()
    return bytes(out)


def image_to_thumbhash(image: Image.Image) -> bytes:
    """Encode a Pillow image, downscaling it to fit 100×100 first when needed."""
    from PIL import Image as PILImage

    img = image if image.mode == "RGBA" else image.convert("RGBA")
    if img.width > MAX_SIZE or img.height > MAX_SIZE:
        img = img.copy()
        img.thumbnail((MAX_SIZE, MAX_SIZE), PILImage.Resampling.BILINEAR)
    return rgba_to_thumbhash(np.asarray(img, dtype=np.uint8))


def thumbhash_to_base64(hash_: bytes) -> str:
    """Standard base64 with padding (what `atob` and the reference demo use)."""
    return base64.b64encode(bytes(hash_)).decode("ascii")


def thumbhash_from_base64(text: str) -> bytes:
    """Decode base64 (padding optional, URL-safe alphabet accepted)."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64 thumbhash: {exc}") from exc
