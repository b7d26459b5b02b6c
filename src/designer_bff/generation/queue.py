"""The job queue on taskiq: the in-process broker when embedded, Redis Streams
(acknowledged delivery) when REDIS_URL is set.

A message is a wake-up for one design slot of a provider, not a particular design: the
worker claims the fairest pending design from the database (the record of truth). So a
lost or duplicated message loses or duplicates nothing, and one user's long job cannot
hold the queue ahead of another user's short one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable

import structlog
from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task
from taskiq_redis import RedisStreamBroker

from designer_bff.config import Settings

log = structlog.get_logger("designer_bff.queue")

TASK_NAME = "designer_bff.generate_design"
ANALYSIS_TASK_NAME = "designer_bff.analyze_image"

Handler = Callable[[str], Awaitable[None]]
AnalysisHandler = Callable[[], Awaitable[None]]


class TaskQueue:
    def __init__(self, settings: Settings, handler: Handler | None = None) -> None:
        self.distributed = bool(settings.redis_url)
        self.broker: AsyncBroker
        if settings.redis_url:
            self.broker = RedisStreamBroker(
                url=settings.redis_url,
                queue_name=f"{settings.redis_prefix}generation",
                consumer_group_name=f"{settings.redis_prefix}workers",
                consumer_name=f"{socket.gethostname()}-{os.getpid()}",
                # "0": a group created after messages were sent still gets them.
                consumer_id="0",
                xread_count=8,
                xread_block=1000,
                maxlen=200_000,
                idle_timeout=max(settings.generation_lease_s * 2, 30) * 1000,
            )
        else:
            self.broker = InMemoryBroker()
        self._handler = handler
        self._receiver: asyncio.Task[None] | None = None
        self._retry: asyncio.Task[None] | None = None
        self._started = False

        async def generate_design(provider: str) -> None:
            if self._handler is None:
                raise RuntimeError("this process only enqueues; no worker handler is set")
            await self._handler(provider)

        self._task = self.broker.register_task(generate_design, task_name=TASK_NAME)

        # The same kind of wake-up for image analyses (portfolio uploads, batches): a
        # worker claims the oldest pending analysis from the database.
        self._analysis_handler: AnalysisHandler | None = None

        async def analyze_image() -> None:
            if self._analysis_handler is None:
                raise RuntimeError("this process only enqueues; no analysis handler is set")
            await self._analysis_handler()

        self._analysis_task = self.broker.register_task(analyze_image, task_name=ANALYSIS_TASK_NAME)

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    def set_analysis_handler(self, handler: AnalysisHandler) -> None:
        self._analysis_handler = handler

    async def enqueue_analysis(self, count: int = 1) -> None:
        for _ in range(count):
            await self._analysis_task.kiq()

    async def startup(self) -> None:
        """Connect the broker. If Redis is down the process still starts (health reports
        it) and keeps trying in the background; enqueueing fails until it is back."""
        try:
            await self.broker.startup()
            self._started = True
        except Exception as exc:
            log.warning("broker_unavailable_at_startup", error=repr(exc))
            self._retry = asyncio.create_task(self._startup_until_ready())

    async def _startup_until_ready(self) -> None:
        delay = 1.0
        while not self._started:
            await asyncio.sleep(delay)
            try:
                await self.broker.startup()
                self._started = True
                log.info("broker_connected")
            except Exception as exc:
                log.warning("broker_still_unavailable", error=repr(exc))
                delay = min(delay * 2, 30.0)

    async def enqueue(self, provider: str, count: int = 1) -> None:
        for _ in range(count):
            await self._task.kiq(provider)

    def start_receiver(self, max_tasks: int) -> None:
        """Consume from Redis in this process (the in-process broker runs tasks on kick)."""
        if self.distributed and self._receiver is None:
            self._receiver = asyncio.create_task(self._receive(max_tasks))

    async def _receive(self, max_tasks: int) -> None:
        # The receiver ends when Redis drops; start it again rather than stop working.
        delay = 1.0
        while True:
            if self._started:
                try:
                    await run_receiver_task(
                        self.broker, run_startup=False, max_async_tasks=max_tasks
                    )
                    delay = 1.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("receiver_stopped", error=repr(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def wait_idle(self) -> None:
        """In-process broker only: wait until every kicked task has finished (tests)."""
        if isinstance(self.broker, InMemoryBroker):
            await self.broker.wait_all()

    async def health(self) -> None:
        if self.distributed:
            redis = getattr(self.broker, "connection_pool", None)
            if redis is None:
                return
            from redis.asyncio import Redis

            async with Redis(connection_pool=redis) as conn:
                await conn.ping()

    async def shutdown(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        if self._receiver is not None:
            self._receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._receiver
            self._receiver = None
        with contextlib.suppress(Exception):
            await self.broker.shutdown()
