"""The style profile's pure core: running totals of a designer's analysed portfolio, their
own edits (pin, boost, ban, summary), the profile they read, and what the prompt builder
takes from both. No I/O: the service stores `ProfileTotals.to_dict()` and
`Edits.to_dict()` as JSON and rebuilds from them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from designer_bff.garments.spec import DESIGN_ATTRIBUTES, GarmentSpec
from designer_bff.garments.taxonomy import get_taxonomy, pluralize
from designer_bff.generation.prompting.model import Preferences, StyleProfile
from designer_bff.generation.renderer.palette import COLORS

# The attributes a profile describes (garment spec fields); in the order it reads them.
PROFILE_ATTRIBUTES: tuple[str, ...] = DESIGN_ATTRIBUTES
# How much the 1st, 2nd, 3rd... colour of an analysed image counts: the analyzer lists
# colours most-covering first, so the first is the garment's main colour.
COLOR_RANK_WEIGHTS: tuple[float, ...] = (1.0, 0.6, 0.4, 0.25)
# Confidence assumed for a filled attribute whose analyzer gave none.
DEFAULT_CONFIDENCE = 0.7
# Below this a total is rounding noise left by removals.
_EPSILON = 1e-6
TOP_COUNT = 8
DEFAULT_BOOST = 2.0
MAX_BOOST = 10.0
# Attribute shares below this are not worth saying in the summary.
_SUMMARY_SHARE = 0.15

_NOUNS: dict[str, str] = {
    "garment_type": "garments",
    "silhouette": "silhouettes",
    "length": "lengths",
    "neckline": "necklines",
    "sleeve": "sleeves",
    "styles": "styles",
    "colors": "colours",
    "patterns": "patterns",
    "fabrics": "fabrics",
}


class ProfileEditError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _weights(spec: GarmentSpec, confidence: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """What one analysed image adds: attribute -> value -> weight."""
    out: dict[str, dict[str, float]] = {}
    for attribute in PROFILE_ATTRIBUTES:
        raw = getattr(spec, attribute)
        values: list[str] = [raw] if isinstance(raw, str) else list(raw or [])
        if not values:
            continue
        sure = float(confidence.get(attribute, DEFAULT_CONFIDENCE))
        sure = min(max(sure, 0.0), 1.0) if math.isfinite(sure) else DEFAULT_CONFIDENCE
        per: dict[str, float] = {}
        for rank, value in enumerate(values):
            if attribute == "colors":
                factor = COLOR_RANK_WEIGHTS[min(rank, len(COLOR_RANK_WEIGHTS) - 1)]
            else:
                factor = 1.0 / len(values)  # one image counts once per attribute
            per[value] = per.get(value, 0.0) + sure * factor
        out[attribute] = per
    return out


@dataclass
class ProfileTotals:
    """Sums over the analysed images: incremental both ways (an image analysed adds its
    weights, an image removed subtracts exactly the same)."""

    counts: dict[str, dict[str, float]] = field(default_factory=dict)
    image_count: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileTotals:
        counts: dict[str, dict[str, float]] = {}
        for attribute, values in (data.get("counts") or {}).items():
            if attribute in PROFILE_ATTRIBUTES and isinstance(values, Mapping):
                counts[attribute] = {
                    str(k): float(v) for k, v in values.items() if isinstance(v, int | float)
                }
        return cls(counts=counts, image_count=int(data.get("image_count") or 0))

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "image_count": self.image_count}

    def add(self, spec: GarmentSpec, confidence: Mapping[str, float]) -> None:
        for attribute, values in _weights(spec, confidence).items():
            mine = self.counts.setdefault(attribute, {})
            for value, weight in values.items():
                mine[value] = mine.get(value, 0.0) + weight
        self.image_count += 1

    def remove(self, spec: GarmentSpec, confidence: Mapping[str, float]) -> None:
        for attribute, values in _weights(spec, confidence).items():
            mine = self.counts.get(attribute, {})
            for value, weight in values.items():
                left = mine.get(value, 0.0) - weight
                if left > _EPSILON:
                    mine[value] = left
                else:
                    mine.pop(value, None)
            if not mine:
                self.counts.pop(attribute, None)
        self.image_count = max(self.image_count - 1, 0)

    def shares(self, attribute: str) -> dict[str, float]:
        """value -> share of the attribute's weight, largest first."""
        values = self.counts.get(attribute, {})
        total = sum(values.values())
        if total <= _EPSILON:
            return {}
        ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
        return {k: v / total for k, v in ranked}


