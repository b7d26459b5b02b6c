"""Running image analyses: the database is the record of truth (a pending
`vlt_specifications` row is work to do), queue messages only wake a worker, and a lease
returns the work of a worker that died. Each finished analysis updates the job's
progress, the design's spec and the designer's profile in one transaction, and is
charged once (by its idempotency key) when the analyzer was a paid call."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.billing import ledger
from designer_bff.billing.pricing import Charge, PriceTable, PriceUnknown
from designer_bff.core.errors import database_unavailable
from designer_bff.db.base import affected_rows, utcnow
from designer_bff.designs.models import Image, spec_columns
from designer_bff.garments.spec import GarmentSpec
from designer_bff.realtime.events import EventBus
from designer_bff.storage import ObjectStore
from designer_bff.styles.models import AnalysisJob, AnalysisStatus, VltSpecification
from designer_bff.styles.service import StyleService
from designer_bff.vlt.base import Analysis, AnalyzerError, ImageAnalyzer

log = structlog.get_logger("designer_bff.analysis")

Wake = Callable[[int], Awaitable[None]]

# What a paid analysis is recorded under in the price table and the ledger.
LEDGER_PROVIDER = "vlt"


def analysis_charge(prices: PriceTable, analysis: Analysis) -> Charge | None:
    """What a paid analysis costs (None when it was free: the local analyzer, a cache
    hit, or a model without a price)."""
    if not analysis.billable or analysis.model is None:
        return None
    try:
        price = prices.image(LEDGER_PROVIDER, analysis.model, "analyze")
    except PriceUnknown:
        log.warning("analysis_price_unknown", model=analysis.model)
        return None
    return Charge(units=Decimal(1), unit_price=price, amount=price) if price > 0 else None


class AnalysisRunner:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        storage: ObjectStore,
        analyzer: ImageAnalyzer,
        styles: StyleService,
        events: EventBus,
        prices: PriceTable,
        wake: Wake,
        worker_id: str,
        concurrency: int = 2,
        lease_s: int = 120,
        max_attempts: int = 3,
        sweep_interval_s: float = 5.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.analyzer = analyzer
        self.styles = styles
        self.events = events
        self.prices = prices
        self.wake = wake
        self.worker_id = worker_id
        self.lease = timedelta(seconds=lease_s)
        self.max_attempts = max_attempts
        self.sweep_interval_s = sweep_interval_s
        self._slots = asyncio.Semaphore(concurrency)

    # -- claiming ----------------------------------------------------------------------

    async def _claim(self) -> VltSpecification | None:
        now = utcnow()
        async with self.sessionmaker() as db:
            for _ in range(5):
                candidate = (
                    select(VltSpecification.id)
                    .where(
                        VltSpecification.status == AnalysisStatus.PENDING,
                        or_(
                            VltSpecification.lease_expires_at.is_(None),
                            VltSpecification.lease_expires_at <= now,
                        ),
                    )
                    .order_by(VltSpecification.created_at)
                    .limit(1)
                )
                if db.get_bind().dialect.name == "postgresql":
                    candidate = candidate.with_for_update(skip_locked=True)
                row_id = await db.scalar(candidate)
                if row_id is None:
                    await db.rollback()
                    return None
                won = await db.execute(
                    update(VltSpecification)
                    .where(
                        VltSpecification.id == row_id,
                        VltSpecification.status == AnalysisStatus.PENDING,
                    )
                    .values(
                        status=AnalysisStatus.RUNNING,
                        claimed_by=self.worker_id,
                        lease_expires_at=now + self.lease,
                        attempts=VltSpecification.attempts + 1,
                        updated_at=now,
                    )
                )
                await db.commit()
                if affected_rows(won) == 1:
                    return await db.get(VltSpecification, row_id)
        return None

    async def run_one(self) -> None:
        """One queue message: analyse the oldest pending image, if any."""
        async with self._slots:
            row = await self._claim()
            if row is None:
                return
            try:
                await self._analyse(row)
            except Exception as exc:  # one image's surprise never stops the worker
                log.exception("analysis_failed_unexpectedly", analysis_id=str(row.id))
                await self._finish_failed(
                    row, "internal_error", f"Unexpected error: {type(exc).__name__}"
                )

    async def _input(self, row: VltSpecification) -> bytes:
        if row.image_id is not None:
            async with self.sessionmaker() as db:
                image = await db.get(Image, row.image_id)
            if image is None or image.deleted_at is not None:
                raise AnalyzerError(
                    "The image was removed before it was analysed.", code="image_removed"
                )
            key = (image.variants or {}).get("original")
        else:
            key = row.input_key
        if not key:
            raise AnalyzerError("The image to analyse is missing.", code="image_missing")
        return await self.storage.get(key)

    async def _analyse(self, row: VltSpecification) -> None:
        try:
            data = await self._input(row)
            analysis = await self.analyzer.analyze(data, image_id=str(row.image_id or row.id))
        except AnalyzerError as exc:
            if exc.transient and row.attempts < self.max_attempts:
                await self._retry_later(row, exc)
            else:
                await self._finish_failed(row, exc.code, exc.message)
            return
        await self._finish_done(row, analysis)

    # -- finishing ---------------------------------------------------------------------

    async def _retry_later(self, row: VltSpecification, exc: AnalyzerError) -> None:
        # Jitter spreads retries of a batch that failed together (not security).
        delay = min(2.0**row.attempts, 60.0) * (0.5 + random.random())  # noqa: S311
        async with self.sessionmaker() as db:
            await db.execute(
                update(VltSpecification)
                .where(
                    VltSpecification.id == row.id,
                    VltSpecification.status == AnalysisStatus.RUNNING,
                    VltSpecification.claimed_by == self.worker_id,
                )
                .values(
                    status=AnalysisStatus.PENDING,
                    lease_expires_at=utcnow() + timedelta(seconds=delay),
                    error_code=exc.code,
                    error_message=exc.message,
                    claimed_by=None,
                )
            )
            await db.commit()
        log.info("analysis_retry_later", analysis_id=str(row.id), code=exc.code, delay_s=delay)

    async def _finish_done(self, row: VltSpecification, analysis: Analysis) -> None:
        now = utcnow()
        async with self.sessionmaker() as db:
            done = await db.execute(
                update(VltSpecification)
                .where(
                    VltSpecification.id == row.id,
                    VltSpecification.status == AnalysisStatus.RUNNING,
                    VltSpecification.claimed_by == self.worker_id,
                )
                .values(
                    status=AnalysisStatus.DONE,
                    provider=analysis.provider,
                    model=analysis.model,
                    record=analysis.record,
                    spec=analysis.spec.model_dump(),
                    confidence=analysis.confidence,
                    prompt_text=analysis.prompt_text,
                    error_code=None,
                    error_message=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            if affected_rows(done) != 1:
                await db.rollback()  # the lease was lost: whoever holds it now finishes
                return
            charge = analysis_charge(self.prices, analysis)
            if charge is not None:
                await ledger.record(
                    db,
                    user_id=row.user_id,
                    idempotency_key=f"analyze:{row.id}",
                    provider=LEDGER_PROVIDER,
                    operation="analyze",
                    model=analysis.model,
                    charge=charge,
                    image_id=row.image_id,
                    details={"analysis_id": str(row.id)},
                )
            version: int | None = None
            if row.image_id is not None:
                image = await db.get(Image, row.image_id)
                if image is not None and image.deleted_at is None:
                    image.spec = analysis.spec.model_dump()
                    for column, value in spec_columns(analysis.spec).items():
                        setattr(image, column, value)
                    version = await self.styles.add_image(
                        db, row.user_id, analysis.spec, analysis.confidence
                    )
            job, finished = await self._count(db, row.job_id, done=True)
            if finished and job is not None and job.kind == "portfolio":
                version = await self.styles.note(
                    db,
                    row.user_id,
                    f"analysed {job.done} image{'s' if job.done != 1 else ''}"
                    + (f", {job.failed} failed" if job.failed else ""),
                )
            await db.commit()
        await self._announce(row, job, "done", finished, version)

    async def _finish_failed(self, row: VltSpecification, code: str, message: str) -> None:
        now = utcnow()
        async with self.sessionmaker() as db:
            failed = await db.execute(
                update(VltSpecification)
                .where(
                    VltSpecification.id == row.id,
                    VltSpecification.status == AnalysisStatus.RUNNING,
                )
                .values(
                    status=AnalysisStatus.FAILED,
                    error_code=code[:60],
                    error_message=message,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            if affected_rows(failed) != 1:
                await db.rollback()
                return
            job, finished = await self._count(db, row.job_id, done=False)
            version = None
            if finished and job is not None and job.kind == "portfolio" and job.done:
                version = await self.styles.note(
                    db, row.user_id, f"analysed {job.done} images, {job.failed} failed"
                )
            await db.commit()
        await self._announce(row, job, "failed", finished, version, error=(code, message))

    @staticmethod
    async def _count(
        db: AsyncSession, job_id: uuid.UUID | None, *, done: bool
    ) -> tuple[AnalysisJob | None, bool]:
        """Count one finished analysis in its job, in SQL (analyses finishing at once
        must not overwrite each other's counts); True when that finished the job."""
        if job_id is None:
            return None, False
        column = AnalysisJob.done if done else AnalysisJob.failed
        await db.execute(
            update(AnalysisJob).where(AnalysisJob.id == job_id).values({column: column + 1})
        )
        completed = await db.execute(
            update(AnalysisJob)
            .where(
                AnalysisJob.id == job_id,
                AnalysisJob.status != "completed",
                AnalysisJob.done + AnalysisJob.failed >= AnalysisJob.total,
            )
            .values(status="completed", completed_at=utcnow())
        )
        job = await db.get(AnalysisJob, job_id, populate_existing=True)
        return job, affected_rows(completed) == 1

    async def _announce(
        self,
        row: VltSpecification,
        job: AnalysisJob | None,
        status: str,
        finished: bool,
        version: int | None,
        error: tuple[str, str] | None = None,
    ) -> None:
        progress: dict[str, Any] = {
            "analysis_id": str(row.id),
            "image_id": str(row.image_id) if row.image_id else None,
            "job_id": str(job.id) if job else None,
            "status": status,
            "done": job.done if job else None,
            "failed": job.failed if job else None,
            "total": job.total if job else None,
        }
        if error is not None:
            progress["error"] = {"code": error[0], "message": error[1]}
        await self.events.publish(row.user_id, "analysis.progress", progress)
        if finished and job is not None:
            await self.events.publish(
                row.user_id,
                "analysis.completed",
                {
                    "job_id": str(job.id),
                    "done": job.done,
                    "failed": job.failed,
                    "total": job.total,
                    "kind": job.kind,
                },
            )
        if version is not None:
            await self.events.publish(row.user_id, "profile.updated", {"version": version})
        if row.input_key and (finished or job is None or status in ("done", "failed")):
            # A batch's input is kept only until it has been analysed.
            try:
                await self.storage.delete(row.input_key)
            except Exception:
                log.warning("analysis_input_not_deleted", key=row.input_key)

    # -- sweeping ----------------------------------------------------------------------

    async def sweep(self) -> int:
        """Leases of dead workers back to pending; a wake-up for every waiting analysis
        (a lost message, a restart, a retry whose delay has passed)."""
        now = utcnow()
        async with self.sessionmaker() as db:
            await db.execute(
                update(VltSpecification)
                .where(
                    VltSpecification.status == AnalysisStatus.RUNNING,
                    VltSpecification.lease_expires_at < now,
                )
                .values(status=AnalysisStatus.PENDING, lease_expires_at=None, claimed_by=None)
            )
            waiting = int(
                await db.scalar(
                    select(func.count())
                    .select_from(VltSpecification)
                    .where(
                        VltSpecification.status == AnalysisStatus.PENDING,
                        or_(
                            VltSpecification.lease_expires_at.is_(None),
                            VltSpecification.lease_expires_at <= now,
                        ),
                    )
                )
                or 0
            )
            await db.commit()
        if waiting:
            await self.wake(min(waiting, 50))
        return waiting

    async def run_sweeper(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            try:
                await self.sweep()
            except Exception as exc:
                if database_unavailable(exc):  # expected while it restarts: no traceback
                    log.warning("analysis_sweep_skipped_database_unavailable")
                else:
                    log.exception("analysis_sweep_failed")

    async def release_all(self) -> None:
        """Embedded: this process is the only worker, so any running analysis is stale."""
        async with self.sessionmaker() as db:
            await db.execute(
                update(VltSpecification)
                .where(VltSpecification.status == AnalysisStatus.RUNNING)
                .values(status=AnalysisStatus.PENDING, lease_expires_at=None, claimed_by=None)
            )
            await db.commit()


def spec_of(row: VltSpecification) -> tuple[GarmentSpec, dict[str, float]]:
    """An analysed image's spec and confidence, as the profile counted them."""
    return GarmentSpec.from_stored(row.spec or {}), dict(row.confidence or {})
