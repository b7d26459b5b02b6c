"""The figures analytics must match, counted here straight from the tables with SQL.

The definition is restated, not imported from the service, so a change to either side
shows: a design is a generated image that is ready and not deleted; an attribute value
is the `garment_type` column or a "family:value" entry of `attribute_tags`, matched in
the JSON's text."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, distinct, func, or_, select

from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import money
from designer_bff.designs.models import Image
from designer_bff.garments.spec import TAG_FAMILIES
from designer_bff.services import Services

DESIGN = and_(Image.type == "generated", Image.status == "ready", Image.deleted_at.is_(None))


def usd(value: Any) -> str:
    return str(money(Decimal(str(value or 0))))


def has_value(attribute: str, value: str) -> Any:
    """SQL: the design shows this attribute value."""
    if attribute == "garment_type":
        return Image.garment_type == value
    tag = f'"{TAG_FAMILIES[attribute]}:{value}"'
    return cast(Image.attribute_tags, String).like(f"%{tag}%")


async def scalar(services: Services, query: Any) -> Any:
    async with services.sessionmaker() as db:
        return await db.scalar(query)


async def design_count(
    services: Services,
    user_id: uuid.UUID | None,
    *where: Any,
    outliers: bool = False,
    outliers_before: datetime | None = None,
) -> int:
    """Designs (of one user, or everyone's) matching `where`; only outliers with
    `outliers` (marked before `outliers_before` when given)."""
    query = select(func.count()).select_from(Image).where(DESIGN, *where)
    if user_id is not None:
        query = query.where(Image.user_id == user_id)
    if outliers:
        query = query.where(Image.is_outlier.is_(True))
        if outliers_before is not None:
            query = query.where(
                or_(Image.outlier_marked_at.is_(None), Image.outlier_marked_at < outliers_before)
            )
    return int(await scalar(services, query) or 0)


async def distinct_users(services: Services, *where: Any) -> int:
    query = select(func.count(distinct(Image.user_id))).where(DESIGN, *where)
    return int(await scalar(services, query) or 0)


async def ledger_sum(services: Services, user_id: uuid.UUID | None, *where: Any) -> str:
    query = select(func.sum(CostEntry.amount_usd)).where(*where)
    if user_id is not None:
        query = query.where(CostEntry.user_id == user_id)
    return usd(await scalar(services, query))


async def attribute_pairs(
    services: Services, user_id: uuid.UUID | None, *where: Any
) -> set[tuple[str, str]]:
    """Every (attribute, value) the designs matching `where` show."""
    async with services.sessionmaker() as db:
        query = select(Image.garment_type, Image.attribute_tags).where(DESIGN, *where)
        if user_id is not None:
            query = query.where(Image.user_id == user_id)
        rows = (await db.execute(query)).all()
    fields = {tag: name for name, tag in TAG_FAMILIES.items()}
    pairs: set[tuple[str, str]] = set()
    for garment, tags in rows:
        if garment:
            pairs.add(("garment_type", garment))
        for tag in tags or []:
            family, _, value = tag.partition(":")
            pairs.add((fields[family], value))
    return pairs


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


async def expected_attributes(
    services: Services,
    user_id: uuid.UUID | None,
    *where: Any,
    outliers_before: datetime | None = None,
    min_users: int = 1,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(favourite styles, top attributes) as documented: counted per value with SQL,
    values with fewer than `min_users` designers left out, ranked, 10 of each."""
    counted = []
    for attribute, value in sorted(await attribute_pairs(services, user_id, *where)):
        match = has_value(attribute, value)
        if min_users > 1 and await distinct_users(services, match, *where) < min_users:
            continue
        designs = await design_count(services, user_id, match, *where)
        outliers = await design_count(
            services, user_id, match, *where, outliers=True, outliers_before=outliers_before
        )
        counted.append((attribute, value, designs, outliers))
    styles = sorted((c for c in counted if c[0] == "styles"), key=lambda c: (-c[3], -c[2], c[1]))
    top = sorted(counted, key=lambda c: (-c[3], -rate(c[3], c[2]), -c[2], c[0], c[1]))
    return (
        [{"value": v, "designs": d, "outliers": o} for _, v, d, o in styles[:10]],
        [
            {"attribute": a, "value": v, "designs": d, "outliers": o, "outlier_rate": rate(o, d)}
            for a, v, d, o in top[:10]
        ],
    )
