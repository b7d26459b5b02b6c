"""Throttling that holds however requests are timed: attempts are reserved before the
password is checked, so parallel bursts run no more checks than the limit. On every backend.

Each test talks from an address of its own (the per-address limits would otherwise be
shared with every other test), and counts the real password checks the service runs."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from designer_bff.auth import service as auth_service
from designer_bff.services import Services
from tests.conftest import AuthedUser, client_from, register_user, unique_email

_addresses = itertools.count(1)


@pytest.fixture
async def peer(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client from an address no other test uses (198.18.0.0/15 is for benchmarks)."""
    address = str(ipaddress.ip_address("198.18.0.0") + next(_addresses))
    async with client_from(app, address) as c:
        yield c


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords the auth service really verifies, in order (the real check runs)."""
    seen: list[str] = []
    real = auth_service.verify_password

    async def counted(password: str, password_hash: str | None) -> bool:
        seen.append(password)
        return await real(password, password_hash)

    monkeypatch.setattr(auth_service, "verify_password", counted)
    return seen


def assert_throttled(resp: httpx.Response, window_s: int) -> None:
    assert resp.status_code == 429, resp.text
    error = resp.json()["error"]
    assert error["code"] == "too_many_attempts"
    retry_after = int(resp.headers["retry-after"])
    assert 0 < retry_after <= window_s
    assert error["details"]["retry_after"] == retry_after


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_parallel_wrong_logins_check_no_more_passwords_than_the_limit(
    peer: httpx.AsyncClient, services: Services, checks: list[str]
):
    settings = services.settings
    user = await register_user(peer, "burst")
    replies = await asyncio.gather(*(login(peer, user.email, f"guess-{n}") for n in range(100)))
    limit = settings.login_max_failures
    assert len(checks) == limit
    assert sorted(r.status_code for r in replies) == [401] * limit + [429] * (100 - limit)
    for reply in replies:
        if reply.status_code == 429:
            assert_throttled(reply, settings.login_window_s)


async def test_right_password_is_refused_while_guesses_are_in_flight(
    peer: httpx.AsyncClient, services: Services, checks: list[str], monkeypatch
):
    settings = services.settings
    user = await register_user(peer, "locked")
    # Hold the wrong guesses inside the password check, so the right one arrives while
    # they are still running (as in a parallel guessing burst).
    limit = settings.login_max_failures
    all_checking, release = asyncio.Event(), asyncio.Event()
    counted: Callable[[str, str | None], Awaitable[bool]] = auth_service.verify_password

    async def held(password: str, password_hash: str | None) -> bool:
        result = await counted(password, password_hash)
        if password != user.password:
            if len(checks) == limit:
                all_checking.set()
            await release.wait()
        return result

    monkeypatch.setattr(auth_service, "verify_password", held)
    guesses = [asyncio.create_task(login(peer, user.email, f"guess-{n}")) for n in range(limit)]
    async with asyncio.timeout(10):
        await all_checking.wait()
    during = await login(peer, user.email, user.password)
    release.set()
    assert [r.status_code for r in await asyncio.gather(*guesses)] == [401] * limit
    assert_throttled(during, settings.login_window_s)
    assert_throttled(await login(peer, user.email, user.password), settings.login_window_s)
    assert user.password not in checks  # refused before its check, not after


async def test_spraying_many_accounts_from_one_address_is_stopped(
    peer: httpx.AsyncClient, services: Services, checks: list[str]
):
    settings = services.settings
    limit = settings.login_address_max_failures
    assert limit < 30
    # Successful logins from the address do not use up its limit: only failures count.
    user = await register_user(peer, "regular")
    for _ in range(limit):
        assert (await login(peer, user.email, user.password)).status_code == 200
    checks.clear()
    emails = [unique_email("spray") for _ in range(30)]
    replies = await asyncio.gather(*(login(peer, email, "Summer2025!") for email in emails))
    assert len(checks) == limit
    assert sorted(r.status_code for r in replies) == [401] * limit + [429] * (30 - limit)
    for reply in replies:
        if reply.status_code == 429:
            assert_throttled(reply, settings.login_address_window_s)
    # The right password from this address is refused too while the spray's limit holds.
    assert_throttled(await login(peer, user.email, user.password), settings.login_address_window_s)


async def change_password(client: httpx.AsyncClient, user: AuthedUser, current: str):
    return await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": current, "new_password": "a brand new passphrase"},
    )


async def test_wrong_current_passwords_are_throttled(
    peer: httpx.AsyncClient, services: Services, checks: list[str]
):
    settings = services.settings
    user = await register_user(peer, "changer")
    limit = settings.change_password_max_failures
    replies = await asyncio.gather(
        *(change_password(peer, user, f"guess-{n}") for n in range(limit + 10))
    )
    assert len(checks) == limit
    assert sorted(r.status_code for r in replies) == [401] * limit + [429] * 10
    for reply in replies:
        if reply.status_code == 429:
            assert_throttled(reply, settings.change_password_window_s)
    # Locked out: the right current password is refused too, and nothing changed.
    assert_throttled(
        await change_password(peer, user, user.password), settings.change_password_window_s
    )
    assert (await login(peer, user.email, user.password)).status_code == 200


async def test_registration_burst_from_one_address_is_stopped(
    peer: httpx.AsyncClient, services: Services
):
    settings = services.settings
    limit = settings.register_max_per_address
    assert limit < 20

    async def register(n: int) -> httpx.Response:
        return await peer.post(
            "/api/auth/register",
            json={"email": unique_email(f"farm{n}"), "password": "password123", "name": "F"},
        )

    replies = await asyncio.gather(*(register(n) for n in range(20)))
    assert sorted(r.status_code for r in replies) == [201] * limit + [429] * (20 - limit)
    for reply in replies:
        if reply.status_code == 429:
            assert_throttled(reply, settings.register_window_s)
