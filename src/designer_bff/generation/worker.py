"""Making designs in this process: consume the queue and sweep for expired leases and
stalled queues. The in-process broker runs tasks as they are sent."""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog
from sqlalchemy import case, func, select

from designer_bff.core.errors import database_unavailable
from designer_bff.core.metrics import QueueDepth
from designer_bff.core.tasks import cancel_and_wait
from designer_bff.designs.models import DesignStatus, Image
from designer_bff.generation.engine import GenerationEngine
from designer_bff.generation.queue import TaskQueue

log = structlog.get_logger("designer_bff.generation")

# Seconds before a wake-up that met the database down is sent again.
WAKEUP_RETRY_S = 1.0


class BackgroundWork(Protocol):
    """Other queued work a worker runs beside designs (image analyses)."""

    async def run_one(self) -> None: ...
    async def run_sweeper(self) -> None: ...
    async def release_all(self) -> None: ...


class GenerationWorker:
    def __init__(
        self,
        engine: GenerationEngine,
        queue: TaskQueue,
        *,
        embedded: bool,
        analysis: BackgroundWork | None = None,
    ) -> None:
        self.engine = engine
        self.queue = queue
        self.analysis = analysis
        self._analysis_sweeper: asyncio.Task[None] | None = None
        # Embedded (SQLite, no Redis): this process is the only worker there is.
        self.embedded = embedded
        self._sweeper: asyncio.Task[None] | None = None
        self._waking: asyncio.Task[None] | None = None

    async def start(self, *, sweeper: bool = True) -> None:
        self.queue.set_handler(self._run_task)
        self.queue.on_messages_lost = self._wake_all
        if self.analysis is not None:
            self.queue.set_analysis_handler(self.analysis.run_one)
        max_tasks = sum(self.engine.concurrency(p) for p in self.engine.providers) * 2 + 4
        self.queue.start_receiver(max_tasks)
        if sweeper and self._sweeper is None:
            self._sweeper = asyncio.create_task(self.engine.run_sweeper())
        if sweeper and self.analysis is not None and self._analysis_sweeper is None:
            self._analysis_sweeper = asyncio.create_task(self.analysis.run_sweeper())
        if self.embedded:
            # Other processes may share PostgreSQL or Redis: their claims are released only
            # when their leases expire (the sweeper). Here nobody else can hold one.
            await self.engine.release_all_claims()
            if self.analysis is not None:
                await self.analysis.release_all()

    async def queue_depth(self) -> list[QueueDepth]:
        """Designs not made yet per user and provider, from the database (every worker's
        queue at once): one grouped query over the designs table's status index."""
        waiting = func.sum(case((Image.status == DesignStatus.PENDING, 1), else_=0))
        in_progress = func.sum(case((Image.status == DesignStatus.CLAIMED, 1), else_=0))
        async with self.engine.sessionmaker() as db:
            rows = (
                await db.execute(
                    select(Image.user_id, Image.provider, waiting, in_progress)
                    .where(
                        Image.status.in_((DesignStatus.PENDING, DesignStatus.CLAIMED)),
                        Image.job_id.is_not(None),  # designs of a generation job
                    )
                    .group_by(Image.user_id, Image.provider)
                )
            ).all()
        return [
            QueueDepth(str(user_id), provider or "", int(w or 0), int(c or 0))
            for user_id, provider, w, c in rows
        ]

    async def _run_task(self, provider: str) -> None:
        try:
            await self.engine.run_one(provider)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            # The database is away (its claim never happened): keep this wake-up rather
            # than lose it with the failed task, and send it again after a pause, so that
            # designs are picked up as soon as the database is back, without waiting for
            # the stall sweep, and without spinning while it is down.
            log.warning("design_wakeup_deferred_database_unavailable", provider=provider)
            await asyncio.sleep(WAKEUP_RETRY_S)
            try:
                await self.queue.enqueue(provider)
            except Exception as again:  # the broker is away too: the stall sweep re-seeds
                log.warning("design_wakeup_lost", provider=provider, error=repr(again))

    def _wake_all(self) -> None:
        """Redis came back without the queue (no persistence, an empty replica): one
        wake-up per pending design now, rather than after the stall sweep's wait."""
        if self._waking is None or self._waking.done():
            self._waking = asyncio.create_task(self._reseed_all())

    async def _reseed_all(self) -> None:
        for provider in self.engine.providers:
            try:
                woken = await self.engine.reseed(provider)
            except Exception as exc:  # the stall sweep will try again
                log.warning("designs_wake_failed", provider=provider, error=repr(exc))
            else:
                log.info("designs_woken_after_queue_loss", provider=provider, count=woken)

    async def stop(self) -> None:
        for task in (self._sweeper, self._analysis_sweeper, self._waking):
            if task is not None:
                await cancel_and_wait(task)
        self._sweeper = self._analysis_sweeper = self._waking = None
