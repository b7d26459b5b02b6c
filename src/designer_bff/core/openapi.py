"""The OpenAPI document states every error an operation can answer, in the one error shape.

FastAPI documents a route's success and a 422 in its own validation shape. `install_openapi`
post-processes the generated document once: each operation gets the error responses its
kind implies (401 when it needs a token, 404 when its path names something, 422 and 400
where it takes input, 413 where it takes a body), each described with the `error.code`
values it can carry, and all of them with the `ErrorOut` schema. What no rule can see (a
409 on a taken name, a 429 where attempts are throttled, a 404 for ids in a body) a route
declares with `error_responses(...)`; its text comes first in the description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI

from designer_bff.core.errors import ErrorOut

ERROR_REF = "#/components/schemas/ErrorOut"
# FastAPI's own validation shapes: never sent here (errors.py answers in ErrorOut).
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

# Query parameters whose values the service decodes beyond their schema.
_CURSOR_PARAMS = frozenset({"cursor"})
_DATE_PARAMS = frozenset({"date_from", "date_to"})


def error_responses(reasons: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error statuses no rule can infer, each with why."""
    return {status: {"model": ErrorOut, "description": why} for status, why in reasons.items()}


def _rules(op: dict[str, Any]) -> dict[int, list[str]]:
    """The error statuses an operation's kind implies, with the reasons for each."""
    params = op.get("parameters") or []
    where = {p.get("in") for p in params}
    query = {p.get("name") for p in params if p.get("in") == "query"}
    body = (op.get("requestBody") or {}).get("content") or {}
    out: dict[int, list[str]] = {}
    if op.get("security"):
        out[401] = [
            "`not_authenticated`, `invalid_token`, `token_expired` or `session_revoked`: "
            "no valid `Authorization: Bearer <access token>`"
        ]
    if "path" in where:
        out[404] = ["`not_found` (or a more precise code): nothing of yours has this id"]
    if params or body:
        out[422] = [
            "`validation_error`: the input breaks a rule stated in this document; "
            "`details` lists each `{field, message, type}`"
        ]
    bad_request: list[str] = []
    if any(t.endswith("json") for t in body):
        bad_request.append("`invalid_json`: the body is not valid JSON")
    if any(t.startswith("multipart/") for t in body):
        bad_request.append("`bad_request`: the multipart body cannot be parsed")
    if query & _CURSOR_PARAMS:
        bad_request.append(
            "`invalid_cursor`: `cursor` is not a `next_cursor` this listing returned for this sort"
        )
    if query & _DATE_PARAMS:
        bad_request.append("`invalid_date`: a date bound falls outside years 1 to 9999 once in UTC")
    if bad_request:
        out[400] = bad_request
    if body:
        out[413] = ["`payload_too_large`: the body is larger than the server accepts"]
    return out


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the implied error responses to every operation of a generated document."""
    for item in (schema.get("paths") or {}).values():
        for method, op in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            for status, reasons in _rules(op).items():
                key = str(status)
                declared = responses.get(key)
                own = declared.get("description") if declared else None
                if own == "Validation Error":  # FastAPI's own 422, replaced by ours
                    own = None
                parts = ([own] if own else []) + [r for r in reasons if r != own]
                responses[key] = {
                    "description": "; ".join(parts) + ".",
                    "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorOut"] = error_schema
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        components.pop(name, None)
    return schema


def install_openapi(app: FastAPI, *adjust: Callable[[FastAPI, dict[str, Any]], None]) -> None:
    """Serve the generated document with its error responses stated (built once), then
    `adjust`ed by the features (what this deployment offers: its providers, say)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = document_errors(FastAPI.openapi(app))
            for step in adjust:
                step(app, schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
