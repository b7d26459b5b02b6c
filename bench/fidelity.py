"""Does what a designer asks for show in every design? Commands through the real parser,
the prompt builder and the local renderer, checked design by design.

    .venv/bin/python bench/fidelity.py [--designs 10] [--out DIR] [--size 256] [--show 40]

Each command below is what a designer might type, with what they meant written by hand
(`expect`: attribute=value, `-attribute=value` for an exclusion). Every command makes
`--designs` designs the way the service does (`parsed_specs`, then per design
`build_prompt(spec, family="flat", seed=batch_seed(job), index=seq)` and
`render_flat(filled spec, seed)`), and each design is checked against what the renderer
reports it drew (`resolved_spec`) and, where cheap, its pixels:

- stated: every attribute the command gave (parsed, or meant and missed by the parser)
  is drawn as given: garment, silhouette, length, neckline, sleeve, print, fabric (and a
  fabric looks like itself where the print and colours were left open: denim is a solid
  in denim shades), styles, palettes (every colour drawn from the palette), colours (all
  drawn, the first as the main colour, and the main colour is what the garment's pixels
  show), details; every exclusion is absent (excluded colours also from the pixels);
- style fit: what the command left open lies inside the named styles' rules
  (`garments/style_rules.yaml`), where the rules leave something this garment can be
  (a bohemian corset is still boned: not counted).

Prints the two shares (targets: stated 100%, style fit >= 95%), what the parser missed,
and every failure; writes one contact sheet per command (the designs, the command as
caption, failed designs framed in red) under --out (a new temporary folder by default).
Exits 1 when a share is under its target.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from designer_bff.commands.parser import parse_command
from designer_bff.garments.spec import BY_FIELD, EXCLUDE_FAMILY, GarmentSpec
from designer_bff.garments.style_rules import get_style_rules
from designer_bff.generation.engine import batch_seed, design_seed
from designer_bff.generation.prompt import build_prompt
from designer_bff.generation.renderer import BACKGROUND, render_flat
from designer_bff.generation.renderer.palette import COLORS, INK, PALETTES
from designer_bff.generation.renderer.patterns import SHEER
from designer_bff.generation.renderer.spec_resolve import palette_pool
from designer_bff.generation.renderer.weights import get_render_weights
from designer_bff.generation.service import parsed_specs

STATED_TARGET = 1.0
STYLE_TARGET = 0.95

# (command, what the designer meant). Exclusions are `-attribute=value`; lists a,b.
COMMANDS: list[tuple[str, str]] = [
    # the reports that started this
    (
        "5 cropped denim jackets with patch pockets",
        "garment_type=jacket length=cropped fabrics=denim details=pocket",
    ),
    (
        "3 minimalist blazers in navy wool, no lapels",
        "garment_type=blazer styles=minimalist colors=navy fabrics=wool -neckline=collared",
    ),
    ("10 bohemian style dresses", "garment_type=dress styles=bohemian"),
    (
        "make me 10 bohemian style dresses in earthy tones",
        "garment_type=dress styles=bohemian palettes=earth-tones",
    ),
    # styles
    (
        "4 western shirts with fringe, no black",
        "garment_type=shirt styles=western details=fringe -colors=black",
    ),
    (
        "6 preppy pleated skirts in plaid",
        "garment_type=skirt styles=preppy patterns=plaid details=pleat",
    ),
    ("punk leather jackets", "garment_type=jacket styles=punk fabrics=leather"),
    (
        "3 romantic lace gowns off the shoulder",
        "garment_type=gown styles=romantic fabrics=lace neckline=off-shoulder",
    ),
    ("10 bohemian dresses without florals", "garment_type=dress styles=bohemian -patterns=floral"),
    ("minimalist dresses, no black", "garment_type=dress styles=minimalist -colors=black"),
    ("5 edgy dresses, no leather", "garment_type=dress styles=edgy -fabrics=leather"),
    (
        "oversized hoodies in charcoal, streetwear",
        "garment_type=hoodie silhouette=oversized colors=charcoal styles=streetwear",
    ),
    (
        "cottagecore dresses in gingham with puff sleeves",
        "garment_type=dress styles=cottagecore patterns=gingham sleeve=puff",
    ),
    (
        "y2k mini skirts in pink satin",
        "garment_type=skirt styles=y2k length=mini colors=pink fabrics=satin",
    ),
    ("sporty color block t-shirts", "garment_type=t-shirt styles=sporty patterns=color-block"),
    ("avant-garde one shoulder tops", "garment_type=top styles=avant-garde neckline=one-shoulder"),
    (
        "coastal striped shirts in navy and white",
        "garment_type=shirt styles=coastal patterns=striped colors=navy,white",
    ),
    ("parisian polka dot blouses", "garment_type=blouse styles=parisian patterns=polka-dot"),
    (
        "utility jumpsuits in olive with pockets",
        "garment_type=jumpsuit styles=utilitarian colors=olive details=pocket",
    ),
    (
        "feminine wrap dresses in blush",
        "garment_type=dress styles=feminine silhouette=wrap colors=blush",
    ),
    (
        "androgynous suits in grey tweed",
        "garment_type=suit styles=androgynous colors=grey fabrics=tweed",
    ),
    (
        "workwear pencil skirts, knee length",
        "garment_type=skirt styles=workwear silhouette=pencil length=knee",
    ),
    ("casual denim shorts", "garment_type=shorts styles=casual fabrics=denim"),
    ("formal navy suits", "garment_type=suit styles=formal colors=navy"),
    ("resort kimonos in tropical florals", "garment_type=kimono styles=resort patterns=floral"),
    (
        "glam sequin mini dresses in gold",
        "garment_type=dress styles=glam fabrics=sequin length=mini colors=gold",
    ),
    ("grunge plaid shirts", "garment_type=shirt styles=grunge patterns=plaid"),
    (
        "vintage fit and flare dresses with polka dots",
        "garment_type=dress styles=vintage silhouette=fit-and-flare patterns=polka-dot",
    ),
    ("retro 70s flared jeans", "garment_type=jeans styles=retro silhouette=flared"),
    ("classic trench coats in camel", "garment_type=trench-coat styles=classic colors=camel"),
    (
        "elegant midi dresses in black crepe, no sleeves",
        "garment_type=dress styles=elegant length=midi colors=black fabrics=crepe "
        "sleeve=sleeveless",
    ),
    ("minimalist white shirts", "garment_type=shirt styles=minimalist colors=white"),
    ("minimalist trousers without pleats", "garment_type=pants styles=minimalist -details=pleat"),
    ("bohemian kimonos", "garment_type=kimono styles=bohemian"),
    ("bohemian skirts without paisley", "garment_type=skirt styles=bohemian -patterns=paisley"),
    ("western jackets in suede", "garment_type=jacket styles=western fabrics=suede"),
    ("western dresses, no denim", "garment_type=dress styles=western -fabrics=denim"),
    ("preppy cardigans in navy", "garment_type=cardigan styles=preppy colors=navy"),
    ("preppy shirts, no plaid", "garment_type=shirt styles=preppy -patterns=plaid"),
    ("edgy jackets without zippers", "garment_type=jacket styles=edgy -details=zipper"),
    ("glam gowns, no gold", "garment_type=gown styles=glam -colors=gold"),
    ("romantic blouses with bows", "garment_type=blouse styles=romantic details=bow"),
    ("sporty shorts in navy", "garment_type=shorts styles=sporty colors=navy"),
    ("streetwear pants, no camo", "garment_type=pants styles=streetwear -patterns=camouflage"),
    ("elegant jumpsuits in black", "garment_type=jumpsuit styles=elegant colors=black"),
    (
        "classic shirts in white cotton with buttons",
        "garment_type=shirt styles=classic colors=white fabrics=cotton details=button",
    ),
    ("vintage coats in red", "garment_type=coat styles=vintage colors=red"),
    (
        "cottagecore blouses with smocking",
        "garment_type=blouse styles=cottagecore details=smocking",
    ),
    ("y2k tops in lilac", "garment_type=top styles=y2k colors=lilac"),
    (
        "avant-garde dresses in black and white",
        "garment_type=dress styles=avant-garde colors=black,white",
    ),
    ("grunge slip dresses", "garment_type=dress styles=grunge silhouette=slip"),
    ("punk skirts in tartan", "garment_type=skirt styles=punk patterns=plaid"),
    (
        "coastal linen pants in white",
        "garment_type=pants styles=coastal fabrics=linen colors=white",
    ),
    ("parisian trench coats in beige", "garment_type=trench-coat styles=parisian colors=beige"),
    (
        "utilitarian shirts with pockets in khaki",
        "garment_type=shirt styles=utilitarian details=pocket colors=khaki",
    ),
    (
        "feminine blouses in blush, no ruffles",
        "garment_type=blouse styles=feminine colors=blush -details=ruffle",
    ),
    ("androgynous blazers, no black", "garment_type=blazer styles=androgynous -colors=black"),
    (
        "workwear dresses in plain navy",
        "garment_type=dress styles=workwear colors=navy patterns=solid",
    ),
    ("casual t-shirts in orange", "garment_type=t-shirt styles=casual colors=orange"),
    ("formal gowns without sleeves", "garment_type=gown styles=formal sleeve=sleeveless"),
    ("resort dresses with slits", "garment_type=dress styles=resort details=slit"),
    ("10 designs for a bohemian summer", "styles=bohemian seasons=summer"),
    ("5 streetwear outfits", "styles=streetwear"),
    ("3 western outfits, no jeans", "styles=western -garment_type=jeans"),
    ("bohemian western dresses", "garment_type=dress styles=bohemian,western"),
    ("minimalist preppy skirts", "garment_type=skirt styles=minimalist,preppy"),
    # garments, fabrics, colours
    (
        "red silk slip dresses with spaghetti straps",
        "garment_type=dress silhouette=slip sleeve=spaghetti-strap colors=red fabrics=silk",
    ),
    (
        "2 long sleeve turtleneck sweaters in cream cashmere",
        "garment_type=sweater neckline=turtleneck sleeve=long colors=cream fabrics=cashmere",
    ),
    ("8 maxi skirts in paisley", "garment_type=skirt length=maxi patterns=paisley"),
    ("a coat without buttons", "garment_type=coat -details=button"),
    (
        "wide leg linen pants in sage",
        "garment_type=pants silhouette=wide-leg fabrics=linen colors=sage",
    ),
    ("straight leg jeans in light blue", "garment_type=jeans silhouette=straight colors=sky-blue"),
    (
        "a v-neck jumpsuit in emerald satin",
        "garment_type=jumpsuit neckline=v-neck colors=emerald fabrics=satin",
    ),
    ("rompers with ruffles, no red", "garment_type=romper details=ruffle -colors=red"),
    ("corset tops in black lace", "garment_type=corset colors=black fabrics=lace"),
    ("bodysuits with long sleeves in white", "garment_type=bodysuit sleeve=long colors=white"),
    ("one piece swimsuits in coral", "garment_type=swimsuit colors=coral"),
    ("bikinis in leopard print", "garment_type=swimsuit patterns=leopard"),
    ("cable knit cardigans in mustard", "garment_type=cardigan fabrics=knit colors=mustard"),
    ("vests in brown suede", "garment_type=vest colors=brown fabrics=suede"),
    ("bomber jackets in olive", "garment_type=jacket colors=olive"),
    ("biker jackets in burgundy leather", "garment_type=jacket colors=burgundy fabrics=leather"),
    (
        "peplum blouses in ivory silk",
        "garment_type=blouse silhouette=peplum colors=ivory fabrics=silk",
    ),
    (
        "tiered maxi dresses in terracotta",
        "garment_type=dress silhouette=tiered length=maxi colors=terracotta",
    ),
    (
        "mermaid gowns in champagne satin",
        "garment_type=gown silhouette=mermaid colors=gold fabrics=satin",
    ),
    (
        "sheath dresses in cobalt, knee length",
        "garment_type=dress silhouette=sheath colors=cobalt length=knee",
    ),
    (
        "empire waist dresses in lilac chiffon",
        "garment_type=dress silhouette=empire colors=lilac fabrics=chiffon",
    ),
    ("bell sleeve blouses in rust", "garment_type=blouse sleeve=bell colors=rust"),
    (
        "bishop sleeve dresses in cream cotton",
        "garment_type=dress sleeve=bishop colors=cream fabrics=cotton",
    ),
    ("halter neck tops in turquoise", "garment_type=top neckline=halter colors=turquoise"),
    (
        "square neck midi dresses with puff sleeves in yellow gingham",
        "garment_type=dress neckline=square length=midi sleeve=puff colors=yellow patterns=gingham",
    ),
    (
        "sweetheart neckline corsets in red velvet",
        "garment_type=corset neckline=sweetheart colors=red fabrics=velvet",
    ),
    (
        "cowl neck slip dresses in silver satin",
        "garment_type=dress neckline=cowl silhouette=slip colors=silver fabrics=satin",
    ),
    (
        "boat neck striped tops in navy and cream",
        "garment_type=top neckline=boat patterns=striped colors=navy,cream",
    ),
    ("plunging neckline gowns in fuchsia", "garment_type=gown neckline=plunging colors=fuchsia"),
    ("crew neck t-shirts in heather grey", "garment_type=t-shirt neckline=crew colors=grey"),
    ("collared shirt dresses in chambray", "garment_type=dress neckline=collared fabrics=chambray"),
    ("high neck sweaters in plum", "garment_type=sweater neckline=high-neck colors=plum"),
    ("cap sleeve dresses in mint", "garment_type=dress sleeve=cap colors=mint"),
    (
        "three quarter sleeve blazers in houndstooth",
        "garment_type=blazer sleeve=three-quarter patterns=houndstooth",
    ),
    (
        "flutter sleeve rompers in coral florals",
        "garment_type=romper sleeve=flutter colors=coral patterns=floral",
    ),
    ("balloon sleeve blouses in lavender", "garment_type=blouse sleeve=balloon colors=lavender"),
    (
        "strapless gowns in ivory tulle",
        "garment_type=gown sleeve=strapless colors=ivory fabrics=tulle",
    ),
    (
        "elbow sleeve tops in teal jersey",
        "garment_type=top sleeve=elbow colors=teal fabrics=jersey",
    ),
    (
        "floor length gowns in burgundy, no sequins",
        "garment_type=gown length=floor colors=burgundy -fabrics=sequin",
    ),
    (
        "ankle length pants in khaki, no pleats",
        "garment_type=pants length=ankle colors=khaki -details=pleat",
    ),
    ("cropped cardigans without buttons", "garment_type=cardigan length=cropped -details=button"),
    (
        "mini skirts in corduroy, no brown",
        "garment_type=skirt length=mini fabrics=corduroy -colors=brown",
    ),
    ("midi skirts in tweed", "garment_type=skirt length=midi fabrics=tweed"),
    (
        "knee length coats in charcoal wool",
        "garment_type=coat length=knee colors=charcoal fabrics=wool",
    ),
    ("dresses in tie dye", "garment_type=dress patterns=tie-dye"),
    ("shirts in camouflage", "garment_type=shirt patterns=camouflage"),
    ("geometric print skirts", "garment_type=skirt patterns=geometric"),
    ("abstract print dresses, no yellow", "garment_type=dress patterns=abstract -colors=yellow"),
    ("zebra print pants", "garment_type=pants patterns=zebra"),
    ("check blazers in brown and cream", "garment_type=blazer patterns=check colors=brown,cream"),
    ("plaid skirts without red", "garment_type=skirt patterns=plaid -colors=red"),
    (
        "houndstooth coats in black and white",
        "garment_type=coat patterns=houndstooth colors=black,white",
    ),
    ("animal print dresses", "garment_type=dress patterns=animal-print"),
    ("solid colour jumpsuits in navy", "garment_type=jumpsuit patterns=solid colors=navy"),
    ("floral blouses, no pink", "garment_type=blouse patterns=floral -colors=pink"),
    ("jewel tone gowns", "garment_type=gown palettes=jewel-tones"),
    ("neutral coats", "garment_type=coat palettes=neutrals"),
    ("monochrome suits", "garment_type=suit palettes=monochrome"),
    ("dresses in earth tones, no brown", "garment_type=dress palettes=earth-tones -colors=brown"),
    (
        "pastel summer dresses with puff sleeves",
        "garment_type=dress palettes=pastels seasons=summer sleeve=puff",
    ),
    (
        "summer dresses in linen, no white",
        "garment_type=dress seasons=summer fabrics=linen -colors=white",
    ),
    ("winter coats in camel", "garment_type=coat seasons=winter colors=camel"),
    ("fall sweaters in rust", "garment_type=sweater seasons=fall colors=rust"),
    ("spring blouses in mint", "garment_type=blouse seasons=spring colors=mint"),
    ("wedding guest dresses, no white", "garment_type=dress occasions=wedding -colors=white"),
    ("bridal gowns", "garment_type=gown occasions=bridal"),
    ("cocktail dresses in red", "garment_type=dress occasions=cocktail colors=red"),
    ("blazers for the office in grey", "garment_type=blazer occasions=office colors=grey"),
    (
        "beach kimonos in white crochet",
        "garment_type=kimono occasions=beach colors=white fabrics=crochet",
    ),
    ("festival shorts with fringe", "garment_type=shorts occasions=festival details=fringe"),
    (
        "date night dresses in black satin",
        "garment_type=dress occasions=date-night colors=black fabrics=satin",
    ),
    ("party tops in sequins", "garment_type=top occasions=party fabrics=sequin"),
    (
        "prom gowns in sky blue tulle",
        "garment_type=gown occasions=prom colors=sky-blue fabrics=tulle",
    ),
    ("dresses with belts in olive", "garment_type=dress details=belt colors=olive"),
    ("long dresses with bows", "garment_type=dress length=maxi details=bow"),
    ("short sleeve shirts in gingham", "garment_type=shirt sleeve=short patterns=gingham"),
    (
        "skirts with a high slit in black satin",
        "garment_type=skirt details=slit colors=black fabrics=satin",
    ),
    (
        "jackets with belts in camel wool",
        "garment_type=jacket details=belt colors=camel fabrics=wool",
    ),
    (
        "embroidered blouses in white linen",
        "garment_type=blouse details=embroidery colors=white fabrics=linen",
    ),
    (
        "dresses with cutouts in red jersey",
        "garment_type=dress details=cutout colors=red fabrics=jersey",
    ),
    ("zip up hoodies in grey", "garment_type=hoodie details=zipper colors=grey"),
    ("a navy dress", "garment_type=dress colors=navy"),
    (
        "an a-line skirt in mustard denim",
        "garment_type=skirt silhouette=a-line colors=mustard fabrics=denim",
    ),
    (
        "a maxi dress in floral chiffon, no spaghetti straps",
        "garment_type=dress length=maxi patterns=floral fabrics=chiffon -sleeve=spaghetti-strap",
    ),
    (
        "blue gingham dresses without short sleeves",
        "garment_type=dress colors=blue patterns=gingham -sleeve=short",
    ),
    ("black and white striped tops", "garment_type=top colors=black,white patterns=striped"),
    (
        "red, white and blue striped shirts",
        "garment_type=shirt colors=red,white,blue patterns=striped",
    ),
    ("velvet blazers in emerald", "garment_type=blazer fabrics=velvet colors=emerald"),
    ("organza blouses in blush", "garment_type=blouse fabrics=organza colors=blush"),
    ("crochet tops", "garment_type=top fabrics=crochet"),
    ("suede skirts, no tan", "garment_type=skirt fabrics=suede -colors=tan"),
    ("denim jumpsuits without pockets", "garment_type=jumpsuit fabrics=denim -details=pocket"),
    ("leather pants, no black", "garment_type=pants fabrics=leather -colors=black"),
    ("corduroy shirts in mustard", "garment_type=shirt fabrics=corduroy colors=mustard"),
    ("silk blouses, no collar", "garment_type=blouse fabrics=silk -neckline=collared"),
    ("satin gowns without straps", "garment_type=gown fabrics=satin sleeve=strapless"),
    ("jersey dresses, no v-neck", "garment_type=dress fabrics=jersey -neckline=v-neck"),
    ("knit dresses in grey", "garment_type=dress fabrics=knit colors=grey"),
]

# spec field -> the resolved_spec key it is reported under (lists: the first is drawn)
_SCALARS = ("garment_type", "silhouette", "length", "neckline", "sleeve")


# -- expectations ---------------------------------------------------------------------


def parse_expect(text: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """ "garment_type=dress -colors=black" -> ({"garment_type": ["dress"]}, {"colors": [...]})."""
    stated: dict[str, list[str]] = {}
    excluded: dict[str, list[str]] = {}
    for item in text.split():
        key, _, values = item.partition("=")
        target = excluded if key.startswith("-") else stated
        target.setdefault(key.lstrip("-"), []).extend(values.split(","))
    for key in (*stated, *excluded):
        if key not in BY_FIELD:
            raise ValueError(f"bench expectation names {key!r}, not a spec attribute")
    return stated, excluded


def spec_attributes(spec: GarmentSpec) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """What a parsed spec states and excludes, per spec field (palette colours left out:
    they stand for the palette)."""
    excluded = {EXCLUDE_FAMILY[k]: list(v) for k, v in spec.exclude.non_empty().items()}
    pool = palette_pool(spec.palettes, spec.colors, excluded.get("colors", []))
    stated: dict[str, list[str]] = {}
    for name, value in spec.attribute_items():
        if name == "colors" and value in pool:
            continue
        stated.setdefault(name, []).append(value)
    return stated, excluded


def merged(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in a.items()}
    for k, vs in b.items():
        for v in vs:
            if v not in out.setdefault(k, []):
                out[k].append(v)
    return out


# -- pixels ---------------------------------------------------------------------------


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (..., 3) in 0..255 -> CIE Lab (D65)."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def _garment_lab(image: Image.Image) -> np.ndarray:
    a = np.asarray(image).astype(np.int16)
    mask = np.abs(a - np.array(BACKGROUND, dtype=np.int16)).sum(axis=2) > 18
    return to_lab(a[mask].astype(np.uint8))


def _seen(rgb: tuple[int, int, int], fabric: str) -> np.ndarray:
    """How a colour looks in a fabric: sheer ones let the background through."""
    alpha = SHEER.get(fabric, 1.0)
    mixed = [alpha * c + (1 - alpha) * b for c, b in zip(rgb, BACKGROUND, strict=True)]
    return to_lab(np.array(mixed))


def share_near(lab: np.ndarray, target: np.ndarray, within: float) -> float:
    if len(lab) == 0:
        return 0.0
    return float((np.linalg.norm(lab - target, axis=1) < within).mean())


def dominance(
    lab: np.ndarray, colors: Sequence[str], fabric: str
) -> tuple[dict[str, float], float]:
    """Each drawn colour's share of the garment's pixels, and how far the pixels counted
    for the first one lie from it (the nearest quarter's Lab distance).

    Each pixel counts for the nearest drawn colour; a pixel nearest an even blend of two
    (a gingham's half tones, anti-aliased pinstripes) counts half for each; the outline
    ink counts for none (unless a colour is as dark: black reads as the ink)."""
    names = list(dict.fromkeys(colors))
    seen = [_seen(COLORS[c], fabric) for c in names]
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, min(len(names), 3))]
    blends = [(seen[i] + seen[j]) / 2 for i, j in pairs]  # Lab midpoints are close enough
    ink = [] if any(np.linalg.norm(c - _INK_LAB) < 10 for c in seen) else [_INK_LAB]
    centres = np.stack(seen + blends + ink)
    if len(lab) == 0:
        return dict.fromkeys(names, 0.0), float("inf")
    dist = np.linalg.norm(lab[:, None, :] - centres[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(centres)).astype(float)
    weight = counts[: len(names)].copy()
    for k, (i, j) in enumerate(pairs):
        weight[i] += counts[len(names) + k] / 2
        weight[j] += counts[len(names) + k] / 2
    total = max(1.0, float(weight.sum()))
    shares = {c: float(weight[i] / total) for i, c in enumerate(names)}
    main = nearest == 0
    spread = float(np.percentile(dist[main, 0], 25)) if main.any() else float("inf")
    return shares, spread


# The main colour is the garment's dominant colour: the largest share of its pixels (or
# at least MAIN_SHARE of them), and those pixels within MAIN_DE of it.
MAIN_SHARE, MAIN_DE = 0.3, 30.0
# Several colours named: together at least half the pixels, each at least this share.
VISIBLE = 0.03
# An excluded colour: less than this share of the pixels within EXCLUDED_DE of it.
EXCLUDED_DE, EXCLUDED_SHARE = 6.0, 0.03
_INK_LAB = to_lab(np.array(INK))


# -- checking one design --------------------------------------------------------------


@dataclass
class Tally:
    stated_ok: int = 0
    stated_all: int = 0
    style_ok: int = 0
    style_all: int = 0
    style_na: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.stated_ok += other.stated_ok
        self.stated_all += other.stated_all
        self.style_ok += other.style_ok
        self.style_all += other.style_all
        self.style_na += other.style_na
        self.failures += other.failures

    def stated(self, ok: bool, what: str) -> None:
        self.stated_all += 1
        self.stated_ok += ok
        if not ok:
            self.failures.append(f"stated: {what}")

    def style(self, ok: bool, what: str) -> None:
        self.style_all += 1
        self.style_ok += ok
        if not ok:
            self.failures.append(f"style: {what}")


def _drawn(resolved: dict[str, Any], name: str) -> list[str]:
    value = resolved.get(name)
    if isinstance(value, list):
        return [v for v in value if v]
    return [value] if value else []


def _pattern_names(resolved: dict[str, Any]) -> set[str]:
    names = set(_drawn(resolved, "patterns"))
    if resolved.get("pattern_variant"):
        names.add(resolved["pattern_variant"])
    return names


def check_design(
    stated: dict[str, list[str]],
    excluded: dict[str, list[str]],
    resolved: dict[str, Any],
    image: Image.Image,
) -> Tally:
    t = Tally()
    rules = get_style_rules()
    w = get_render_weights()
    fabric = _drawn(resolved, "fabrics")[0] if _drawn(resolved, "fabrics") else ""
    drawn_colors = _drawn(resolved, "colors")
    lab = _garment_lab(image)

    for name, values in stated.items():
        drawn = _drawn(resolved, name)
        if name in _SCALARS:
            t.stated(drawn == values[:1], f"{name} {values[0]} drawn as {drawn or 'nothing'}")
        elif name == "patterns":
            want = values[0]
            ok = want in _pattern_names(resolved) or (
                want == "animal-print" and resolved.get("pattern_variant") is not None
            )
            t.stated(ok, f"print {want} drawn as {sorted(_pattern_names(resolved))}")
        elif name == "fabrics":
            t.stated(drawn[:1] == values[:1], f"fabric {values[0]} drawn as {drawn}")
            if "patterns" not in stated:
                ok = all(
                    rules.material_allows(values[0], "patterns", p)
                    for p in _drawn(resolved, "patterns")
                )
                t.stated(ok, f"{values[0]} drawn with a {_drawn(resolved, 'patterns')} print")
            if "colors" not in stated and "palettes" not in stated:
                bad = [c for c in drawn_colors if not rules.material_allows(values[0], "colors", c)]
                t.stated(not bad, f"{values[0]} drawn in {bad}")
        elif name == "colors":
            missing = [c for c in values if c not in drawn_colors]
            t.stated(not missing, f"colours {values} drawn as {drawn_colors}")
            t.stated(
                drawn_colors[:1] == values[:1],
                f"main colour {values[0]} drawn as {drawn_colors[:1]}",
            )
            shares, spread = dominance(lab, [values[0], *drawn_colors], fabric)
            share = shares[values[0]]
            largest = max(shares, key=lambda c: shares[c])
            if len(values) == 1:  # the colour asked for is the garment's colour
                ok = share >= MAIN_SHARE or share >= shares[largest] - 0.05
            else:  # the colours asked for make the garment, each of them visible
                named = sum(shares.get(c, 0.0) for c in values)
                ok = named >= 0.5 and all(shares.get(c, 0.0) >= VISIBLE for c in values)
            t.stated(
                ok and spread < MAIN_DE,
                f"main colour {values[0]}: {share:.0%} of the garment's pixels "
                f"(largest: {largest} {shares[largest]:.0%}), {spread:.0f} from it",
            )
        elif name == "palettes":
            pool = {c for p in values for c in PALETTES.get(p, ())} | set(stated.get("colors", []))
            off = [c for c in drawn_colors if c not in pool]
            t.stated(not off, f"palette {values}: {off} drawn")
        elif name == "details":
            missing = [d for d in values if d not in drawn]
            not_drawn = w.not_drawn.get("details", frozenset())
            t.stated(
                not missing,
                f"details {missing} not drawn"
                + (" (the renderer does not draw them)" if set(missing) & not_drawn else ""),
            )
        else:  # styles, occasions, seasons: carried through
            missing = [v for v in values if v not in drawn]
            t.stated(not missing, f"{name} {missing} dropped")

    for name, values in excluded.items():
        if name in ("occasions", "seasons"):
            continue
        if name == "colors":
            banned = set(values) | {c for p in excluded.get("palettes", []) for c in PALETTES[p]}
            shown = [c for c in drawn_colors if c in banned]
            t.stated(not shown, f"excluded colours {shown} drawn")
            for c in values:
                target = to_lab(np.array(COLORS[c]))
                if np.linalg.norm(target - _INK_LAB) < 25:
                    continue  # outline ink reads as black: the resolved colours decide
                share = share_near(lab, target, EXCLUDED_DE)
                t.stated(share < EXCLUDED_SHARE, f"excluded colour {c} covers {share:.0%}")
            continue
        drawn = _pattern_names(resolved) if name == "patterns" else set(_drawn(resolved, name))
        if name == "patterns" and "animal-print" in values:
            values = [*values, *w.animal_print_kinds]
        shown = sorted(drawn & set(values))
        t.stated(not shown, f"excluded {name} {shown} drawn")

    styles = stated.get("styles", [])
    if styles:
        _style_fit(t, styles, stated, excluded, resolved)
    return t


def _style_fit(
    t: Tally,
    styles: list[str],
    stated: dict[str, list[str]],
    excluded: dict[str, list[str]],
    resolved: dict[str, Any],
) -> None:
    rules = get_style_rules()
    w = get_render_weights()
    garment = resolved["garment_type"]
    fabric = _drawn(resolved, "fabrics")[0]
    natural = {"animal-print", "leopard", "zebra", "camouflage"}
    for attr in (
        "garment_type",
        "silhouette",
        "length",
        "neckline",
        "sleeve",
        "fabrics",
        "patterns",
        "colors",
        "details",
    ):
        if attr in stated and attr != "details":
            continue
        bound = rules.style_bound(attr, styles)
        if bound is None:
            continue
        drawn = _drawn(resolved, attr)
        if attr == "details":  # added ones; the rules speak of the taxonomy's details only
            drawn = [
                d
                for d in drawn
                if d not in stated.get("details", [])
                and d in w.values["details"]
                and d not in w.renderer_only.get("details", ())
            ]
        if attr == "colors":
            if "palettes" in stated or natural & _pattern_names(resolved):
                continue
            drawn = [c for c in drawn if c not in stated.get("colors", [])]
        if not drawn:
            continue
        # What this garment could be here, whatever the style: if the style allows none
        # of it, the rule cannot apply (not counted).
        out = set(excluded.get(attr, []))
        if attr in _SCALARS[1:]:
            options = {k for k in w.base[garment].get(attr, {}) if k is not None}
        elif attr == "fabrics":
            options = set(w.fabric_by_garment[garment])
        elif attr == "patterns":
            options = set(w.values["patterns"])
            material = rules.material_bound("patterns", fabric)
            options = options & set(material) if material else options
            if len(stated.get("colors", [])) >= 2:
                options.discard("solid")
        elif attr == "colors":
            material = rules.material_bound("colors", fabric)
            options = set(material) if material else set(COLORS)
        else:
            options = set(w.values[attr])
        if not (options - out) & set(bound):
            t.style_na += 1
            continue
        ok = all(
            v in bound
            or (
                attr == "patterns"
                and v == "animal-print"
                and ({"leopard", "zebra", "animal-print"} & set(bound))
            )
            for v in drawn
        )
        t.style(ok, f"{'/'.join(styles)} {attr} {drawn} (allowed: {sorted(bound)})")


# -- running --------------------------------------------------------------------------


@dataclass
class CommandResult:
    text: str
    parser_missed: list[str]
    tally: Tally
    images: list[tuple[Image.Image, str, bool]]


def run_command(text: str, expect: str, designs: int, size: int) -> CommandResult:
    parsed = parse_command(text)
    meant, meant_out = parse_expect(expect)
    specs = parsed_specs(parsed)
    job = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-fidelity:{text}")
    tally = Tally()
    images: list[tuple[Image.Image, str, bool]] = []
    said, said_out = spec_attributes(specs[0][0])
    missed = [f"{k}={v}" for k, vs in meant.items() for v in vs if v not in said.get(k, [])] + [
        f"-{k}={v}" for k, vs in meant_out.items() for v in vs if v not in said_out.get(k, [])
    ]
    for seq in range(designs):
        spec = specs[seq % len(specs)][0]
        stated, excluded = spec_attributes(spec)
        stated, excluded = merged(stated, meant), merged(excluded, meant_out)
        seed = design_seed(job, seq)
        built = build_prompt(spec, family="flat", seed=batch_seed(job), index=seq)
        flat = render_flat(built.spec, seed, size)
        t = check_design(stated, excluded, flat.resolved_spec, flat.image)
        t.failures = [f"#{seq}: {f}" for f in t.failures]
        tally.add(t)
        rs = flat.resolved_spec
        label = " ".join(
            str(x)
            for x in (
                rs["silhouette"],
                rs["length"],
                *rs["patterns"],
                *rs["fabrics"],
                "/".join(rs["colors"][:2]),
            )
            if x
        )
        images.append((flat.image, label, not t.failures))
    return CommandResult(text, missed, tally, images)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def contact_sheet(result: CommandResult, path: Path, thumb: int = 220, cols: int = 5) -> None:
    rows = max(1, math.ceil(len(result.images) / cols))
    caption = textwrap.wrap(f'"{result.text}"', width=70)
    t = result.tally
    caption.append(
        f"stated {t.stated_ok}/{t.stated_all}   style fit {t.style_ok}/{t.style_all}"
        + (f"   parser missed: {', '.join(result.parser_missed)}" if result.parser_missed else "")
    )
    head = 12 + 22 * len(caption)
    sheet = Image.new("RGB", (cols * thumb, head + rows * (thumb + 20)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    big, small = _font(18), _font(12)
    for i, line in enumerate(caption):
        draw.text((8, 6 + 22 * i), line, fill=(20, 20, 20), font=big)
    for i, (image, label, ok) in enumerate(result.images):
        x, y = (i % cols) * thumb, head + (i // cols) * (thumb + 20)
        sheet.paste(image.resize((thumb, thumb), Image.Resampling.LANCZOS), (x, y))
        if not ok:
            draw.rectangle(
                (x + 1, y + 1, x + thumb - 2, y + thumb - 2), outline=(220, 30, 30), width=4
            )
        draw.text((x + 4, y + thumb + 3), label[:40], fill=(60, 60, 60), font=small)
    sheet.save(path)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


@dataclass
class Report:
    results: list[CommandResult]

    @property
    def tally(self) -> Tally:
        total = Tally()
        for r in self.results:
            total.add(r.tally)
        return total

    @property
    def stated_share(self) -> float:
        t = self.tally
        return t.stated_ok / t.stated_all if t.stated_all else 1.0

    @property
    def style_share(self) -> float:
        t = self.tally
        return t.style_ok / t.style_all if t.style_all else 1.0

    def passed(self) -> bool:
        return self.stated_share >= STATED_TARGET and self.style_share >= STYLE_TARGET


def run(
    commands: Sequence[tuple[str, str]],
    designs: int,
    size: int = 256,
    out: Path | None = None,
) -> Report:
    results = []
    for i, (text, expect) in enumerate(commands):
        result = run_command(text, expect, designs, size)
        results.append(result)
        if out is not None:
            contact_sheet(result, out / f"{i:03d}-{_slug(text)}.png")
    return Report(results)


def _print(report: Report, show: int, seconds: float, out: Path | None) -> None:
    t = report.tally
    designs = sum(len(r.images) for r in report.results)
    print(f"commands: {len(report.results)}   designs: {designs}   ({seconds:.1f} s)")
    print(
        f"stated attributes and exclusions honoured: {report.stated_share:.2%} "
        f"({t.stated_ok}/{t.stated_all} checks; target {STATED_TARGET:.0%})"
    )
    print(
        f"open attributes inside the style rules:    {report.style_share:.2%} "
        f"({t.style_ok}/{t.style_all} checks, {t.style_na} where the rules leave the garment "
        f"nothing; target {STYLE_TARGET:.0%})"
    )
    missed = [(r.text, r.parser_missed) for r in report.results if r.parser_missed]
    if missed:
        print(f"the parser missed what was meant in {len(missed)} command(s):")
        for text, what in missed:
            print(f"  {text!r}: {', '.join(what)}")
    failing = [(r.text, f) for r in report.results for f in r.tally.failures]
    if failing:
        kinds = Counter(
            f.split(": ", 2)[1].split()[0] + " " + f.split(": ", 2)[2].split()[0]
            for _, f in failing
        )
        print(
            f"failures: {len(failing)} ({', '.join(f'{k}: {n}' for k, n in kinds.most_common(8))})"
        )
        for text, f in failing[:show]:
            print(f"  {text!r} {f}")
        if len(failing) > show:
            print(f"  ... and {len(failing) - show} more")
    if out is not None:
        print(f"contact sheets: {out}")


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--designs", type=int, default=10, help="designs per command")
    ap.add_argument("--out", type=Path, default=None, help="folder for the contact sheets")
    ap.add_argument("--size", type=int, default=256, help="render size in pixels")
    ap.add_argument("--show", type=int, default=40, help="failures to list")
    ap.add_argument("--no-sheets", action="store_true")
    args = ap.parse_args(list(argv) if argv is not None else None)
    out: Path | None = None
    if not args.no_sheets:
        out = args.out or Path(tempfile.mkdtemp(prefix="fidelity-"))
        out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    report = run(COMMANDS, args.designs, args.size, out)
    _print(report, args.show, time.perf_counter() - t0, out)
    return 0 if report.passed() else 1


if __name__ == "__main__":
    sys.exit(main())
