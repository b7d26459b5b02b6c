"""The Socket.IO server: authenticated connections, one room per user and one per login
session, so that ending a session closes its sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs

import socketio
import structlog

from designer_bff.config import Settings
from designer_bff.core.errors import AppError
from designer_bff.realtime.events import ResilientRedisManager, socketio_channel, user_room

log = structlog.get_logger("designer_bff.realtime")


@dataclass(frozen=True)
class SocketIdentity:
    user_id: str
    session_id: str
    expires_at: datetime  # of the access token the socket connected with


class SocketAuth(Protocol):
    """What the Socket.IO server needs from accounts (wired in app.py)."""

    async def identify(self, token: str) -> SocketIdentity:
        """The token's user and session; raises AppError when it is not valid."""

    async def session_alive(self, user_id: str, session_id: str) -> bool:
        """Whether the session still stands (not logged out, account active)."""


def session_room(session_id: str) -> str:
    return f"session:{session_id}"


def _token_from(environ: dict[str, Any], auth: Any) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return auth["token"]
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("token"):
        return query["token"][0]
    return None


def _origin_check(allowed: list[str]) -> Callable[[str | None, dict[str, Any]], bool]:
    """The configured origins, and always the server's own: the web app it serves may be
    opened as http://127.0.0.1:5000 as well as http://localhost:5000."""
    listed = set(allowed)

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None or origin in listed or "*" in listed:
            return True
        host = environ.get("HTTP_HOST")
        return bool(host) and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    return check


class SocketGateway:
    """The Socket.IO server, with every socket tied to the login session it opened with:
    a socket closes when its session ends (the sessions-ended signal), and its session is
    checked again whenever the access token it showed would have expired."""

    def __init__(self, settings: Settings, auth: SocketAuth) -> None:
        manager = None
        if settings.redis_url:
            manager = ResilientRedisManager(
                settings.redis_url, channel=socketio_channel(settings.redis_prefix)
            )
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=_origin_check(settings.cors_origins),
            logger=False,
            engineio_logger=False,
        )
        self.auth = auth
        self.access_ttl = timedelta(seconds=settings.access_token_ttl_s)
        # This process's sockets: sid -> (identity, when to check the session again).
        self._sockets: dict[str, tuple[SocketIdentity, datetime]] = {}
        # Called with the sid of every socket that leaves (features keep per-socket state).
        self.disconnect_hooks: list[Callable[[str], Awaitable[None]]] = []
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = _token_from(environ, auth)
        if not token:
            # (message, data): socket.io-client reads err.message and err.data.code; a dict
            # as the only argument would reach it as a Python repr.
            raise socketio.exceptions.ConnectionRefusedError(
                "Send your access token: auth={token}.", {"code": "not_authenticated"}
            )
        try:
            who = await self.auth.identify(token)
        except AppError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}
            ) from exc
        await self.sio.save_session(sid, {"user_id": who.user_id})
        await self.sio.enter_room(sid, user_room(who.user_id))
        await self.sio.enter_room(sid, session_room(who.session_id))
        self._sockets[sid] = (who, who.expires_at)
        log.info("socket_connected", user_id=who.user_id)

    async def _disconnect(self, sid: str, *args: Any) -> None:
        self._sockets.pop(sid, None)
        for hook in self.disconnect_hooks:
            try:
                await hook(sid)
            except Exception:  # one feature's failure must not skip the others'
                log.exception("socket_disconnect_hook_failed")

    async def end_sessions(self, session_ids: list[str]) -> None:
        """Close this process's sockets of these sessions (other processes do theirs)."""
        for session_id in session_ids:
            room = session_room(session_id)
            for sid, _ in list(self.sio.manager.get_participants("/", room)):
                await self._close(sid, "session_ended")

    async def _close(self, sid: str, reason: str) -> None:
        entry = self._sockets.pop(sid, None)
        log.info("socket_closed", reason=reason, user_id=entry[0].user_id if entry else None)
        with contextlib.suppress(Exception):  # already gone is as good as closed
            await self.sio.disconnect(sid)

    async def recheck_due(self, now: datetime | None = None) -> int:
        """Check the session of every socket whose access token would have expired;
        close those whose session is over. Returns how many were closed."""
        now = now or datetime.now(UTC)
        closed = 0
        for sid, (who, due) in list(self._sockets.items()):
            if due > now:
                continue
            try:
                alive = await self.auth.session_alive(who.user_id, who.session_id)
            except Exception:  # the database is away: keep the socket, ask again soon
                log.warning("socket_session_check_failed", exc_info=True)
                continue
            if alive:
                if sid in self._sockets:
                    self._sockets[sid] = (who, now + self.access_ttl)
            else:
                await self._close(sid, "session_expired")
                closed += 1
        return closed

    async def run_rechecks(self) -> None:
        # Often enough that a socket outlives its token by little more than this period.
        period = max(1.0, min(30.0, self.access_ttl.total_seconds() / 4))
        while True:
            await asyncio.sleep(period)
            await self.recheck_due()
