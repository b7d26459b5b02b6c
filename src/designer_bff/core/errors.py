"""One error shape for every failure: {"error": {"code", "message", "details"}}.

Services raise AppError subclasses with a stable code; the handlers below turn those,
validation failures, unknown routes and unexpected exceptions into that JSON shape.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
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

    @app.exception_handler(Exception)
    async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return error_response(500, "internal_error", "Something went wrong on our side.")
