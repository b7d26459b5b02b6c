"""Filling what a command left open: pure, deterministic per (seed, index).

What the designer said is kept as said; exclusions are taken out (also of what was said)
and never filled. Each open attribute is drawn from the garment's own options (the
renderer's weight tables, leaned by the styles, occasions and seasons), kept inside the
style rules and the fabric's look (``garments/style_rules.yaml``), mixed with the
designer's style profile, tilted by their learned preferences, without banned values.

Variety across a batch: the designs of one batch share a seed and differ by index, and
each attribute draws its choice from a stratified sequence over the index (a per-attribute
shuffled Latin hypercube), so ten dresses spread over the likely silhouettes, prints and
colours instead of landing on the same few by chance, while attributes stay independent
of one another.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from designer_bff.garments.spec import ATTRIBUTES, BY_FIELD, EXCLUDE_FAMILY, GarmentSpec
from designer_bff.garments.style_rules import StyleRules, get_style_rules
from designer_bff.generation.renderer.palette import COLORS, PALETTES, distance
from designer_bff.generation.renderer.spec_resolve import (
    DETAIL_CONFLICTS,
    color_weights,
    compatible,
    lean,
    palette_pool,
    second_colour_fits,
)
from designer_bff.generation.renderer.weights import RenderWeights, get_render_weights

from .model import Preferences, StyleProfile

K = TypeVar("K", bound=str | None)

# Designs per stratified block: any run of this many consecutive indices covers every
# stratum of each attribute once.
BLOCK = 16

# How many of the spec's colours a print shows (see renderer/patterns.py).
PRINT_COLORS: dict[str, int] = {
    "solid": 1,
    "striped": 2,
    "polka-dot": 2,
    "gingham": 2,
    "check": 2,
    "houndstooth": 2,
    "zebra": 2,
    "animal-print": 2,
    "leopard": 3,
    "tie-dye": 3,
    "color-block": 3,
}
# Prints drawn in their own colours when no colour is asked for.
NATURAL_PRINTS = frozenset({"animal-print", "leopard", "zebra", "camouflage"})
# One colour named ("camel coats"): the design reads in it. Prints are rarer than for
# an open colour, and their other colours are neutrals that set it off.
ONE_COLOUR_SOLID_LIFT = 3.0
NEUTRAL_ACCENTS = frozenset({*PALETTES["neutrals"], "navy"})
# Prints in which the first colour shares the ground with others (or is one patch among
# them): a "black skirt" drawn in black and ivory stripes reads grey.
MANY_COLOUR_GROUNDS = frozenset(
    {"color-block", "plaid", "camouflage", "striped", "gingham", "houndstooth", "check", "tie-dye"}
)
# Garments whose neckline and sleeve the renderer decides with the cut (bikini or not).
_CUT_DECIDES_TOP = frozenset({"swimsuit"})
_DEFAULT_GARMENT = "dress"
# Thompson sampling over learned posteriors: each option's draw weight is multiplied by
# (its sampled success rate / the best sampled rate) ** THOMPSON_SHARPNESS, so the
# option that samples best dominates and the style mix still breaks near-ties (chosen
# by bench/learning.py). Options without a posterior sample from the attribute's mean
# success rate with UNSEEN_STRENGTH pseudo-designs: uncertain, so they get tried, but not
# as often as a value the designer has clearly loved (1 made a proven favourite lose to
# untried values about a third of the time; 4 is better on the bench too).
THOMPSON_SHARPNESS = 16.0
UNSEEN_STRENGTH = 4.0


def stratum(seed: int, index: int, attribute: str) -> float:
    """A number in [0, 1) for design `index`: the indices of one block fall in different
    sixteenths, in an order shuffled per (seed, attribute, block)."""
    block, pos = divmod(index, BLOCK)
    order = list(range(BLOCK))
    # Variety, not security: reproducible per (seed, attribute, block).
    random.Random(f"{seed}|{attribute}|{block}").shuffle(order)  # noqa: S311
    jitter = random.Random(f"{seed}|{attribute}|{index}|jitter").random()  # noqa: S311
    return (order[pos] + jitter) / BLOCK


def pick(weights: Mapping[K, float], u: float) -> K:
    """The value at `u` of the weights' cumulative distribution (heaviest first)."""
    items = sorted(
        ((k, w) for k, w in weights.items() if w > 0), key=lambda kw: (-kw[1], str(kw[0]))
    )
    if not items:
        raise ValueError("nothing to choose from")
    total = sum(w for _, w in items)
    target = u * total
    for k, w in items:
        target -= w
        if target < 0:
            return k
    return items[-1][0]


