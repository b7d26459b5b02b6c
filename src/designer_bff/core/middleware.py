"""Pure ASGI middleware: request id, access log, metrics, security headers, body limit,
and a last-resort JSON 500 so that even a crash answers in our error shape with an id."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from designer_bff.core.metrics import Metrics

log = structlog.get_logger("designer_bff.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)"),
]
# The API browser at /docs starts Swagger UI with an inline script, so the strict policy
# skips it (its assets are served locally).
_CSP = (
    b"default-src 'self'; img-src 'self' data: blob: https:; object-src 'none'; "
    b"frame-ancestors 'none'"
)


class BodyTooLarge(Exception):
    pass


def _json_error(status: int, code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        large_bodies: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # Paths that take uploads larger than the default (portfolio imports): those
        # routes stream the body to disk and enforce their own, finer limits.
        self.large_bodies = large_bodies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        state: dict[str, Any] = {"status": 500, "started": False}
        path: str = scope.get("path", "")
        limit = self.large_bodies.get(path, self.max_body_bytes)

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._send_too_large(send, request_id, path, limit)
            self._finish(scope, 413, start)
            return

        received = 0
        too_large = f"Request body exceeds {limit} bytes."

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    state["too_large"] = True
                    raise BodyTooLarge
            return message

        async def send_wrapper(message: Message) -> None:
            if state.get("too_large"):
                # The framework turned our BodyTooLarge into its own 400; answer 413 instead.
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    state["status"] = 413
                    await self._send_error(
                        send, request_id, 413, "payload_too_large", too_large, path
                    )
                return
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                hdrs = list(message.get("headers", []))
                self._add_headers(hdrs, request_id, path)
                message["headers"] = hdrs
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except BodyTooLarge:
            if not state["started"]:
                state["status"] = 413
                await self._send_too_large(send, request_id, path, limit)
        except Exception:
            log.exception("unhandled_error", path=path)
            if not state["started"]:
                state["status"] = 500
                await self._send_error(
                    send,
                    request_id,
                    500,
                    "internal_error",
                    "Something went wrong on our side.",
                    path,
                )
        finally:
            self._finish(scope, state["status"], start)

    def _add_headers(self, hdrs: list[tuple[bytes, bytes]], request_id: str, path: str) -> None:
        present = {k.lower() for k, _ in hdrs}
        hdrs.append((b"x-request-id", request_id.encode()))
        for key, value in SECURITY_HEADERS:
            if key not in present:
                hdrs.append((key, value))
        if b"content-security-policy" not in present and not path.startswith("/docs"):
            hdrs.append((b"content-security-policy", _CSP))

    async def _send_too_large(self, send: Send, request_id: str, path: str, limit: int) -> None:
        await self._send_error(
            send,
            request_id,
            413,
            "payload_too_large",
            f"Request body exceeds {limit} bytes.",
            path,
        )

    async def _send_error(
        self, send: Send, request_id: str, status: int, code: str, message: str, path: str
    ) -> None:
        body = _json_error(status, code, message)
        hdrs = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        self._add_headers(hdrs, request_id, path)
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": body})

    def _finish(self, scope: Scope, status: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        route = scope.get("route")
        # path_format: the template without convertors ({image_id}, not {image_id:uuid}).
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        template = template or "<unmatched>"
        method = scope.get("method", "")
        self.metrics.observe(method, template, status, elapsed)
        user_id = scope.get("state", {}).get("user_id")
        log.info(
            "request",
            method=method,
            path=scope.get("path"),
            route=template,
            status=status,
            latency_ms=round(elapsed * 1000, 2),
            user_id=user_id,
            client=(scope.get("client") or ("", 0))[0],
        )
