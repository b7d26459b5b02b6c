"""The embedded analyzer (provider `local-analyzer`): what plain pixel statistics can
honestly tell about a garment picture, with no model and no network.

    analysis = await LocalAnalyzer().analyze(png_bytes, image_id="img-1")
    analysis.spec         # GarmentSpec: colors, patterns, garment_type, silhouette
    analysis.confidence   # {"colors": 0.93, "patterns": 0.88, ...} for what it filled
    analysis.record       # the Visual Descriptor API's record shape, nulls where blind

What it looks at:
- background: alpha, else the pixels connected to the image border that share the
  border's colour (a studio or flat-drawing background); a border that is not one colour
  means the garment fills the frame (a fabric swatch, a close crop, a photo);
- colours: k-means in CIELAB over the garment's pixels, each centre named with the
  nearest taxonomy colour (CIEDE2000) whose RGB is the one the local renderer paints,
  so a name the renderer drew comes back as that name;
- pattern: the masked autocorrelation of the garment's main colour axis: stripes keep
  their correlation along one direction and repeat across it, a check along two
  orthogonal ones, dots repeat in every direction as isolated blobs;
- garment type and silhouette: from the outline of the mask (legs, waistband, bodice,
  width at waist and hem), only when the background was found.

Anything it is unsure of is left null (record) or open (spec), never guessed.
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from designer_bff.garments.spec import GarmentSpec
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.generation.renderer.palette import COLORS
from designer_bff.vlt.base import Analysis, AnalyzerError, AnalyzerHealth, ImageAnalyzer

__all__ = ["MAX_PIXELS", "LocalAnalyzer", "analyze_image"]

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]

RECORD_VERSION = "local-1"
# Refused before decoding: a small file can claim a huge canvas (decompression bomb).
MAX_PIXELS = 50_000_000
# Decoded working copy, the grid for mask and colours, and the texture crop.
DETAIL_SIDE = 1024
WORK_SIDE = 256
PATTERN_SIDE = 320
# Below this confidence an attribute is left open rather than guessed.
MIN_CONFIDENCE = 0.5
# A colour goes into the spec when it covers this share of the garment.
SPEC_COLOR_SHARE = 0.15

# The pattern names this analyzer can tell apart (canonical taxonomy values).
SOLID, STRIPED, CHECK, PLAID, DOTS = "solid", "striped", "check", "plaid", "polka-dot"


# --- colour science ------------------------------------------------------------------

_SRGB_LINEAR = np.array(
    [
        (c / 255 / 12.92) if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
        for c in range(256)
    ],
    dtype=np.float64,
)
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
     [0.0193339, 0.1191920, 0.9503041]]
)  # fmt: skip
_WHITE = np.array([0.95047, 1.0, 1.08883])


def to_lab(rgb: NDArray[np.uint8]) -> F64:
    """sRGB (uint8, any leading shape) -> CIELAB (D65)."""
    lin = _SRGB_LINEAR[rgb]
    xyz = lin @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def delta_e2000(lab1: F64, lab2: F64) -> F64:
    """CIEDE2000 colour difference, broadcasting over leading axes (..., 3)."""
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    cm7 = ((c1 + c2) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(cm7 / (cm7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lpm, cpm = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hpm = np.where(
        np.abs(h1p - h2p) > 180, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2
    )
    hpm = np.where(c1p * c2p == 0, hsum, hpm)
    t = (
        1
        - 0.17 * np.cos(np.radians(hpm - 30))
        + 0.24 * np.cos(np.radians(2 * hpm))
        + 0.32 * np.cos(np.radians(3 * hpm + 6))
        - 0.20 * np.cos(np.radians(4 * hpm - 63))
    )
    sl = 1 + 0.015 * (lpm - 50) ** 2 / np.sqrt(20 + (lpm - 50) ** 2)
    sc = 1 + 0.045 * cpm
    sh = 1 + 0.015 * cpm * t
    cpm7 = cpm**7
    rt = (
        -2
        * np.sqrt(cpm7 / (cpm7 + 25.0**7))
        * np.sin(np.radians(60 * np.exp(-(((hpm - 275) / 25) ** 2))))
    )
    return np.asarray(
        np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh)),
        dtype=np.float64,
    )


@dataclass(frozen=True)
class _Names:
    names: tuple[str, ...]
    lab: F64


def _color_names() -> _Names:
    # The renderer's RGB per taxonomy colour: a colour it paints is read back by name.
    taxonomy = get_taxonomy()
    names = tuple(n for n in taxonomy.values("colors") if n in COLORS)
    rgb = np.array([COLORS[n] for n in names], dtype=np.uint8)
    return _Names(names, to_lab(rgb))


_NAMES = _color_names()


def name_color(lab: F64) -> tuple[str, float]:
    """Nearest taxonomy colour to one Lab colour, and its CIEDE2000 distance."""
    d = delta_e2000(np.broadcast_to(lab, _NAMES.lab.shape), _NAMES.lab)
    i = int(np.argmin(d))
    return _NAMES.names[i], float(d[i])


def _hex(rgb: F64 | NDArray[np.uint8]) -> str:
    r, g, b = (round(float(v)) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


# --- binary morphology without scipy ------------------------------------------------


def _dilate(m: Mask, r: int) -> Mask:
    out = m.copy()
    for _ in range(r):
        grown = out.copy()
        grown[1:, :] |= out[:-1, :]
        grown[:-1, :] |= out[1:, :]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def _erode(m: Mask, r: int) -> Mask:
    # Outside the image counts as "set" so a garment cut by the frame keeps its edge.
    return ~_dilate(~m, r)


def _reconstruct(candidate: Mask, seeds: Mask) -> Mask:
    """The parts of `candidate` 4-connected to `seeds`: whole runs along rows, then
    along columns, until nothing changes (a few passes for ordinary shapes)."""
    reached = seeds & candidate
    for _ in range(64):
        before = int(reached.sum())
        reached = _spread_rows(reached, candidate)
        reached = _spread_rows(reached.T, candidate.T).T
        if int(reached.sum()) == before:
            break
    return reached


def _spread_rows(reached: Mask, candidate: Mask) -> Mask:
    h, w = candidate.shape
    # A False column between rows keeps runs from wrapping into the next row.
    cand = np.zeros((h, w + 1), dtype=bool)
    cand[:, :w] = candidate
    flat = cand.ravel()
    starts = flat & ~np.concatenate(([False], flat[:-1]))
    run_id = np.cumsum(starts) * flat
    hit = np.zeros((h, w + 1), dtype=bool)
    hit[:, :w] = reached
    touched = np.zeros(int(run_id.max()) + 1, dtype=bool)
    touched[run_id[hit.ravel() & flat]] = True
    touched[0] = False
    return np.asarray(touched[run_id].reshape(h, w + 1)[:, :w], dtype=bool)


# --- decoding -------------------------------------------------------------------------


@dataclass
class _Decoded:
    rgb: NDArray[np.uint8]  # H x W x 3, at most DETAIL_SIDE a side
    alpha: NDArray[np.uint8] | None
    width: int  # as stored in the file
    height: int


def _decode(data: bytes) -> _Decoded:
    try:
        opened = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise AnalyzerError("image is too large to analyse", code="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise AnalyzerError("not a readable image", code="invalid_image") from exc
    width, height = opened.size
    # From the header alone: nothing has been decoded yet.
    if width * height > MAX_PIXELS:
        raise AnalyzerError(
            f"image is too large to analyse ({width}x{height} pixels)", code="image_too_large"
        )
    if min(width, height) < 8:
        raise AnalyzerError("image is too small to analyse", code="invalid_image")
    try:
        opened.draft("RGB", (DETAIL_SIDE, DETAIL_SIDE))  # JPEG: decode at a reduced scale
        im: Image.Image = ImageOps.exif_transpose(opened)
        has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
            im.mode == "P" and "transparency" in im.info
        )
        im = im.convert("RGBA" if has_alpha else "RGB")
        im.thumbnail((DETAIL_SIDE, DETAIL_SIDE), Image.Resampling.BOX)
        arr = np.asarray(im, dtype=np.uint8)
    except Image.DecompressionBombError as exc:
        raise AnalyzerError("image is too large to analyse", code="image_too_large") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise AnalyzerError("image data is corrupt or truncated", code="invalid_image") from exc
    alpha = arr[..., 3].copy() if has_alpha else None
    return _Decoded(np.ascontiguousarray(arr[..., :3]), alpha, width, height)


def _resize(arr: NDArray[np.uint8], side: int) -> NDArray[np.uint8]:
    h, w = arr.shape[:2]
    k = side / max(h, w)
    if k >= 1:
        return arr
    size = (max(1, round(w * k)), max(1, round(h * k)))
    mode = "L" if arr.ndim == 2 else "RGB"
    return np.asarray(Image.fromarray(arr, mode).resize(size, Image.Resampling.BOX))


# --- background and garment mask -----------------------------------------------------


@dataclass
class _Segmentation:
    garment: Mask  # on the WORK_SIDE grid
    background_rgb: F64 | None  # None: no background was seen (alpha or full frame)
    separated: bool  # the garment stands on a background (its outline is meaningful)


def _segment(lab: F64, rgb: NDArray[np.uint8], alpha: NDArray[np.uint8] | None) -> _Segmentation:
    h, w = lab.shape[:2]
    everything = np.ones((h, w), dtype=bool)
    if alpha is not None and (alpha < 128).mean() > 0.02:
        garment = alpha >= 128
        if garment.mean() > 0.005:
            return _Segmentation(garment, None, True)
    ring = np.zeros((h, w), dtype=bool)
    t = max(1, min(h, w) // 64)
    ring[:t, :], ring[-t:, :], ring[:, :t], ring[:, -t:] = True, True, True, True
    border = lab[ring]
    bg_lab = np.median(border, axis=0)
    dev = np.linalg.norm(border - bg_lab, axis=1)
    # Tolerance grows with the border's own noise (JPEG, paper grain, gentle light falloff).
    tol = float(np.clip(3 * np.percentile(dev, 60) + 4, 4, 14))
    if (dev < tol).mean() < 0.6:
        # The border is not one colour: the garment (or fabric) fills the frame.
        return _Segmentation(everything, None, False)
    near = np.linalg.norm(lab - bg_lab, axis=2) < tol
    # Close the garment first: thin background-coloured gaps inside it (white stripes
    # on a white backdrop, a lace hole) belong to the garment, not the background.
    r = max(1, round(max(h, w) * 0.012))
    solid = _erode(_dilate(~near, r), r)
    background = _reconstruct(~solid, ring)
    garment = ~background
    garment = _dilate(_erode(garment, 1), 1)  # drop specks of JPEG noise
    bg_rgb = rgb[ring][dev < tol].mean(axis=0)
    rows: Mask = np.asarray(garment.any(axis=1))
    cols: Mask = np.asarray(garment.any(axis=0))
    sides = int(rows[0]) + int(rows[-1]) + int(cols[0]) + int(cols[-1])
    # A garment is one main piece; a scatter of small motifs is a print on the fabric.
    gy, gx = np.nonzero(garment)
    scattered = False
    if len(gy):
        k = int(np.argmin((gy - gy.mean()) ** 2 + (gx - gx.mean()) ** 2))
        seed = np.zeros_like(garment)
        seed[gy[k], gx[k]] = True
        scattered = int(_reconstruct(garment, seed).sum()) < 0.35 * len(gy)
    if (
        garment.mean() < 0.005
        or sides == 4
        or scattered
        or (garment & ring).sum() > 0.25 * ring.sum()
    ):
        # Nothing stands out (a plain field of colour), or what stands out runs off
        # every side (the stripes or dots of a swatch): either way, the fabric itself.
        return _Segmentation(everything, None, False)
    return _Segmentation(garment, bg_rgb, True)


# --- colours -----------------------------------------------------------------------


def _kmeans(x: F64, k: int, iters: int = 14) -> tuple[F64, NDArray[np.intp]]:
    """Deterministic k-means++ (fixed seed): same pixels, same clusters."""
    rng = np.random.default_rng(12345)
    n = len(x)
    k = min(k, n)
    centres = [x[0 if n == 1 else int(rng.integers(n))]]
    d2 = np.sum((x - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = float(d2.sum())
        if total <= 1e-9:
            break
        idx = int(np.searchsorted(np.cumsum(d2), rng.random() * total))
        centres.append(x[min(idx, n - 1)])
        d2 = np.minimum(d2, np.sum((x - centres[-1]) ** 2, axis=1))
    c = np.array(centres)
    labels = np.zeros(n, dtype=np.intp)
    for _ in range(iters):
        dist = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        labels = np.argmin(dist, axis=1)
        new = np.array(
            [x[labels == j].mean(axis=0) if np.any(labels == j) else c[j] for j in range(len(c))]
        )
        if np.allclose(new, c, atol=0.05):
            c = new
            break
        c = new
    return c, labels


@dataclass
class _Colour:
    name: str
    share: float
    rgb: F64
    lab: F64
    delta: float  # CIEDE2000 to the named colour's reference


def _colours(lab: F64, rgb: NDArray[np.uint8], k: int = 8) -> list[_Colour]:
    """Named colours of the pixels given (N x 3), most first, shares summing to 1."""
    step = max(1, len(lab) // 12000)
    x, xr = lab[::step], rgb[::step].astype(np.float64)
    centres, labels = _kmeans(x, k)
    by_name: dict[str, _Colour] = {}
    counts = np.bincount(labels, minlength=len(centres)).astype(np.float64)
    for j, centre in enumerate(centres):
        if counts[j] == 0:
            continue
        name, delta = name_color(centre)
        share = float(counts[j] / len(x))
        mean_rgb = xr[labels == j].mean(axis=0)
        got = by_name.get(name)
        if got is None:
            by_name[name] = _Colour(name, share, mean_rgb, centre, delta)
        else:
            tot = got.share + share
            by_name[name] = _Colour(
                name,
                tot,
                (got.rgb * got.share + mean_rgb * share) / tot,
                (got.lab * got.share + centre * share) / tot,
                (got.delta * got.share + delta * share) / tot,
            )
    return sorted(by_name.values(), key=lambda c: -c.share)


def _fold_blends(colours: list[_Colour]) -> list[_Colour]:
    """In a woven check the crossings mix the two yarn colours; a cluster that is the
    half-way mix of two larger ones is shared out between them, not named as a colour."""
    out = list(colours)
    changed = True
    while changed and len(out) > 2:
        changed = False
        for i, c in enumerate(out):
            others = [o for j, o in enumerate(out) if j != i]
            for a in others:
                for b in others:
                    if a is b or a.share + b.share < c.share * 0.5:
                        continue
                    ab = b.rgb - a.rgb
                    span = float(ab @ ab)
                    if span < 900:  # the two ends must really differ (~30 RGB units)
                        continue
                    t = float((c.rgb - a.rgb) @ ab / span)
                    resid = float(np.linalg.norm(a.rgb + t * ab - c.rgb))
                    if 0.2 < t < 0.8 and resid < 14:
                        share_a = a.share + c.share * (1 - t)
                        share_b = b.share + c.share * t
                        out = [
                            _Colour(o.name, share_a, o.rgb, o.lab, o.delta)
                            if o is a
                            else _Colour(o.name, share_b, o.rgb, o.lab, o.delta)
                            if o is b
                            else o
                            for o in out
                            if o is not c
                        ]
                        changed = True
                        break
                if changed:
                    break
            if changed:
                break
    return sorted(out, key=lambda c: -c.share)


# --- pattern ------------------------------------------------------------------------


@dataclass
class _Pattern:
    kind: str | None  # a taxonomy pattern, "print" (patterned, kind unknown) or None
    confidence: float
    orientation: str | None = None
    contrast: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)


def _autocorrelation(signal: F64, mask: Mask) -> tuple[F64, F64]:
    """Normalised autocorrelation of a masked signal, and the overlap count per shift
    (both fft-shifted so zero lag is at the centre)."""
    h, w = signal.shape
    s = np.where(mask, signal, 0.0)
    m = mask.astype(np.float64)
    shape = (2 * h, 2 * w)
    fs = np.fft.rfft2(s, shape)
    fm = np.fft.rfft2(m, shape)
    acs = np.fft.irfft2(fs * np.conj(fs), shape)
    acm = np.fft.irfft2(fm * np.conj(fm), shape)
    overlap = np.maximum(acm, 1e-9)
    r = acs / overlap
    r = r / max(float(r[0, 0]), 1e-12)
    return np.fft.fftshift(r), np.fft.fftshift(acm)


def _profiles(r: F64, overlap: F64, n_angles: int = 36) -> tuple[F64, F64, int]:
    """R along rays through zero lag: angles (degrees, 0 = horizontal) x radius."""
    h2, w2 = r.shape
    cy, cx = h2 // 2, w2 // 2
    full = float(overlap[cy, cx])
    # Only shifts where enough of the garment overlaps itself are trustworthy.
    usable = overlap >= 0.3 * full
    reach = 0
    for rad in range(2, min(cy, cx)):
        ok = all(
            usable[cy + round(rad * np.sin(a)), cx + round(rad * np.cos(a))]
            for a in (0.0, np.pi / 2, np.pi / 4, 3 * np.pi / 4)
        )
        if not ok:
            break
        reach = rad
    angles = np.arange(n_angles) * (180.0 / n_angles)
    radii = np.arange(1, max(reach, 2) + 1)
    th = np.radians(angles)[:, None]
    ys = np.clip(np.round(cy - radii[None, :] * np.sin(th)).astype(int), 0, h2 - 1)
    xs = np.clip(np.round(cx + radii[None, :] * np.cos(th)).astype(int), 0, w2 - 1)
    return np.asarray(angles, dtype=np.float64), np.asarray(r[ys, xs], dtype=np.float64), reach


def _periodic(profile: F64) -> tuple[float, float]:
    """(depth, rebound) of a 1-D correlation profile: how far it falls, and how high it
    climbs again after its first minimum (a repeat); 0 rebound: no repeat seen."""
    if len(profile) < 4:
        return 0.0, 0.0
    i_min = int(np.argmin(profile))
    low = float(profile[i_min])
    after = profile[i_min:]
    rebound = float(after.max() - low) if len(after) > 1 else 0.0
    peak = float(after.max())
    return 1.0 - low, rebound if peak > 0.2 else 0.0


def _pattern(lab: F64, mask: Mask) -> _Pattern:
    pix = lab[mask]
    if len(pix) < 200:
        return _Pattern(None, 0.0)
    mean = pix.mean(axis=0)
    centred = pix - mean
    cov = centred.T @ centred / len(pix)
    evals, evecs = np.linalg.eigh(cov)
    axis = evecs[:, -1]
    spread = float(np.sqrt(max(evals[-1], 0.0)))
    # Texture below this spread (CIELAB units) is fabric grain or shading, not a print.
    if spread < 5.0:
        conf = float(np.clip(1.0 - spread / 10.0, 0.5, 0.97))
        return _Pattern(SOLID, conf, contrast=spread, stats={"spread": spread})
    signal = (lab - mean) @ axis
    # Share of the garment near its commonest colour: seams, buttons and outlines on a
    # plain fabric leave this high.
    median = np.median(pix, axis=0)
    dominant = float((np.linalg.norm(pix - median, axis=1) < 10).mean())
    s = signal[mask]
    thr = (np.percentile(s, 5) + np.percentile(s, 95)) / 2
    minority = float(min((s > thr).mean(), (s <= thr).mean()))

    def plain_or_print(stats: dict[str, float]) -> _Pattern:
        if dominant >= 0.8:
            conf = float(np.clip(0.5 + (dominant - 0.8) * 2.5, 0.5, 0.9))
            return _Pattern(SOLID, conf, contrast=spread, stats=stats)
        # Patterned, but not one the statistics can name (floral, paisley, abstract ...).
        return _Pattern("print", 0.3, None, spread, stats)

    r, overlap = _autocorrelation(signal, mask)
    angles, prof, reach = _profiles(r, overlap)
    stats: dict[str, float] = {
        "spread": spread,
        "reach": float(reach),
        "dominant": dominant,
        "minority": minority,
    }
    if reach < 8:
        return plain_or_print(stats)
    lo = max(2, reach // 10)
    along = prof[:, lo:].mean(axis=1)  # coherence: correlation kept along each direction
    best = int(np.argmax(along))
    coh = float(along[best])
    n = len(angles)
    perp = (best + n // 2) % n
    _, rebound = _periodic(prof[perp])
    stats.update({"coherence": coh, "angle": float(angles[best]), "rebound": rebound})
    # Stripes: near-perfect correlation along one direction, a repeat across it.
    if coh > 0.7 and rebound > 0.5 and minority > 0.1:
        ang = float(angles[best])
        if ang < 15 or ang > 165:
            orient = "horizontal"
        elif 75 < ang < 105:
            orient = "vertical"
        else:
            orient = "diagonal"
        conf = float(np.clip(0.4 + 0.6 * min(coh, rebound / 1.2), 0.0, 0.97))
        return _Pattern(STRIPED, conf, orient, spread, stats)
    # A check: two orthogonal directions with partial, lasting correlation, each repeating.
    i0, i90 = 0, n // 2
    c0, c90 = float(along[i0]), float(along[i90])
    _, reb0 = _periodic(prof[i0])
    _, reb90 = _periodic(prof[i90])
    diag = [float(along[(i0 + n // 4) % n]), float(along[(i90 + n // 4) % n])]
    stats.update({"c0": c0, "c90": c90, "reb0": reb0, "reb90": reb90, "diag": max(diag)})
    if min(c0, c90) > 0.2 and min(reb0, reb90) > 0.3 and min(c0, c90) > max(diag) + 0.1:
        conf = float(np.clip(0.45 + min(c0, c90) + 0.3 * min(reb0, reb90), 0.0, 0.95))
        return _Pattern(CHECK, conf, None, spread, stats)
    # Dots: no direction keeps correlation, yet the field repeats in every direction.
    rebounds = np.array([_periodic(p)[1] for p in prof])
    stats.update({"rebound_min": float(rebounds.min()), "rebound_med": float(np.median(rebounds))})
    if coh < 0.45 and float(np.median(rebounds)) > 0.35:
        # Blobs: the minority side of the main colour axis is small.
        if 0.03 < minority < 0.4:
            conf = float(np.clip(0.4 + 0.6 * float(np.median(rebounds)), 0.0, 0.92))
            return _Pattern(DOTS, conf, None, spread, stats)
    return plain_or_print(stats)


# --- shape --------------------------------------------------------------------------


@dataclass
class _Shape:
    garment_type: str | None
    type_confidence: float
    silhouette: str | None
    silhouette_confidence: float
    top: str | None = None
    bottom: str | None = None
    features: dict[str, float] = field(default_factory=dict)


def _runs(row: Mask, min_gap: int) -> list[tuple[int, int]]:
    """Filled runs of a mask row, joining gaps narrower than `min_gap`."""
    idx = np.flatnonzero(row)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > min_gap)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _shape(garment: Mask) -> _Shape:
    ys, xs = np.nonzero(garment)
    if len(ys) < 400:
        return _Shape(None, 0.0, None, 0.0)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    m = garment[y0 : y1 + 1, x0 : x1 + 1]
    h, w = m.shape
    aspect = h / max(w, 1)
    min_gap = max(2, round(w * 0.04))
    widths = m.sum(axis=1).astype(np.float64)
    runs = [_runs(m[i], min_gap) for i in range(h)]
    span = np.array([(rr[-1][1] - rr[0][0] + 1) if rr else 0 for rr in runs], dtype=np.float64)

    def frac(a: float, b: float) -> slice:
        return slice(int(a * h), max(int(a * h) + 1, int(b * h)))

    def two_legs(i: int) -> bool:
        rr = runs[i]
        if len(rr) != 2:
            return False
        (a0, a1), (b0, b1) = rr
        wa, wb = a1 - a0 + 1, b1 - b0 + 1
        # Legs: two similar pieces either side of the middle.
        mid = w / 2
        return 0.5 < wa / max(wb, 1) < 2.0 and a1 < mid + w * 0.1 and b0 > mid - w * 0.1

    bottom_rows = range(int(0.8 * h), h)
    legs = float(np.mean([two_legs(i) for i in bottom_rows])) if h > 10 else 0.0
    # A waistband is a flat top edge: every column reaching the top 15% starts at the very
    # top. A bodice starts with straps, shoulders and a neckline at different heights.
    first = np.where(m.any(axis=0), np.argmax(m, axis=0), h)
    reaching = first < 0.15 * h
    top_flat = float((first[reaching] <= 0.03 * h + 1).mean()) if reaching.any() else 0.0
    upper = float(widths[frac(0.05, 0.2)].mean() / w)
    waist_region = widths[frac(0.2, 0.6)]
    waist = float(waist_region.min() / w) if len(waist_region) else 0.0
    hem = float(span[frac(0.9, 0.98)].mean() / w)
    hip = float(span[frac(0.55, 0.7)].mean() / w)
    feats = {
        "aspect": aspect,
        "legs": legs,
        "top_flat": top_flat,
        "upper": upper,
        "waist": waist,
        "hip": hip,
        "hem": hem,
    }
    # Sleeves hanging beside the body: three pieces side by side in a row.
    arms = float(np.mean([len(runs[i]) >= 3 for i in range(int(0.2 * h), int(0.8 * h))]))
    top_w = float(widths[frac(0.0, 0.04)].mean() / w)
    feats.update({"arms": arms, "top_w": top_w})
    gtype: str | None = None
    conf = 0.0
    # A waistband spans the waist at once (straps also start at the top, but narrow).
    flat = top_flat > 0.8 and top_w > 0.8 * waist
    # A bodice is wider than the waist below it; a skirt only widens from its waistband.
    bodice = top_w > waist + 0.08
    if legs > 0.6:
        if flat and aspect >= 1.7:
            gtype, conf = "pants", 0.8
        elif flat and aspect <= 1.2:
            gtype, conf = "shorts", 0.7
        elif not flat and aspect > 2.4:
            gtype, conf = "jumpsuit", 0.6
    elif legs < 0.1:
        if flat and not bodice and arms < 0.05 and aspect < 1.6:
            gtype, conf = "skirt", 0.65
        elif (not flat or bodice) and aspect >= 0.9 and hem > 0.8 and waist < 0.6:
            # A bodice over a skirt that widens to its hem.
            gtype, conf = "dress", 0.6
        elif not flat and aspect < 1.2 and hem < 0.8:
            # Measured (bench/analyzer.py): right about a quarter of the time, as coats,
            # jackets, sweaters and t-shirts all have this outline: the record says it,
            # the spec does not.
            gtype, conf = "top", 0.3
    silhouette: str | None = None
    sconf = 0.0
    if gtype in ("dress", "skirt"):
        lower = m[frac(0.5, 1.0)]
        # Width of the main body only (sleeves off to the side are not the skirt).
        flare = hem / max(hip, 1e-6)
        feats["flare"] = flare
        # Confidences as measured on renderer flats (bench/analyzer.py): an outline that
        # flares reads as a-line about half the time (fit-and-flare, tiered and skater
        # cuts flare too), so a-line and the straight cuts stay in the record only.
        if 1.3 < flare < 1.9 and hem > 0.75:
            silhouette, sconf = "a-line", 0.45
        elif flare > 2.1 and hip < 0.45 and gtype == "dress":
            # Narrow to the knee, then a wide hem.
            silhouette, sconf = "mermaid", 0.6
        elif flare < 1.08 and lower.mean() > 0.0:
            silhouette, sconf = ("sheath" if gtype == "dress" else "pencil"), 0.4
    top = bottom = None
    if gtype in ("dress", "top", "jumpsuit"):
        top = "bodice"
    if gtype in ("skirt", "pants", "shorts", "jumpsuit"):
        bottom = {"skirt": "skirt", "pants": "trousers", "shorts": "shorts"}.get(gtype, "trousers")
    return _Shape(gtype, conf, silhouette, sconf, top, bottom, feats)


# --- the analysis -------------------------------------------------------------------


def analyze_image(data: bytes, image_id: str | None = None) -> Analysis:
    """Synchronous analysis (CPU-bound; `LocalAnalyzer.analyze` runs it in a thread)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    dec = _decode(data)
    t1 = time.perf_counter()
    timings["decode_ms"] = (t1 - t0) * 1000

    small = _resize(dec.rgb, WORK_SIDE)
    small_alpha = _resize(dec.alpha, WORK_SIDE) if dec.alpha is not None else None
    lab_small = to_lab(small)
    seg = _segment(lab_small, small, small_alpha)
    garment = seg.garment
    # The outline and anti-aliased edge are not the fabric.
    inner = _erode(garment, 2) if seg.separated else garment
    if inner.sum() < 0.3 * garment.sum():
        inner = garment
    t2 = time.perf_counter()
    timings["segment_ms"] = (t2 - t1) * 1000

    colours = _colours(lab_small[inner], small[inner])

    # Texture at a finer scale: the garment's bounding box from the detailed copy.
    ys, xs = np.nonzero(garment)
    sh, sw = garment.shape
    dh, dw = dec.rgb.shape[:2]
    ky, kx = dh / sh, dw / sw
    by0, by1 = int(ys.min() * ky), int((ys.max() + 1) * ky)
    bx0, bx1 = int(xs.min() * kx), int((xs.max() + 1) * kx)
    crop = _resize(dec.rgb[by0:by1, bx0:bx1], PATTERN_SIDE)
    ch, cw = crop.shape[:2]
    mask_img = Image.fromarray(
        (inner[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] * 255).astype(np.uint8)
    )
    crop_mask = np.asarray(mask_img.resize((cw, ch), Image.Resampling.NEAREST)) > 127
    if seg.separated:
        crop_mask = _erode(crop_mask, 2)
    pattern = _pattern(to_lab(crop), crop_mask)
    if pattern.kind == CHECK:
        colours = _fold_blends(colours)
        named = [c for c in colours if c.share >= 0.08]
        if len(named) >= 3:
            pattern = _Pattern(PLAID, pattern.confidence, None, pattern.contrast, pattern.stats)
    t3 = time.perf_counter()
    timings["colour_pattern_ms"] = (t3 - t2) * 1000

    shape = _shape(garment) if seg.separated else _Shape(None, 0.0, None, 0.0)
    timings["shape_ms"] = (time.perf_counter() - t3) * 1000
    timings["total_ms"] = (time.perf_counter() - t0) * 1000
    return _build(image_id, dec, seg, colours, pattern, shape, timings)


