"""The ThumbHash decoder, for tests only: it checks that our encoder's hashes decode to
the image they sketch (the web app decodes with the reference JS decoder)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from designer_bff.media.thumbhash import _cosines, _js_round, _triangle


@dataclass(frozen=True, slots=True)
class ThumbHashImage:
    """A decoded placeholder: RGBA pixels (h, w, 4), not premultiplied."""

    width: int
    height: int
    rgba: NDArray[np.uint8]


def _check_hash(hash_: bytes) -> bytes:
    data = bytes(hash_)
    if len(data) < 5:
        raise ValueError("thumbhash too short")
    return data


def thumbhash_to_approximate_aspect_ratio(hash_: bytes) -> float:
    """Width / height, as well as the hash knows it (from the coefficient counts)."""
    data = _check_hash(hash_)
    has_alpha = bool(data[2] & 0x80)
    is_landscape = bool(data[4] & 0x80)
    lx = (5 if has_alpha else 7) if is_landscape else data[3] & 7
    ly = data[3] & 7 if is_landscape else (5 if has_alpha else 7)
    if lx == 0 or ly == 0:
        raise ValueError("corrupt thumbhash: zero coefficient count")
    return lx / ly


def thumbhash_to_average_rgba(hash_: bytes) -> tuple[float, float, float, float]:
    """Average colour (r, g, b, a), each 0..1, read straight from the header."""
    data = _check_hash(hash_)
    header = data[0] | (data[1] << 8) | (data[2] << 16)
    lum = (header & 63) / 63
    p = ((header >> 6) & 63) / 31.5 - 1
    q = ((header >> 12) & 63) / 31.5 - 1
    has_alpha = header >> 23
    a = (data[5] & 15) / 15 if has_alpha and len(data) > 5 else 1.0
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    g = r - q
    return (min(1.0, max(0.0, r)), min(1.0, max(0.0, g)), min(1.0, max(0.0, b)), a)


def thumbhash_to_rgba(hash_: bytes) -> ThumbHashImage:
    """Render the placeholder (longest side 32 px), as the reference decoder does."""
    data = _check_hash(hash_)
    header24 = data[0] | (data[1] << 8) | (data[2] << 16)
    header16 = data[3] | (data[4] << 8)
    l_dc = (header24 & 63) / 63
    p_dc = ((header24 >> 6) & 63) / 31.5 - 1
    q_dc = ((header24 >> 12) & 63) / 31.5 - 1
    l_scale = ((header24 >> 18) & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = ((header16 >> 3) & 63) / 63
    q_scale = ((header16 >> 9) & 63) / 63
    is_landscape = bool(header16 >> 15)
    lx = max(3, (5 if has_alpha else 7) if is_landscape else header16 & 7)
    ly = max(3, header16 & 7 if is_landscape else (5 if has_alpha else 7))
    if has_alpha and len(data) < 6:
        raise ValueError("thumbhash too short for its alpha header")
    a_dc = (data[5] & 15) / 15 if has_alpha else 1.0
    a_scale = (data[5] >> 4) / 15 if has_alpha else 0.0

    ac_start = 6 if has_alpha else 5
    packed = np.frombuffer(data, dtype=np.uint8, offset=ac_start)
    nibbles = np.empty(packed.size * 2, dtype=np.float64)
    nibbles[0::2] = packed & 15
    nibbles[1::2] = packed >> 4

    # Saturation of P and Q is boosted 1.25x to compensate for quantisation (reference).
    channels = [(lx, ly, l_scale), (3, 3, p_scale * 1.25), (3, 3, q_scale * 1.25)]
    if has_alpha:
        channels.append((5, 5, a_scale))
    needed = sum(len(_triangle(nx, ny)[0]) - 1 for nx, ny, _ in channels)
    if nibbles.size < needed:
        raise ValueError("thumbhash too short for its coefficients")

    ratio = thumbhash_to_approximate_aspect_ratio(data)
    w = _js_round(32 if ratio > 1 else 32 * ratio)
    h = _js_round(32 / ratio if ratio > 1 else 32)

    decoded: list[NDArray[np.float64]] = []
    index = 0
    for (nx, ny, scale), dc in zip(channels, (l_dc, p_dc, q_dc, a_dc), strict=False):
        cy, cx = _triangle(nx, ny)
        count = len(cy) - 1
        ac = (nibbles[index : index + count] / 7.5 - 1) * scale
        index += count
        coeffs = np.zeros((ny, nx), dtype=np.float64)
        coeffs[cy[1:], cx[1:]] = ac
        # Inverse DCT: value = dc + 2 * sum(ac * cos_x * cos_y), as a matrix product.
        decoded.append(dc + 2.0 * (_cosines(ny, h).T @ coeffs @ _cosines(nx, w)))

    lum, p, q = decoded[0], decoded[1], decoded[2]
    a = decoded[3] if has_alpha else np.ones_like(lum)
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    g = r - q
    rgba = np.stack([r, g, b, a], axis=-1)
    # Uint8Array assignment truncates; values are clamped to [0, 255] first.
    pixels = np.floor(np.clip(rgba * 255.0, 0.0, 255.0)).astype(np.uint8)
    return ThumbHashImage(width=w, height=h, rgba=pixels)