@dataclass(frozen=True)
class Edits:
    """The designer's own say over their profile."""

    pinned: dict[str, list[str]] = field(default_factory=dict)
    boosted: dict[str, dict[str, float]] = field(default_factory=dict)
    banned: dict[str, list[str]] = field(default_factory=dict)
    summary: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edits:
        def lists(key: str) -> dict[str, list[str]]:
            raw = data.get(key) or {}
            return {a: [str(v) for v in vs] for a, vs in raw.items() if vs}

        boosted = {
            a: {str(v): float(f) for v, f in vs.items()}
            for a, vs in (data.get("boosted") or {}).items()
            if vs
        }
        summary = data.get("summary")
        return cls(
            pinned=lists("pinned"),
            boosted=boosted,
            banned=lists("banned"),
            summary=str(summary) if summary else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "pinned": self.pinned,
            "boosted": self.boosted,
            "banned": self.banned,
            "summary": self.summary,
        }


def _without(table: dict[str, list[str]], attribute: str, value: str) -> dict[str, list[str]]:
    out = {a: list(vs) for a, vs in table.items()}
    rest = [v for v in out.get(attribute, []) if v != value]
    if rest:
        out[attribute] = rest
    else:
        out.pop(attribute, None)
    return out


def _with(table: dict[str, list[str]], attribute: str, value: str) -> dict[str, list[str]]:
    out = {a: list(vs) for a, vs in table.items()}
    if value not in out.setdefault(attribute, []):
        out[attribute].append(value)
    return out


def apply_edit(
    edits: Edits, op: str, attribute: str, value: str, factor: float | None = None
) -> Edits:
    """`edits` with one more edit; a value is pinned, boosted or banned, never two at once
    (banning a pinned value unpins it, and so on)."""
    if attribute not in PROFILE_ATTRIBUTES:
        raise ProfileEditError(
            "unknown_attribute",
            f"{attribute!r} is not a profile attribute; "
            f"use one of {', '.join(PROFILE_ATTRIBUTES)}.",
        )
    taxonomy = get_taxonomy()
    canonical = taxonomy.canonicalize(attribute, value) if value else None
    if canonical is None or not taxonomy.is_canonical(attribute, canonical):
        raise ProfileEditError(
            "unknown_value", f"{value!r} is not a {_NOUNS[attribute][:-1]} we know."
        )
    value = canonical
    pinned, banned = edits.pinned, edits.banned
    boosted = {a: dict(vs) for a, vs in edits.boosted.items()}

    def unboost() -> None:
        if value in boosted.get(attribute, {}):
            del boosted[attribute][value]
            if not boosted[attribute]:
                del boosted[attribute]

    if op == "pin":
        pinned = _with(pinned, attribute, value)
        banned = _without(banned, attribute, value)
    elif op == "unpin":
        pinned = _without(pinned, attribute, value)
    elif op == "ban":
        banned = _with(banned, attribute, value)
        pinned = _without(pinned, attribute, value)
        unboost()
    elif op == "unban":
        banned = _without(banned, attribute, value)
    elif op == "boost":
        f = DEFAULT_BOOST if factor is None else float(factor)
        if not math.isfinite(f) or not 0 < f <= MAX_BOOST:
            raise ProfileEditError("bad_factor", f"A boost is above 0 and at most {MAX_BOOST:g}.")
        boosted.setdefault(attribute, {})[value] = f
        banned = _without(banned, attribute, value)
    elif op == "unboost":
        unboost()
    else:
        raise ProfileEditError("unknown_op", f"{op!r} is not pin, boost or ban (or un-).")
    return dataclasses.replace(edits, pinned=pinned, boosted=boosted, banned=banned)


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _leading(totals: ProfileTotals, attribute: str, banned: set[str], n: int) -> list[str]:
    shares = totals.shares(attribute)
    out = [v for v, s in shares.items() if v not in banned and s >= _SUMMARY_SHARE][:n]
    return [v.replace("-", " ") for v in out]


