"""Authentication without a database round trip per request: standing sessions are
served from memory (auth/gate.py), and a revocation still ends them at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from designer_bff.auth.gate import SessionGate
from designer_bff.auth.models import Role
from designer_bff.services import Services
from tests.conftest import register_user


class SessionQueries:
    """Counts the statements that read refresh_sessions (the session check)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Connection, cursor: object, statement: str, *_: object) -> None:
        if "FROM users JOIN refresh_sessions" in statement:
            self.count += 1


@pytest.fixture
def session_queries(services: Services) -> Iterator[SessionQueries]:
    counter = SessionQueries()
    sync_engine = services.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(sync_engine, "before_cursor_execute", counter)


async def test_a_standing_session_is_checked_once_then_served_from_memory(
    client: httpx.AsyncClient, services: Services, session_queries: SessionQueries
) -> None:
    user = await register_user(client, "gate")
    for _ in range(5):
        assert (await client.get("/api/images", headers=user.headers)).status_code == 200
    assert session_queries.count == 1
    assert services.auth.gate.ttl_s > 0


async def test_logout_ends_the_session_at_once_though_it_was_remembered(
    client: httpx.AsyncClient,
) -> None:
    user = await register_user(client, "gate-out")
    assert (await client.get("/api/images", headers=user.headers)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=user.headers)).status_code == 204
    after = await client.get("/api/images", headers=user.headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "session_revoked"


async def test_password_change_ends_the_other_sessions_at_once(
    client: httpx.AsyncClient,
) -> None:
    user = await register_user(client, "gate-pw")
    login = await client.post(
        "/api/auth/login", json={"email": user.email, "password": user.password}
    )
    other = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/images", headers=other)).status_code == 200
    changed = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": "another horse battery 2"},
    )
    assert changed.status_code == 204
    assert (await client.get("/api/images", headers=other)).status_code == 401
    assert (await client.get("/api/images", headers=user.headers)).status_code == 200


async def test_the_account_routes_read_the_account_fresh(client: httpx.AsyncClient) -> None:
    user = await register_user(client, "gate-me")
    renamed = await client.patch("/api/auth/me", headers=user.headers, json={"name": "Ada"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Ada"
    assert (await client.get("/api/auth/me", headers=user.headers)).json()["name"] == "Ada"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_remembered_session_is_asked_again_after_the_ttl(
    client: httpx.AsyncClient, services: Services
) -> None:
    user = await register_user(client, "gate-ttl")
    me = (await client.get("/api/auth/me", headers=user.headers)).json()
    claims = services.tokens.decode_access(user.access_token)
    clock = _Clock()
    gate = SessionGate(10, clock=clock)
    async with services.sessionmaker() as db:
        identity = await gate.check(db, claims.user_id, claims.session_id)
    assert identity.user_id == uuid.UUID(me["id"]) and identity.role is Role.USER
    assert len(gate) == 1
    queries = SessionQueries()
    event.listen(services.engine.sync_engine, "before_cursor_execute", queries)
    try:
        async with services.sessionmaker() as db:
            await gate.check(db, claims.user_id, claims.session_id)
            assert queries.count == 0
            clock.now += 11
            await gate.check(db, claims.user_id, claims.session_id)
            assert queries.count == 1
            # Another user's id with this session is never served from memory.
            with pytest.raises(Exception, match="invalid"):
                await gate.check(db, uuid.uuid4(), claims.session_id)
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", queries)
    # Bounded: the oldest remembered session makes room; forget drops one at once.
    small = SessionGate(10, max_entries=1)
    other = await register_user(client, "gate-ttl2")
    other_claims = services.tokens.decode_access(other.access_token)
    async with services.sessionmaker() as db:
        await small.check(db, claims.user_id, claims.session_id)
        await small.check(db, other_claims.user_id, other_claims.session_id)
    assert len(small) == 1
    small.forget([str(other_claims.session_id)])
    assert len(small) == 0
    gate.clear()
    assert len(gate) == 0