def _build(
    image_id: str | None,
    dec: _Decoded,
    seg: _Segmentation,
    colours: list[_Colour],
    pattern: _Pattern,
    shape: _Shape,
    timings: dict[str, float],
) -> Analysis:
    spec = GarmentSpec()
    confidence: dict[str, float] = {}

    spec_colours = [c for c in colours if c.share >= SPEC_COLOR_SHARE][:3]
    if spec_colours:
        first = spec_colours[0]
        # Close to a named colour and covering much of the garment: a sure name.
        conf = float(np.clip(1.0 - first.delta / 25.0, 0.0, 1.0) * min(1.0, 0.5 + first.share))
        if conf >= MIN_CONFIDENCE:
            spec.colors = [c.name for c in spec_colours]
            confidence["colors"] = round(conf, 3)
    pattern_value = pattern.kind if pattern.kind not in (None, "print") else None
    if pattern_value is not None and pattern.confidence >= MIN_CONFIDENCE:
        spec.patterns = [pattern_value]
        confidence["patterns"] = round(pattern.confidence, 3)
    else:
        pattern_value = None
    garment_type = shape.garment_type if shape.type_confidence >= MIN_CONFIDENCE else None
    if garment_type is not None:
        spec.garment_type = garment_type
        confidence["garment_type"] = round(shape.type_confidence, 3)
    silhouette = (
        shape.silhouette
        if garment_type is not None and shape.silhouette_confidence >= MIN_CONFIDENCE
        else None
    )
    if silhouette is not None:
        spec.silhouette = silhouette
        confidence["silhouette"] = round(shape.silhouette_confidence, 3)

    primary = colours[0].name if colours and "colors" in confidence else None
    secondary = (
        colours[1].name
        if primary is not None and len(colours) > 1 and colours[1].share >= 0.1
        else None
    )
    pat_record: dict[str, Any] = {
        "type": pattern.kind if pattern.kind == "print" else pattern_value,
        "foreground": None,
        "background": None,
        "ratio_foreground": None,
        "orientation": pattern.orientation if pattern_value == STRIPED else None,
    }
    if pattern_value not in (None, SOLID) and len(colours) > 1:
        ground, figure = colours[0], colours[1]
        pat_record["background"] = ground.name
        pat_record["foreground"] = figure.name
        pat_record["ratio_foreground"] = round(figure.share / (ground.share + figure.share), 3)
    elif pattern_value == SOLID and colours:
        pat_record["background"] = colours[0].name
        pat_record["ratio_foreground"] = 0.0

    palette = [
        {"name": c.name, "hex": _hex(c.rgb), "proportion": round(c.share, 3)}
        for c in colours
        if c.share >= 0.03
    ][:6]
    prompt = _describe(spec, pattern.orientation if pattern_value == STRIPED else None)
    record_conf = {k: v for k, v in confidence.items()}
    record: dict[str, Any] = {
        "image_id": image_id,
        "garment_type": garment_type,
        "silhouette": silhouette,
        "fabric": {"type": None, "texture": None, "weight": None, "finish": None},
        "garment": {
            "top": shape.top if garment_type else None,
            "bottom": shape.bottom if garment_type else None,
            "top_style": None,
            "top_sleeve": None,
        },
        "colors": {"primary": primary, "secondary": secondary, "pattern": pat_record},
        "color_palette": palette,
        "construction": {"seams": None, "stitching": None, "hems": None, "closure": None},
        "fit_and_drape": None,
        "details": [],
        "prompt_text": prompt,
        "confidence": record_conf,
        "version": RECORD_VERSION,
        "background": _hex(seg.background_rgb) if seg.background_rgb is not None else None,
        "analyzer": "local",
        "image": {"width": dec.width, "height": dec.height},
    }
    return Analysis(
        record=record,
        spec=spec,
        confidence=confidence,
        provider=LocalAnalyzer.name,
        model=None,
        prompt_text=prompt,
        billable=False,
        cached=False,
        timings={k: round(v, 3) for k, v in timings.items()},
    )


