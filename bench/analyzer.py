"""How well does the local analyzer read a garment picture? Labelled images in, accuracy
per field out.

    .venv/bin/python bench/analyzer.py [--n 200] [--seed 1] [--size 1024] [--swatches 0.3]
                                       [--errors 0]

The labelled set:
- local renderer flats (`render_flat`) from varied specs: garment type, pattern and
  colours chosen here, the rest left to the renderer. The labels are what the renderer
  reports it drew (`resolved_spec`); the stripe direction is read from the renderer's own
  print for that seed;
- fabric swatches drawn here: flat fields (no background, no garment) of solid, striped
  (vertical / horizontal / diagonal), check, polka-dot and a random floral-like print, in
  taxonomy colours (the renderer's RGB), with a little noise. A swatch has no garment
  type: a non-null one counts as a wrong claim.

Prints, per set and field: coverage (share non-null), accuracy over all images, accuracy
over the non-null answers, and milliseconds per image (median, p95). Fields: primary
colour exact; the labelled primary colour among the analyzer's colours (top 3); pattern
(the check family plaid/gingham/check counts as one; a print the analyzer cannot name,
floral and the like, is right only as null); stripe orientation (striped images);
garment type; silhouette.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from designer_bff.generation.renderer import _rng as renderer_rng
from designer_bff.generation.renderer import render_flat
from designer_bff.generation.renderer.geometry import Tile
from designer_bff.generation.renderer.palette import COLORS, luminance
from designer_bff.generation.renderer.patterns import SHEER, Roles, make_print
from designer_bff.vlt.local import analyze_image, delta_e2000, to_lab

# Garment types drawn, weighted towards the ones a silhouette can tell apart; the rest
# are there to measure wrong claims.
GARMENT_WEIGHTS: dict[str, float] = {
    "dress": 4,
    "skirt": 2,
    "pants": 2,
    "shorts": 1,
    "jumpsuit": 1,
    "top": 1.5,
    "t-shirt": 0.5,
    "blouse": 0.5,
    "gown": 0.7,
    "coat": 0.7,
    "jacket": 0.5,
    "sweater": 0.5,
    "jeans": 0.5,
}
PATTERN_WEIGHTS: dict[str, float] = {
    "solid": 4,
    "striped": 3,
    "check": 1,
    "gingham": 1,
    "plaid": 1,
    "polka-dot": 2,
    "floral": 1.5,
}
CHECKS = {"check", "gingham", "plaid"}
NAMED = ("solid", "striped", "polka-dot", *CHECKS)


@dataclass
class Case:
    source: str  # "render" or "swatch"
    png: bytes
    primary: str
    colors: list[str]
    pattern: str
    orientation: str | None
    garment_type: str | None
    silhouette: str | None
    label: str = ""


@dataclass
class Tally:
    n: int = 0
    answered: int = 0
    right: int = 0
    right_answered: int = 0

    def add(self, answered: bool, right: bool) -> None:
        self.n += 1
        self.answered += int(answered)
        self.right += int(right)
        self.right_answered += int(right and answered)

    def row(self, name: str) -> str:
        if self.n == 0:
            return f"  {name:<22} {'-':>6}"
        cov = self.answered / self.n
        acc = self.right / self.n
        prec = f"{self.right_answered / self.answered:6.1%}" if self.answered else "     -"
        return f"  {name:<22} {self.n:>5}  {cov:8.1%}  {acc:8.1%}  {prec:>9}"


@dataclass
class Report:
    fields: dict[str, Tally] = field(default_factory=dict)
    ms: list[float] = field(default_factory=list)
    confusion: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def tally(self, name: str) -> Tally:
        return self.fields.setdefault(name, Tally())


def _contrasting_pair(rng: random.Random) -> tuple[str, str]:
    names = sorted(COLORS)
    while True:
        a, b = rng.sample(names, 2)
        la, lb = to_lab(np.array([COLORS[a], COLORS[b]], dtype=np.uint8))
        if float(delta_e2000(la, lb)) > 25:
            return a, b


def _stripe_orientation(seed: int) -> str:
    # The renderer's own stripe print for this seed: its first draws pick the direction.
    probe = make_print(
        "striped",
        None,
        (0.0, 0.0, 1000.0, 1000.0),
        20.0,
        Roles((0, 0, 0), (255, 255, 255), (128, 128, 128), (200, 0, 0), 2),
        renderer_rng(seed, "print"),
    )
    tile = probe.prims[0]
    if not isinstance(tile, Tile):
        return "diagonal"
    stripe = tile.prims[1]
    xs = [p[0] for p in getattr(stripe, "pts", ())]
    return "vertical" if max(xs) - min(xs) < tile.w * 0.99 else "horizontal"


def _render_case(rng: random.Random, seed: int, size: int) -> Case:
    garment = rng.choices(list(GARMENT_WEIGHTS), list(GARMENT_WEIGHTS.values()))[0]
    pattern = rng.choices(list(PATTERN_WEIGHTS), list(PATTERN_WEIGHTS.values()))[0]
    spec: dict[str, Any] = {"garment_type": garment, "patterns": [pattern]}
    if rng.random() < 0.8:
        a, b = _contrasting_pair(rng)
        spec["colors"] = [a] if pattern == "solid" else [a, b]
    flat = render_flat(spec, seed, size)
    rs = flat.resolved_spec
    colors = list(rs["colors"])
    drawn = rs["patterns"][0]
    primary = colors[0]
    if drawn == "gingham" and len(colors) > 1:
        # A gingham's ground is its lighter colour, whatever order it was named in.
        primary = max(colors[:2], key=lambda c: luminance(COLORS[c]))
    return Case(
        "render",
        flat.png,
        primary,
        colors,
        drawn,
        _stripe_orientation(seed) if drawn == "striped" else None,
        rs["garment_type"],
        rs["silhouette"],
        f"{garment} {drawn} {'/'.join(colors)} {rs['fabrics'][0]} seed={seed}",
    )


def _swatch_case(rng: random.Random, size: int) -> Case:
    kind = rng.choice(("solid", "striped", "check", "polka-dot", "floral"))
    a, b = _contrasting_pair(rng)
    ca, cb = np.array(COLORS[a], dtype=np.float64), np.array(COLORS[b], dtype=np.float64)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    period = rng.uniform(0.04, 0.12) * size
    ratio = rng.uniform(0.2, 0.5)
    orientation: str | None = None
    colors = [a, b]
    if kind == "solid":
        frac = np.zeros((size, size))
        colors = [a]
    elif kind == "striped":
        orientation = rng.choice(("vertical", "horizontal", "diagonal"))
        ang = {"vertical": 0.0, "horizontal": 90.0}.get(
            orientation, rng.choice((35.0, 45.0, 135.0))
        )
        t = math.radians(ang)
        coord = xx * math.cos(t) + yy * math.sin(t)
        frac = ((coord % period) < period * ratio).astype(np.float64)
    elif kind == "check":
        bx = (xx % period) < period / 2
        by = (yy % period) < period / 2
        frac = (bx.astype(float) + by.astype(float)) / 2  # woven: crossings full, bands half
    elif kind == "polka-dot":
        w, h = period, period * math.sqrt(3)
        r = period * rng.uniform(0.16, 0.28)
        dx = (xx % w) - w / 2
        dy = (yy % h) - h / 2
        d1 = np.hypot(dx, dy)
        d2 = np.hypot(((xx + w / 2) % w) - w / 2, ((yy + h / 2) % h) - h / 2)
        frac = (np.minimum(d1, d2) < r).astype(np.float64)
    else:
        img = Image.new("RGB", (size, size), tuple(int(v) for v in ca))
        d = ImageDraw.Draw(img)
        palette = [COLORS[c] for c in rng.sample(sorted(COLORS), 3)]
        for _ in range(int(60 * (size / 512) ** 2)):
            x, y = rng.uniform(0, size), rng.uniform(0, size)
            rad = rng.uniform(0.02, 0.06) * size
            for k in range(5):
                ang = 2 * math.pi * k / 5 + rng.uniform(0, 1)
                px, py = x + math.cos(ang) * rad * 0.6, y + math.sin(ang) * rad * 0.6
                d.ellipse(
                    (px - rad * 0.4, py - rad * 0.4, px + rad * 0.4, py + rad * 0.4),
                    fill=palette[k % 3],
                )
        arr = np.asarray(img, dtype=np.float64)
        frac = np.zeros((size, size))
        colors = [a]
    if kind != "floral":
        arr = ca * (1 - frac[..., None]) + cb * frac[..., None]
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 2.0, arr.shape)
    out = np.clip(arr + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, "PNG", compress_level=1)
    # The labelled primary: the colour covering most of the field.
    primary = a if kind in ("solid", "floral") or float(frac.mean()) <= 0.5 else b
    return Case(
        "swatch",
        buf.getvalue(),
        primary,
        colors,
        kind,
        orientation,
        None,
        None,
        f"swatch {kind} {orientation or ''} {a}/{b}",
    )


def _family(pattern: str | None) -> str | None:
    if pattern is None:
        return None
    if pattern in CHECKS:
        return "check"
    return pattern if pattern in NAMED else "print"


def _score(case: Case, report: Report, errors: list[str]) -> None:
    t0 = time.perf_counter()
    a = analyze_image(case.png, "bench")
    report.ms.append((time.perf_counter() - t0) * 1000)
    spec = a.spec
    got_primary = spec.colors[0] if spec.colors else None
    report.tally("primary colour").add(got_primary is not None, got_primary == case.primary)
    report.tally("colour in top 3").add(bool(spec.colors), case.primary in spec.colors[:3])
    # Where the primary is missed: per pattern family, and on sheer fabrics (they show
    # the backdrop through them) apart from opaque ones.
    sheer = "sheer" if any(f in case.label for f in SHEER) else "opaque"
    for part in (_family(case.pattern) or "-", sheer):
        report.tally(f"  primary: {part}").add(got_primary is not None, got_primary == case.primary)
    got_pat = spec.patterns[0] if spec.patterns else None
    want = _family(case.pattern)
    if want == "print":
        # Right only as an honest null: the analyzer cannot name floral and the like.
        report.tally("pattern").add(got_pat is not None, got_pat is None)
    else:
        report.tally("pattern").add(got_pat is not None, _family(got_pat) == want)
    report.confusion[("pattern", want or "-", _family(got_pat) or "null")] += 1
    if case.pattern == "striped":
        got_or = a.record["colors"]["pattern"]["orientation"]
        report.tally("stripe orientation").add(got_or is not None, got_or == case.orientation)
    report.tally("garment type").add(
        spec.garment_type is not None, spec.garment_type == case.garment_type
    )
    report.confusion[("garment", case.garment_type or "-", spec.garment_type or "null")] += 1
    report.tally("silhouette").add(spec.silhouette is not None, spec.silhouette == case.silhouette)
    wrong = []
    if got_primary != case.primary:
        wrong.append(
            f"colour {got_primary} (palette {[p['name'] for p in a.record['color_palette']]})"
        )
    if (want == "print" and got_pat is not None) or (want != "print" and _family(got_pat) != want):
        wrong.append(f"pattern {got_pat}")
    if spec.garment_type is not None and spec.garment_type != case.garment_type:
        wrong.append(f"type {spec.garment_type}")
    if wrong:
        errors.append(f"{case.label}: " + "; ".join(wrong))


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="labelled images in all")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=int, default=1024, help="renderer output size (px)")
    ap.add_argument("--swatches", type=float, default=0.3, help="share of fabric swatches")
    ap.add_argument("--errors", type=int, default=0, help="print this many misreads")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    n_sw = round(args.n * args.swatches)
    cases = [_render_case(rng, args.seed * 100_000 + i, args.size) for i in range(args.n - n_sw)]
    cases += [_swatch_case(rng, 512) for _ in range(n_sw)]
    analyze_image(cases[0].png)  # warm caches and imports before timing

    reports: dict[str, Report] = {"render": Report(), "swatch": Report()}
    errors: list[str] = []
    for case in cases:
        _score(case, reports[case.source], errors)

    for source, rep in reports.items():
        if not rep.ms:
            continue
        title = "renderer flats" if source == "render" else "fabric swatches"
        print(f"\n{title}: {len(rep.ms)} images")
        print(f"  {'field':<22} {'n':>5}  {'coverage':>8}  {'accuracy':>8}  {'when set':>9}")
        order = sorted(rep.fields, key=lambda k: (k.startswith(" "), k))
        for name in sorted(order, key=lambda k: k.startswith(" ")):
            print(rep.fields[name].row(name))
        print(
            f"  ms per image: median {statistics.median(rep.ms):.1f}, p95 {_pct(rep.ms, 0.95):.1f}"
        )
    conf: Counter[tuple[str, str, str]] = Counter()
    for rep in reports.values():
        conf.update(rep.confusion)
    for kind in ("pattern", "garment"):
        print(f"\n{kind} (labelled -> read: count)")
        reads: dict[str, list[str]] = {}
        for (k, want, got), c in sorted(conf.items()):
            if k == kind:
                reads.setdefault(want, []).append(f"{got} {c}")
        for want, got_list in reads.items():
            print(f"  {want:<12} -> {', '.join(got_list)}")
    if args.errors:
        print(f"\nmisreads ({len(errors)}), first {args.errors}:")
        for line in errors[: args.errors]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
