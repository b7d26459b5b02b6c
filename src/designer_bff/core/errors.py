"""One error shape for every failure: {"error": {"code", "message", "details"}}.

Services raise AppError subclasses with a stable code; the handlers below turn those,
validation failures, unknown routes and unexpected exceptions into that JSON shape.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("designer_bff.errors")


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details
        self.headers = headers


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unauthorized(AppError):
    status_code = 401
    code = "not_authenticated"

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"


# Seconds a client is asked to wait before trying again while the database is away.
DATABASE_RETRY_AFTER_S = 2


class DatabaseUnavailable(AppError):
    status_code = 503
    code = "database_unavailable"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(DATABASE_RETRY_AFTER_S)})
        super().__init__(
            message
            or "The database is unavailable for a moment (restarting or unreachable). "
            "Nothing was lost; try again in a few seconds.",
            **kwargs,
        )


# asyncpg's errors that mean "no usable connection", by name: the module needs no driver.
_DRIVER_CONNECTION_ERRORS = frozenset(
    {
        "ConnectionDoesNotExistError",  # the server closed it (restart, crash, network)
        "ConnectionFailureError",
        "ClientCannotConnectError",
        "PostgresConnectionError",
        "CannotConnectNowError",  # starting up or shutting down
        "AdminShutdownError",
        "CrashShutdownError",
        "TooManyConnectionsError",
    }
)
# Modules whose raw OSError / TimeoutError is the database connection failing (asyncpg
# raises the socket's ConnectionRefusedError as it is, and SQLAlchemy's pool lets it pass).
_DRIVER_MODULES = ("asyncpg", "aiosqlite", "sqlalchemy.pool", "sqlalchemy.engine")


def _raised_in_driver(tb: TracebackType | None) -> bool:
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached right now:
    down, restarting, the connection lost, no connection free in time. A wrong statement
    or a constraint is not that, and stays a 4xx/500."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        err = pending.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, DatabaseUnavailable):
            return True
        if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
            return True
        if isinstance(err, sa_exc.TimeoutError):  # the pool had no connection in time
            return True
        if type(err).__module__.startswith("asyncpg") and (
            type(err).__name__ in _DRIVER_CONNECTION_ERRORS
            or "connection is closed" in str(err)
            or "connection was closed" in str(err)
        ):
            return True
        if isinstance(err, OSError) and _raised_in_driver(err.__traceback__):
            return True  # refused, reset, unreachable, timed out (TimeoutError is one)
        for nxt in (err.__cause__, err.__context__, getattr(err, "orig", None)):
            if isinstance(nxt, BaseException):
                pending.append(nxt)
    return False


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`.")
    message: str = Field(description="What went wrong, for a person.")
    details: Any = Field(
        default=None,
        description="More about it when there is more: for validation errors a list of "
        "`{field, message, type}`; otherwise an object or null.",
    )


class ErrorOut(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _clean_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Never echo the submitted value back: it may be a password.
    cleaned = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        cleaned.append(
            {"field": ".".join(loc) or None, "message": err.get("msg", ""), "type": err.get("type")}
        )
    return cleaned


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers. Starlette's own 405 names only the
    first route whose path matched, though several routes (GET and DELETE ...) may share it."""
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "invalid_json", "The request body is not valid JSON.")
        details = _clean_validation_errors(errors)
        missing = [d["field"] for d in details if d["type"] == "missing"]
        if missing and len(missing) == len(details):
            message = "Missing required field(s): " + ", ".join(str(m) for m in missing) + "."
        else:
            first = details[0] if details else {"field": None, "message": "invalid input"}
            where = f"{first['field']}: " if first["field"] else ""
            message = f"Invalid input: {where}{first['message']}."
        return error_response(422, "validation_error", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "No such resource."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            message = f"{request.method} is not allowed here; use {', '.join(allowed)}."
        return error_response(exc.status_code, code, message, None, headers)

    @app.exception_handler(StaleDataError)
    async def _gone(_request: Request, _exc: StaleDataError) -> JSONResponse:
        # The row being changed was deleted by another request meanwhile (SQLite has no
        # row locks to stop that): what the path names is gone.
        return error_response(404, "not_found", "It was deleted meanwhile.")

    async def _maybe_database(_request: Request, exc: Exception) -> JSONResponse:
        # Inside the middleware stack (unlike the catch-all below), so a 503 carries the
        # request id and security headers like any other answer.
        if database_unavailable(exc):
            log.warning("database_unavailable", error=repr(exc)[:300])
            unavailable = DatabaseUnavailable()
            return error_response(
                503, unavailable.code, unavailable.message, None, unavailable.headers
            )
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return error_response(500, "internal_error", "Something went wrong on our side.")

    for kind in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError, *_driver_error_classes()):
        app.add_exception_handler(kind, _maybe_database)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            return await _maybe_database(request, exc)
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return error_response(500, "internal_error", "Something went wrong on our side.")


def _driver_error_classes() -> tuple[type[Exception], ...]:
    """asyncpg's base errors (the PostgreSQL driver, imported only when the app is built)."""
    import asyncpg

    return (asyncpg.PostgresError, asyncpg.InterfaceError)