def _describe(spec: GarmentSpec, orientation: str | None) -> str:
    words: list[str] = []
    if spec.colors:
        words.append(" and ".join(spec.colors[:2]) if len(spec.colors) > 1 else spec.colors[0])
    if spec.patterns and spec.patterns[0] != SOLID:
        pat = spec.patterns[0]
        words.append(f"{orientation} {pat}" if orientation else pat)
    elif spec.patterns:
        words.append("solid")
    if spec.silhouette:
        words.append(spec.silhouette)
    words.append(spec.garment_type or "garment")
    return " ".join(words).replace("-", " ").capitalize()


class LocalAnalyzer(ImageAnalyzer):
    """The embedded default analyzer: pixel statistics only, never billable."""

    name = "local-analyzer"

    async def analyze(self, data: bytes, *, image_id: str | None = None) -> Analysis:
        return await asyncio.to_thread(analyze_image, data, image_id)

    async def health(self) -> AnalyzerHealth:
        # Healthy only if it can really run: analyse a small drawn image end to end.
        try:
            buf = io.BytesIO()
            probe = Image.new("RGB", (64, 64), (248, 247, 244))
            probe.paste((30, 42, 84), (20, 12, 44, 56))
            probe.save(buf, "PNG")
            result = await asyncio.to_thread(analyze_image, buf.getvalue(), None)
        except Exception as exc:  # any failure means the analyzer cannot run
            return AnalyzerHealth("unhealthy", "local://analyzer", f"{type(exc).__name__}: {exc}")
        if result.spec.colors[:1] != ["navy"]:
            return AnalyzerHealth("unhealthy", "local://analyzer", "self-check misread a colour")
        return AnalyzerHealth("healthy", "local://analyzer", "numpy and Pillow analysis")
