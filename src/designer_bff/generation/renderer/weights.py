"""The renderer's vocabulary and weight tables, checked against the taxonomy when loaded.

The vocabulary is the taxonomy's (``designer_bff.garments.taxonomy``): the renderer
accepts exactly what the parser produces, with the taxonomy's synonyms. How each value is
drawn lives in ``garments/render_weights.yaml``. Loading validates the two together, so a
taxonomy value without drawing data, or a weight naming something the taxonomy does not
know, fails at import (and in the unit tests) instead of being drawn as something random::

    w = get_render_weights()
    w.canon("colors", "Navy Blue")     # 'navy'
    w.base["dress"]["length"]          # {'mini': 2.0, 'knee': 3.0, ...}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

from designer_bff.garments.spec import ATTRIBUTE_FIELDS
from designer_bff.garments.taxonomy import TAXONOMY_PATH, Taxonomy, get_taxonomy, normalize_phrase

from .palette import COLORS, PALETTES

WEIGHTS_PATH = TAXONOMY_PATH.with_name("render_weights.yaml")
# libyaml's parser when present: same result as safe_load, parsed ~6x faster (at import).
_YAML_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

Weights = dict[str, float]
# Base tables may weigh `None`: "leave the length to the garment" (a top ends at the hip).
Table = dict[str | None, float]

# Attributes a garment's base table may weigh, by taxonomy family (same names).
BASE_ATTRIBUTES = ("silhouette", "length", "neckline", "sleeve")
# Attributes a steer entry multiplies -> the taxonomy family their values belong to.
STEER_LEANS: dict[str, str] = {
    "length": "length",
    "silhouette": "silhouette",
    "neckline": "neckline",
    "sleeve": "sleeve",
    "pattern": "patterns",
    "fabric": "fabrics",
    "colors": "colors",
}
HINT_FAMILIES = ("styles", "occasions", "seasons")
# The cuts garments.py knows how to draw; not taxonomy values (nobody asks for "moto").
CONSTRUCTION_VARIANTS = frozenset(
    {
        "one-piece",
        "bikini",
        "tailored",
        "denim",
        "bomber",
        "moto",
        "single-breasted",
        "double-breasted",
        "wrap",
    }
)
_TOP_KEYS = frozenset(
    {
        "version",
        "renderer_only",
        "draw_as",
        "not_drawn",
        "base",
        "compat",
        "patterns",
        "fabrics",
        "colors",
        "details",
        "variants",
        "steer",
    }
)


class RenderWeightsError(ValueError):
    """render_weights.yaml does not fit the taxonomy (or is malformed)."""


@dataclass(frozen=True, slots=True)
class Steer:
    """How one style, occasion or season leans the choices (see the YAML's `steer`)."""

    lean: Mapping[str, Weights]  # attribute (STEER_LEANS) -> value -> multiplier
    palettes: Weights  # palette -> multiplier for its colours
    details: Weights  # detail -> probability added when details are left open
    detail_scale: float  # scales every detail probability (minimalist damps them)
    garment: Weights  # garment type -> weight when the type is left open


@dataclass(frozen=True, slots=True)
class VariantTable:
    """Construction variants of one garment type (jacket: tailored, denim, bomber, moto)."""

    weights: Weights
    by_fabric: Mapping[str, Weights]
    lean: Mapping[str, str]  # hint -> variant it favours
    lean_factor: float


@dataclass(frozen=True)
class RenderWeights:
    """render_weights.yaml, validated, with the taxonomy it was validated against."""

    path: Path
    taxonomy: Taxonomy
    values: Mapping[str, tuple[str, ...]]  # accepted values: taxonomy order, then renderer-only
    renderer_only: Mapping[str, frozenset[str]]
    draw_as: Mapping[str, Mapping[str, str]]
    not_drawn: Mapping[str, frozenset[str]]
    base: Mapping[str, Mapping[str, Table]]
    strap_necklines: Weights
    off_shoulder_sleeves: Weights
    pattern_base: Weights
    pattern_by_garment: Mapping[str, Weights]
    animal_print_kinds: Weights
    natural_colors: Mapping[str, tuple[str, ...]]
    fabric_by_garment: Mapping[str, Weights]
    color_base: Weights
    color_by_garment: Mapping[str, Weights]
    detail_order: tuple[str, ...]
    detail_base: Mapping[str, Weights]
    variants: Mapping[str, VariantTable]
    steer: Mapping[str, Steer]
    _canon_cache: dict[tuple[str, str], str | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def canon(self, family: str, value: object) -> str | None:
        """The value of `family` to draw for spec text `value`, or None if none is drawn.

        Canonical values and taxonomy synonyms ("Navy Blue", "trousers") are accepted, then
        `draw_as` applies; `not_drawn` values and unknown text give None. No typo guessing:
        the parser corrects typos, and a guess here would draw something nobody asked for.
        """
        if not isinstance(value, str):
            return None
        key = (family, value)
        try:
            return self._canon_cache[key]
        except KeyError:
            pass
        result = self._canon(family, value)
        if len(self._canon_cache) < 20_000:  # bound memory on adversarial specs
            self._canon_cache[key] = result
        return result

    def _canon(self, family: str, value: str) -> str | None:
        tax = self.taxonomy
        found: str | None = value if tax.is_canonical(family, value) else None
        if found is None:
            found = next(
                (a.value for r in tax.readings(value) for a in r if a.family == family), None
            )
        if found is None:
            spelled = normalize_phrase(value).replace(" ", "-")
            return spelled if spelled in self.renderer_only.get(family, ()) else None
        if found in self.not_drawn.get(family, ()):
            return None
        return self.draw_as.get(family, {}).get(found, found)


def load_render_weights(
    path: Path = WEIGHTS_PATH, taxonomy: Taxonomy | None = None
) -> RenderWeights:
    """Read and validate `path`; raises RenderWeightsError naming file, family and value."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except (OSError, yaml.YAMLError) as exc:
        raise RenderWeightsError(f"{path}: cannot be read: {exc}") from exc
    return _Loader(path, taxonomy or get_taxonomy()).load(data)


@lru_cache(maxsize=1)
def get_render_weights() -> RenderWeights:
    """The shipped weights, loaded and validated once per process."""
    return load_render_weights()


class _Loader:
    """Builds RenderWeights from parsed YAML, failing on the first problem found."""

    def __init__(self, path: Path, taxonomy: Taxonomy) -> None:
        self.path = path
        self.tax = taxonomy
        self.extra: dict[str, frozenset[str]] = {}

    def fail(self, where: str, message: str) -> NoReturn:
        raise RenderWeightsError(f"{self.path}: {where}: {message}")

    # -- shapes -----------------------------------------------------------------------

    def mapping(self, raw: object, where: str) -> Mapping[Any, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.fail(where, f"expected a mapping, got {type(raw).__name__}")
        return raw

    def number(self, raw: object, where: str, *, probability: bool = False) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.fail(where, f"{raw!r} is not a number")
        value = float(raw)
        if not math.isfinite(value) or value <= 0 or (probability and value > 1):
            limits = "in (0, 1]" if probability else "positive"
            self.fail(where, f"{raw!r} must be {limits}")
        return value

    def name(self, raw: object, family: str, where: str) -> str:
        """A canonical taxonomy value of `family` (or a declared renderer-only one)."""
        if not isinstance(raw, str) or not (
            self.tax.is_canonical(family, raw) or raw in self.extra.get(family, ())
        ):
            self.fail(where, f"{raw!r} is not a canonical taxonomy {family} value")
        return raw

    def hint(self, raw: object, where: str) -> str:
        if not isinstance(raw, str) or not any(
            self.tax.is_canonical(f, raw) for f in HINT_FAMILIES
        ):
            self.fail(where, f"{raw!r} is not a canonical taxonomy styles/occasions/seasons value")
        return raw

    def weights(
        self, raw: object, family: str, where: str, *, probability: bool = False
    ) -> Weights:
        table = self.mapping(raw, where)
        return {
            self.name(k, family, f"{where} ({family})"): self.number(
                v, f"{where}.{k}", probability=probability
            )
            for k, v in table.items()
        }

    def choice(self, raw: object, family: str, where: str) -> Weights:
        """Weights something is drawn from: an empty table would have nothing to draw."""
        table = self.weights(raw, family, where)
        if not table:
            self.fail(where, "is empty")
        return table

    def names(self, raw: object, family: str, where: str) -> tuple[str, ...]:
        if not isinstance(raw, list):
            self.fail(where, "expected a list")
        out = tuple(self.name(v, family, f"{where} ({family})") for v in raw)
        if len(set(out)) != len(out):
            self.fail(where, "lists a value twice")
        return out

    def per_garment(self, raw: object, where: str, family: str) -> dict[str, Weights]:
        return {
            self.name(g, "garment_type", f"{where} (garment_type)"): self.choice(
                w, family, f"{where}.{g}"
            )
            for g, w in self.mapping(raw, where).items()
        }

    # -- sections ---------------------------------------------------------------------

    def load(self, data: object) -> RenderWeights:
        top = self.mapping(data, "top level")
        unknown = set(top) - _TOP_KEYS
        if unknown:
            self.fail("top level", f"unknown sections {sorted(map(str, unknown))}")
        self.extra = self.renderer_only(top.get("renderer_only"))
        draw_as = self.draw_as(top.get("draw_as"))
        not_drawn = {
            self.family(f, "not_drawn"): frozenset(self.names(v, f, f"not_drawn.{f}"))
            for f, v in self.mapping(top.get("not_drawn"), "not_drawn").items()
        }
        base = self.base(top.get("base"))
        compat = self.mapping(top.get("compat"), "compat")
        patterns = self.mapping(top.get("patterns"), "patterns")
        colors = self.mapping(top.get("colors"), "colors")
        details = self.mapping(top.get("details"), "details")
        fabrics = self.mapping(top.get("fabrics"), "fabrics")
        detail_order = self.names(details.get("draw_order"), "details", "details.draw_order")
        weights = RenderWeights(
            path=self.path,
            taxonomy=self.tax,
            values={
                f: (*self.tax.values(f), *sorted(self.extra.get(f, ()))) for f in ATTRIBUTE_FIELDS
            },
            renderer_only=self.extra,
            draw_as=draw_as,
            not_drawn=not_drawn,
            base=base,
            strap_necklines=self.choice(
                compat.get("strap_necklines"), "neckline", "compat.strap_necklines"
            ),
            off_shoulder_sleeves=self.choice(
                compat.get("off_shoulder_sleeves"), "sleeve", "compat.off_shoulder_sleeves"
            ),
            pattern_base=self.choice(patterns.get("base"), "patterns", "patterns.base"),
            pattern_by_garment=self.per_garment(
                patterns.get("by_garment"), "patterns.by_garment", "patterns"
            ),
            animal_print_kinds=self.weights(
                patterns.get("animal_print_kinds"), "patterns", "patterns.animal_print_kinds"
            ),
            natural_colors={
                self.name(p, "patterns", "patterns.natural_colors (patterns)"): self.names(
                    c, "colors", f"patterns.natural_colors.{p}"
                )
                for p, c in self.mapping(
                    patterns.get("natural_colors"), "patterns.natural_colors"
                ).items()
            },
            fabric_by_garment=self.per_garment(
                fabrics.get("by_garment"), "fabrics.by_garment", "fabrics"
            ),
            color_base=self.color_base(colors),
            color_by_garment=self.per_garment(
                colors.get("by_garment"), "colors.by_garment", "colors"
            ),
            detail_order=detail_order,
            detail_base={
                g: self.weights(w, "details", f"details.by_garment.{g}", probability=True)
                for g, w in self.per_garment_raw(details.get("by_garment"), "details.by_garment")
            },
            variants=self.variants(top.get("variants")),
            steer=self.steer(top.get("steer")),
        )
        _Coverage(self, weights).check()
        return weights

    def family(self, raw: object, where: str) -> str:
        if raw not in ATTRIBUTE_FIELDS:
            self.fail(where, f"{raw!r} is not a taxonomy family")
        return str(raw)

    def per_garment_raw(self, raw: object, where: str) -> list[tuple[str, object]]:
        return [
            (self.name(g, "garment_type", f"{where} (garment_type)"), w)
            for g, w in self.mapping(raw, where).items()
        ]

    def renderer_only(self, raw: object) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for f, values in self.mapping(raw, "renderer_only").items():
            family = self.family(f, "renderer_only")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.fail(f"renderer_only.{family}", "expected a list of names")
            for v in values:
                # Once the taxonomy has it, this second definition must go.
                if self.tax.is_canonical(family, v) or any(
                    a.family == family for r in self.tax.readings(v) for a in r
                ):
                    self.fail(
                        f"renderer_only.{family}",
                        f"{v!r} is a taxonomy {family} value now: remove it from renderer_only",
                    )
                if v != normalize_phrase(v).replace(" ", "-"):
                    self.fail(f"renderer_only.{family}", f"{v!r} is not lower-case hyphenated")
            out[family] = frozenset(values)
        return out

    def draw_as(self, raw: object) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for f, table in self.mapping(raw, "draw_as").items():
            family = self.family(f, "draw_as")
            where = f"draw_as.{family}"
            out[family] = {
                self.name(k, family, f"{where} ({family})"): self.name(
                    v, family, f"{where}.{k} ({family})"
                )
                for k, v in self.mapping(table, where).items()
            }
        return out

    def base(self, raw: object) -> dict[str, dict[str, Table]]:
        out: dict[str, dict[str, Table]] = {}
        for garment, attrs in self.per_garment_raw(raw, "base"):
            where = f"base.{garment}"
            tables: dict[str, Table] = {}
            for attr, table in self.mapping(attrs, where).items():
                if attr not in BASE_ATTRIBUTES:
                    self.fail(where, f"{attr!r} is not one of {list(BASE_ATTRIBUTES)}")
                entries = self.mapping(table, f"{where}.{attr}")
                if not entries:
                    self.fail(f"{where}.{attr}", "is empty")
                tables[attr] = {
                    (
                        None
                        if k is None and attr == "length"
                        else self.name(k, attr, f"{where}.{attr} ({attr})")
                    ): self.number(v, f"{where}.{attr}.{k}")
                    for k, v in entries.items()
                }
            out[garment] = tables
        return out

    def color_base(self, colors: Mapping[Any, Any]) -> Weights:
        default = self.number(colors.get("default", 1), "colors.default")
        listed = self.weights(colors.get("base"), "colors", "colors.base")
        for c in listed:
            if c not in COLORS:
                self.fail("colors.base", f"{c!r} has no RGB in palette.py COLORS")
        # Every drawable taxonomy colour can be chosen unasked; `base` only tunes defaults.
        return {c: listed.get(c, default) for c in self.tax.values("colors") if c in COLORS}

    def variants(self, raw: object) -> dict[str, VariantTable]:
        out: dict[str, VariantTable] = {}
        for garment, entry in self.per_garment_raw(raw, "variants"):
            where = f"variants.{garment}"
            spec = self.mapping(entry, where)
            unknown = set(spec) - {"weights", "by_fabric", "lean", "lean_factor"}
            if unknown:
                self.fail(where, f"unknown keys {sorted(map(str, unknown))}")
            lean = {
                self.hint(h, f"{where}.lean"): self.variant(v, f"{where}.lean.{h}")
                for h, v in self.mapping(spec.get("lean"), f"{where}.lean").items()
            }
            out[garment] = VariantTable(
                weights=self.variant_weights(spec.get("weights"), f"{where}.weights"),
                by_fabric={
                    self.name(f, "fabrics", f"{where}.by_fabric (fabrics)"): self.variant_weights(
                        w, f"{where}.by_fabric.{f}"
                    )
                    for f, w in self.mapping(spec.get("by_fabric"), f"{where}.by_fabric").items()
                },
                lean=lean,
                lean_factor=self.number(spec.get("lean_factor", 1), f"{where}.lean_factor"),
            )
            if not out[garment].weights:
                self.fail(f"{where}.weights", "is empty")
        return out

    def variant(self, raw: object, where: str) -> str:
        if raw not in CONSTRUCTION_VARIANTS:
            self.fail(where, f"{raw!r} is not a construction variant garments.py draws")
        return str(raw)

    def variant_weights(self, raw: object, where: str) -> Weights:
        return {
            self.variant(k, where): self.number(v, f"{where}.{k}")
            for k, v in self.mapping(raw, where).items()
        }

    def steer(self, raw: object) -> dict[str, Steer]:
        out: dict[str, Steer] = {}
        for h, entry in self.mapping(raw, "steer").items():
            hint = self.hint(h, "steer")
            where = f"steer.{hint}"
            spec = self.mapping(entry, where)
            lean: dict[str, Weights] = {}
            for attr, table in spec.items():
                if attr in STEER_LEANS:
                    lean[attr] = self.weights(table, STEER_LEANS[attr], f"{where}.{attr}")
                elif attr not in ("palettes", "details", "detail_scale", "garment"):
                    self.fail(where, f"{attr!r} is not something a style can steer")
            out[hint] = Steer(
                lean=lean,
                palettes=self.weights(spec.get("palettes"), "palettes", f"{where}.palettes"),
                details=self.weights(
                    spec.get("details"), "details", f"{where}.details", probability=True
                ),
                detail_scale=self.number(
                    spec.get("detail_scale", 1), f"{where}.detail_scale", probability=True
                ),
                garment=self.weights(spec.get("garment"), "garment_type", f"{where}.garment"),
            )
        return out


class _Coverage:
    """Cross-checks: every taxonomy value is drawable, every table names drawable values."""

    def __init__(self, loader: _Loader, w: RenderWeights) -> None:
        self.loader = loader
        self.w = w
        self.tax = loader.tax

    def check(self) -> None:
        drawable = self.drawable()
        self.check_palette_names()
        for family in ATTRIBUTE_FIELDS:
            can_draw = drawable[family]
            mapped = self.w.draw_as.get(family, {})
            skipped = self.w.not_drawn.get(family, frozenset())
            for value, target in mapped.items():
                if value in can_draw:
                    self.loader.fail(f"draw_as.{family}", f"{value!r} is drawn as itself already")
                if target not in can_draw:
                    self.loader.fail(
                        f"draw_as.{family}.{value}", f"{target!r} is not a drawable {family} value"
                    )
            for value in skipped:
                if value in can_draw or value in mapped:
                    self.loader.fail(f"not_drawn.{family}", f"{value!r} is drawn after all")
            for value in self.w.renderer_only.get(family, ()):
                if value not in can_draw:
                    self.loader.fail(
                        f"renderer_only.{family}", f"{value!r} has no weights to be drawn with"
                    )
            for value in self.tax.values(family):
                if value not in can_draw and value not in mapped and value not in skipped:
                    self.loader.fail(
                        family,
                        f"taxonomy {family} value {value!r} has no drawing data: give it "
                        "weights, a draw_as mapping, or list it under not_drawn",
                    )
        for garment in self.w.base:
            if garment not in self.w.fabric_by_garment:
                self.loader.fail("fabrics.by_garment", f"{garment!r} has no fabric weights")
        order = set(self.w.detail_order)
        tables = [
            *((f"details.by_garment.{g}", t) for g, t in self.w.detail_base.items()),
            *((f"steer.{h}.details", s.details) for h, s in self.w.steer.items()),
        ]
        for where, table in tables:
            for d in table:
                if d not in order:
                    self.loader.fail(where, f"detail {d!r} is not in details.draw_order")
        # Tables may only name values that are drawn: a weight for something mapped
        # away or not drawn would never apply (or would crash a lookup).
        for where, garments in (
            ("patterns.by_garment", self.w.pattern_by_garment),
            ("fabrics.by_garment", self.w.fabric_by_garment),
            ("colors.by_garment", self.w.color_by_garment),
            ("details.by_garment", self.w.detail_base),
            ("variants", self.w.variants),
            *((f"steer.{h}.garment", s.garment) for h, s in self.w.steer.items()),
        ):
            for g in garments:
                if g not in drawable["garment_type"]:
                    self.loader.fail(where, f"garment_type {g!r} is not drawn (no base entry)")
        for h, s in self.w.steer.items():
            for p in s.palettes:
                if p not in drawable["palettes"]:
                    self.loader.fail(f"steer.{h}.palettes", f"palette {p!r} is not drawn")
        for g, variant_table in self.w.variants.items():
            for f in variant_table.by_fabric:
                if f not in drawable["fabrics"]:
                    self.loader.fail(f"variants.{g}.by_fabric", f"fabric {f!r} is not drawn")
        for p, members in self.w.natural_colors.items():
            if p not in drawable["patterns"]:
                self.loader.fail("patterns.natural_colors", f"{p!r} is not a drawable pattern")
            if not members:
                self.loader.fail(f"patterns.natural_colors.{p}", "is empty")

    def drawable(self) -> dict[str, set[str]]:
        """Values each family can draw: those with weights (colours: with RGB)."""
        w = self.w
        out: dict[str, set[str]] = {f: set() for f in ATTRIBUTE_FIELDS}
        out["garment_type"] = set(w.base)
        for tables in w.base.values():
            for attr, table in tables.items():
                out[attr] |= {k for k in table if k is not None}
        out["neckline"] |= set(w.strap_necklines)
        out["sleeve"] |= set(w.off_shoulder_sleeves)
        out["patterns"] = {
            *w.pattern_base,
            *(p for t in w.pattern_by_garment.values() for p in t),
            *w.animal_print_kinds,
        }
        out["fabrics"] = {f for t in w.fabric_by_garment.values() for f in t}
        out["colors"] = set(COLORS)
        out["palettes"] = set(PALETTES)
        out["details"] = set(w.detail_order)
        for family in HINT_FAMILIES:
            out[family] = {h for h in w.steer if self.tax.is_canonical(family, h)}
        return out

    def check_palette_names(self) -> None:
        """palette.py's drawing data must use taxonomy names too."""
        where = "palette.py"
        for c in COLORS:
            if not self.tax.is_canonical("colors", c):
                self.loader.fail(where, f"COLORS: {c!r} is not a canonical taxonomy colors value")
        for p, members in PALETTES.items():
            if not self.tax.is_canonical("palettes", p):
                self.loader.fail(
                    where, f"PALETTES: {p!r} is not a canonical taxonomy palettes value"
                )
            for c in members:
                if c not in COLORS:
                    self.loader.fail(where, f"PALETTES.{p}: {c!r} has no RGB in COLORS")
            # The parser adds a named palette's colours to `colors`; they must read as
            # that palette's pool, not as colours named one by one.
            missing = set(self.tax.palette_colors(p)) - set(members)
            if missing:
                self.loader.fail(
                    where, f"PALETTES.{p} lacks the taxonomy's palette colours {sorted(missing)}"
                )
        tables = [
            *((f"colors.by_garment.{g}", t) for g, t in self.w.color_by_garment.items()),
            *((f"patterns.natural_colors.{p}", t) for p, t in self.w.natural_colors.items()),
        ]
        for table_where, table in tables:
            for c in table:
                if c not in COLORS:
                    self.loader.fail(table_where, f"{c!r} has no RGB in palette.py COLORS")
