"""Making designs in this process: consume the queue and sweep for expired leases and
stalled queues. The in-process broker runs tasks as they are sent."""

from __future__ import annotations

import asyncio

from designer_bff.generation.engine import GenerationEngine
from designer_bff.generation.queue import TaskQueue


class GenerationWorker:
    def __init__(self, engine: GenerationEngine, queue: TaskQueue, *, embedded: bool) -> None:
        self.engine = engine
        self.queue = queue
        # Embedded (SQLite, no Redis): this process is the only worker there is.
        self.embedded = embedded
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, *, sweeper: bool = True) -> None:
        self.queue.set_handler(self._run_task)
        max_tasks = sum(self.engine.concurrency(p) for p in self.engine.providers) * 2
        self.queue.start_receiver(max_tasks)
        if sweeper and self._sweeper is None:
            self._sweeper = asyncio.create_task(self.engine.run_sweeper())
        if self.embedded:
            # Other processes may share PostgreSQL or Redis: their claims are released only
            # when their leases expire (the sweeper). Here nobody else can hold one.
            await self.engine.release_all_claims()

    async def _run_task(self, provider: str) -> None:
        await self.engine.run_one(provider)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
