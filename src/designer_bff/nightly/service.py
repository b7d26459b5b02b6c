"""Nightly batches: a designer's schedule (read, change) and the scheduler's two duties,
starting the batches that are due and finishing those whose job has ended.

Exactly once per designer and local night, however many schedulers run: a batch starts
by inserting its `nightly_runs` row, whose UNIQUE(schedule_id, run_date) lets only one
scheduler win; the loser rolls back and moves on. Finishing is a compare-and-set on the
run's status, so one scheduler publishes `nightly.ready`, once. See schedule.py for which
night a run belongs to (catch-up, daylight saving)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.auth.models import User
from designer_bff.billing import ledger
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import cents
from designer_bff.billing.service import check_amount, parse_amount, usd
from designer_bff.collections.models import Collection
from designer_bff.collections.service import CollectionService
from designer_bff.config import Settings
from designer_bff.core.errors import AppError, Conflict
from designer_bff.db.base import affected_rows, utcnow
from designer_bff.db.retry import retry_on_conflict
from designer_bff.designs.models import Image
from designer_bff.designs.service import visible
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.models import ACTIVE_JOB, GenerationJob, JobSource, JobStatus
from designer_bff.generation.service import GenerationService, canonical_spec
from designer_bff.nightly.models import NightlyRun, NightlySchedule
from designer_bff.nightly.schedule import (
    due_date,
    load_zone,
    next_run,
    parse_local_time,
    run_instant,
)
from designer_bff.realtime.events import EventBus

log = structlog.get_logger("designer_bff.nightly")

Clock = Callable[[], datetime]


class RunStatus:
    PENDING = "pending"  # its row is in; the job is being created
    RUNNING = "running"  # its job is making designs
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the designer cancelled the job
    SKIPPED = "skipped"  # not even one design fitted the nightly limit or the budget


DEFAULT_TIME = "02:00"
DEFAULT_QUANTITY = 20
# A run whose job was never created this long after it started (its scheduler stopped
# in between) is closed as failed, so the morning view does not wait for it forever.
STALE_PENDING = timedelta(minutes=10)
# Schedules started per scheduler round; the next round takes the rest.
ROUND_LIMIT = 200
MAX_RUNS_LISTED = 100
SETTABLE = ("enabled", "local_time", "timezone", "quantity", "provider", "max_cost", "spec")
_NOT_NULL = ("enabled", "local_time", "timezone", "quantity")


def collection_name(run_date: date) -> str:
    return f"Nightly — {run_date.isoformat()}"


def _invalid(code: str, field: str, message: str) -> AppError:
    return AppError(
        f"Invalid input: {field}: {message}.",
        code=code,
        status_code=422,
        details=[{"field": field, "message": message}],
    )


@dataclass(frozen=True)
class Changes:
    """A checked partial update of a schedule (only the keys given are set)."""

    values: Mapping[str, Any]


def run_out(run: NightlyRun, collection: str | None) -> dict[str, Any]:
    return {
        "id": run.id,
        "run_date": run.run_date,
        "status": run.status,
        "designs": run.designs,
        "cost_usd": usd(run.cost_usd or Decimal(0)),
        "collection_id": run.collection_id,
        "collection_name": collection,
        "job_id": run.job_id,
        "error_message": run.error_message,
        "scheduled_for": run.scheduled_for,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def json_run(run: dict[str, Any]) -> dict[str, Any]:
    """A run as an event carries it (plain JSON values)."""
    out: dict[str, Any] = {}
    for key, value in run.items():
        if isinstance(value, uuid.UUID):
            out[key] = str(value)
        elif isinstance(value, datetime | date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


class NightlyService:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        generation: GenerationService,
        collections: CollectionService,
        events: EventBus,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.generation = generation
        self.collections = collections
        self.events = events
        self.clock = clock

    # -- the schedule ------------------------------------------------------------------

    def check(self, changes: Mapping[str, Any]) -> Changes:
        """Every given value checked before anything is written (no partial record)."""
        out: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in SETTABLE:
                raise _invalid("validation_error", key, "is not a nightly setting")
            if value is None and key in _NOT_NULL:
                raise _invalid("validation_error", key, "must not be null")
            if key == "enabled":
                if not isinstance(value, bool):
                    raise _invalid("validation_error", key, "must be true or false")
                out[key] = value
            elif key == "local_time":
                try:
                    parse_local_time(str(value))
                except ValueError as exc:
                    raise _invalid("invalid_local_time", key, str(exc)) from exc
                out[key] = value
            elif key == "timezone":
                try:
                    load_zone(str(value))
                except ValueError as exc:
                    raise _invalid(
                        "invalid_timezone", key, f"{exc}; use an IANA name like Europe/Paris"
                    ) from exc
                out[key] = value
            elif key == "quantity":
                out[key] = self._quantity(value)
            elif key == "provider":
                if value is not None and value not in self.generation.makers():
                    raise AppError(
                        f"Unknown provider {value!r}.",
                        code="unknown_provider",
                        status_code=422,
                        details={"available": sorted(self.generation.makers())},
                    )
                out[key] = value
            elif key == "max_cost":
                if not isinstance(value, Decimal):
                    try:
                        value = parse_amount(value)
                    except ValueError as exc:
                        raise _invalid("validation_error", key, str(exc)) from exc
                out[key] = check_amount(value, key)
            elif key == "spec":
                spec = value if value is None or isinstance(value, GarmentSpec) else None
                if value is not None and spec is None:
                    try:
                        spec = GarmentSpec.model_validate(value)
                    except ValidationError as exc:
                        raise _invalid("invalid_spec", key, "is not a garment spec") from exc
                if spec is not None and spec.quantity is not None:
                    self._quantity(spec.quantity)  # a night makes `quantity`; this is said
                out[key] = None if spec is None else canonical_spec(spec).model_dump()
        return Changes(out)

    def _quantity(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _invalid("invalid_quantity", "quantity", "must be a whole number, at least 1")
        limit = self.settings.max_quantity_per_command
        if value > limit:
            raise AppError(
                f"At most {limit} designs a night.",
                code="quantity_too_large",
                status_code=422,
                details={"max": limit},
            )
        return value

    async def _schedule(
        self, db: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
    ) -> NightlySchedule | None:
        stmt = select(NightlySchedule).where(NightlySchedule.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await db.scalar(stmt)

    async def _last_run(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any] | None:
        runs = await self.runs(db, user_id, limit=1)
        return runs[0] if runs else None

    async def get(
        self, db: AsyncSession, user_id: uuid.UUID, now: datetime | None = None
    ) -> dict[str, Any]:
        """The designer's schedule as the API shows it (defaults when none is set)."""
        schedule = await self._schedule(db, user_id)
        last = await self._last_run(db, user_id)
        if schedule is None:
            timezone = await self._user_zone(db, user_id)
            return {
                "configured": False,
                "enabled": False,
                "local_time": DEFAULT_TIME,
                "timezone": timezone,
                "quantity": DEFAULT_QUANTITY,
                "provider": None,
                "max_cost": None,
                "spec": None,
                "next_run_at": None,
                "next_run_local": None,
                "last_run": last,
            }
        next_at = schedule.next_run_at if schedule.enabled else None
        return {
            "configured": True,
            "enabled": schedule.enabled,
            "local_time": schedule.local_time,
            "timezone": schedule.timezone,
            "quantity": schedule.quantity,
            "provider": schedule.provider,
            "max_cost": None if schedule.max_cost is None else f"{schedule.max_cost:.2f}",
            "spec": schedule.spec,
            "next_run_at": next_at,
            "next_run_local": None
            if next_at is None
            else next_at.astimezone(load_zone(schedule.timezone)).isoformat(),
            "last_run": last,
        }

    async def _user_zone(self, db: AsyncSession, user_id: uuid.UUID) -> str:
        """The designer's account time zone, the schedule's starting one (UTC when the
        account's is not a zone this server knows)."""
        name = await db.scalar(select(User.timezone).where(User.id == user_id))
        try:
            load_zone(name or "UTC")
        except ValueError:
            return "UTC"
        return name or "UTC"

    async def update(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        changes: Mapping[str, Any] | Changes,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Set what is given; a schedule set for the first time is enabled unless told
        otherwise. The next run is recomputed from now: one whose time has already passed
        tonight waits for the next night, never running at once."""
        checked = changes if isinstance(changes, Changes) else self.check(changes)
        now = now or self.clock()
        zone_default = await self._user_zone(db, user_id)

        async def work() -> None:
            schedule = await self._schedule(db, user_id, for_update=True)
            if schedule is None:
                schedule = NightlySchedule(
                    user_id=user_id,
                    enabled=True,
                    local_time=DEFAULT_TIME,
                    timezone=zone_default,
                    quantity=DEFAULT_QUANTITY,
                    use_profile=True,
                )
                db.add(schedule)
            for key, value in checked.values.items():
                setattr(schedule, key, value)
            last_date = await db.scalar(
                select(func.max(NightlyRun.run_date)).where(NightlyRun.user_id == user_id)
            )
            schedule.next_run_at = self._next(schedule, now, last_date)
            await db.commit()

        await retry_on_conflict(db, work)
        return await self.get(db, user_id, now)

    @staticmethod
    def _next(schedule: NightlySchedule, now: datetime, after: date | None) -> datetime | None:
        if not schedule.enabled:
            return None
        zone = load_zone(schedule.timezone)
        return next_run(now, parse_local_time(schedule.local_time), zone, after)

    async def runs(
        self, db: AsyncSession, user_id: uuid.UUID, *, limit: int = 30
    ) -> list[dict[str, Any]]:
        """The designer's nightly runs, newest night first."""
        rows = (
            await db.execute(
                select(NightlyRun, Collection.name)
                .outerjoin(Collection, Collection.id == NightlyRun.collection_id)
                .where(NightlyRun.user_id == user_id)
                .order_by(NightlyRun.run_date.desc(), NightlyRun.created_at.desc())
                .limit(max(1, min(limit, MAX_RUNS_LISTED)))
            )
        ).all()
        return [run_out(run, name) for run, name in rows]

    # -- the scheduler -----------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> None:
        """One scheduler round: start what is due, finish what has ended."""
        now = now or self.clock()
        await self.run_due(now)
        await self.finish_runs(now)

    async def run_forever(self, interval_s: float | None = None) -> None:
        """The scheduler loop (until cancelled); a failed round is logged and retried."""
        interval = interval_s or self.settings.nightly_interval_s
        log.info("nightly_scheduler_started", interval_s=interval)
        while True:
            # Sleep first: at start-up the queue the jobs go to is still being opened.
            await asyncio.sleep(interval)
            try:
                await self.tick()
            except Exception:
                log.exception("nightly_round_failed")

    async def run_due(self, now: datetime | None = None) -> list[uuid.UUID]:
        """Start every enabled schedule whose local run time has passed and whose night
        has no run yet; the ids of the runs this call started."""
        now = now or self.clock()
        async with self.sessionmaker() as db:
            due = list(
                (
                    await db.scalars(
                        select(NightlySchedule.id)
                        .where(
                            NightlySchedule.enabled.is_(True),
                            NightlySchedule.next_run_at <= now,
                        )
                        .order_by(NightlySchedule.next_run_at)
                        .limit(ROUND_LIMIT)
                    )
                ).all()
            )
        started: list[uuid.UUID] = []
        for schedule_id in due:
            try:
                run_id = await self._start(schedule_id, now)
            except Exception:
                log.exception("nightly_start_failed", schedule_id=str(schedule_id))
                continue
            if run_id is not None:
                started.append(run_id)
        return started

    async def _start(self, schedule_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
        async with self.sessionmaker() as db:
            schedule = await db.get(NightlySchedule, schedule_id)
            if schedule is None or not schedule.enabled or schedule.next_run_at is None:
                return None
            if schedule.next_run_at > now:
                return None
            zone = load_zone(schedule.timezone)
            at = parse_local_time(schedule.local_time)
            # After downtime this is the most recent night only: one catch-up run.
            night = due_date(now, at, zone)
            run = NightlyRun(
                schedule_id=schedule.id,
                user_id=schedule.user_id,
                run_date=night,
                status=RunStatus.PENDING,
                spec=schedule.spec,
                scheduled_for=run_instant(night, at, zone),
                started_at=now,
            )
            db.add(run)
            try:
                # The row first: its unique (schedule, night) decides which scheduler runs.
                await db.flush()
            except IntegrityError:
                await db.rollback()
                await self._advance(db, schedule_id, night, now)
                log.info("nightly_already_started", schedule_id=str(schedule_id), night=str(night))
                return None
            schedule.last_run_at = now
            schedule.next_run_at = next_run(now, at, zone, after=night)
            await db.commit()
            run_id = run.id
            log.info("nightly_started", run_id=str(run_id), night=str(night))
            await self._launch(db, schedule, run, now)
            return run_id

    async def _advance(
        self, db: AsyncSession, schedule_id: uuid.UUID, night: date, now: datetime
    ) -> None:
        """Past a night that already has its run (another scheduler's, or one from before
        the schedule changed), so the schedule is not due again until the next night."""
        schedule = await db.get(NightlySchedule, schedule_id, populate_existing=True)
        if schedule is None or not schedule.enabled:
            return
        after = max(night, await self._last_date(db, schedule_id) or night)
        schedule.next_run_at = self._next(schedule, now, after)
        await db.commit()

    @staticmethod
    async def _last_date(db: AsyncSession, schedule_id: uuid.UUID) -> date | None:
        return await db.scalar(
            select(func.max(NightlyRun.run_date)).where(NightlyRun.schedule_id == schedule_id)
        )

    async def _launch(
        self, db: AsyncSession, schedule: NightlySchedule, run: NightlyRun, now: datetime
    ) -> None:
        """The run's generation job, as many designs as the nightly limit and the monthly
        budget pay for; a run none fit is skipped, a refused job failed."""
        # Read now: a rollback below expires the loaded rows.
        user_id, run_id, asked = schedule.user_id, run.id, schedule.quantity
        try:
            quantity, reason = await self._affordable(db, schedule)
            if quantity < 1:
                await self._close(db, run_id, RunStatus.SKIPPED, reason, now)
                return
            spec = GarmentSpec.from_stored(schedule.spec) if schedule.spec else GarmentSpec()
            job = await self.generation.create(
                db,
                user_id,
                specs=[(spec, quantity)],
                source=JobSource.NIGHTLY,
                provider=schedule.provider,
                explore=self.settings.nightly_explore,
            )
        except AppError as exc:
            await db.rollback()
            await self._close(db, run_id, RunStatus.FAILED, exc.message, now)
            return
        except Exception:
            await db.rollback()
            log.exception("nightly_launch_failed", run_id=str(run_id))
            await self._close(
                db, run_id, RunStatus.FAILED, "Something went wrong starting the batch.", now
            )
            return
        if quantity < asked:
            log.info("nightly_cut", run_id=str(run_id), asked=asked, made=quantity)
        job.nightly_run_id = run_id
        run.job_id = job.id
        run.status = RunStatus.RUNNING
        await db.commit()

    async def _affordable(self, db: AsyncSession, schedule: NightlySchedule) -> tuple[int, str]:
        """How many designs tonight: the schedule's quantity, cut to what its max_cost and
        the designer's monthly budget left pay for. With 0, why (in plain words)."""
        quantity = min(schedule.quantity, self.settings.max_quantity_per_command)
        chosen = await self.generation.route(db, schedule.user_id, provider=schedule.provider)
        unit = self.generation.unit_price(chosen.provider, {})
        if unit <= 0:
            return quantity, ""
        one = f"one design on {chosen.provider} costs {cents(unit)}"
        if schedule.max_cost is not None:
            fit = int(Decimal(schedule.max_cost) // unit)
            if fit < 1:
                limit = cents(Decimal(schedule.max_cost))
                return 0, f"Skipped: {one}, more than the nightly limit of {limit}."
            quantity = min(quantity, fit)
        left = await ledger.remaining(db, schedule.user_id)
        if left is not None:
            fit = int(left // unit)
            if fit < 1:
                return 0, (
                    f"Skipped: {cents(left)} is left of your monthly budget and {one}. "
                    "Raise the budget to run the nightly batch."
                )
            quantity = min(quantity, fit)
        return quantity, ""

    async def _close(
        self, db: AsyncSession, run_id: uuid.UUID, status: str, message: str | None, now: datetime
    ) -> None:
        """A run that ends without a job (skipped, refused): recorded and announced."""
        result = await db.execute(
            update(NightlyRun)
            .where(
                NightlyRun.id == run_id,
                NightlyRun.status.in_((RunStatus.PENDING, RunStatus.RUNNING)),
            )
            .values(status=status, error_message=message, finished_at=now, updated_at=now)
        )
        await db.commit()
        if affected_rows(result) == 1:
            await self._announce(db, run_id)

    async def finish_runs(self, now: datetime | None = None) -> list[uuid.UUID]:
        """Close the runs whose job has ended: designs into the night's collection, the
        cost and count on the run, `nightly.ready` to the designer. Returns their ids."""
        now = now or self.clock()
        async with self.sessionmaker() as db:
            ended = list(
                (
                    await db.scalars(
                        select(NightlyRun.id)
                        .join(GenerationJob, GenerationJob.id == NightlyRun.job_id)
                        .where(
                            NightlyRun.status == RunStatus.RUNNING,
                            GenerationJob.status.not_in(ACTIVE_JOB),
                        )
                        .limit(ROUND_LIMIT)
                    )
                ).all()
            )
            stale = list(
                (
                    await db.scalars(
                        select(NightlyRun.id)
                        .where(
                            NightlyRun.status == RunStatus.PENDING,
                            NightlyRun.job_id.is_(None),
                            NightlyRun.started_at < now - STALE_PENDING,
                        )
                        .limit(ROUND_LIMIT)
                    )
                ).all()
            )
            for run_id in stale:
                await self._close(
                    db,
                    run_id,
                    RunStatus.FAILED,
                    "The scheduler stopped before the batch started.",
                    now,
                )
        finished: list[uuid.UUID] = []
        for run_id in ended:
            try:
                if await self._finish(run_id, now):
                    finished.append(run_id)
            except Exception:
                log.exception("nightly_finish_failed", run_id=str(run_id))
        return finished

    async def _finish(self, run_id: uuid.UUID, now: datetime) -> bool:
        async with self.sessionmaker() as db:
            run = await db.get(NightlyRun, run_id)
            if run is None or run.status != RunStatus.RUNNING or run.job_id is None:
                return False
            job = await db.get(GenerationJob, run.job_id)
            if job is None or job.status in ACTIVE_JOB:
                return False
            user_id, night = run.user_id, run.run_date
            # Read now: adding to the collection may roll back and retry (two schedulers
            # finishing the same night), which expires every loaded row.
            job_id, job_status, job_error = job.id, job.status, job.error_message
            made = list(
                (
                    await db.scalars(
                        select(Image.id)
                        .where(Image.job_id == job_id, Image.user_id == user_id, visible())
                        .order_by(Image.seq)
                    )
                ).all()
            )
            collection_id: uuid.UUID | None = None
            if made:
                collection = await self._collection(db, user_id, collection_name(night))
                await self.collections.add_images(db, user_id, collection.id, made)
                collection_id = collection.id
            cost = Decimal(
                str(
                    await db.scalar(
                        select(func.coalesce(func.sum(CostEntry.amount_usd), 0)).where(
                            CostEntry.job_id == job_id, CostEntry.user_id == user_id
                        )
                    )
                    or 0
                )
            )
            if job_status == JobStatus.COMPLETED:
                status, message = RunStatus.COMPLETED, None
            elif job_status == JobStatus.CANCELLED:
                status, message = RunStatus.CANCELLED, "The batch was cancelled."
            else:
                status, message = RunStatus.FAILED, job_error or "The batch failed."
            result = await db.execute(
                update(NightlyRun)
                .where(NightlyRun.id == run_id, NightlyRun.status == RunStatus.RUNNING)
                .values(
                    status=status,
                    designs=len(made),
                    cost_usd=cost,
                    collection_id=collection_id,
                    error_message=message,
                    finished_at=now,
                    updated_at=now,
                )
            )
            await db.commit()
            if affected_rows(result) != 1:
                return False  # another scheduler finished it first
            log.info("nightly_finished", run_id=str(run_id), status=status, designs=len(made))
            await self._announce(db, run_id)
            return True

    async def _collection(self, db: AsyncSession, user_id: uuid.UUID, name: str) -> Collection:
        """The night's collection: the one of that name when the designer has it already."""
        existing = await self.collections.find_by_name(db, user_id, name)
        if existing is not None:
            return existing
        try:
            return await self.collections.create(
                db,
                user_id,
                name=name,
                description="Designs your nightly batch made while you slept.",
            )
        except Conflict:
            # Made meanwhile (another scheduler finishing the same night).
            found = await self.collections.find_by_name(db, user_id, name)
            if found is None:
                raise
            return found

    async def _announce(self, db: AsyncSession, run_id: uuid.UUID) -> None:
        row = (
            await db.execute(
                select(NightlyRun, Collection.name)
                .outerjoin(Collection, Collection.id == NightlyRun.collection_id)
                .where(NightlyRun.id == run_id)
                .execution_options(populate_existing=True)
            )
        ).first()
        await db.commit()
        if row is None:
            return
        run, name = row
        await self.events.publish(run.user_id, "nightly.ready", json_run(run_out(run, name)))
