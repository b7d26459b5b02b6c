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
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task
from taskiq_redis import RedisStreamBroker

from designer_bff.config import Settings
from designer_bff.core.tasks import cancel_and_wait

log = structlog.get_logger("designer_bff.queue")

TASK_NAME = "designer_bff.generate_design"
ANALYSIS_TASK_NAME = "designer_bff.analyze_image"

Handler = Callable[[str], Awaitable[None]]
AnalysisHandler = Callable[[], Awaitable[None]]

# Waits between reads while Redis is away: short, so that a restarted Redis is read
# from again within a second or so, and capped, so that a long outage costs little.
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 1.0
# Shutdown cancels the receiver and gives it this long to stop; then it closes the
# connections under the receiver's read, and waits at most RECEIVER_STOP_S more.
RECEIVER_GRACE_S = 1.0
RECEIVER_STOP_S = 10.0


class ResilientStreamBroker(RedisStreamBroker):
    """taskiq's Redis Streams broker, riding out a Redis restart in its read loop.

    Without this, a dropped connection ends `listen()` and taskiq's receiver opens it
    again at once, in a tight loop, for as long as Redis is away; and a Redis that comes
    back without its data (no persistence, a failover to an empty replica) has lost the
    stream and our consumer group, so every read fails with NOGROUP until the worker is
    restarted. Here a lost connection is retried after a short pause and a lost group is
    declared again. Messages lost with Redis lose no design: the database is the record
    of truth, and the sweep wakes workers for designs still pending."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Told each time Redis answers again after the connection was lost (metrics).
        self.reconnected: Callable[[], None] = lambda: None
        # Told when Redis came back without the queue: its messages are gone.
        self.messages_lost: Callable[[], None] = lambda: None
        self._closing = False

    async def startup(self) -> None:
        self._closing = False
        await super().startup()

    async def shutdown(self) -> None:
        # A read that fails because the pool is being closed is the end, not an outage.
        self._closing = True
        await super().shutdown()

    async def interrupt_reads(self) -> None:
        """Fail every read in progress, so that a listener that did not take its
        cancellation ends anyway (closing, it returns instead of reconnecting)."""
        self._closing = True
        await self.connection_pool.disconnect()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        while not self._closing:
            try:
                async for message in super().listen():
                    yield message
            except ResponseError as exc:
                _unless_cancelled()
                # NOGROUP: Redis restarted empty. UNBLOCKED: the stream was deleted
                # (a flush) under a blocked read. Either way the group is gone.
                if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                    raise
                log.warning("broker_group_lost", queue=self.queue_name)
                if not await self._until_answering(self._declare_consumer_group):
                    return
                self.messages_lost()
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                _unless_cancelled()
                if self._closing:
                    return
                log.warning("broker_connection_lost", error=repr(exc))
                if not await self._until_answering(self._ping):
                    return
                log.info("broker_reconnected")
                self.reconnected()

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        ack = super()._ack_generator(id, queue_name)

        async def ack_or_leave() -> None:
            # Redis is away: the message stays pending (or went with Redis). At worst it
            # is delivered again, a spare wake-up that finds nothing to claim; an error
            # here would only surface as "Task exception was never retrieved".
            try:
                await ack()
            except (RedisError, OSError) as exc:
                log.warning("broker_ack_failed", error=repr(exc))

        return ack_or_leave

    async def _ping(self) -> None:
        async with Redis(connection_pool=self.connection_pool) as conn:
            await conn.ping()

    async def _until_answering(self, step: Callable[[], Awaitable[None]]) -> bool:
        """Retry `step` until Redis answers (True), or until the broker is shut (False)."""
        delay = RECONNECT_FIRST_S
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await step()
                return True
            except (RedisError, OSError):
                _unless_cancelled()
                delay = min(delay * 2, RECONNECT_MAX_S)
        return False


def _unless_cancelled() -> None:
    """Re-raise a cancellation that was requested but lost on the way.

    A swallowed cancel (see TaskQueue.shutdown) leaves the read loop running; when a
    read then fails, that failure must end the listener, not be taken for an outage
    to reconnect from. `cancelling()` still counts the request."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class TaskQueue:
    def __init__(self, settings: Settings, handler: Handler | None = None) -> None:
        self.distributed = bool(settings.redis_url)
        self.broker: AsyncBroker
        if settings.redis_url:
            self.broker = ResilientStreamBroker(
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
        # Told each time the broker is connected again after Redis was away (metrics).
        self.on_reconnect: Callable[[], None] = lambda: None
        # Told when the broker's messages were lost (Redis came back empty): the worker
        # wakes itself for every pending design at once instead of after a stall.
        self.on_messages_lost: Callable[[], None] = lambda: None
        if isinstance(self.broker, ResilientStreamBroker):
            self.broker.reconnected = lambda: self.on_reconnect()
            self.broker.messages_lost = lambda: self.on_messages_lost()

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
                self.on_reconnect()
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
        lost = False
        while True:
            if self._started:
                if lost:
                    try:
                        await self.health()  # listen again only once Redis answers
                    except Exception:
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 30.0)
                        continue
                    lost = False
                    self.on_reconnect()
                try:
                    await run_receiver_task(
                        self.broker, run_startup=False, max_async_tasks=max_tasks
                    )
                    delay = 1.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    lost = True
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
            receiver, self._receiver = self._receiver, None
            receiver.cancel()
            done, _ = await asyncio.wait({receiver}, timeout=RECEIVER_GRACE_S)
            if not done and isinstance(self.broker, ResilientStreamBroker):
                # The cancel was lost (see core.tasks) and taskiq-redis's read loop goes
                # on under taskiq's shielded wait for it; cancelling again cannot reach
                # that read, failing it does.
                log.warning("receiver_cancel_lost")
                with contextlib.suppress(Exception):
                    await self.broker.interrupt_reads()
            # Bounded: a receiver that does not stop must not hold the process open.
            await cancel_and_wait(receiver, within_s=RECEIVER_STOP_S)
        with contextlib.suppress(Exception):
            await self.broker.shutdown()
