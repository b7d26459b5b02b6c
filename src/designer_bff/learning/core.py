"""Personal learning, pure (no database, no I/O): feedback events -> each design's verdict ->
time-decayed evidence per attribute value -> Beta posteriors of "this value makes a
standout" (what the prompt builder samples from) and plain words for what stands out.

The constants below are the defaults `bench/learning.py` picked (the service's settings
default to them): see that benchmark for how each was chosen.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from designer_bff.garments.spec import DESIGN_ATTRIBUTES

# GarmentSpec fields whose values are learned (what a design is, not what it is for).
LEARNED_ATTRIBUTES: tuple[str, ...] = DESIGN_ATTRIBUTES

# Evidence loses half its weight in this many days: tastes drift, a season's favourites
# should not rule the next one.
HALF_LIFE_DAYS = 30.0
# A design shown and left without feedback is weak evidence against its values: most
# designs are not standouts, so each counts as this fraction of a dislike.
SHOWN_WEIGHT = 0.15
# The prior of a value nobody has evidence for: Beta(1, 1), flat.
BASE_PRIOR: tuple[float, float] = (1.0, 1.0)
# Cold start: the global rate of a value counts as this many of the designer's own designs.
PRIOR_STRENGTH = 6.0
# Share of the prompt builder's draws that ignore the posteriors (Preferences.explore):
# values written off early still come back now and then. How sharply the other draws
# follow the sampled rates is the builder's (generation/prompting/fill.py).
EXPLORE = 0.1

SUCCESS_KINDS = frozenset({"outlier", "favorite", "like"})
VERDICT_KINDS = frozenset({"outlier", "favorite", "like", "dislike", "rating"})
_DAY = 86400.0


@dataclass(frozen=True)
class Verdict:
    """A design's current feedback state."""

    is_outlier: bool = False
    is_favorite: bool = False
    reaction: str | None = None  # "like" | "dislike" | None
    rating: int | None = None  # 1..5 or None

    def is_empty(self) -> bool:
        return self == Verdict()


def verdict_weights(v: Verdict | None) -> tuple[float, float]:
    """(success, failure) evidence of one design. Success: outlier, favourite, like or a
    rating of 4+; failure: dislike or a rating of 2 or less (both may hold: a favourite
    rated 2 says both). Shown without a verdict either way: a weak failure."""
    if v is None:
        return 0.0, SHOWN_WEIGHT
    success = v.is_outlier or v.is_favorite or v.reaction == "like" or (v.rating or 0) >= 4
    failure = v.reaction == "dislike" or (v.rating is not None and 1 <= v.rating <= 2)
    if not success and not failure:
        return 0.0, SHOWN_WEIGHT
    return (1.0 if success else 0.0), (1.0 if failure else 0.0)


