"""The cost ledger: recording a paid call once, and what a designer has spent.

Every paid call (generation, enhancement, analysis, transcription, command
interpretation) is recorded with `record` inside the transaction that keeps its result,
under an idempotency key naming the call ("generate:{image_id}"), so a retried or
redelivered task never charges twice. Failed calls are never recorded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.models import User
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import Charge, money
from designer_bff.db.base import new_id, utcnow

Period = Literal["day", "week", "month"]


class Operation(StrEnum):
    GENERATE = "generate"
    ENHANCE = "enhance"
    ANALYZE = "analyze"
    TRANSCRIBE = "transcribe"
    INTERPRET = "interpret"


async def record(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    idempotency_key: str,
    provider: str,
    operation: str,
    model: str | None,
    charge: Charge,
    job_id: uuid.UUID | None = None,
    image_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """Add one paid call unless its key is already there; True when this call added it.
    The caller commits (with whatever the call produced)."""
    values = {
        "id": new_id(),
        "user_id": user_id,
        "idempotency_key": idempotency_key,
        "provider": provider,
        "operation": str(operation),
        "model": model,
        "units": charge.units,
        "unit_price_usd": charge.unit_price,
        "amount_usd": charge.amount,
        "job_id": job_id,
        "image_id": image_id,
        "details": details or {},
        "created_at": utcnow(),
    }
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CostEntry)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    result = await db.execute(statement.returning(CostEntry.id))
    return result.first() is not None


def period_start(period: Period, now: datetime | None = None) -> datetime:
    """The start (UTC) of the calendar day, ISO week or month holding `now`."""
    now = (now or utcnow()).astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


async def spent(
    db: AsyncSession, user_id: uuid.UUID, since: datetime, until: datetime | None = None
) -> Decimal:
    query = select(func.coalesce(func.sum(CostEntry.amount_usd), 0)).where(
        CostEntry.user_id == user_id, CostEntry.created_at >= since
    )
    if until is not None:
        query = query.where(CostEntry.created_at < until)
    return Decimal(str(await db.scalar(query) or 0))


def effective_budget(own: Decimal | None, cap: Decimal | None) -> Decimal | None:
    """The monthly limit that applies: the designer's own, held under the admin's cap."""
    if own is None:
        return cap
    if cap is None:
        return own
    return min(own, cap)


async def remaining(db: AsyncSession, user_id: uuid.UUID) -> Decimal | None:
    """What the designer may still spend this month (never below 0); None: no limit."""
    row = (
        await db.execute(
            select(User.monthly_budget_usd, User.budget_cap_usd).where(User.id == user_id)
        )
    ).first()
    if row is None:
        return Decimal(0)
    limit = effective_budget(row.monthly_budget_usd, row.budget_cap_usd)
    if limit is None:
        return None
    return max(Decimal(0), money(limit - await spent(db, user_id, period_start("month"))))
