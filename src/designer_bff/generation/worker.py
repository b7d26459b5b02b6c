"""Making designs in this process: consume the queue and sweep for expired leases and
stalled queues. The in-process broker runs tasks as they are sent."""

from __future__ import annotations

import asyncio
from typing import Protocol

from designer_bff.generation.engine import GenerationEngine
from designer_bff.generation.queue import TaskQueue


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

    async def start(self, *, sweeper: bool = True) -> None:
        self.queue.set_handler(self._run_task)
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

    async def _run_task(self, provider: str) -> None:
        await self.engine.run_one(provider)

    async def stop(self) -> None:
        for task in (self._sweeper, self._analysis_sweeper):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._sweeper = self._analysis_sweeper = None
