"""Costs and budgets: what a designer (or, for an admin, everyone) spent, read from the
cost ledger, and the monthly budgets that bound it.

Periods are calendar periods in UTC (`ledger.period_start`): the day, the ISO week (from
Monday) or the month holding now. The summaries are built by `summarize`, a pure function
over the ledger's grouped rows (`Line`), so their arithmetic is testable without a
database; amounts are exact Decimals at the ledger's 6 places.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.models import Role, User
from designer_bff.billing import ledger
from designer_bff.billing.ledger import Period
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import cents, money
from designer_bff.core.errors import AppError, Forbidden, NotFound
from designer_bff.db.base import affected_rows, utcnow

log = structlog.get_logger("designer_bff.billing")

PERIODS: tuple[Period, ...] = ("month", "week", "day")
# Budgets and caps: whole cents, within users.monthly_budget_usd / budget_cap_usd
# (NUMERIC(12, 4)).
MAX_AMOUNT = Decimal("99999999.99")
MAX_WHOLE_AMOUNT = 99_999_999
# A budget written as text: dollars with at most 2 decimal places ("20", "20.5", "20.00").
AMOUNT_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
_AMOUNT_RE = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")
_ZERO = Decimal(0)


def usd(value: Decimal | None) -> str | None:
    """The API's money: a string with the ledger's 6 places ("4.200000"); None stays."""
    return None if value is None else str(money(value))


def parse_amount(value: object) -> Decimal | None:
    """A budget or cap as a client sends it: null, a whole number of dollars (20, or 20.0),
    or a string of dollars with at most 2 decimal places ("20.00"). Anything else (true,
    20.5 as a number, "1e3", " 20", a negative) raises ValueError."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MAX_WHOLE_AMOUNT:
            return Decimal(value)
        raise ValueError(f"must be between 0 and {MAX_WHOLE_AMOUNT}")
    if isinstance(value, str) and _AMOUNT_RE.fullmatch(value):
        return Decimal(value)
    raise ValueError(
        "must be null, a whole number of dollars (20) or a string of dollars with at most "
        '2 decimal places ("20.00")'
    )


def check_amount(amount: Decimal | None, field_name: str) -> Decimal | None:
    """A budget or cap as the service accepts it: None, or 0 to MAX_AMOUNT in whole cents."""
    if amount is None:
        return None
    problem = None
    if not amount.is_finite() or amount < 0:
        problem = "must be a number of dollars, at least 0"
    elif amount > MAX_AMOUNT:
        problem = f"must be at most {MAX_AMOUNT}"
    elif amount != amount.quantize(Decimal("0.01")):
        problem = "must have at most 2 decimal places"
    if problem is not None:
        raise AppError(
            f"Invalid input: {field_name}: {problem}.",
            code="validation_error",
            status_code=422,
            details=[{"field": field_name, "message": problem, "type": "value_error"}],
        )
    return amount.quantize(Decimal("0.01"))


# -------------------------------------------------------------------------- budgets


@dataclass(frozen=True)
class Budget:
    """A designer's monthly budget: their own, the admin's cap over it, the limit that
    applies (the lower of the two), what this calendar month (UTC) has spent, and what is
    left (None: no limit; never below 0)."""

    monthly_budget_usd: Decimal | None
    cap_usd: Decimal | None
    effective_usd: Decimal | None
    spent_usd: Decimal
    remaining_usd: Decimal | None

    @classmethod
    def of(cls, own: Decimal | None, cap: Decimal | None, spent: Decimal) -> Budget:
        limit = ledger.effective_budget(own, cap)
        spent = money(spent)
        left = None if limit is None else max(_ZERO, money(limit - spent))
        return cls(own, cap, limit, spent, left)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "monthly_budget_usd": usd(self.monthly_budget_usd),
            "cap_usd": usd(self.cap_usd),
            "effective_usd": usd(self.effective_usd),
            "spent_usd": usd(self.spent_usd) or "0.000000",
            "remaining_usd": usd(self.remaining_usd),
        }


# -------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class Line:
    """One group of ledger rows: a day's (or a whole window's: day None) calls of one
    provider, model and operation, for one designer."""

    user_id: uuid.UUID
    day: date | None
    provider: str
    model: str | None
    operation: str
    amount: Decimal
    calls: int


@dataclass
class _Tally:
    amount: Decimal = _ZERO
    calls: int = 0

    def add(self, line: Line) -> None:
        self.amount += line.amount
        self.calls += line.calls


@dataclass(frozen=True)
class CostSummary:
    period: str
    start: datetime
    end: datetime
    total: Decimal
    calls: int
    by_provider: list[dict[str, Any]]
    by_operation: list[dict[str, Any]]
    by_day: list[dict[str, Any]]
    by_user: dict[uuid.UUID, _Tally] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "total_usd": usd(self.total),
            "calls": self.calls,
            "by_provider": self.by_provider,
            "by_operation": self.by_operation,
            "by_day": self.by_day,
        }


def _largest_first(tallies: dict[Any, _Tally]) -> list[tuple[Any, _Tally]]:
    return sorted(tallies.items(), key=lambda kv: (-kv[1].amount, -kv[1].calls, str(kv[0])))


