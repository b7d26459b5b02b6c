"""The Socket.IO server: authenticated connections, one room per user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import socketio
import structlog

from designer_bff.config import Settings
from designer_bff.core.errors import AppError
from designer_bff.realtime.events import socketio_channel, user_room

log = structlog.get_logger("designer_bff.realtime")

# token -> user id (raises AppError when the token is not valid)
Authenticator = Callable[[str], Awaitable[str]]


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


def build_socketio_server(settings: Settings, authenticate: Authenticator) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        manager = socketio.AsyncRedisManager(
            settings.redis_url, channel=socketio_channel(settings.redis_prefix)
        )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=settings.cors_origins,
        logger=False,
        engineio_logger=False,
    )

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = _token_from(environ, auth)
        if not token:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "not_authenticated", "message": "Send your access token: auth={token}."}
            )
        try:
            user_id = await authenticate(token)
        except AppError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": exc.code, "message": exc.message}
            ) from exc
        await sio.save_session(sid, {"user_id": user_id})
        await sio.enter_room(sid, user_room(user_id))
        log.info("socket_connected", user_id=user_id)

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        return None

    return sio
