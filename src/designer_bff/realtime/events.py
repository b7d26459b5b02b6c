from __future__ import annotations

import abc
import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import socketio
import structlog

log = structlog.get_logger("designer_bff.realtime")


def user_room(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def socketio_channel(redis_prefix: str) -> str:
    # API servers and write-only emitters must agree on the channel.
    return f"{redis_prefix}socketio"


# Waits between tries while Redis is away: short, so that events flow again within about
# a second of Redis coming back; capped, so that a long outage costs little.
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 1.0


class ResilientRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager, subscribed again soon after Redis comes back.

    Its own listen loop waits 1, 2, 4 ... 60 s between tries, so after an outage of a
    few seconds events could stay away for as long again (and longer after a long one).
    This one waits 0.1 s doubling to at most 1 s, and closes the broken client first."""

    async def _redis_listen_with_retries(self) -> AsyncIterator[dict[str, Any]]:
        delay = RECONNECT_FIRST_S
        subscribed = False
        while True:
            try:
                if not subscribed:
                    await self._close_clients()
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
                    if delay > RECONNECT_FIRST_S:
                        log.info("socketio_redis_resubscribed", channel=self.channel)
                    delay = RECONNECT_FIRST_S
                async for message in self.pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: connect and subscribe again
                if subscribed:
                    log.warning("socketio_redis_lost", error=repr(exc))
                subscribed = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    async def _close_clients(self) -> None:
        with contextlib.suppress(Exception):  # already broken is as good as closed
            if self.pubsub is not None:
                await self.pubsub.aclose()
            if self.redis is not None:
                await self.redis.aclose()


class EventBus(abc.ABC):
    @abc.abstractmethod
    async def publish(self, user_id: uuid.UUID | str, event: str, data: dict[str, Any]) -> None:
        """Deliver `event` to every connection of that user, and only theirs."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class SocketIOEventBus(EventBus):
    """Emits through this process's Socket.IO server. With a Redis client manager the
    server relays to every API process; without one, to its own clients."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def publish(self, user_id: uuid.UUID | str, event: str, data: dict[str, Any]) -> None:
        try:
            await self.sio.emit(event, data, room=user_room(user_id))
        except Exception:  # a lost event must never fail the work that produced it
            log.exception("event_publish_failed", event=event)


class RedisEmitterEventBus(EventBus):
    """For processes without a Socket.IO server (workers): publishes to the Redis channel
    the API processes listen on."""

    def __init__(self, redis_url: str, channel: str) -> None:
        self.manager = socketio.AsyncRedisManager(redis_url, channel=channel, write_only=True)

    async def publish(self, user_id: uuid.UUID | str, event: str, data: dict[str, Any]) -> None:
        try:
            await self.manager.emit(event, data, room=user_room(user_id), namespace="/")
        except Exception:
            log.exception("event_publish_failed", event=event)


class EventRelay(EventBus):
    """The bus services hold: forwards to the sink chosen when the process knows how it
    delivers events (its own Socket.IO server, or the Redis channel)."""

    def __init__(self, sink: EventBus | None = None) -> None:
        self.sink = sink

    async def publish(self, user_id: uuid.UUID | str, event: str, data: dict[str, Any]) -> None:
        if self.sink is None:
            log.warning("event_without_sink", event=event)
            return
        await self.sink.publish(user_id, event, data)

    async def aclose(self) -> None:
        if self.sink is not None:
            await self.sink.aclose()
