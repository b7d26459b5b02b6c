"""Shared fixtures: each backend gets its own database (and Redis key prefix), migrated
from empty, and removed afterwards. The embedded backend always runs; PostgreSQL + Redis
run too when DATABASE_URL / REDIS_URL are set."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from designer_bff.app import create_app
from designer_bff.config import Settings
from designer_bff.db import migrate
from designer_bff.services import Services, build_services

PG_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
BACKENDS = ["embedded"] + (["postgres"] if PG_URL else [])


def pg_admin_dsn(url: str) -> str:
    """asyncpg DSN of the server's maintenance database (where CREATE DATABASE runs)."""
    async_url = Settings(_env_file=None, database_url=url).sqlalchemy_url
    base = async_url.rsplit("/", 1)[0].replace("postgresql+asyncpg://", "postgresql://")
    return f"{base}/postgres"


async def pg_execute(sql: str) -> None:
    import asyncpg

    assert PG_URL
    conn = await asyncpg.connect(pg_admin_dsn(PG_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_database_url(name: str) -> str:
    assert PG_URL
    async_url = Settings(_env_file=None, database_url=PG_URL).sqlalchemy_url
    return async_url.rsplit("/", 1)[0] + f"/{name}"


async def create_pg_database() -> tuple[str, str]:
    name = f"dbff_test_{uuid.uuid4().hex[:12]}"
    await pg_execute(f'CREATE DATABASE "{name}"')
    return name, pg_database_url(name)


async def drop_pg_database(name: str) -> None:
    await pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def delete_redis_prefix(prefix: str) -> None:
    from redis.asyncio import Redis

    assert REDIS_URL
    redis = Redis.from_url(REDIS_URL)
    try:
        async for key in redis.scan_iter(match=f"{prefix}*", count=500):
            await redis.delete(key)
    finally:
        await redis.aclose()


async def wait_until(
    check: Callable[[], bool], what: str = "the condition", within: float = 10.0
) -> None:
    """Poll `check` until it holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {within}s"
        await asyncio.sleep(0.02)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    # Explicit None values win over the environment, so the embedded backend stays embedded
    # even when CI exports DATABASE_URL / REDIS_URL.
    values: dict[str, Any] = {
        "app_env": "test",
        "data_dir": data_dir,
        "database_url": None,
        "redis_url": None,
        "jwt_secret": None,
        "log_json": True,
        "r2_endpoint": None,
        "openai_api_key": None,
        "google_api_key": None,
        "vlt_api_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Backend:
    name: str
    settings: Settings
    cleanup: list[Any] = field(default_factory=list)


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "embedded":
        settings = make_settings(data_dir)
        await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
        yield Backend("embedded", settings)
        return
    db_name, db_url = await create_pg_database()
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    settings = make_settings(
        data_dir, database_url=db_url, redis_url=REDIS_URL, redis_prefix=prefix
    )
    try:
        await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
        yield Backend("postgres", settings)
    finally:
        await drop_pg_database(db_name)
        if REDIS_URL:
            await delete_redis_prefix(prefix)


@pytest.fixture(scope="session")
async def services(backend: Backend) -> AsyncIterator[Services]:
    built = build_services(backend.settings)
    yield built
    await built.close()


@pytest.fixture(scope="session")
async def app(services: Services) -> AsyncIterator[FastAPI]:
    application = create_app(services=services)
    async with LifespanManager(application):
        yield application


_client_addresses = itertools.count(1)


@contextlib.asynccontextmanager
async def client_from(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the session-wide app that connects from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@contextlib.asynccontextmanager
async def running(app: FastAPI, **transport: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A test's own app, started (lifespan), and a client of it over ASGI."""
    async with LifespanManager(app):
        asgi = httpx.ASGITransport(app=app, **transport)
        async with httpx.AsyncClient(transport=asgi, base_url="http://t") as c:
            yield c


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Each test is another visitor, from an address of its own: the session-wide app's
    # per-address limits (registrations, failed logins) would otherwise add up over the run.
    address = str(ipaddress.ip_address("10.0.0.0") + next(_client_addresses))
    async with client_from(app, address) as c:
        yield c


@dataclass
class AuthedUser:
    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


async def register_user(client: httpx.AsyncClient, tag: str = "user") -> AuthedUser:
    email, password = unique_email(tag), "correct horse battery"
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": password, "name": tag.title()}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return AuthedUser(
        body["user"]["id"], email, password, body["access_token"], body["refresh_token"]
    )


async def say(client: httpx.AsyncClient, user: AuthedUser, command: str) -> dict[str, Any]:
    """A typed command through /api/voice/process-text: its reply."""
    resp = await client.post(
        "/api/voice/process-text", headers=user.headers, json={"command": command}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
async def user(client: httpx.AsyncClient) -> AuthedUser:
    return await register_user(client, "designer")


@pytest.fixture
async def two_users(client: httpx.AsyncClient) -> tuple[AuthedUser, AuthedUser]:
    """Two designers for isolation tests: whatever one makes, the other must not see."""
    return await register_user(client, "alice"), await register_user(client, "bob")


def require(condition: bool, reason: str) -> None:
    """Skip locally, but fail in CI, where every tool is meant to be installed."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)
