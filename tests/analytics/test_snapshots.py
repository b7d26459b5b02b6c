"""The daily snapshots: their figures equal the same counts made with SQL through the end
of the day, writing a day again (or twice at once) leaves the same rows, one global row
per day, the periodic task writes yesterday once, and the global row shows an attribute
value only when at least k designers made designs showing it.

Each test snapshots a day of its own long ago, with designs dated that day, so what the
rest of the suite makes today does not enter the day's figures."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from designer_bff.analytics.models import AnalyticsSnapshot
from designer_bff.billing.models import CostEntry
from designer_bff.designs.models import Image
from designer_bff.maintenance import run_maintenance
from designer_bff.services import Services
from tests.analytics.helpers import design_count, expected_attributes, ledger_sum, rate
from tests.billing.helpers import charge
from tests.conftest import AuthedUser, register_user
from tests.gallery.helpers import make_images


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def _snapshot(services: Services, day: date) -> int:
    async with services.sessionmaker() as db:
        return await services.analytics.snapshot(db, day)


async def _rows(services: Services, day: date) -> dict[str | None, dict[str, Any]]:
    async with services.sessionmaker() as db:
        rows = (
            await db.scalars(
                select(AnalyticsSnapshot).where(AnalyticsSnapshot.snapshot_date == day)
            )
        ).all()
    out: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        key = None if row.user_id is None else str(row.user_id)
        assert key not in out, f"two snapshots of {day} for {key}"
        out[key] = row.metrics
    return out


async def _mark_outliers(services: Services, ids: list[uuid.UUID], at: datetime) -> None:
    async with services.sessionmaker() as db:
        await db.execute(
            update(Image).where(Image.id.in_(ids)).values(is_outlier=True, outlier_marked_at=at)
        )
        await db.commit()


async def _expected(
    services: Services, user_id: uuid.UUID | None, day: date, k: int
) -> dict[str, Any]:
    end = _at(day, 0) + timedelta(days=1)
    made = Image.created_at < end
    designs = await design_count(services, user_id, made)
    outliers = await design_count(services, user_id, made, outliers=True, outliers_before=end)
    styles, top = await expected_attributes(
        services, user_id, made, outliers_before=end, min_users=k if user_id is None else 1
    )
    return {
        "total_designs": designs,
        "outliers": outliers,
        "outlier_rate": rate(outliers, designs),
        "favourite_styles": styles,
        "top_attributes": top,
        "cost_period_usd": await ledger_sum(
            services, user_id, CostEntry.created_at >= _at(day, 0), CostEntry.created_at < end
        ),
        "cost_month_usd": await ledger_sum(
            services,
            user_id,
            CostEntry.created_at >= _at(day.replace(day=1), 0),
            CostEntry.created_at < end,
        ),
    }


async def test_snapshot_figures_equal_the_tables_and_rewriting_changes_nothing(
    client: httpx.AsyncClient, services: Services
):
    day = date(2001, 3, 14)
    ann, ben, cat = [await register_user(client, t) for t in ("ann", "ben", "cat")]
    dress = {"garment_type": "dress", "styles": ["bohemian"], "colors": ["rust"]}
    top = {"garment_type": "top", "styles": ["minimalist"], "patterns": ["striped"]}
    earlier = await make_images(services, ann, 3, spec=dress, start=_at(day - timedelta(9)))
    today = await make_images(services, ann, 2, spec=top, start=_at(day, 9), cost="0.10")
    await make_images(services, ann, 1, spec=top, start=_at(day + timedelta(1), 1))
    await make_images(services, ann, 1, spec=dress, type="portfolio", start=_at(day, 10))
    await make_images(services, ben, 2, spec=dress, start=_at(day, 15))
    # Cat made designs before the day but did nothing on it: no row of her own.
    await make_images(services, cat, 2, spec=top, start=_at(day - timedelta(3)))
    await _mark_outliers(services, earlier[:2], _at(day - timedelta(2)))
    await _mark_outliers(services, today[:1], _at(day, 20))
    # Marked the next day: not an outlier yet on the day.
    await _mark_outliers(services, earlier[2:], _at(day + timedelta(1), 8))
    await charge(services, ann, "0.30", at=_at(day, 11))
    await charge(services, ann, "1.20", at=_at(day.replace(day=1), 3))
    await charge(services, ann, "9.00", at=_at(day - timedelta(30)))
    await charge(services, ben, "0.05", at=_at(day, 16))

    assert await _snapshot(services, day) == 3
    first = await _rows(services, day)
    assert set(first) == {ann.id, ben.id, None}
    for who in (ann, ben):
        assert first[who.id] == await _expected(services, uuid.UUID(who.id), day, 1)
    assert first[None] == await _expected(services, None, day, services.settings.learning_k)
    assert first[ann.id]["total_designs"] == 5 and first[ann.id]["outliers"] == 3
    assert first[ann.id]["cost_period_usd"] == "0.300000"
    assert first[ann.id]["cost_month_usd"] == "1.500000"

    # Again, and twice at once: the same rows, one global row.
    assert await _snapshot(services, day) == 3
    assert await _rows(services, day) == first
    assert await asyncio.gather(_snapshot(services, day), _snapshot(services, day)) == [3, 3]
    assert await _rows(services, day) == first


async def _user_with(
    client: httpx.AsyncClient, services: Services, day: date, styles: list[str]
) -> AuthedUser:
    user = await register_user(client, "kanon")
    ids = await make_images(
        services, user, 1, spec={"garment_type": "coat", "styles": styles}, start=_at(day, 10)
    )
    await _mark_outliers(services, ids, _at(day, 11))
    return user


async def test_global_snapshot_shows_a_value_only_with_k_designers(
    client: httpx.AsyncClient, services: Services
):
    day = date(1999, 5, 5)
    k = services.settings.learning_k
    tag = uuid.uuid4().hex[:6]
    common, rare = f"common-{tag}", f"rare-{tag}"
    users: list[AuthedUser] = [await _user_with(client, services, day, [common])]
    for _ in range(k - 1):
        users.append(await _user_with(client, services, day, [common, rare]))

    await _snapshot(services, day)
    rows = await _rows(services, day)
    shown = {(a["attribute"], a["value"]) for a in rows[None]["top_attributes"]}
    assert ("styles", common) in shown and ("styles", rare) not in shown
    assert {s["value"] for s in rows[None]["favourite_styles"]} >= {common}
    assert rare not in {s["value"] for s in rows[None]["favourite_styles"]}
    # Each designer still sees their own value.
    assert rare in {s["value"] for s in rows[users[1].id]["favourite_styles"]}
    assert rows[None] == await _expected(services, None, day, k)

    # One more designer: k of them now, and the value appears.
    users.append(await _user_with(client, services, day, [rare]))
    await _snapshot(services, day)
    rows = await _rows(services, day)
    shown = {(a["attribute"], a["value"]) for a in rows[None]["top_attributes"]}
    assert ("styles", rare) in shown
    rare_row = next(s for s in rows[None]["favourite_styles"] if s["value"] == rare)
    assert rare_row == {"value": rare, "designs": k, "outliers": k}
    assert rows[None] == await _expected(services, None, day, k)
    assert set(rows) == {u.id for u in users} | {None}


async def test_the_periodic_task_writes_yesterday_once(services: Services):
    analytics = services.analytics
    now = datetime(1998, 1, 2, 0, 30, tzinfo=UTC)
    assert await analytics.snapshot_due(services.sessionmaker, now) == date(1998, 1, 1)
    assert await analytics.snapshot_due(services.sessionmaker, now + timedelta(hours=5)) is None
    rows = await _rows(services, date(1998, 1, 1))
    assert list(rows) == [None]

    # Wired into the maintenance round the scheduler and workers run.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    await run_maintenance(services.sessionmaker, analytics=analytics)
    async with services.sessionmaker() as db:
        count = await db.scalar(
            select(func.count())
            .select_from(AnalyticsSnapshot)
            .where(
                AnalyticsSnapshot.snapshot_date == yesterday, AnalyticsSnapshot.user_id.is_(None)
            )
        )
    assert count == 1
