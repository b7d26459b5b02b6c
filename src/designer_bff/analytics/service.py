"""Analytics: a designer's figures (dashboard, style evolution, provider performance,
recent activity) and the daily snapshots, per designer and for the whole deployment.

The four reading endpoints read the live tables: one designer's designs are few enough to
tally on each request, and reading them live means a figure never lags a new design or a
verdict. The snapshots (`analytics_snapshots`) keep each day's figures for history and
for the global view; a periodic task writes yesterday's once per UTC day
(`snapshot_due`). What counts as a design and an outlier is stated in `figures`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import ColumnElement, and_, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.analytics import figures
from designer_bff.analytics.figures import AttributeTally, DesignRow
from designer_bff.analytics.models import AnalyticsSnapshot
from designer_bff.billing import ledger
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import money
from designer_bff.billing.service import usd
from designer_bff.collections.models import Collection
from designer_bff.commands.models import VoiceCommand
from designer_bff.db.base import utcnow
from designer_bff.designs.models import DesignStatus, DesignType, Image
from designer_bff.gallery.models import ImageFeedback
from designer_bff.generation.models import GenerationJob, JobSource
from designer_bff.learning.models import LearningEvent
from designer_bff.nightly.models import NightlyRun
from designer_bff.styles.models import AnalysisJob, StyleProfileVersion

log = structlog.get_logger("designer_bff.analytics")

MAX_WEEKS = 104
MAX_ACTIVITY = 100
# Serialises snapshot writers on PostgreSQL (NULL user ids defeat the unique index, so
# two writers of the global row must not overlap); SQLite serialises writers itself.
_SNAPSHOT_LOCK = 0x616E_616C
# Activity text quotes at most this much of a command or prompt.
_QUOTE_CHARS = 80


def design_filter() -> ColumnElement[bool]:
    """A design, for analytics: generated (not uploaded or enhanced), ready, not deleted."""
    return and_(
        Image.type == DesignType.GENERATED,
        Image.status == DesignStatus.READY,
        Image.deleted_at.is_(None),
    )


_DESIGN_COLUMNS = (
    Image.user_id,
    Image.created_at,
    Image.is_outlier,
    Image.outlier_marked_at,
    Image.garment_type,
    Image.attribute_tags,
    Image.provider,
    Image.model,
    Image.generation_cost,
)


def _design_row(row: Any, until: datetime | None = None) -> DesignRow:
    """`until`: count the outlier flag only if it was set before then (history)."""
    outlier = bool(row.is_outlier)
    if until is not None and row.outlier_marked_at is not None:
        outlier = outlier and row.outlier_marked_at < until
    return DesignRow(
        user_id=row.user_id,
        created_at=row.created_at,
        is_outlier=outlier,
        garment_type=row.garment_type,
        tags=list(row.attribute_tags or []),
        provider=row.provider,
        model=row.model,
        cost=Decimal(str(row.generation_cost or 0)),
    )


def _sum(value: Any) -> Decimal:
    return money(Decimal(str(value or 0)))


def _quote(value: str | None) -> str:
    words = " ".join((value or "").split())
    if len(words) > _QUOTE_CHARS:
        words = words[: _QUOTE_CHARS - 1].rstrip() + "…"
    return f"“{words}”"


def _spec_words(spec: dict[str, Any] | None) -> str:
    """A job's spec in a few words: "bohemian red floral maxi dress"."""
    spec = spec or {}
    words: list[str] = []
    for key in ("styles", "colors", "patterns", "fabrics"):
        words.extend(str(v) for v in spec.get(key) or [])
    words.extend(str(spec[key]) for key in ("silhouette", "length") if spec.get(key))
    words.append(str(spec.get("garment_type") or "design"))
    return " ".join(words)


def _designs(n: int) -> str:
    return f"{n} design{'' if n == 1 else 's'}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _metrics(
    tally: AttributeTally, min_users: int, period: Decimal, month: Decimal
) -> dict[str, Any]:
    """A snapshot's figures; attribute values shown only with `min_users` designers."""
    return {
        "total_designs": tally.total.designs,
        "outliers": tally.total.outliers,
        "outlier_rate": tally.total.outlier_rate,
        "favourite_styles": tally.favourite_styles(min_users),
        "top_attributes": tally.top_attributes(min_users),
        "cost_period_usd": usd(money(period)),
        "cost_month_usd": usd(money(month)),
    }