def summarize(
    lines: Iterable[Line], period: str, start: datetime, end: datetime, today: date
) -> CostSummary:
    """The period's totals, by provider and model, by operation, by user and by day (every
    day from the start through today, or to the period's end if that came first, days
    without calls included at 0), largest amounts first except the days."""
    total = _Tally()
    providers: dict[tuple[str, str | None], _Tally] = defaultdict(_Tally)
    operations: dict[str, _Tally] = defaultdict(_Tally)
    users: dict[uuid.UUID, _Tally] = defaultdict(_Tally)
    days: dict[date, _Tally] = defaultdict(_Tally)
    day_vendors: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        total.add(line)
        providers[(line.provider, line.model)].add(line)
        operations[line.operation].add(line)
        users[line.user_id].add(line)
        if line.day is not None:
            days[line.day].add(line)
            day_vendors[line.day][line.provider] += line.amount
    last = min(today, (end - timedelta(microseconds=1)).date())
    if days:
        last = max(last, max(days))
    by_day = []
    day = start.date()
    while day <= last:
        tally = days.get(day, _Tally())
        vendors = day_vendors.get(day, {})
        by_day.append(
            {
                "day": day.isoformat(),
                "amount_usd": usd(tally.amount),
                "calls": tally.calls,
                "by_provider": {p: usd(vendors[p]) for p in sorted(vendors)},
            }
        )
        day += timedelta(days=1)
    return CostSummary(
        period=period,
        start=start,
        end=end,
        total=money(total.amount),
        calls=total.calls,
        by_provider=[
            {"provider": p, "model": m, "amount_usd": usd(t.amount), "calls": t.calls}
            for (p, m), t in sorted(
                providers.items(),
                key=lambda kv: (-kv[1].amount, -kv[1].calls, kv[0][0], kv[0][1] or ""),
            )
        ],
        by_operation=[
            {"operation": op, "amount_usd": usd(t.amount), "calls": t.calls}
            for op, t in _largest_first(operations)
        ],
        by_day=by_day,
        by_user=dict(users),
    )


