"""The arithmetic of analytics, without a database: which designs count, how they fall
into weeks, and how attribute values, providers and rates are tallied.

What counts as a design (`DESIGN` in the service's SQL, mirrored by the tests' SQL): a
*generated* design (not a portfolio upload or an enhanced copy) that is *ready* and *not
deleted*. An outlier is such a design whose `is_outlier` flag is set; a design belongs
to the week (Monday 00:00 UTC onwards) it was created in, so a week's outlier rate is the
share of that week's designs marked as outliers since (a cohort, never above 1).

Attribute values are read from the design's denormalised columns, which hold what was
really drawn (the resolved spec): `garment_type`, and `attribute_tags` ("style:bohemian")
named by their spec field ("styles"), the names style profiles and learning use too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from designer_bff.billing.pricing import money
from designer_bff.garments.spec import TAG_FAMILIES

# How many entries the ranked lists (favourite styles, top attributes) keep.
TOP_COUNT = 10
RATE_PLACES = 4
_ZERO = Decimal(0)
# Tag prefix ("style") -> spec field ("styles").
_TAG_FIELDS: dict[str, str] = {tag: name for name, tag in TAG_FAMILIES.items()}


def rate(part: int, whole: int) -> float:
    """part / whole rounded to 4 places; 0 when there is nothing to divide."""
    return round(part / whole, RATE_PLACES) if whole else 0.0


def share(part: float, whole: float) -> float:
    return round(part / whole, RATE_PLACES) if whole else 0.0


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def day_start(day: date) -> datetime:
    """00:00 UTC of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def week_starts(now: datetime, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` weeks (UTC), the current one last."""
    current = week_start(now.astimezone(UTC).date())
    return [current - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def attribute_values(garment_type: str | None, tags: Iterable[str] | None) -> list[tuple[str, str]]:
    """(spec field, value) of every attribute a design shows, each once."""
    out: list[tuple[str, str]] = []
    if garment_type:
        out.append(("garment_type", garment_type))
    for tag in tags or ():
        prefix, _, value = str(tag).partition(":")
        name = _TAG_FIELDS.get(prefix)
        if name is not None and value and (name, value) not in out:
            out.append((name, value))
    return out


@dataclass(frozen=True)
class DesignRow:
    """What analytics reads of one design."""

    user_id: uuid.UUID
    created_at: datetime
    is_outlier: bool
    garment_type: str | None
    tags: Sequence[str]
    provider: str | None
    model: str | None
    cost: Decimal

    @property
    def attributes(self) -> list[tuple[str, str]]:
        return attribute_values(self.garment_type, self.tags)


@dataclass
class Tally:
    designs: int = 0
    outliers: int = 0
    cost: Decimal = _ZERO
    users: set[uuid.UUID] = field(default_factory=set)

    def add(self, row: DesignRow, outlier: bool) -> None:
        self.designs += 1
        self.outliers += int(outlier)
        self.cost += row.cost
        self.users.add(row.user_id)

    @property
    def outlier_rate(self) -> float:
        return rate(self.outliers, self.designs)


@dataclass
class AttributeTally:
    """Designs and outliers per (attribute, value), and in all."""

    total: Tally = field(default_factory=Tally)
    values: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))

    def add(self, row: DesignRow, outlier: bool | None = None) -> None:
        marked = row.is_outlier if outlier is None else outlier
        self.total.add(row, marked)
        for key in row.attributes:
            self.values[key].add(row, marked)

    def _allowed(self, min_users: int) -> list[tuple[tuple[str, str], Tally]]:
        return [(k, t) for k, t in self.values.items() if len(t.users) >= min_users]

    def favourite_styles(self, min_users: int = 1) -> list[dict[str, Any]]:
        """Style values, most outliers first, then most designs, then by name."""
        styles = [(k, t) for k, t in self._allowed(min_users) if k[0] == "styles"]
        styles.sort(key=lambda kt: (-kt[1].outliers, -kt[1].designs, kt[0][1]))
        return [
            {"value": value, "designs": t.designs, "outliers": t.outliers}
            for (_, value), t in styles[:TOP_COUNT]
        ]

    def top_attributes(self, min_users: int = 1) -> list[dict[str, Any]]:
        """Attribute values, most outliers first, then the highest outlier rate, then most
        designs, then by name."""
        ranked = self._allowed(min_users)
        ranked.sort(key=lambda kt: (-kt[1].outliers, -kt[1].outlier_rate, -kt[1].designs, kt[0]))
        return [
            {
                "attribute": attribute,
                "value": value,
                "designs": t.designs,
                "outliers": t.outliers,
                "outlier_rate": t.outlier_rate,
            }
            for (attribute, value), t in ranked[:TOP_COUNT]
        ]

    def outlier_attributes(self) -> dict[str, list[dict[str, Any]]]:
        """Among the outliers: each attribute's values, how many outliers show each and
        their share of the outliers, most frequent first."""
        out: dict[str, list[dict[str, Any]]] = {}
        counted = [(k, t.outliers) for k, t in self.values.items() if t.outliers]
        counted.sort(key=lambda kc: (kc[0][0], -kc[1], kc[0][1]))
        for (attribute, value), count in counted:
            out.setdefault(attribute, []).append(
                {"value": value, "count": count, "share": share(count, self.total.outliers)}
            )
        return out


def weekly_buckets(rows: Iterable[DesignRow], starts: Sequence[date]) -> list[AttributeTally]:
    """One tally per week of `starts` (consecutive Mondays), of the designs created in it."""
    tallies = [AttributeTally() for _ in starts]
    if not starts:
        return tallies
    first = starts[0]
    for row in rows:
        index = (row.created_at.astimezone(UTC).date() - first).days // 7
        if 0 <= index < len(starts):
            tallies[index].add(row)
    return tallies


def cost_buckets(
    entries: Iterable[tuple[datetime, Decimal]], starts: Sequence[date]
) -> list[Decimal]:
    """Ledger amounts summed per week of `starts`."""
    sums = [_ZERO for _ in starts]
    if not starts:
        return sums
    first = starts[0]
    for at, amount in entries:
        index = (at.astimezone(UTC).date() - first).days // 7
        if 0 <= index < len(starts):
            sums[index] += amount
    return [money(s) for s in sums]


def provider_performance(rows: Iterable[DesignRow]) -> list[dict[str, Any]]:
    """Per provider and model: designs, outliers, their rate and what they cost (the
    designs' own generation costs), most designs first."""
    groups: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for row in rows:
        groups[(row.provider or "", row.model or "")].add(row, row.is_outlier)
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1].designs, kv[0]))
    return [
        {
            "provider": provider,
            "model": model or None,
            "designs": t.designs,
            "outliers": t.outliers,
            "outlier_rate": t.outlier_rate,
            "cost_usd": money(t.cost),
            "cost_per_design": money(t.cost / t.designs),
            "cost_per_outlier": money(t.cost / t.outliers) if t.outliers else None,
        }
        for (provider, model), t in ordered
    ]


def profile_shares(top: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """A style profile version's top values ({attribute, value, weight}) by attribute."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item in top:
        if not isinstance(item, dict) or "attribute" not in item or "value" not in item:
            continue
        out.setdefault(str(item["attribute"]), []).append(
            {"value": item["value"], "share": round(float(item.get("weight") or 0), RATE_PLACES)}
        )
    return out
