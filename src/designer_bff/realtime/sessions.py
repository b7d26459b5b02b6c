"""The "sessions ended" signal: when a login session ends (logout, password change,
refresh-token reuse), every API process hears it and closes that session's sockets.
In-process when there is no Redis; over a Redis pub/sub channel otherwise."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable

import structlog
from redis.asyncio import Redis

from designer_bff.core.tasks import cancel_and_wait

log = structlog.get_logger("designer_bff.realtime")

# session ids (as strings) -> what to do about them in this process
SessionsEndedHandler = Callable[[list[str]], Awaitable[None]]


def sessions_channel(redis_prefix: str) -> str:
    return f"{redis_prefix}sessions-ended"


class SessionSignal(abc.ABC):
    def __init__(self) -> None:
        self._handlers: list[SessionsEndedHandler] = []
        self._resets: list[Callable[[], None]] = []

    def subscribe(self, handler: SessionsEndedHandler) -> None:
        self._handlers.append(handler)

    def on_reset(self, handler: Callable[[], None]) -> None:
        """Told when announcements may have been missed (the channel was re-subscribed):
        whoever remembers sessions must forget them all."""
        self._resets.append(handler)

    @abc.abstractmethod
    async def ended(self, session_ids: Iterable[uuid.UUID]) -> None:
        """Announce, after the revocation is committed, that these sessions are over."""

    async def _deliver(self, session_ids: list[str]) -> None:
        for handler in self._handlers:
            try:
                await handler(session_ids)
            except Exception:  # one failing listener must not keep the others from hearing
                log.exception("sessions_ended_handler_failed")

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Begin listening (only the Redis signal has anything to start)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Stop listening."""


class LocalSessionSignal(SessionSignal):
    """One process (embedded mode): the announcement is the delivery."""

    async def ended(self, session_ids: Iterable[uuid.UUID]) -> None:
        ids = [str(s) for s in session_ids]
        if ids:
            await self._deliver(ids)


class RedisSessionSignal(SessionSignal):
    """Every API process subscribes to one channel; each one closes its own sockets."""

    def __init__(self, redis: Redis, channel: str) -> None:
        super().__init__()
        self.redis = redis
        self.channel = channel
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def ended(self, session_ids: Iterable[uuid.UUID]) -> None:
        ids = [str(s) for s in session_ids]
        if not ids:
            return
        try:
            await self.redis.publish(self.channel, json.dumps(ids))
        except Exception:
            # Redis is down: sockets here still close now; elsewhere the periodic session
            # check closes them once their access token would have expired.
            log.exception("sessions_ended_publish_failed")
            await self._deliver(ids)

    async def start(self) -> None:
        if self._listener is None and self._handlers:
            self._listener = asyncio.create_task(self._listen())
            # Subscribed before start returns (pub/sub keeps no backlog), unless Redis is
            # away: then start-up goes on and the listener keeps trying in the background.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), 1)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    for reset in self._resets:
                        reset()
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        try:
                            ids = [str(uuid.UUID(s)) for s in json.loads(message["data"])]
                        except (ValueError, TypeError):
                            log.warning("sessions_ended_bad_message")
                            continue
                        await self._deliver(ids)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sessions_ended_listener_reconnecting", error=repr(exc))
                await asyncio.sleep(1)

    async def aclose(self) -> None:
        if self._listener is not None:
            await cancel_and_wait(self._listener)
            self._listener = None