def generated_summary(totals: ProfileTotals, edits: Edits) -> str:
    """One sentence saying what the portfolio is mostly made of."""
    if totals.image_count == 0:
        return "No portfolio analysed yet: upload past work to build your style profile."
    ban = {a: set(vs) for a, vs in edits.banned.items()}
    garments = _leading(totals, "garment_type", ban.get("garment_type", set()), 2)
    colors = _leading(totals, "colors", ban.get("colors", set()), 3)
    patterns = _leading(totals, "patterns", ban.get("patterns", set()), 2)
    fabrics = _leading(totals, "fabrics", ban.get("fabrics", set()), 2)
    styles = _leading(totals, "styles", ban.get("styles", set()), 2)
    what = _join([pluralize(g) for g in garments]) if garments else "pieces"
    parts = [f"Your work is mostly {what}"]
    if colors:
        parts.append(f" in {_join(colors)}")
    if patterns:
        parts.append(f", {_join(patterns)}")
    if fabrics:
        parts.append(f", in {_join(fabrics)}")
    if styles:
        parts.append(f", with a {_join(styles)} feel")
    n = totals.image_count
    parts.append(f" ({n} image{'s' if n != 1 else ''} analysed).")
    return "".join(parts)


@dataclass(frozen=True)
class ProfileView:
    totals: ProfileTotals
    edits: Edits
    generated_summary: str

    @property
    def summary(self) -> str:
        return self.edits.summary or self.generated_summary

    def to_dict(self) -> dict[str, Any]:
        edits = self.edits
        attributes: dict[str, list[dict[str, Any]]] = {}
        top: list[dict[str, Any]] = []
        for attribute in PROFILE_ATTRIBUTES:
            shares = self.totals.shares(attribute)
            pinned = edits.pinned.get(attribute, [])
            banned = edits.banned.get(attribute, [])
            boosted = edits.boosted.get(attribute, {})
            # Edited values show even where the portfolio has none of them.
            for v in [*pinned, *boosted, *banned]:
                shares.setdefault(v, 0.0)
            if not shares:
                continue
            attributes[attribute] = [
                {
                    "value": v,
                    "weight": round(s, 4),
                    "pinned": v in pinned,
                    "boost": boosted.get(v),
                    "banned": v in banned,
                }
                for v, s in shares.items()
            ]
            top.extend(
                {"attribute": attribute, "value": v, "weight": round(s, 4)}
                for v, s in shares.items()
                if s > 0 and v not in banned
            )
        top.sort(key=lambda t: -t["weight"])
        palette = [
            {
                "value": row["value"],
                "hex": "#{:02x}{:02x}{:02x}".format(*COLORS[row["value"]]),
                "weight": row["weight"],
            }
            for row in attributes.get("colors", [])
            if row["weight"] > 0 and not row["banned"] and row["value"] in COLORS
        ]
        return {
            "image_count": self.totals.image_count,
            "summary": self.summary,
            "generated_summary": self.generated_summary,
            "summary_edited": edits.summary is not None,
            "attributes": attributes,
            "palette": palette,
            "top": top[:TOP_COUNT],
            "edits": edits.to_dict(),
        }


def build_profile(totals: ProfileTotals, edits: Edits) -> ProfileView:
    summary = generated_summary(totals, edits)
    return ProfileView(totals=totals, edits=edits, generated_summary=summary)


def prompt_inputs(
    totals: ProfileTotals, edits: Edits
) -> tuple[StyleProfile | None, Preferences | None]:
    """The profile as the prompt builder's inputs: the portfolio's shares (without banned
    values) and the pins as the profile; boosts and bans as preferences."""
    banned = {a: frozenset(vs) for a, vs in edits.banned.items() if vs}
    weights = {
        a: {v: s for v, s in totals.shares(a).items() if v not in banned.get(a, frozenset())}
        for a in PROFILE_ATTRIBUTES
    }
    weights = {a: vs for a, vs in weights.items() if vs}
    pinned = {a: tuple(vs) for a, vs in edits.pinned.items() if vs}
    profile = StyleProfile(weights=weights, pinned=pinned)
    preferences = Preferences(
        weights={a: dict(vs) for a, vs in edits.boosted.items() if vs}, banned=banned
    )
    return (
        None if profile.is_empty() else profile,
        None if preferences.is_empty() else preferences,
    )