class EventLike(Protocol):
    @property
    def image_id(self) -> Hashable: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def attributes(self) -> Mapping[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...


def _utc(when: datetime) -> datetime:
    # SQLite hands naive datetimes back: they were written as UTC.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _apply(v: Verdict, kind: str, value: float) -> Verdict:
    on = value > 0
    if kind == "outlier":
        return Verdict(on, v.is_favorite, v.reaction, v.rating)
    if kind == "favorite":
        return Verdict(v.is_outlier, on, v.reaction, v.rating)
    if kind in ("like", "dislike"):
        if on:
            reaction: str | None = kind
        else:
            reaction = None if v.reaction == kind else v.reaction
        return Verdict(v.is_outlier, v.is_favorite, reaction, v.rating)
    stars = round(value)
    return Verdict(v.is_outlier, v.is_favorite, v.reaction, stars if 1 <= stars <= 5 else None)


def replay(
    events: Iterable[EventLike],
) -> dict[Hashable, tuple[Verdict, Mapping[str, Any], datetime]]:
    """Learning events -> per design (image id): its current verdict, the attributes the
    latest event credited, and when the verdict last changed. Taken-back verdicts
    (value 0) undo; comments and tags say nothing about success. Events whose design was
    deleted (image id None) cannot be told apart, so they are left out."""
    ordered = sorted(
        (e for e in events if e.image_id is not None and e.kind in VERDICT_KINDS),
        key=lambda e: _utc(e.created_at),
    )
    out: dict[Hashable, tuple[Verdict, Mapping[str, Any], datetime]] = {}
    for e in ordered:
        when = _utc(e.created_at)
        before, attrs, changed = out.get(e.image_id, (Verdict(), {}, when))
        after = _apply(before, e.kind, float(e.value))
        out[e.image_id] = (
            after,
            e.attributes or attrs,
            when if after != before or e.image_id not in out else changed,
        )
    return out


@dataclass
class Evidence:
    """What the designer's designs say about one attribute value."""

    success: float = 0.0  # time-decayed weights
    failure: float = 0.0
    successes: int = 0  # designs (raw counts)
    failures: int = 0
    shown: int = 0


Tally = dict[str, dict[str, Evidence]]


def _values(raw: Any) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else []
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item and item not in out:
            out.append(item)
    return out


def decay(age_days: float, half_life_days: float) -> float:
    """The weight of evidence `age_days` old (future times count as now)."""
    if half_life_days <= 0:
        raise ValueError("half_life_days must be > 0")
    return float(0.5 ** (max(0.0, age_days) / half_life_days))


def tally(
    designs: Iterable[tuple[Mapping[str, Any], float, float, datetime]],
    *,
    now: datetime,
    half_life_days: float = HALF_LIFE_DAYS,
    forget: Mapping[tuple[str, str], datetime] | None = None,
) -> Tally:
    """designs: (credited attributes, success, failure, when). Each design credits every
    value of its learned attributes, weighted 0.5 ** (age in days / half-life); for an
    (attribute, value) in `forget`, designs from before its time do not count."""
    if half_life_days <= 0:
        raise ValueError("half_life_days must be > 0")
    now = _utc(now)
    gone = {k: _utc(t) for k, t in (forget or {}).items()}
    out: Tally = {}
    for attrs, success, failure, when in designs:
        when = _utc(when)
        w = decay((now - when).total_seconds() / _DAY, half_life_days)
        for attribute in LEARNED_ATTRIBUTES:
            for value in _values(attrs.get(attribute)):
                cut = gone.get((attribute, value))
                if cut is not None and when < cut:
                    continue
                ev = out.setdefault(attribute, {}).setdefault(value, Evidence())
                ev.success += success * w
                ev.failure += failure * w
                ev.successes += success > 0
                ev.failures += failure >= 0.5
                ev.shown += 1
    return out


@dataclass(frozen=True)
class GlobalRate:
    """Anonymous figures for one value across designers (already k-filtered by the
    caller): share of designs that were a success, and designs counted."""

    success_rate: float
    total: int


def prior_counts(rate: GlobalRate, strength: float = PRIOR_STRENGTH) -> tuple[float, float]:
    """A global rate as Beta pseudo-counts on the personal scale: `strength` designs (or
    fewer when fewer were counted), their non-successes weighed like designs shown
    without feedback (which most of them are)."""
    r = min(1.0, max(0.0, rate.success_rate))
    n = min(float(strength), float(max(rate.total, 0)))
    a0, b0 = BASE_PRIOR
    if n <= 0:
        return a0, b0
    # The base prior stays under it, so a rate of 0 or 1 still leaves room to learn.
    return a0 * 0.5 + n * r, b0 * 0.5 + n * (1.0 - r) * SHOWN_WEIGHT


def posteriors(
    t: Tally,
    *,
    prior: Mapping[str, Mapping[str, GlobalRate]] | None = None,
    prior_strength: float = PRIOR_STRENGTH,
) -> dict[str, dict[str, tuple[float, float]]]:
    """Beta(alpha, beta) per attribute value: the base prior, or where `prior` knows the
    value its global rate as `prior_strength` pseudo-designs (cold start), plus the
    decayed evidence. Values only in `prior` get one too: a new designer leans to what
    works for others."""
    prior = prior or {}
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for attribute in LEARNED_ATTRIBUTES:
        mine = t.get(attribute, {})
        theirs = prior.get(attribute, {})
        values = sorted(set(mine) | set(theirs))
        if not values:
            continue
        row: dict[str, tuple[float, float]] = {}
        for value in values:
            g = theirs.get(value)
            a, b = prior_counts(g, prior_strength) if g is not None else BASE_PRIOR
            ev = mine.get(value)
            if ev is not None:
                a += ev.success
                b += ev.failure
            row[value] = (a, b)
        out[attribute] = row
    return out


@dataclass(frozen=True)
class Statement:
    """One thing learned, in words: `ratio` is this value's standout rate over the rate of
    the attribute's other values."""

    attribute: str
    value: str
    text: str
    ratio: float
    direction: str  # "more" | "less"
    successes: int = 0
    shown: int = 0


# attribute -> (how one value reads, what the others are called)
_WORDS: dict[str, tuple[str, str]] = {
    "garment_type": ("{v}", "garments"),
    "silhouette": ("{v} silhouettes", "silhouettes"),
    "length": ("{v} lengths", "lengths"),
    "neckline": ("{v} necklines", "necklines"),
    "sleeve": ("{v} sleeves", "sleeves"),
    "styles": ("{v} designs", "styles"),
    "colors": ("designs in {v}", "colours"),
    "patterns": ("{v} prints", "prints"),
    "fabrics": ("designs in {v}", "fabrics"),
}
# A value reads as notable from this ratio (or its inverse) on.
NOTABLE_RATIO = 1.5


def _plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    return word + "s"


def _phrase(attribute: str, value: str) -> str:
    if attribute == "garment_type":
        return _plural(value)
    if attribute == "patterns" and value == "solid":
        return "solid colours"
    return _WORDS[attribute][0].format(v=value)


def _times(x: float) -> str:
    return f"{x:.0f}×" if x >= 3 else f"{x:.1f}×"


def describe(t: Tally, *, min_designs: int = 3, limit: int = 8) -> list[Statement]:
    """What stands out, most notable first: per value seen in at least `min_designs`
    designs, its standout rate against the rest of its attribute (both Laplace-smoothed,
    raw design counts so the words match what the designer remembers)."""
    found: list[tuple[float, Statement]] = []
    for attribute in LEARNED_ATTRIBUTES:
        row = t.get(attribute, {})
        total_s = sum(ev.successes for ev in row.values())
        total_n = sum(ev.shown for ev in row.values())
        for value, ev in row.items():
            if ev.shown < min_designs:
                continue
            rate = (ev.successes + 1) / (ev.shown + 2)
            others = (total_s - ev.successes + 1) / (total_n - ev.shown + 2)
            ratio = rate / others
            if 1 / NOTABLE_RATIO < ratio < NOTABLE_RATIO:
                continue
            thing, group = _phrase(attribute, value), _WORDS[attribute][1]
            if ratio >= 1:
                direction = "more"
                text = f"You mark {thing} as outliers {_times(ratio)} more often than other {group}"
            elif ev.successes == 0 or ratio <= 1 / 3:
                direction = "less"
                text = f"You rarely keep {thing}: {ev.successes} of {ev.shown} were standouts"
            else:
                direction = "less"
                times = _times(1 / ratio)
                text = f"You mark {thing} as outliers {times} less often than other {group}"
            # Notable: far from even, and backed by many designs.
            score = abs(math.log(ratio)) * math.sqrt(ev.shown)
            found.append(
                (
                    score,
                    Statement(attribute, value, text, ratio, direction, ev.successes, ev.shown),
                )
            )
    found.sort(key=lambda x: (-x[0], x[1].attribute, x[1].value))
    return [s for _, s in found[:limit]]
