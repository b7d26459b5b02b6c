"""Turn a (possibly sparse) garment spec into every attribute the renderer draws.

Explicit attributes are kept as given. Unspecified ones are drawn from weighted
tables: a base weight per garment type, multiplied by what the spec's styles,
occasions and seasons lean towards (bohemian -> maxi, tiered, floral, earth tones;
winter -> long sleeves, wool, dark colours; ...). Each attribute gets its own RNG
derived from (seed, attribute name) so that fixing one attribute in a command does not
reshuffle the choices made for the others.

Values are the taxonomy's (synonyms resolved by it) and the tables are data, in
``garments/render_weights.yaml``; both are validated together in `.weights`.

Whatever the renderer chooses itself stays inside the style rules
(``garments/style_rules.yaml``, the same bounds the prompt builder fills within): a
bohemian dress it completes is never a houndstooth sheath, denim it colours is a denim
shade. Values the spec names are drawn as named.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from designer_bff.garments.spec import EXCLUDE_KEYS
from designer_bff.garments.style_rules import get_style_rules

from .palette import COLORS, PALETTES, RGB, distance, luminance
from .parts import REAL_SLEEVES
from .weights import Steer, Table, Weights, get_render_weights

# Loaded (and validated against the taxonomy) on import: a bad weights file fails fast.
_W = get_render_weights()
_R = get_style_rules()

# The vocabulary per family: the taxonomy's canonical values (plus renderer-only ones).
GARMENTS = _W.values["garment_type"]
SILHOUETTES = _W.values["silhouette"]
LENGTHS = _W.values["length"]
NECKLINES = _W.values["neckline"]
SLEEVES = _W.values["sleeve"]
STYLES = _W.values["styles"]
PATTERNS = _W.values["patterns"]
FABRICS = _W.values["fabrics"]
OCCASIONS = _W.values["occasions"]
SEASONS = _W.values["seasons"]
DETAILS = _W.values["details"]

# Exclusion keys ("sleeves", "garment_types") -> taxonomy family. Occasions and seasons
# only steer the choices; their exclusions are not applied (nothing is drawn for them).
_EXCLUDE_FAMILIES: dict[str, str] = {
    key: family for family, key in EXCLUDE_KEYS.items() if family not in ("occasions", "seasons")
}

# Garment types that are cut without a neckline or sleeves of their own.
_NO_TOP = {"skirt", "pants", "jeans", "shorts"}

K = TypeVar("K", bound=str | None)

# The resolver's names for attributes -> the style rules' (= spec field) names.
_RULE_ATTR = {"pattern": "patterns", "fabric": "fabrics"}
_STYLE_SET = frozenset(STYLES)


def _styles_of(hints: Sequence[str]) -> list[str]:
    """The styles among the hints (one namespace: "casual" is a style and an occasion)."""
    return [h for h in hints if h in _STYLE_SET]


def _bound(
    attr: str, weights: Mapping[K, float], hints: Sequence[str], fabric: str | None = None
) -> dict[K, float]:
    """`weights` kept inside the style rules of the hints' styles (and the fabric's look)."""
    return _R.bounded(_RULE_ATTR.get(attr, attr), weights, styles=_styles_of(hints), fabric=fabric)


@dataclass(slots=True)
class Resolved:
    garment_type: str
    silhouette: str | None
    length: str | None
    neckline: str | None
    sleeve: str | None
    pattern: str
    pattern_variant: str | None
    fabric: str
    colors: list[str]  # candidates in role order: primary, secondary, tertiary, accent
    palettes: list[str]
    styles: list[str]
    occasions: list[str]
    seasons: list[str]
    details: list[str]
    variant: str | None
    exclude: dict[str, list[str]]
    explicit: set[str] = field(default_factory=set)
    ignored: dict[str, Any] = field(default_factory=dict)
    named_colors: int = 0  # how many of `colors` (the first ones) the spec named

    def rgb(self, index: int) -> RGB:
        return COLORS[self.colors[index % len(self.colors)]]


def _norm(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    key = value.strip().lower().replace("_", "-").replace(" ", "-")
    while "--" in key:
        key = key.replace("--", "-")
    return key or None


def canon(family: str, value: object) -> str | None:
    """The `family` value to draw for spec text `value` (taxonomy synonyms), or None."""
    return _W.canon(family, value)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return []


def _canon_list(value: object, family: str) -> list[str]:
    out: list[str] = []
    for item in _as_list(value):
        c = _W.canon(family, item)
        if c is not None and c not in out:
            out.append(c)
    return out


def _first(value: object, family: str) -> str | None:
    vals = _canon_list(value, family)
    return vals[0] if vals else None


# What a detail cannot be drawn with, for attributes left open: a belt needs a hem below
# the waist, a ruffle a neckline edge to follow.
DETAIL_CONFLICTS: dict[str, dict[str, frozenset[str]]] = {
    "belt": {"length": frozenset({"cropped"})},
    "ruffle": {"neckline": frozenset({"halter", "one-shoulder"})},
}


def _without(table: Table, values: Collection[str]) -> Table:
    kept = {k: w for k, w in table.items() if k not in values}
    return kept or table


def _rng(seed: int, name: str) -> random.Random:
    # Design variety, not security: a reproducible stream per (seed, attribute).
    return random.Random(f"{seed}|{name}")  # noqa: S311


def choose(rng: random.Random, weights: Mapping[K, float]) -> K:
    """One key, with probability proportional to its weight (walked in table order)."""
    items = [(k, w) for k, w in weights.items() if w > 0]
    if not items:
        raise ValueError("nothing to choose from")
    total = sum(w for _, w in items)
    r = rng.random() * total
    for k, w in items:
        r -= w
        if r < 0:
            return k
    return items[-1][0]


def _steer_of(hint: str) -> Steer | None:
    return _W.steer.get(hint)


def _steer(weights: Mapping[K, float], attr: str, hints: Sequence[str]) -> dict[K, float]:
    out = dict(weights)
    for h in hints:
        st = _steer_of(h)
        mult = st.lean.get(attr) if st is not None else None
        if not mult:
            continue
        for k, m in mult.items():
            if k in out:
                key = cast(K, k)
                out[key] = out[key] * m
    return out


def _exclusions(spec: Mapping[str, Any]) -> dict[str, list[str]]:
    raw = spec.get("exclude")
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        k = _norm(key)
        if k is None:
            continue
        k = k.replace("-", "_")
        fam = k if k in _EXCLUDE_FAMILIES else (k + "s" if k + "s" in _EXCLUDE_FAMILIES else None)
        if fam is None:
            continue
        vals = _canon_list(value, _EXCLUDE_FAMILIES[fam])
        if vals:
            out[fam] = sorted(set(out.get(fam, [])) | set(vals))
    # Excluding a whole palette excludes its colours; excluding animal print its kinds.
    for p in out.get("palettes", []):
        out["colors"] = sorted(set(out.get("colors", [])) | set(PALETTES[p]))
    if "animal-print" in out.get("patterns", []):
        out["patterns"] = sorted(set(out["patterns"]) | set(_W.animal_print_kinds))
    return out


def _pick(
    seed: int,
    attr: str,
    explicit: K | None,
    base: Mapping[K, float],
    hints: Sequence[str],
    excluded: Collection[object],
    fabric: str | None = None,
) -> K:
    if explicit is not None:
        return explicit
    weights = {k: w for k, w in _steer(base, attr, hints).items() if k not in excluded}
    if not weights:
        weights = {k: w for k, w in base.items() if k not in excluded} or dict(base)
    return choose(_rng(seed, attr), _bound(attr, weights, hints, fabric) or weights)


def _choose_garment(seed: int, hints: Sequence[str], excluded: Collection[str]) -> str:
    weights: Weights = {}
    for h in hints:
        st = _steer_of(h)
        for g, w in (st.garment if st is not None else {}).items():
            weights[g] = weights.get(g, 0.0) + w
    rule = _R.style_bound("garment_type", _styles_of(hints))
    if rule:
        # Inside the style's garments; a style's own garments when nothing else leans.
        weights = _bound("garment_type", weights, hints) if weights else dict(rule)
    if not weights:
        if "dress" not in excluded:
            return "dress"
        return next((g for g in _W.base if g not in excluded), "dress")
    weights = {g: w for g, w in weights.items() if g not in excluded}
    if not weights:
        return next((g for g in _W.base if g not in excluded), "dress")
    return choose(_rng(seed, "garment_type"), weights)


def _color_weights(garment: str, hints: Sequence[str], palettes: Sequence[str]) -> Weights:
    base = dict(_W.color_by_garment.get(garment, _W.color_base))
    for h in hints:
        st = _steer_of(h)
        if st is None:
            continue
        for pal, m in st.palettes.items():
            members = PALETTES[pal]
            for c in base:
                if c in members:
                    base[c] *= m
                elif m >= 3:
                    # a strong palette lean also pushes the rest of the colour wheel back
                    base[c] *= 0.35
        for c, m in st.lean.get("colors", {}).items():
            if c in base:
                base[c] *= m
    if palettes:
        # In palette order, not set order: str hashes differ per process, and the
        # choice walks this table in order.
        pool = dict.fromkeys(c for p in palettes for c in PALETTES[p])
        base = {c: (w if c in pool else 0.0) for c, w in base.items()}
        if not any(base.values()):
            base = dict.fromkeys(pool, 1.0)
    return base


# Prints whose second colour is their ground or their contrasting thread: it must differ
# in lightness from the first, or the print does not read.
LIGHTNESS_PRINTS = frozenset({"gingham", "houndstooth", "check"})


def second_colour_fits(pattern: str, first: str, second: str) -> bool:
    """Whether `second` can be the second colour of a `pattern` whose first is `first`:
    apart in lightness for the prints that need it (a gingham's ground is a light one,
    navy and white, yellow and white)."""
    if pattern not in LIGHTNESS_PRINTS:
        return True
    a, b = luminance(COLORS[first]), luminance(COLORS[second])
    if pattern == "gingham" and a < 0.85:
        return b - a > 0.15
    return abs(a - b) > 0.3


def palette_pool(
    palettes: Sequence[str], spec_colors: Sequence[str], excluded: Collection[str]
) -> set[str]:
    """The colours in `spec_colors` that stand for a named palette rather than being named.

    The parser adds a palette's colours to `colors` ("earthy tones" -> brown, rust, ...);
    when all of them are there (those not excluded), they are a pool to vary over. Colours
    of a palette named one by one, or chosen by the prompt builder, are fixed choices."""
    present = set(spec_colors)
    pool: set[str] = set()
    for p in palettes:
        expansion = set(_W.taxonomy.palette_colors(p)) - set(excluded)
        if expansion and expansion <= present:
            pool |= set(PALETTES[p])
    return pool


def _choose_colors(
    seed: int,
    garment: str,
    spec_colors: list[str],
    palettes: list[str],
    hints: Sequence[str],
    excluded: Collection[str],
    fabric: str | None = None,
    pattern: str | None = None,
) -> tuple[list[str], set[str]]:
    """Colour roles (primary, secondary, tertiary, accent) and which were named."""
    members = palette_pool(palettes, spec_colors, excluded)
    # Colours named on their own are fixed choices in the order given.
    named = [c for c in spec_colors if c not in members and c not in excluded]
    pool_extra = [c for c in spec_colors if c in members and c not in excluded]
    weights = _color_weights(garment, hints, palettes)
    for c in pool_extra:
        weights[c] = max(weights.get(c, 0.0), 1.0)
    for c in excluded:
        weights.pop(c, None)
    if not any(w > 0 for w in weights.values()):
        weights = {c: 1.0 for c in COLORS if c not in excluded} or {"grey": 1.0}
    # What is not named stays inside the fabric's look and the styles' colours.
    weights = _bound("colors", weights, hints, fabric) or weights
    rng = _rng(seed, "colors")
    out: list[str] = list(named[:4])
    while len(out) < 4:
        cand = {c: w for c, w in weights.items() if c not in out and w > 0}
        if not cand and out:
            # a small pool (a style's colours in denim): its colours again, not others
            cand = {c: w for c, w in weights.items() if c != out[0] and w > 0}
        if not cand:
            cand = {c: 1.0 for c in COLORS if c not in out and c not in excluded}
        if not cand:
            out.append(out[-1] if out else "grey")
            continue
        if out:
            # Later roles must stand out against the primary or a pattern disappears.
            prim = COLORS[out[0]]
            if len(out) == 1 and pattern is not None:
                apart = {c: w for c, w in cand.items() if second_colour_fits(pattern, out[0], c)}
                cand = apart or cand
            cand = {
                c: w * min(1.0, max(0.05, distance(COLORS[c], prim) / 140.0)) ** 2
                for c, w in cand.items()
            }
        out.append(choose(rng, cand))
    return out, set(named)


def resolve(spec: Mapping[str, Any], seed: int) -> Resolved:
    exclude = _exclusions(spec)
    styles = [
        s for s in _canon_list(spec.get("styles"), "styles") if s not in exclude.get("styles", [])
    ]
    occasions = _canon_list(spec.get("occasions"), "occasions")
    seasons = _canon_list(spec.get("seasons"), "seasons")
    hints = [*styles, *occasions, *seasons]
    explicit: set[str] = set()
    ignored: dict[str, Any] = {}

    garment = _first(spec.get("garment_type"), "garment_type")
    if garment is not None:
        explicit.add("garment_type")
    else:
        if spec.get("garment_type"):
            ignored["garment_type"] = spec.get("garment_type")
        garment = _choose_garment(seed, hints, exclude.get("garment_types", []))
    base = _W.base[garment]

    def attr(name: str, excl_key: str) -> str | None:
        # Scalar spec fields are named like their taxonomy family.
        raw = spec.get(name)
        value = _first(raw, name)
        if value is None and raw:
            ignored[name] = raw
        if value is not None:
            explicit.add(name)
        table: Table | None = base.get(name)
        if table is None:
            if value is not None:
                ignored[name] = value
            return None
        return _pick(seed, name, value, table, hints, exclude.get(excl_key, []))

    silhouette = attr("silhouette", "silhouettes")
    for detail in _canon_list(spec.get("details"), "details"):
        for name, out in DETAIL_CONFLICTS.get(detail, {}).items():
            table = base.get(name)
            if table:  # only what is open changes: `attr` keeps a value the spec names
                base = {**base, name: _without(table, out)}
    length = attr("length", "lengths")
    neckline = attr("neckline", "necklines") if garment not in _NO_TOP else None
    if garment in _NO_TOP and spec.get("neckline"):
        ignored["neckline"] = spec.get("neckline")
    sleeve = attr("sleeve", "sleeves") if garment not in _NO_TOP else None
    if garment in _NO_TOP and spec.get("sleeve"):
        ignored["sleeve"] = spec.get("sleeve")
    if garment == "vest":
        sleeve = "sleeveless"
    neckline, sleeve = _compat(seed, garment, neckline, sleeve, explicit, hints, exclude, ignored)

    def listed(family: str, name: str, table: Weights, fabric: str | None = None) -> str:
        # An explicit list is honoured in order (the first value not excluded wins).
        excluded = exclude.get(family, [])
        given = [v for v in _canon_list(spec.get(family), family) if v not in excluded]
        if given:
            explicit.add(family)
        return _pick(seed, name, given[0] if given else None, table, hints, excluded, fabric)

    palettes = [
        p
        for p in _canon_list(spec.get("palettes"), "palettes")
        if p not in exclude.get("palettes", [])
    ]
    spec_colors = _canon_list(spec.get("colors"), "colors")
    excl_col = exclude.get("colors", [])
    # The fabric before the print: an open fabric is one that can carry the print and
    # the colour asked for (no floral denim, no pink suede), an open print one the
    # fabric carries (denim is solid).
    fabric_table = dict(_W.fabric_by_garment[garment])
    asked_pattern = _first(
        [
            v
            for v in _canon_list(spec.get("patterns"), "patterns")
            if v not in exclude.get("patterns", [])
        ],
        "patterns",
    )
    pool = palette_pool(palettes, spec_colors, excl_col)
    asked_color = next((c for c in spec_colors if c not in pool and c not in excl_col), None)
    for family, asked in (("patterns", asked_pattern), ("colors", asked_color)):
        if asked is not None:
            fitting = {
                f: w for f, w in fabric_table.items() if _R.material_allows(f, family, asked)
            }
            fabric_table = fitting or fabric_table
    fabric = listed("fabrics", "fabric", fabric_table)

    pattern = listed(
        "patterns", "pattern", _W.pattern_by_garment.get(garment, _W.pattern_base), fabric
    )
    pattern_variant: str | None = None
    if pattern == "animal-print":
        excl_pat = exclude.get("patterns", [])
        kinds = {k: w for k, w in _W.animal_print_kinds.items() if k not in excl_pat}
        pattern_variant = choose(_rng(seed, "animal"), kinds) if kinds else None
        if pattern_variant is None:
            pattern = "solid"

    colors, named = _choose_colors(
        seed, garment, spec_colors, palettes, hints, excl_col, fabric, pattern
    )
    natural = _natural_colors(pattern, pattern_variant)
    if natural and not named and not palettes and not set(natural) & set(excl_col):
        # an animal print or camouflage in its natural colours unless colours were asked for
        colors = [*natural, *[c for c in colors if c not in natural]][:4]
    if named:
        explicit.add("colors")
    if palettes:
        explicit.add("palettes")

    details = _choose_details(
        seed, garment, spec.get("details"), hints, exclude.get("details", []), explicit, ignored
    )

    variant = _choose_variant(
        seed,
        garment,
        fabric,
        silhouette,
        explicit,
        hints,
        neckline,
        exclude.get("necklines", []),
        exclude.get("details", []),
    )
    if garment == "jacket" and variant in _CUT_NECKLINES:
        neckline = _CUT_NECKLINES[variant][0]  # what the cut draws, asked for or not
    if garment == "swimsuit" and variant == "bikini":
        neckline, sleeve = None, None

    return Resolved(
        garment_type=garment,
        silhouette=silhouette,
        length=length,
        neckline=neckline,
        sleeve=sleeve,
        pattern=pattern,
        pattern_variant=pattern_variant,
        fabric=fabric,
        colors=colors,
        palettes=palettes,
        styles=styles,
        occasions=occasions,
        seasons=seasons,
        details=details,
        variant=variant,
        exclude=exclude,
        explicit=explicit,
        ignored=ignored,
        named_colors=len(named),
    )


def _choose_variant(
    seed: int,
    garment: str,
    fabric: str,
    silhouette: str | None,
    explicit: set[str],
    hints: Sequence[str],
    neckline: str | None = None,
    excluded_necklines: Collection[str] = (),
    excluded_details: Collection[str] = (),
) -> str | None:
    table = _W.variants.get(garment)
    if table is None:
        return None
    if garment == "swimsuit" and ("neckline" in explicit or "sleeve" in explicit):
        # a named neckline or sleeve describes a one-piece; a bikini has neither
        return "one-piece"
    weights = dict(table.by_fabric.get(fabric, table.weights))
    for h in hints:
        leaning = table.lean.get(h)
        if leaning is not None and leaning in weights:
            weights[leaning] *= table.lean_factor
    if garment == "jacket":
        # A casual cut has its own collar: only one whose collar is the neckline asked
        # for (a v-neck or high-neck jacket is tailored), never one excluded.
        cut = {
            v: w
            for v, w in weights.items()
            if not set(_CUT_NECKLINES.get(v, ())) & set(excluded_necklines)
            and not set(_CUT_DETAILS.get(v, ())) & set(excluded_details)
            and ("neckline" not in explicit or neckline in _CUT_NECKLINES.get(v, (neckline,)))
        }
        weights = cut or {"tailored": 1.0}
    variant = choose(_rng(seed, "variant"), weights)
    if garment == "coat" and silhouette == "wrap":
        variant = "wrap"
    return variant


# Details a casual jacket cut cannot be drawn without.
_CUT_DETAILS: dict[str, tuple[str, ...]] = {"moto": ("zipper",), "bomber": ("zipper",)}
# The neckline each casual jacket cut is drawn with (the tailored cut draws any).
_CUT_NECKLINES: dict[str, tuple[str, ...]] = {
    "denim": ("collared",),
    "moto": ("collared",),
    "bomber": ("crew",),
}


def _natural_colors(pattern: str, variant: str | None) -> list[str]:
    kind = variant if pattern == "animal-print" else pattern
    return list(_W.natural_colors.get(kind or "", ()))


STRAPLESS_NECKS = {"sweetheart", "v-neck", "plunging", "square", "scoop"}
_NECK_MAP_TAILORED = {
    "turtleneck": "high-neck",
    "cowl": "high-neck",
    "plunging": "v-neck",
    "scoop": "crew",
    "boat": "crew",
    "square": "crew",
    "sweetheart": "v-neck",
    "halter": "v-neck",
    "off-shoulder": "collared",
    "one-shoulder": "collared",
}
# Garments whose neckline is a lapel or collar: other necklines map onto one they can cut.
_TAILORED = ("jacket", "blazer", "coat", "trench-coat", "suit", "vest", "cardigan")
_STRAPS = {"strapless", "spaghetti-strap"}
_SHOULDER_NECKS = ("halter", "one-shoulder", "off-shoulder")
# Sleeves a halter cannot hold (its straps meet at the neck, so there is no armhole).
_SET_IN_SLEEVES = REAL_SLEEVES


def compatible(garment: str, neckline: str | None, sleeve: str | None) -> bool:
    """Whether a neckline and a sleeve can be drawn together on `garment` as they are
    (what `_compat` would otherwise change): straps need an open neckline, a halter has
    no armholes, a corset is cut strapless or off the shoulder."""
    if garment in ("hoodie", "kimono", *_TAILORED):
        return True
    if garment == "corset" and neckline not in STRAPLESS_NECKS | {"off-shoulder"}:
        return False
    if sleeve in _STRAPS and neckline not in STRAPLESS_NECKS | {None, *_SHOULDER_NECKS}:
        return False
    return not (
        neckline in _SHOULDER_NECKS
        and sleeve in _STRAPS | (_SET_IN_SLEEVES if neckline == "halter" else set())
    )


def color_weights(garment: str, hints: Sequence[str], palettes: Sequence[str]) -> Weights:
    """How likely each colour is for `garment` under the hints (and inside the palettes)."""
    return _color_weights(garment, hints, palettes)


def lean(weights: Mapping[K, float], attr: str, hints: Sequence[str]) -> dict[K, float]:
    """`weights` multiplied by what the hints lean towards (render_weights.yaml `steer`)."""
    return _steer(weights, attr, hints)


def _compat(
    seed: int,
    garment: str,
    neckline: str | None,
    sleeve: str | None,
    explicit: set[str],
    hints: Sequence[str],
    exclude: dict[str, list[str]],
    ignored: dict[str, Any],
) -> tuple[str | None, str | None]:
    """Make neckline and sleeve drawable together, changing the one that was not asked for."""
    rng = _rng(seed, "compat")
    n_exp, s_exp = "neckline" in explicit, "sleeve" in explicit
    excl_n = exclude.get("necklines", [])
    excl_s = exclude.get("sleeves", [])
    if garment in ("hoodie", "kimono"):
        if neckline is not None and n_exp:
            ignored["neckline"] = neckline
        return None, sleeve
    if garment in _TAILORED:
        if neckline in _NECK_MAP_TAILORED:
            ignored["neckline"] = neckline
            neckline = _NECK_MAP_TAILORED[neckline]
        if garment == "cardigan" and neckline not in ("v-neck", "crew"):
            neckline = "v-neck"
        if garment == "vest" and neckline not in ("v-neck", "crew", "collared"):
            neckline = "v-neck"
        return neckline, sleeve
    if garment == "corset" and neckline not in STRAPLESS_NECKS | {"off-shoulder"}:
        if n_exp:
            ignored["neckline"] = neckline
        neckline = "sweetheart"
    sleeve_table: Table = _W.base[garment].get("sleeve", {"short": 1.0})
    sleeveless: Table = {"sleeveless": 1.0}
    if sleeve in _STRAPS and neckline not in STRAPLESS_NECKS | {None, *_SHOULDER_NECKS}:
        if not n_exp:
            opts = {k: w for k, w in _W.strap_necklines.items() if k not in excl_n}
            neckline = choose(rng, _bound("neckline", opts, hints) or {"sweetheart": 1.0})
        elif not s_exp:
            s_opts = {k: w for k, w in sleeve_table.items() if k not in _STRAPS and k not in excl_s}
            sleeve = choose(
                rng, _bound("sleeve", _steer(s_opts, "sleeve", hints), hints) or sleeveless
            )
        else:
            ignored["sleeve"] = sleeve
            sleeve = "sleeveless"
    if neckline in _SHOULDER_NECKS and sleeve in _STRAPS | (
        _SET_IN_SLEEVES if neckline == "halter" else set()
    ):
        if not s_exp:
            if neckline == "off-shoulder":
                s_opts = {k: w for k, w in _W.off_shoulder_sleeves.items() if k not in excl_s}
                sleeve = choose(
                    rng, _bound("sleeve", _steer(s_opts, "sleeve", hints), hints) or sleeveless
                )
            else:
                sleeve = "sleeveless"
        elif not n_exp:
            neck_table: Table = _W.base[garment].get("neckline", {"crew": 1.0})
            crew: Table = {"crew": 1.0}
            n_opts = {
                k: w for k, w in neck_table.items() if k not in _SHOULDER_NECKS and k not in excl_n
            }
            neckline = choose(rng, _bound("neckline", n_opts, hints) or crew)
            return _compat(
                seed + 1,
                garment,
                neckline,
                sleeve,
                explicit | {"neckline"},
                hints,
                exclude,
                ignored,
            )
        elif neckline != "halter" or sleeve in _STRAPS:
            ignored["sleeve"] = sleeve
            sleeve = "sleeveless"
    return neckline, sleeve


def _choose_details(
    seed: int,
    garment: str,
    raw: object,
    hints: Sequence[str],
    excluded: Collection[str],
    explicit: set[str],
    ignored: dict[str, Any],
) -> list[str]:
    named: list[str] = []
    unknown: list[Any] = []
    for item in _as_list(raw):
        c = _W.canon("details", item)
        if c is None:
            unknown.append(item)
        elif c not in named and c not in excluded:
            named.append(c)
    if unknown:
        ignored["details"] = unknown
    if named:
        explicit.add("details")
        return named
    probs = dict(_W.detail_base.get(garment, {}))
    scale = 1.0
    for h in hints:
        st = _steer_of(h)
        if st is None:
            continue
        for d, p in st.details.items():
            probs[d] = 1 - (1 - probs.get(d, 0.0)) * (1 - p)
        scale *= st.detail_scale
    allowed = _R.style_bound("details", _styles_of(hints))
    if allowed is not None:  # a style adds only its own kinds of detail (minimalist: few)
        probs = {d: p for d, p in probs.items() if d in allowed}
    rng = _rng(seed, "details")
    out = [
        d
        for d in _W.detail_order
        if d in probs and d not in excluded and rng.random() < probs[d] * scale
    ]
    return out[:3]
