"""Style rules: what a design in a style may be made of where the designer left it open.

The data lives in ``style_rules.yaml`` next to the taxonomy; loading checks every style,
attribute and value against ``taxonomy.yaml`` and fails naming the file, the entry and the
value. The prompt builder fills open attributes inside these bounds and the local renderer
keeps its own remaining choices inside them too::

    rules = get_style_rules()
    rules.style_bound("patterns", ["minimalist"])          # {'solid': 1.0}
    rules.bounded("length", {None: 4, "cropped": 1.5, "maxi": 1}, styles=["bohemian"])
    # {None: 4.0, 'maxi': 4.0}: a top keeps its own length, only long lengths are added

A rule bounds a fill, never what the designer said: callers pass only the values still
open. See the YAML's header for how bounds combine (several styles, materials first, a
garment keeps its own construction).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from designer_bff.garments.taxonomy import TAXONOMY_PATH, Taxonomy, get_taxonomy

STYLE_RULES_PATH = TAXONOMY_PATH.with_name("style_rules.yaml")

# The attributes a style may bound (GarmentSpec fields = taxonomy families).
RULE_ATTRIBUTES: tuple[str, ...] = (
    "garment_type",
    "silhouette",
    "length",
    "neckline",
    "sleeve",
    "patterns",
    "fabrics",
    "colors",
    "details",
)
# What a fabric's look bounds.
MATERIAL_ATTRIBUTES: tuple[str, ...] = ("patterns", "colors")
# Attributes whose bound may be empty ("add none").
MAY_BE_EMPTY = frozenset({"details"})

_TOP_KEYS = frozenset({"version", "default", "styles", "materials"})

# Allowed values -> how much each is preferred.
Bound = Mapping[str, float]
K = TypeVar("K", bound=str | None)


class StyleRulesError(ValueError):
    """style_rules.yaml does not fit the taxonomy (or is malformed)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One style's (or one fabric's) bounds: attribute -> allowed value -> preference."""

    bounds: Mapping[str, Bound] = field(default_factory=dict)

    def bound(self, attribute: str) -> Bound | None:
        return self.bounds.get(attribute)


@dataclass(frozen=True)
class StyleRules:
    path: Path
    default: Rule
    styles: Mapping[str, Rule]
    materials: Mapping[str, Rule]

    def rule(self, style: str) -> Rule:
        """A style's rule; the default rule for a style without rules of its own."""
        own = self.styles.get(style)
        return own if own is not None and own.bounds else self.default

    def has_rules(self, style: str) -> bool:
        own = self.styles.get(style)
        return own is not None and bool(own.bounds)

    def style_bound(self, attribute: str, styles: Iterable[str]) -> Bound | None:
        """What the styles together allow for `attribute` (None: not bounded).

        The values every bounding style allows, preferences multiplied; when they share
        none, the values any of them allows (each at its strongest preference)."""
        names = tuple(dict.fromkeys(styles))
        bounds = [b for s in names if (b := self.rule(s).bound(attribute))]
        bounds += [] if bounds else [b for b in [self.default.bound(attribute)] if b]
        if not bounds:
            empty = [s for s in names if self.rule(s).bound(attribute) is not None]
            return {} if empty else None  # every bounding style allows nothing (details)
        shared = [v for v in bounds[0] if all(v in b for b in bounds[1:])]
        if shared:
            return {v: math.prod(b[v] for b in bounds) for v in shared}
        union: dict[str, float] = {}
        for b in bounds:
            for v, w in b.items():
                union[v] = max(union.get(v, 0.0), w)
        return union

    def material_bound(self, attribute: str, fabric: str | None) -> Bound | None:
        """What a fabric's look allows for `attribute` (None: not bounded)."""
        if fabric is None:
            return None
        rule = self.materials.get(fabric)
        return rule.bound(attribute) if rule is not None else None

    def material_allows(self, fabric: str, attribute: str, value: str) -> bool:
        bound = self.material_bound(attribute, fabric)
        return bound is None or value in bound

    def bounded(
        self,
        attribute: str,
        weights: Mapping[K, float],
        *,
        styles: Iterable[str] = (),
        fabric: str | None = None,
    ) -> dict[K, float]:
        """`weights` (the garment's own options for an open attribute) kept inside the
        fabric's look, then the styles' bounds, with the styles' preferences multiplied in.

        A bound that would leave nothing the garment can be is skipped (`None` keys, "the
        garment's own length", always stay); details are the exception: their bound
        always applies, an empty one leaving none.
        """
        out: dict[K, float] = {k: w for k, w in weights.items() if w > 0}
        for bound in (
            self.material_bound(attribute, fabric),
            self.style_bound(attribute, styles),
        ):
            if bound is None:
                continue
            kept: dict[K, float] = {
                k: (w if k is None else w * bound[k])
                for k, w in out.items()
                if k is None or k in bound
            }
            if kept or attribute in MAY_BE_EMPTY:
                out = kept
        return out

    def fits(self, attribute: str, value: str, styles: Iterable[str]) -> bool:
        """Whether `value` lies inside what the styles allow for `attribute`."""
        bound = self.style_bound(attribute, styles)
        return bound is None or value in bound


