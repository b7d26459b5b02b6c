"""A socket lives no longer than the login session it opened with: logout, a password
change (for the other sessions) and refresh-token reuse close it at once, in every API
process; a deactivated account's sockets close once their access token would have
expired. Real servers and a real Socket.IO client."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import create_pg_database, delete_redis_prefix, drop_pg_database
from tests.generation.procs import EventClient, Processes, Service, service_env

PG_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
PASSWORD = "correct horse battery"


async def _register(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    email = f"sock-{uuid.uuid4().hex[:10]}@example.com"
    resp = await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Sock"}
    )
    assert resp.status_code == 201, resp.text
    return email, resp.json()


async def _login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    resp = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _socket(url: str, token: str) -> EventClient:
    sock = EventClient()
    await sock.connect(url, token)
    assert sock.sio.connected
    return sock


async def _closed(sock: EventClient, within: float) -> float:
    """Seconds until the server closed the socket (fails after `within`)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while sock.sio.connected:
        if loop.time() - start > within:
            raise AssertionError(f"socket still open after {within}s")
        await asyncio.sleep(0.05)
    return loop.time() - start


async def _two_sessions(
    client: httpx.AsyncClient, url: str
) -> tuple[dict[str, str], EventClient, EventClient]:
    """One designer logged in twice, a socket open in each session."""
    email, first = await _register(client)
    second = await _login(client, email)
    return (
        first,
        await _socket(url, first["access_token"]),
        await _socket(url, second["access_token"]),
    )


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture(scope="module")
async def embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    workdir = tmp_path_factory.mktemp("sockets")
    procs = Processes(workdir)
    try:
        # Short access tokens: the periodic session check runs every second.
        server = procs.start("all", service_env(workdir / "var", ACCESS_TOKEN_TTL_S="3"))
        await server.wait_ready()
        yield server
    finally:
        procs.close()


async def test_logout_closes_that_sessions_sockets_only(embedded: Service):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        first, mine, other = await _two_sessions(client, embedded.url)
        try:
            resp = await client.post("/api/auth/logout", headers=_bearer(first))
            assert resp.status_code == 204
            assert await _closed(mine, within=2) < 2
            await asyncio.sleep(0.3)
            assert other.sio.connected  # another session of the same designer stays
        finally:
            await mine.close()
            await other.close()


async def test_password_change_closes_the_other_sessions_sockets(embedded: Service):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        first, kept, ended = await _two_sessions(client, embedded.url)
        try:
            resp = await client.post(
                "/api/auth/change-password",
                headers=_bearer(first),
                json={"current_password": PASSWORD, "new_password": "another long secret"},
            )
            assert resp.status_code == 204, resp.text
            await _closed(ended, within=2)
            assert kept.sio.connected
        finally:
            await kept.close()
            await ended.close()


async def test_refresh_token_reuse_closes_the_sessions_sockets(embedded: Service):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        _, tokens = await _register(client)
        sock = await _socket(embedded.url, tokens["access_token"])
        try:
            body = {"refresh_token": tokens["refresh_token"]}
            assert (await client.post("/api/auth/refresh", json=body)).status_code == 200
            reused = await client.post("/api/auth/refresh", json=body)
            assert reused.status_code == 401 and reused.json()["error"]["code"] == "token_reused"
            await _closed(sock, within=2)
        finally:
            await sock.close()


async def test_deactivated_accounts_socket_closes_when_its_token_would_expire(
    embedded: Service,
):
    async with httpx.AsyncClient(base_url=embedded.url, timeout=10) as client:
        _, tokens = await _register(client)
        sock = await _socket(embedded.url, tokens["access_token"])
        try:
            db = Path(embedded.log_path.parent / "var" / "designer_bff.db")
            with sqlite3.connect(db) as conn:  # what an operator's deactivation does
                conn.execute(
                    "UPDATE users SET is_active = 0 WHERE id = ?",
                    (uuid.UUID(tokens["user"]["id"]).hex,),
                )
            # The token lives 3 s and sessions are checked every second.
            await _closed(sock, within=8)
        finally:
            await sock.close()


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="two API processes meet over Redis")
async def test_logout_in_one_api_process_closes_sockets_in_another(tmp_path: Path):
    db_name, db_url = await create_pg_database()
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    procs = Processes(tmp_path)
    try:
        env = service_env(
            tmp_path / "var", DATABASE_URL=db_url, REDIS_URL=str(REDIS_URL), REDIS_PREFIX=prefix
        )
        first = procs.start("api", env, name="api-a")
        await first.wait_ready()  # migrates before the second starts
        second = procs.start("api", env, name="api-b")
        await second.wait_ready()
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as client:
            _, tokens = await _register(client)
            sock = await _socket(first.url, tokens["access_token"])
            try:
                resp = await client.post("/api/auth/logout", headers=_bearer(tokens))
                assert resp.status_code == 204
                assert await _closed(sock, within=3) < 3
            finally:
                await sock.close()
    finally:
        procs.close()
        await drop_pg_database(db_name)
        await delete_redis_prefix(prefix)