def period_window(period: Period, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the calendar period (UTC) holding now."""
    start = ledger.period_start(period, now)
    if period == "day":
        end = start + timedelta(days=1)
    elif period == "week":
        end = start + timedelta(days=7)
    else:
        end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _day_column(db: AsyncSession) -> ColumnElement[Any]:
    """The UTC calendar day of a ledger row, as the database computes it."""
    if db.get_bind().dialect.name == "postgresql":
        # date() of a timestamptz would use the session's time zone.
        return func.date(func.timezone("UTC", CostEntry.created_at))
    return func.date(CostEntry.created_at)  # SQLite keeps UTC text, "YYYY-MM-DD HH:MM:SS"


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def ledger_lines(
    db: AsyncSession,
    since: datetime | None,
    until: datetime | None,
    *,
    user_id: uuid.UUID | None = None,
    by_day: bool = True,
) -> list[Line]:
    """The ledger's rows in [since, until) (None: unbounded), grouped by designer, day
    (when `by_day`), provider, model and operation; one designer's only when `user_id`."""
    day = _day_column(db).label("day") if by_day else None
    columns: list[Any] = [
        CostEntry.user_id,
        CostEntry.provider,
        CostEntry.model,
        CostEntry.operation,
        func.sum(CostEntry.amount_usd).label("amount"),
        func.count().label("calls"),
    ]
    keys: list[Any] = [CostEntry.user_id, CostEntry.provider, CostEntry.model, CostEntry.operation]
    if day is not None:
        columns.append(day)
        keys.append(day)
    query = select(*columns).group_by(*keys)
    if user_id is not None:
        query = query.where(CostEntry.user_id == user_id)
    if since is not None:
        query = query.where(CostEntry.created_at >= since)
    if until is not None:
        query = query.where(CostEntry.created_at < until)
    rows = (await db.execute(query)).all()
    return [
        Line(
            user_id=row.user_id,
            day=_as_date(row.day) if by_day else None,
            provider=row.provider,
            model=row.model,
            operation=row.operation,
            amount=money(Decimal(str(row.amount or 0))),
            calls=int(row.calls),
        )
        for row in rows
    ]


async def _spent_by_user(db: AsyncSession, since: datetime) -> dict[uuid.UUID, Decimal]:
    rows = await db.execute(
        select(CostEntry.user_id, func.sum(CostEntry.amount_usd))
        .where(CostEntry.created_at >= since)
        .group_by(CostEntry.user_id)
    )
    return {user_id: money(Decimal(str(amount or 0))) for user_id, amount in rows.all()}


# -------------------------------------------------------------------------- the service


class BillingService:
    """Budgets and cost summaries over the ledger (`billing.ledger` records the rows)."""

    async def remaining(self, db: AsyncSession, user_id: uuid.UUID) -> Decimal | None:
        """What the designer may still spend this calendar month (UTC), never below 0;
        None when no limit applies. What to ask before a paid job runs."""
        return await ledger.remaining(db, user_id)

    async def budget(
        self, db: AsyncSession, user_id: uuid.UUID, *, now: datetime | None = None
    ) -> Budget:
        row = (
            await db.execute(
                select(User.monthly_budget_usd, User.budget_cap_usd).where(User.id == user_id)
            )
        ).first()
        if row is None:
            raise NotFound("No such user.")
        spent = await ledger.spent(db, user_id, ledger.period_start("month", now))
        return Budget.of(row.monthly_budget_usd, row.budget_cap_usd, spent)

    async def set_budget(
        self, db: AsyncSession, user_id: uuid.UUID, amount: Decimal | None
    ) -> Budget:
        """The designer's own monthly budget (None: none of their own). Refused above the
        cap an admin set (422 `budget_above_cap`)."""
        amount = check_amount(amount, "monthly_budget_usd")
        cap = (
            await db.execute(select(User.budget_cap_usd).where(User.id == user_id))
        ).scalar_one_or_none()
        if amount is not None and cap is not None and amount > cap:
            raise AppError(
                f"Your monthly budget can be at most {cents(cap)}, the limit your "
                "administrator set.",
                code="budget_above_cap",
                status_code=422,
                details={"cap_usd": usd(cap)},
            )
        result = await db.execute(
            update(User).where(User.id == user_id).values(monthly_budget_usd=amount)
        )
        if affected_rows(result) != 1:
            await db.rollback()
            raise NotFound("No such user.")
        await db.commit()
        log.info("budget_set", user_id=str(user_id), amount=usd(amount))
        return await self.budget(db, user_id)

    async def set_cap(
        self,
        db: AsyncSession,
        admin_id: uuid.UUID,
        user_id: uuid.UUID,
        amount: Decimal | None,
    ) -> Budget:
        """An admin's ceiling on a designer's monthly budget (None: no ceiling). A budget
        of their own above it stays as they set it; the cap is what applies."""
        amount = check_amount(amount, "budget_cap_usd")
        role = await db.scalar(select(User.role).where(User.id == admin_id))
        if role != Role.ADMIN:
            raise Forbidden("This action needs an administrator account.", code="admin_required")
        result = await db.execute(
            update(User).where(User.id == user_id).values(budget_cap_usd=amount)
        )
        if affected_rows(result) != 1:
            await db.rollback()
            raise NotFound("No such user.")
        await db.commit()
        log.info("budget_cap_set", user_id=str(user_id), admin_id=str(admin_id), cap=usd(amount))
        return await self.budget(db, user_id)

    async def summary(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        period: Period,
        *,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The designer's own costs this day, week or month, with their budget."""
        now = now or utcnow()
        start, end = period_window(period, now)
        lines = await ledger_lines(db, start, end, user_id=user_id)
        report = summarize(lines, period, start, end, now.date()).to_dict()
        report["budget"] = (await self.budget(db, user_id, now=now)).to_dict()
        return report

    async def admin_summary(
        self, db: AsyncSession, period: Period, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Everyone's costs this day, week or month: the totals, each designer who spent
        or has a budget or cap (largest spender first) and each provider and model."""
        now = now or utcnow()
        start, end = period_window(period, now)
        summary = summarize(await ledger_lines(db, start, end), period, start, end, now.date())
        if period == "month":
            month_spent = {u: t.amount for u, t in summary.by_user.items()}
        else:
            month_spent = await _spent_by_user(db, ledger.period_start("month", now))
        users = (
            await db.execute(
                select(
                    User.id,
                    User.email,
                    User.name,
                    User.monthly_budget_usd,
                    User.budget_cap_usd,
                ).where(
                    or_(
                        User.id.in_(list(summary.by_user)),
                        User.monthly_budget_usd.is_not(None),
                        User.budget_cap_usd.is_not(None),
                    )
                )
            )
        ).all()
        rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        for user in users:
            tally = summary.by_user.get(user.id, _Tally())
            budget = Budget.of(
                user.monthly_budget_usd, user.budget_cap_usd, month_spent.get(user.id, _ZERO)
            )
            rows.append(
                (
                    (-tally.amount, -tally.calls, user.email),
                    {
                        "user_id": user.id,
                        "email": user.email,
                        "name": user.name,
                        "amount_usd": usd(tally.amount),
                        "calls": tally.calls,
                        "budget": budget.to_dict(),
                    },
                )
            )
        rows.sort(key=lambda r: r[0])
        out = summary.to_dict()
        del out["by_operation"], out["by_day"]
        out["users"] = [row for _, row in rows]
        return out

    async def spending(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        since: datetime | None,
        until: datetime | None,
    ) -> list[Line]:
        """The designer's ledger rows in [since, until) grouped by provider, model and
        operation (since None: from the first)."""
        return await ledger_lines(db, since, until, user_id=user_id, by_day=False)


def total_of(lines: Sequence[Line]) -> Decimal:
    return money(sum((line.amount for line in lines), _ZERO))


__all__ = [
    "PERIODS",
    "BillingService",
    "Budget",
    "CostSummary",
    "Line",
    "check_amount",
    "ledger_lines",
    "parse_amount",
    "period_window",
    "summarize",
    "total_of",
    "usd",
]