def load_style_rules(path: Path = STYLE_RULES_PATH, taxonomy: Taxonomy | None = None) -> StyleRules:
    """Read and validate `path`; raises StyleRulesError naming file, entry and value."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise StyleRulesError(f"{path}: cannot be read: {exc}") from exc
    return _Loader(path, taxonomy or get_taxonomy()).load(data)


@lru_cache(maxsize=1)
def get_style_rules() -> StyleRules:
    """The shipped rules, loaded and validated once per process."""
    return load_style_rules()


class _Loader:
    def __init__(self, path: Path, taxonomy: Taxonomy) -> None:
        self.path = path
        self.tax = taxonomy

    def fail(self, where: str, message: str) -> NoReturn:
        raise StyleRulesError(f"{self.path}: {where}: {message}")

    def mapping(self, raw: object, where: str) -> Mapping[Any, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.fail(where, f"expected a mapping, got {type(raw).__name__}")
        return raw

    def value(self, raw: object, family: str, where: str) -> str:
        if not isinstance(raw, str) or not self.tax.is_canonical(family, raw):
            self.fail(where, f"{raw!r} is not a canonical taxonomy {family} value")
        return raw

    def weight(self, raw: object, where: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.fail(where, f"{raw!r} is not a number")
        value = float(raw)
        if not math.isfinite(value) or value <= 0:
            self.fail(where, f"{raw!r} must be positive")
        return value

    def bound(self, raw: object, family: str, where: str) -> dict[str, float]:
        if isinstance(raw, list):
            values = [self.value(v, family, f"{where} ({family})") for v in raw]
            if len(set(values)) != len(values):
                self.fail(where, "lists a value twice")
            out = dict.fromkeys(values, 1.0)
        elif isinstance(raw, Mapping):
            out = {
                self.value(k, family, f"{where} ({family})"): self.weight(v, f"{where}.{k}")
                for k, v in raw.items()
            }
        else:
            self.fail(where, "expected a list of values or a mapping value -> weight")
        if not out and family not in MAY_BE_EMPTY:
            self.fail(where, "allows nothing: leave the attribute out to not bound it")
        return out

    def rule(self, raw: object, where: str, attributes: tuple[str, ...]) -> Rule:
        bounds: dict[str, dict[str, float]] = {}
        for attr, raw_bound in self.mapping(raw, where).items():
            if attr not in attributes:
                self.fail(where, f"{attr!r} is not one of {list(attributes)}")
            bounds[attr] = self.bound(raw_bound, attr, f"{where}.{attr}")
        return Rule(bounds)

    def load(self, data: object) -> StyleRules:
        top = self.mapping(data, "top level")
        unknown = set(top) - _TOP_KEYS
        if unknown:
            self.fail("top level", f"unknown sections {sorted(map(str, unknown))}")
        styles: dict[str, Rule] = {}
        for style, raw in self.mapping(top.get("styles"), "styles").items():
            name = self.value(style, "styles", "styles")
            styles[name] = self.rule(raw, f"styles.{name}", RULE_ATTRIBUTES)
        missing = [s for s in self.tax.values("styles") if s not in styles]
        if missing:
            self.fail(
                "styles",
                f"taxonomy styles without an entry: {missing} (give each rules, or `{{}}` "
                "for the default)",
            )
        materials = {
            self.value(f, "fabrics", "materials"): self.rule(
                raw, f"materials.{f}", MATERIAL_ATTRIBUTES
            )
            for f, raw in self.mapping(top.get("materials"), "materials").items()
        }
        return StyleRules(
            path=self.path,
            default=self.rule(top.get("default"), "default", RULE_ATTRIBUTES),
            styles=styles,
            materials=materials,
        )