class AnalyticsService:
    def __init__(self, k_anonymity: int) -> None:
        # A global figure about an attribute value is shown only when at least this many
        # distinct designers contributed to it.
        self.k = k_anonymity

    # ---------------------------------------------------------------- reading

    async def _designs_of(self, db: AsyncSession, user_id: uuid.UUID) -> list[DesignRow]:
        rows = await db.execute(
            select(*_DESIGN_COLUMNS).where(Image.user_id == user_id, design_filter())
        )
        return [_design_row(r) for r in rows]

    async def _ledger_total(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Decimal:
        query = select(func.sum(CostEntry.amount_usd)).where(CostEntry.user_id == user_id)
        if since is not None:
            query = query.where(CostEntry.created_at >= since)
        if until is not None:
            query = query.where(CostEntry.created_at < until)
        return _sum(await db.scalar(query))

    async def dashboard(
        self, db: AsyncSession, user_id: uuid.UUID, weeks: int, now: datetime | None = None
    ) -> dict[str, Any]:
        """My totals (all time; `cost_usd` is every call in my cost ledger, generation,
        analysis and transcription alike), my last `weeks` weeks (UTC, oldest first, empty
        weeks included) and my favourite styles and top attributes. Live tables."""
        now = now or utcnow()
        rows = await self._designs_of(db, user_id)
        tally = AttributeTally()
        for row in rows:
            tally.add(row)
        starts = figures.week_starts(now, weeks)
        window = (figures.day_start(starts[0]), figures.day_start(starts[-1] + timedelta(7)))
        entries = await db.execute(
            select(CostEntry.created_at, CostEntry.amount_usd).where(
                CostEntry.user_id == user_id,
                CostEntry.created_at >= window[0],
                CostEntry.created_at < window[1],
            )
        )
        costs = figures.cost_buckets(((at, Decimal(str(amount))) for at, amount in entries), starts)
        favorites = await db.scalar(
            select(func.count())
            .select_from(ImageFeedback)
            .join(Image, Image.id == ImageFeedback.image_id)
            .where(
                ImageFeedback.user_id == user_id,
                ImageFeedback.is_favorite.is_(True),
                Image.user_id == user_id,
                design_filter(),
            )
        )
        weekly = []
        for start, week, cost in zip(
            starts, figures.weekly_buckets(rows, starts), costs, strict=True
        ):
            weekly.append(
                {
                    "week_start": start.isoformat(),
                    "designs": week.total.designs,
                    "outliers": week.total.outliers,
                    "outlier_rate": week.total.outlier_rate,
                    "cost_usd": usd(cost),
                }
            )
        return {
            "totals": {
                "designs": tally.total.designs,
                "outliers": tally.total.outliers,
                "outlier_rate": tally.total.outlier_rate,
                "favorites": int(favorites or 0),
                "cost_usd": usd(await self._ledger_total(db, user_id)),
                "cost_this_month_usd": usd(
                    await self._ledger_total(db, user_id, ledger.period_start("month", now))
                ),
            },
            "weekly": weekly,
            "favourite_styles": tally.favourite_styles(),
            "top_attributes": tally.top_attributes(),
        }

    async def style_evolution(
        self, db: AsyncSession, user_id: uuid.UUID, weeks: int, now: datetime | None = None
    ) -> dict[str, Any]:
        """Per week (oldest first): my designs and outliers, what the outliers showed, and
        my style profile as it stood at the week's end (null before my first). Live tables."""
        now = now or utcnow()
        starts = figures.week_starts(now, weeks)
        buckets = figures.weekly_buckets(await self._designs_of(db, user_id), starts)
        last_end = figures.day_start(starts[-1] + timedelta(7))
        versions = (
            await db.scalars(
                select(StyleProfileVersion)
                .where(
                    StyleProfileVersion.user_id == user_id,
                    StyleProfileVersion.created_at < last_end,
                )
                .order_by(StyleProfileVersion.created_at, StyleProfileVersion.version)
            )
        ).all()
        periods = []
        for start, week in zip(starts, buckets, strict=True):
            end = figures.day_start(start + timedelta(7))
            current = None
            for version in versions:
                if version.created_at < end:
                    current = version
            periods.append(
                {
                    "week_start": start.isoformat(),
                    "designs": week.total.designs,
                    "outliers": week.total.outliers,
                    "outlier_attributes": week.outlier_attributes(),
                    "profile": None if current is None else figures.profile_shares(current.top),
                }
            )
        return {"periods": periods}

    async def provider_performance(
        self, db: AsyncSession, user_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        """Per provider and model, all time: my designs, outliers, outlier rate and what
        those designs cost (their generation costs). Live tables."""
        items = figures.provider_performance(await self._designs_of(db, user_id))
        for item in items:
            for key in ("cost_usd", "cost_per_design", "cost_per_outlier"):
                item[key] = usd(item[key])
        return items

    async def recent_activity(
        self, db: AsyncSession, user_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        """What happened lately, newest first: generation jobs (nightly batches appear
        as their nightly run), outliers marked and favourites added, collections created,
        nightly runs and portfolio analyses. Live tables."""
        items: list[dict[str, Any]] = []
        items += await self._job_activity(db, user_id, limit)
        items += await self._feedback_activity(db, user_id, limit)
        items += await self._collection_activity(db, user_id, limit)
        items += await self._nightly_activity(db, user_id, limit)
        items += await self._analysis_activity(db, user_id, limit)
        items.sort(key=lambda i: (i["at"], i["type"], str(i["ref"])), reverse=True)
        return items[:limit]

    async def _job_activity(
        self, db: AsyncSession, user_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        rows = await db.execute(
            select(GenerationJob, VoiceCommand.text)
            .outerjoin(VoiceCommand, VoiceCommand.id == GenerationJob.command_id)
            .where(GenerationJob.user_id == user_id, GenerationJob.source != JobSource.NIGHTLY)
            .order_by(GenerationJob.created_at.desc(), GenerationJob.id.desc())
            .limit(limit)
        )
        out = []
        for job, command in rows:
            if command:
                what = f"from {_quote(command)}"
            elif job.source == JobSource.PROMPT and job.prompt:
                what = f"from {_quote(job.prompt)}"
            elif job.source in (JobSource.IMAGE, JobSource.ENHANCE):
                what = "like one of my designs" if job.source == JobSource.IMAGE else "enhanced"
            else:
                what = f"from {_quote(_spec_words(job.spec))}"
            if job.status == "completed":
                words = f"{_designs(job.done_count)} {what}"
            elif job.status in ("queued", "running"):
                words = f"Making {_designs(job.quantity)} {what}"
            else:
                words = f"{_designs(job.done_count)} of {job.quantity} {what} ({job.status})"
            out.append(
                {
                    "type": "generation",
                    "at": job.created_at,
                    "text": words,
                    "ref": {"job_id": str(job.id)},
                }
            )
        return out

    async def _feedback_activity(
        self, db: AsyncSession, user_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        events = await db.scalars(
            select(LearningEvent)
            .where(
                LearningEvent.user_id == user_id,
                LearningEvent.kind.in_(("outlier", "favorite")),
                LearningEvent.value > 0,  # taking a verdict back is no news
            )
            .order_by(LearningEvent.created_at.desc(), LearningEvent.id.desc())
            .limit(limit)
        )
        out = []
        for event in events:
            garment = str((event.attributes or {}).get("garment_type") or "design")
            words = (
                f"Marked a {garment} as an outlier"
                if event.kind == "outlier"
                else f"Added a {garment} to favourites"
            )
            out.append(
                {
                    "type": "feedback",
                    "at": event.created_at,
                    "text": words,
                    "ref": {"image_id": str(event.image_id) if event.image_id else None},
                }
            )
        return out

    async def _collection_activity(
        self, db: AsyncSession, user_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        rows = await db.scalars(
            select(Collection)
            .where(Collection.user_id == user_id)
            .order_by(Collection.created_at.desc(), Collection.id.desc())
            .limit(limit)
        )
        return [
            {
                "type": "collection",
                "at": c.created_at,
                "text": f"Created the collection {_quote(c.name)}",
                "ref": {"collection_id": str(c.id)},
            }
            for c in rows
        ]

    async def _nightly_activity(
        self, db: AsyncSession, user_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        at = func.coalesce(NightlyRun.finished_at, NightlyRun.started_at, NightlyRun.created_at)
        rows = await db.scalars(
            select(NightlyRun)
            .where(NightlyRun.user_id == user_id)
            .order_by(at.desc(), NightlyRun.id.desc())
            .limit(limit)
        )
        out = []
        for run in rows:
            words = f"Nightly batch of {run.run_date.isoformat()}: "
            words += _designs(run.designs) if run.designs else run.status
            ref: dict[str, str] = {}
            if run.job_id is not None:
                ref["job_id"] = str(run.job_id)
            if run.collection_id is not None:
                ref["collection_id"] = str(run.collection_id)
            out.append(
                {
                    "type": "nightly",
                    "at": run.finished_at or run.started_at or run.created_at,
                    "text": words,
                    "ref": ref,
                }
            )
        return out

    async def _analysis_activity(
        self, db: AsyncSession, user_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        at = func.coalesce(AnalysisJob.completed_at, AnalysisJob.created_at)
        rows = await db.scalars(
            select(AnalysisJob)
            .where(AnalysisJob.user_id == user_id)
            .order_by(at.desc(), AnalysisJob.id.desc())
            .limit(limit)
        )
        out = []
        for job in rows:
            what = "portfolio images" if job.kind == "portfolio" else "images"
            if job.status == "done":
                words = f"Analysed {job.done} of {job.total} {what}"
            elif job.status == "failed":
                words = f"Analysis of {job.total} {what} failed"
            else:
                words = f"Analysing {job.total} {what}"
            out.append(
                {
                    "type": "analysis",
                    "at": job.completed_at or job.created_at,
                    "text": words,
                    "ref": {"job_id": str(job.id)},
                }
            )
        return out

    # ---------------------------------------------------------------- snapshots

    async def snapshot(self, db: AsyncSession, day: date) -> int:
        """Write `day`'s snapshots (UTC) and commit: one per designer active that day (a
        design created, feedback given or a call paid), and one global (user_id NULL).
        Replaces any snapshot of that day, so running it again, or in two processes at
        once, leaves the same rows. Returns how many rows it wrote.

        Figures are cumulative through the end of the day: designs created by then (as
        they stand now: a design deleted since no longer counts), outliers marked by then;
        `cost_period_usd` is the day's ledger, `cost_month_usd` the month's through it.
        The global row lists an attribute value only when at least k designers made
        designs showing it."""
        start = figures.day_start(day)
        end = start + timedelta(days=1)
        month = figures.day_start(day.replace(day=1))
        if db.get_bind().dialect.name == "postgresql":
            await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SNAPSHOT_LOCK})
        # Deleting first also opens SQLite's write transaction, so the reads below and
        # the inserts are one serialised unit there.
        await db.execute(delete(AnalyticsSnapshot).where(AnalyticsSnapshot.snapshot_date == day))

        active = await self._active_users(db, start, end)
        day_costs = await self._costs_by_user(db, start, end)
        month_costs = await self._costs_by_user(db, month, end)
        everyone = AttributeTally()
        mine: dict[uuid.UUID, AttributeTally] = {u: AttributeTally() for u in active}
        result = await db.stream(
            select(*_DESIGN_COLUMNS)
            .where(design_filter(), Image.created_at < end)
            .execution_options(yield_per=2000)
        )
        async for raw in result:
            row = _design_row(raw, until=end)
            everyone.add(row)
            if row.user_id in mine:
                mine[row.user_id].add(row)

        zero = Decimal(0)
        rows = [
            AnalyticsSnapshot(
                user_id=user_id,
                snapshot_date=day,
                metrics=_metrics(
                    tally, 1, day_costs.get(user_id, zero), month_costs.get(user_id, zero)
                ),
            )
            for user_id, tally in sorted(mine.items(), key=lambda kv: str(kv[0]))
        ]
        rows.append(
            AnalyticsSnapshot(
                user_id=None,
                snapshot_date=day,
                metrics=_metrics(
                    everyone, self.k, sum(day_costs.values(), zero), sum(month_costs.values(), zero)
                ),
            )
        )
        db.add_all(rows)
        await db.commit()
        log.info("analytics_snapshot_written", day=day.isoformat(), rows=len(rows))
        return len(rows)

    async def _active_users(
        self, db: AsyncSession, start: datetime, end: datetime
    ) -> set[uuid.UUID]:
        queries: Iterable[Any] = (
            select(Image.user_id).where(Image.created_at >= start, Image.created_at < end),
            select(LearningEvent.user_id).where(
                LearningEvent.created_at >= start, LearningEvent.created_at < end
            ),
            select(CostEntry.user_id).where(
                CostEntry.created_at >= start, CostEntry.created_at < end
            ),
        )
        users: set[uuid.UUID] = set()
        for query in queries:
            users.update((await db.scalars(query.distinct())).all())
        return users

    async def _costs_by_user(
        self, db: AsyncSession, start: datetime, end: datetime
    ) -> dict[uuid.UUID, Decimal]:
        rows = await db.execute(
            select(CostEntry.user_id, func.sum(CostEntry.amount_usd))
            .where(CostEntry.created_at >= start, CostEntry.created_at < end)
            .group_by(CostEntry.user_id)
        )
        return {user_id: _sum(amount) for user_id, amount in rows}

    async def snapshot_due(
        self, sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None
    ) -> date | None:
        """Snapshot yesterday (UTC) unless it has its global row already: the periodic
        task calls this often, and it writes once per day. Returns the day written."""
        day = _aware(now or utcnow()).astimezone(UTC).date() - timedelta(days=1)
        async with sessionmaker() as db:
            done = await db.scalar(
                select(func.count())
                .select_from(AnalyticsSnapshot)
                .where(AnalyticsSnapshot.snapshot_date == day, AnalyticsSnapshot.user_id.is_(None))
            )
            if done:
                return None
            await self.snapshot(db, day)
        return day
