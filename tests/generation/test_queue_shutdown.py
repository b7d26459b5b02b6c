"""Stopping the Redis Streams receiver. A CI run once hung for 300 s at the end of the
PostgreSQL + Redis suite: on Python 3.11, asyncio.wait_for (inside redis-py) swallows a
cancellation that arrives as its write completes, so taskiq-redis's read loop went on
and shutdown waited for it for ever. Shutdown must end the receiver all the same.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker

from designer_bff.generation import queue as queue_module
from designer_bff.generation.queue import ResilientStreamBroker, TaskQueue
from tests.conftest import REDIS_URL, delete_redis_prefix, make_settings, wait_until


async def _cancel_lost_then_read_fails(
    self: RedisStreamBroker,
) -> AsyncGenerator[AckableMessage, None]:
    """A read loop whose cancellation is swallowed, whose next read then fails."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        pass  # what 3.11's wait_for does when its inner future has just finished
    raise RedisConnectionError("Connection closed by server.")
    yield AckableMessage(data=b"", ack=lambda: None)  # pragma: no cover (never reached)


async def test_a_cancelled_read_ends_the_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RedisStreamBroker, "listen", _cancel_lost_then_read_fails)
    broker = ResilientStreamBroker(url="redis://127.0.0.1:1/0", queue_name="q")
    reconnects: list[bool] = []
    broker.reconnected = lambda: reconnects.append(True)
    reading = asyncio.ensure_future(anext(broker.listen()))
    await asyncio.sleep(0.05)
    reading.cancel()
    done, _ = await asyncio.wait({reading}, timeout=3)
    assert reading in done, "the listener swallowed its cancellation and read again"
    assert reading.cancelled()
    assert reconnects == []


async def test_a_shut_broker_stops_reconnecting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis unreachable and the broker shut down: the listener ends instead of retrying."""
    monkeypatch.setattr(queue_module, "RECONNECT_FIRST_S", 0.01)
    broker = ResilientStreamBroker(url="redis://127.0.0.1:1/0", queue_name="q")
    reading = asyncio.ensure_future(anext(broker.listen()))
    await asyncio.sleep(0.2)  # refused, and retrying
    assert not reading.done()
    await broker.shutdown()
    done, _ = await asyncio.wait({reading}, timeout=3)
    assert reading in done
    with pytest.raises(StopAsyncIteration):
        reading.result()


# The PostgreSQL + Redis run has REDIS_URL (CI sets it); the embedded run has none.
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set")


@pytest.fixture
async def queued(tmp_path: Path) -> AsyncIterator[tuple[TaskQueue, list[str]]]:
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    settings = make_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=prefix)
    calls: list[str] = []

    async def handler(provider: str) -> None:
        calls.append(provider)

    queue = TaskQueue(settings, handler)
    await queue.startup()
    try:
        yield queue, calls
    finally:
        await queue.shutdown()
        await delete_redis_prefix(prefix)
        async with Redis.from_url(REDIS_URL or "") as redis:
            async for key in redis.scan_iter(match=f"autoclaim:{prefix}*"):
                await redis.delete(key)


@needs_redis
async def test_shutdown_stops_a_listening_receiver(
    queued: tuple[TaskQueue, list[str]],
) -> None:
    redis_queue, handled = queued
    redis_queue.start_receiver(max_tasks=2)
    await redis_queue.enqueue("local-flats")
    await wait_until(lambda: handled == ["local-flats"], "the message handled")
    receiver = redis_queue._receiver
    assert receiver is not None
    await asyncio.wait_for(redis_queue.shutdown(), timeout=queue_module.RECEIVER_STOP_S + 5)
    assert receiver.done()


@needs_redis
async def test_a_flushed_stream_is_read_again(
    queued: tuple[TaskQueue, list[str]],
) -> None:
    """The stream deleted under a blocked read (UNBLOCKED): the group is declared again
    and later messages still arrive."""
    redis_queue, handled = queued
    lost: list[bool] = []
    redis_queue.on_messages_lost = lambda: lost.append(True)
    redis_queue.start_receiver(max_tasks=2)
    await redis_queue.enqueue("first")
    await wait_until(lambda: handled == ["first"], "the first message handled")
    await asyncio.sleep(0.2)  # blocked in XREADGROUP again
    broker = redis_queue.broker
    assert isinstance(broker, ResilientStreamBroker)
    async with Redis.from_url(REDIS_URL or "") as redis:
        await redis.delete(broker.queue_name)
    await wait_until(lambda: lost == [True], "the lost group noticed")
    await redis_queue.enqueue("second")
    await wait_until(lambda: handled == ["first", "second"], "the second message handled")


async def _swallows_cancel_and_blocks(
    self: RedisStreamBroker,
) -> AsyncGenerator[AckableMessage, None]:
    """taskiq-redis's loop after a lost cancel: blocking reads that return nothing."""
    async with Redis(connection_pool=self.connection_pool) as conn:
        while True:
            try:
                await conn.blpop([f"{self.queue_name}:nothing"], timeout=1)
            except asyncio.CancelledError:
                pass  # lost, as in 3.11's wait_for
    yield AckableMessage(data=b"", ack=lambda: None)  # pragma: no cover (never reached)


@needs_redis
async def test_shutdown_ends_a_receiver_that_lost_its_cancel(
    queued: tuple[TaskQueue, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_queue, _ = queued
    monkeypatch.setattr(RedisStreamBroker, "listen", _swallows_cancel_and_blocks)
    redis_queue.start_receiver(max_tasks=2)
    await asyncio.sleep(0.3)  # reading
    receiver = redis_queue._receiver
    assert receiver is not None and not receiver.done()
    # Well inside RECEIVER_STOP_S: ended by closing its connections, not abandoned.
    await asyncio.wait_for(redis_queue.shutdown(), timeout=queue_module.RECEIVER_STOP_S / 2)
    assert receiver.done()