def excluded_values(spec: GarmentSpec, weights: RenderWeights | None = None) -> dict[str, set[str]]:
    """Spec field -> values the designer excluded, with what they stand for (a palette's
    colours, animal print's kinds)."""
    w = weights or get_render_weights()
    out: dict[str, set[str]] = {a.field: set() for a in ATTRIBUTES}
    for key, values in spec.exclude.non_empty().items():
        out[EXCLUDE_FAMILY[key]].update(values)
    for palette in out["palettes"]:
        out["colors"].update(PALETTES.get(palette, ()))
    if "animal-print" in out["patterns"]:
        out["patterns"].update(w.animal_print_kinds)
    return out


@dataclass
class Filled:
    spec: GarmentSpec
    stated: list[str]
    filled: dict[str, Any]
    style_rules: list[str]
    profile_used: bool
    preferences_used: bool
    dropped: dict[str, list[str]] = field(default_factory=dict)
    pinned: dict[str, Any] = field(default_factory=dict)


class _Filler:
    def __init__(
        self,
        spec: GarmentSpec,
        profile: StyleProfile,
        preferences: Preferences,
        seed: int,
        index: int,
    ) -> None:
        self.spec = spec
        self.profile = profile
        self.prefs = preferences
        self.seed = seed
        self.index = index
        self.w = get_render_weights()
        self.rules: StyleRules = get_style_rules()
        self.excluded = excluded_values(spec, self.w)
        self.banned: dict[str, set[str]] = {k: set(v) for k, v in preferences.banned.items()}
        self.filled: dict[str, Any] = {}
        self.dropped: dict[str, list[str]] = {}
        self.pinned: dict[str, Any] = {}
        self.profile_used = False
        self.prefs_used = False
        self.styles: list[str] = []
        self.hints: list[str] = []

    # -- helpers ------------------------------------------------------------------------

    def keep(self, attribute: str, values: Iterable[str]) -> list[str]:
        """Stated values without the excluded ones (those are noted as dropped)."""
        out: list[str] = []
        for v in values:
            if v in self.excluded[attribute]:
                self.dropped.setdefault(attribute, []).append(v)
            elif v not in out:
                out.append(v)
        return out

    def allowed(self, attribute: str, value: str | None) -> bool:
        return value is None or (
            value not in self.excluded[attribute] and value not in self.banned.get(attribute, ())
        )

    def choose(self, attribute: str, prior: Mapping[K, float], draw: str | None = None) -> K | None:
        """One value for an open attribute from `prior` (already bounded by the rules),
        mixed with the profile and tilted by the preferences; None when nothing is left."""
        options = {k: w for k, w in prior.items() if w > 0 and self.allowed(attribute, k)}
        if not options:
            return None
        total = sum(options.values())
        mixed = {k: w / total for k, w in options.items()}
        own = self.profile.weights.get(attribute, {})
        liked: dict[str, float] = {k: own[k] for k in mixed if k is not None and own.get(k, 0) > 0}
        if liked and self.profile.strength > 0:
            lam = self.profile.strength
            scale = sum(liked.values())
            mixed = {
                k: (1 - lam) * p + lam * (liked.get(k, 0.0) if k is not None else 0.0) / scale
                for k, p in mixed.items()
            }
            self.profile_used = True
        tilt = self.prefs.weights.get(attribute, {})
        if tilt:
            tilted = {k: p * (tilt.get(k, 1.0) if k is not None else 1.0) for k, p in mixed.items()}
            if any(p > 0 for p in tilted.values()):
                self.prefs_used = self.prefs_used or tilted != mixed
                mixed = tilted
        key = draw or attribute
        u = stratum(self.seed, self.index, key)
        learned = self.prefs.posteriors.get(attribute)
        if learned and not self.explores(key):
            sampled = self.thompson(key, mixed, learned)
            chosen = pick(sampled, u)
            self.prefs_used = self.prefs_used or chosen != pick(mixed, u)
            return chosen
        return pick(mixed, u)

    def explores(self, key: str) -> bool:
        """Whether this draw ignores what was learned (a share `explore` of the draws):
        the learner keeps seeing values it has written off."""
        # Reproducible per (seed, draw, index), not security.
        rng = random.Random(f"{self.seed}|{key}|{self.index}|explore")  # noqa: S311
        return rng.random() < self.prefs.explore

    def thompson(
        self, key: str, mixed: Mapping[K, float], learned: Mapping[str, tuple[float, float]]
    ) -> dict[K, float]:
        """`mixed` reweighted by a success rate sampled per option from its posterior
        (Thompson sampling), sharpened so that the best-looking option dominates while an
        uncertain one still gets its turns. Options never seen take a Beta with the
        attribute's mean and little weight."""
        a_sum = sum(a for a, _ in learned.values())
        n_sum = sum(a + b for a, b in learned.values())
        mean = a_sum / n_sum if n_sum > 0 else 0.5
        unseen = (mean * UNSEEN_STRENGTH, (1 - mean) * UNSEEN_STRENGTH)
        # Reproducible per (seed, draw, index), not security.
        rng = random.Random(f"{self.seed}|{key}|{self.index}|thompson")  # noqa: S311
        theta: dict[K, float] = {}
        for k in sorted(mixed, key=str):  # a fixed order: the same draws every build
            a, b = learned.get(k, unseen) if k is not None else unseen
            theta[k] = rng.betavariate(a, b)
        top = max(theta.values())
        if top <= 0:
            return dict(mixed)
        out = {k: p * (theta[k] / top) ** THOMPSON_SHARPNESS for k, p in mixed.items()}
        return out if any(w > 0 for w in out.values()) else dict(mixed)

    def bounded(
        self, attribute: str, weights: Mapping[K, float], fabric: str | None = None
    ) -> dict[K, float]:
        return self.rules.bounded(attribute, weights, styles=self.styles, fabric=fabric)

    # -- the fill -----------------------------------------------------------------------

    def pin(self, spec: GarmentSpec) -> GarmentSpec:
        """`spec` with the designer's pinned values where the command left the attribute
        open: a pin stands for something they always say (so it is drawn as said), but
        never over what this command said, excluded, or a ban."""
        changes: dict[str, Any] = {}
        for attribute, values in self.profile.pinned.items():
            if getattr(spec, attribute) not in (None, []):
                continue
            if attribute == "colors" and spec.palettes:
                continue  # a palette named is the colours said
            usable = [v for v in values if self.allowed(attribute, v)]
            if not usable:
                continue
            if attribute == "colors":
                changes[attribute] = usable[:3]  # the pinned colours together
            else:
                # Several pinned values take turns across a batch.
                one = usable[self.index % len(usable)]
                changes[attribute] = [one] if BY_FIELD[attribute].multi else one
        if changes:
            self.pinned = changes
            self.profile_used = True
            spec = spec.model_copy(update=changes)
        return spec

    def run(self) -> Filled:
        spec = self.spec
        stated = [a.field for a in ATTRIBUTES if getattr(spec, a.field) not in (None, [])]
        spec = self.spec = self.pin(spec)

        styles = self.keep("styles", spec.styles)
        if not styles:
            style = self.choose(
                "styles", dict.fromkeys(self.profile.weights.get("styles", {}), 1.0)
            )
            if style is not None:
                styles = [style]
                self.filled["styles"] = [style]
        self.styles = styles
        occasions = self.keep("occasions", spec.occasions)
        seasons = self.keep("seasons", spec.seasons)
        self.hints = [*styles, *occasions, *seasons]

        garment = self.garment()
        table = self.w.base.get(garment, {})
        scalars: dict[str, str | None] = {}
        for attribute in ("silhouette", "length", "neckline", "sleeve"):
            given = self.keep(attribute, [v for v in [getattr(spec, attribute)] if v])
            if given:
                scalars[attribute] = given[0]
        for attribute in ("silhouette", "length", "neckline", "sleeve"):
            if attribute in scalars or attribute not in table:
                continue
            if attribute in ("neckline", "sleeve") and garment in _CUT_DECIDES_TOP:
                continue
            prior = {
                k: v for k, v in lean(table[attribute], attribute, self.hints).items() if v > 0
            }
            prior = self.bounded(attribute, prior) or prior
            for detail in spec.details:  # what a detail asked for cannot be drawn with
                out = DETAIL_CONFLICTS.get(detail, {}).get(attribute, frozenset())
                prior = {k: v for k, v in prior.items() if k not in out} or prior
            if attribute in ("neckline", "sleeve"):
                other = "sleeve" if attribute == "neckline" else "neckline"
                theirs = scalars.get(other)
                fits = {
                    k: v
                    for k, v in prior.items()
                    if compatible(
                        garment,
                        k if attribute == "neckline" else theirs,
                        k if attribute == "sleeve" else theirs,
                    )
                }
                prior = fits or prior
            value = self.choose(attribute, prior)
            if value is not None:
                scalars[attribute] = value
                self.filled[attribute] = value

        palettes = self.keep("palettes", spec.palettes)
        pool = palette_pool(palettes, spec.colors, self.excluded["colors"])
        named = self.keep("colors", [c for c in spec.colors if c not in pool])
        if not [c for c in spec.colors if c not in pool]:
            # a palette's colours stand for the palette: the colours are the builder's
            stated = [a for a in stated if a != "colors"]
        asked_patterns = self.keep("patterns", spec.patterns)

        fabrics = self.keep("fabrics", spec.fabrics)
        if not fabrics:
            fabric = self.fabric(garment, asked_patterns, named)
            if fabric is not None:
                fabrics = [fabric]
                self.filled["fabrics"] = fabrics
        patterns = asked_patterns
        if not patterns:
            pattern = self.pattern(garment, fabrics[0] if fabrics else None, len(named))
            if pattern is not None:
                patterns = [pattern]
                self.filled["patterns"] = patterns
        colors = self.colors(
            garment, named, pool, palettes, fabrics[0] if fabrics else None, patterns
        )
        if colors != named:
            self.filled["colors"] = [c for c in colors if c not in named]

        filled_spec = GarmentSpec(
            quantity=spec.quantity,
            garment_type=garment,
            silhouette=scalars.get("silhouette"),
            length=scalars.get("length"),
            neckline=scalars.get("neckline"),
            sleeve=scalars.get("sleeve"),
            styles=styles,
            colors=colors,
            palettes=palettes,
            patterns=patterns,
            fabrics=fabrics,
            occasions=occasions,
            seasons=seasons,
            details=self.keep("details", spec.details),
            exclude=spec.exclude.model_copy(deep=True),
        )
        return Filled(
            spec=filled_spec,
            stated=stated,
            filled=self.filled,
            style_rules=[s for s in styles if self.rules.has_rules(s)],
            profile_used=self.profile_used,
            preferences_used=self.prefs_used,
            dropped=self.dropped,
            pinned=self.pinned,
        )

    def garment(self) -> str:
        asked = self.keep("garment_type", [g for g in [self.spec.garment_type] if g])
        if asked:
            return asked[0]
        prior: dict[str, float] = {}
        for hint in self.hints:
            steer = self.w.steer.get(hint)
            for g, weight in (steer.garment if steer is not None else {}).items():
                prior[g] = prior.get(g, 0.0) + weight
        rule = self.rules.style_bound("garment_type", self.styles)
        if rule:
            prior = self.bounded("garment_type", prior) if prior else dict(rule)
        if not prior:
            prior = {_DEFAULT_GARMENT: 1.0}
        # The profile may name garments the hints do not lean to (inside a style's bound).
        for g in self.profile.weights.get("garment_type", {}):
            if g in self.w.base and g not in prior and (not rule or g in rule):
                prior[g] = min(prior.values()) * 0.05
        chosen = self.choose("garment_type", prior)
        if chosen is None:  # everything leaned to is excluded: any garment that is not
            rest = {g: 1.0 for g in self.w.base if self.allowed("garment_type", g)}
            chosen = self.choose("garment_type", rest) or _DEFAULT_GARMENT
        self.filled["garment_type"] = chosen
        return chosen

    def fabric(self, garment: str, patterns: Sequence[str], named: Sequence[str]) -> str | None:
        table = self.w.fabric_by_garment.get(garment, {})
        prior = {k: v for k, v in lean(table, "fabric", self.hints).items() if v > 0}
        # A fabric that can carry the print and colour asked for (no floral denim).
        for attribute, asked in (("patterns", patterns[:1]), ("colors", named[:1])):
            for value in asked:
                fitting = {
                    f: v
                    for f, v in prior.items()
                    if self.rules.material_allows(f, attribute, value)
                }
                prior = fitting or prior
        prior = self.bounded("fabrics", prior) or prior
        return self.choose("fabrics", prior)

    def pattern(self, garment: str, fabric: str | None, named: int) -> str | None:
        table = self.w.pattern_by_garment.get(garment, self.w.pattern_base)
        options: dict[str, float] = dict(table)
        # Prints a style or a fabric's look names beyond this garment's usual few.
        for bound in (
            self.rules.style_bound("patterns", self.styles),
            self.rules.material_bound("patterns", fabric),
        ):
            for p in bound or {}:
                options.setdefault(p, min(table.values()))
        prior = {k: v for k, v in lean(options, "pattern", self.hints).items() if v > 0}
        if named == 1:
            if "solid" in prior:
                prior["solid"] *= ONE_COLOUR_SOLID_LIFT
            ground = {p: v for p, v in prior.items() if p not in MANY_COLOUR_GROUNDS}
            prior = ground or prior
        if named >= 2:
            # Two colours named: a print that shows them (not a solid hiding the second).
            showing = {p: v for p, v in prior.items() if PRINT_COLORS.get(p, 4) >= named}
            showing = showing or {p: v for p, v in prior.items() if p != "solid"}
            prior = showing or prior
        bounded = self.bounded("patterns", prior, fabric)
        if named >= 2 and set(bounded) <= {"solid"}:
            bounded = {}  # the colours asked for come before the style's solids
        return self.choose("patterns", bounded or prior)

    def colors(
        self,
        garment: str,
        named: list[str],
        pool: set[str],
        palettes: list[str],
        fabric: str | None,
        patterns: list[str],
    ) -> list[str]:
        pattern = patterns[0] if patterns else "solid"
        if (
            not named
            and not palettes
            and pattern in NATURAL_PRINTS
            and not self.natural_excluded(pattern)
        ):
            return []  # the print's own colours (the renderer draws them)
        want = max(len(named), min(PRINT_COLORS.get(pattern, 4), 3))
        out = list(named)
        if len(out) >= want:
            return out
        prior = color_weights(garment, self.hints, palettes)
        for c in pool:
            prior[c] = max(prior.get(c, 0.0), 1.0)
        prior = {c: v for c, v in prior.items() if v > 0 and self.allowed("colors", c)}
        prior = self.bounded("colors", prior, fabric) or prior
        role = len(out)
        one_named = len(named) == 1 and not palettes
        while len(out) < want:
            cand = {c: v for c, v in prior.items() if c not in out}
            if one_named:
                cand = {c: v for c, v in cand.items() if c in NEUTRAL_ACCENTS} or cand
            if not cand:
                break
            if out:
                first = COLORS[out[0]]
                if role == 1:
                    apart = {
                        c: v for c, v in cand.items() if second_colour_fits(pattern, out[0], c)
                    }
                    cand = apart or cand
                cand = {
                    c: v * min(1.0, max(0.05, distance(COLORS[c], first) / 140.0)) ** 2
                    for c, v in cand.items()
                }
            color = self.choose("colors", cand, f"colors{role}")
            if color is None:
                break
            out.append(color)
            role += 1
        return out

    def natural_excluded(self, pattern: str) -> bool:
        kinds = ("leopard", "zebra") if pattern == "animal-print" else (pattern,)
        return any(
            set(self.w.natural_colors.get(kind, ())) & self.excluded["colors"] for kind in kinds
        )


def fill(
    spec: GarmentSpec,
    *,
    profile: StyleProfile | None = None,
    preferences: Preferences | None = None,
    seed: int = 0,
    index: int = 0,
) -> Filled:
    """`spec` with its open attributes filled, and what was filled."""
    if index < 0:
        raise ValueError("index must be 0 or more")
    return _Filler(
        spec, profile or StyleProfile(), preferences or Preferences(), int(seed), index
    ).run()
