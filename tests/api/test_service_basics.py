"""Error shape, request ids, security headers, body limit, health and metrics."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from designer_bff.app import create_app
from designer_bff.auth.deps import AdminDep
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser, running, unique_email


async def test_malformed_json(client: httpx.AsyncClient):
    resp = await client.post(
        "/api/auth/register",
        content=b'{"email": "a@b.co", ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(resp, 400, "invalid_json")


async def test_missing_fields(client: httpx.AsyncClient):
    body = assert_error(
        await client.post("/api/auth/register", json={"email": unique_email()}),
        422,
        "validation_error",
    )
    assert {"field": "password", "message": "Field required", "type": "missing"} in (
        body["error"]["details"]
    )
    assert "password" in body["error"]["message"]


async def test_bad_email(client: httpx.AsyncClient):
    body = assert_error(
        await client.post(
            "/api/auth/register",
            json={"email": "not-an-email", "password": "password123", "name": "x"},
        ),
        422,
        "validation_error",
    )
    assert body["error"]["details"][0]["field"] == "email"


async def test_wrong_types_and_non_object_body(client: httpx.AsyncClient):
    assert_error(await client.post("/api/auth/login", json=["a", "b"]), 422, "validation_error")
    assert_error(
        await client.post("/api/auth/login", json={"email": 5, "password": None}),
        422,
        "validation_error",
    )


async def test_validation_errors_never_echo_passwords(client: httpx.AsyncClient):
    secret = "hunter2-" * 40  # too long: rejected by validation
    resp = await client.post(
        "/api/auth/register", json={"email": unique_email(), "password": secret, "name": "x"}
    )
    assert resp.status_code == 422
    assert "hunter2" not in resp.text


async def test_unknown_route_and_method(client: httpx.AsyncClient):
    assert_error(await client.get("/api/nothing-here"), 404, "not_found")
    assert_error(await client.delete("/api/auth/login"), 405, "method_not_allowed")


async def test_request_id_and_security_headers(client: httpx.AsyncClient):
    resp = await client.get("/health")
    assert len(resp.headers["x-request-id"]) >= 16
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    # An unsafe incoming id is replaced, not reflected.
    unsafe = await client.get("/health", headers={"X-Request-ID": "<script>"})
    assert unsafe.headers["x-request-id"] != "<script>"
    err = await client.get("/api/nothing-here")
    assert err.headers["x-request-id"]


async def test_cors_preflight_for_configured_origin(client: httpx.AsyncClient):
    resp = await client.options(
        "/api/auth/login",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "http://localhost:5173"
    denied = await client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in denied.headers


async def test_body_size_limit(client: httpx.AsyncClient, services: Services):
    limit = services.settings.max_body_bytes
    big = b"x" * (limit + 1)
    resp = await client.post(
        "/api/auth/login", content=big, headers={"Content-Type": "application/json"}
    )
    assert_error(resp, 413, "payload_too_large")

    async def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    streamed = await client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(streamed, 413, "payload_too_large")


async def test_unhandled_error_is_json_without_traceback(services: Services):
    app: FastAPI = create_app(services=services)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    async with running(app, raise_app_exceptions=False) as c:
        resp = await c.get("/boom")
    assert_error(resp, 500, "internal_error")
    assert "secret internal detail" not in resp.text
    assert resp.headers["x-request-id"]


async def test_health_reports_every_part(client: httpx.AsyncClient, services: Services):
    resp = await client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert set(body["checks"]) == {"database", "redis", "storage", "broker"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"]["status"] == "ok"
    if services.redis is None:
        assert body["checks"]["redis"]["status"] == "not_configured"
        assert body["checks"]["broker"]["kind"] == "in-process"
    else:
        assert body["checks"]["redis"]["status"] == "ok"


async def test_health_is_503_when_a_configured_part_is_down(backend, tmp_path):
    from designer_bff.services import build_services
    from tests.conftest import make_settings

    # Redis configured on a closed port: the check fails fast and the status is 503.
    settings = make_settings(
        backend.settings.data_dir,
        database_url=backend.settings.database_url,
        redis_url="redis://127.0.0.1:1/0",
        speech_provider="none",
    )
    broken = build_services(settings)
    try:
        async with running(create_app(services=broken)) as c:
            resp = await c.get("/health")
    finally:
        await broken.close()
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient, user: AuthedUser):
    await client.get("/api/auth/me", headers=user.headers)
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    assert 'http_requests_total{method="GET",route="/api/auth/me",status="200"}' in text
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/auth/me"}'
        in (text)
        or 'route="/api/auth/me"' in text
    )


async def test_admin_dependency(services: Services, client: httpx.AsyncClient, user: AuthedUser):
    from sqlalchemy import update

    from designer_bff.auth.models import User

    app: FastAPI = create_app(services=services)

    @app.get("/api/admin/ping")
    async def ping(admin: AdminDep) -> dict[str, str]:
        return {"admin": str(admin.id)}

    async with running(app) as c:
        assert_error(await c.get("/api/admin/ping", headers=user.headers), 403, "admin_required")
        async with services.sessionmaker() as db:
            await db.execute(update(User).where(User.email == user.email).values(role="admin"))
            await db.commit()
        resp = await c.get("/api/admin/ping", headers=user.headers)
        assert resp.status_code == 200 and resp.json() == {"admin": user.id}


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
async def test_api_is_documented(client: httpx.AsyncClient, path: str):
    resp = await client.get(path)
    assert resp.status_code == 200
    if path == "/openapi.json":
        paths = resp.json()["paths"]
        for p in (
            "/api/auth/register",
            "/api/auth/login",
            "/api/auth/refresh",
            "/api/auth/me",
            "/health",
        ):
            assert p in paths


async def test_docs_work_offline(client: httpx.AsyncClient):
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    js = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    css = await client.get("/docs/assets/swagger-ui.css")
    assert css.status_code == 200
