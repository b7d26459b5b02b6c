from __future__ import annotations

import abc
import uuid
from typing import Any

import socketio
import structlog

log = structlog.get_logger("designer_bff.realtime")


def user_room(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def socketio_channel(redis_prefix: str) -> str:
    # API servers and write-only emitters must agree on the channel.
    return f"{redis_prefix}socketio"


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
