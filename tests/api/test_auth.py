"""Account flows through the HTTP API, on every backend."""

from __future__ import annotations

import asyncio

import httpx
import jwt

from designer_bff.auth.tokens import TokenService
from designer_bff.services import Services
from tests.conftest import AuthedUser, register_user, unique_email


def assert_error(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in resp.text
    return body


async def test_register_returns_user_and_tokens_like_the_original_guide(client: httpx.AsyncClient):
    email = unique_email("guide")
    resp = await client.post(
        "/api/auth/register",
        json={"email": email, "password": "password123", "name": "Test User"},
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["user"]["email"] == email
    assert body["user"]["name"] == "Test User"
    assert body["user"]["role"] == "user"
    assert body["token_type"] == "bearer"
    assert body["token"] == body["access_token"]
    assert body["refresh_token"].startswith("rt_")
    assert "password" not in resp.text and "password_hash" not in resp.text


async def test_login_then_me(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.post(
        "/api/auth/login", json={"email": user.email, "password": user.password}
    )
    assert resp.status_code == 200
    token = resp.json()["access_token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    assert me.json()["id"] == user.id


async def test_email_is_trimmed_and_case_insensitive(client: httpx.AsyncClient):
    email = unique_email("Case").upper()
    resp = await client.post(
        "/api/auth/register", json={"email": f"  {email} ", "password": "password123", "name": "C"}
    )
    assert resp.status_code == 201
    assert resp.json()["user"]["email"] == email.lower()
    dup = await client.post(
        "/api/auth/register", json={"email": email.lower(), "password": "password123", "name": "C"}
    )
    assert_error(dup, 409, "email_taken")
    login = await client.post("/api/auth/login", json={"email": email, "password": "password123"})
    assert login.status_code == 200


async def test_concurrent_duplicate_registrations_make_one_account(client: httpx.AsyncClient):
    email = unique_email("race")
    payload = {"email": email, "password": "password123", "name": "R"}
    results = await asyncio.gather(
        *(client.post("/api/auth/register", json=payload) for _ in range(4))
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 1
    assert all(s == 409 for s in statuses if s != 201), [r.text for r in results]


async def test_password_rules(client: httpx.AsyncClient):
    short = await client.post(
        "/api/auth/register", json={"email": unique_email(), "password": "short", "name": "x"}
    )
    assert_error(short, 422, "weak_password")
    email = unique_email()
    same = await client.post(
        "/api/auth/register", json={"email": email, "password": email.upper(), "name": "x"}
    )
    assert_error(same, 422, "weak_password")
    # Nothing was created by the refused attempts.
    again = await client.post(
        "/api/auth/register", json={"email": email, "password": "password123", "name": "x"}
    )
    assert again.status_code == 201


async def test_wrong_password_and_unknown_email_are_indistinguishable(
    client: httpx.AsyncClient, user: AuthedUser
):
    wrong = await client.post("/api/auth/login", json={"email": user.email, "password": "nope1234"})
    unknown = await client.post(
        "/api/auth/login", json={"email": unique_email(), "password": "nope1234"}
    )
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, user: AuthedUser
):
    first = await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    second_refresh = first.json()["refresh_token"]
    second_access = first.json()["access_token"]
    assert second_refresh != user.refresh_token
    assert (
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {second_access}"})
    ).status_code == 200

    # The rotated (first) token comes back: reuse. The whole family ends.
    reuse = await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert_error(reuse, 401, "token_reused")
    after = await client.post("/api/auth/refresh", json={"refresh_token": second_refresh})
    assert_error(after, 401, "session_revoked")
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {second_access}"})
    assert_error(me, 401, "session_revoked")


async def test_reuse_only_ends_the_affected_session(client: httpx.AsyncClient, user: AuthedUser):
    other = await client.post(
        "/api/auth/login", json={"email": user.email, "password": user.password}
    )
    other_access = other.json()["access_token"]
    rotated = await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert rotated.status_code == 200
    await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {other_access}"})
    assert me.status_code == 200


async def test_concurrent_refresh_with_one_token_wins_once(
    client: httpx.AsyncClient, user: AuthedUser
):
    results = await asyncio.gather(
        *(
            client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
            for _ in range(3)
        )
    )
    assert sum(r.status_code == 200 for r in results) == 1
    assert all(r.status_code == 401 for r in results if r.status_code != 200)


async def test_unknown_refresh_token(client: httpx.AsyncClient):
    resp = await client.post("/api/auth/refresh", json={"refresh_token": "rt_not-a-real-token"})
    assert_error(resp, 401, "invalid_token")


async def test_logout_revokes_the_session(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.post(
        "/api/auth/logout", headers=user.headers, json={"refresh_token": user.refresh_token}
    )
    assert resp.status_code == 204
    assert_error(await client.get("/api/auth/me", headers=user.headers), 401, "session_revoked")
    assert_error(
        await client.post("/api/auth/refresh", json={"refresh_token": user.refresh_token}),
        401,
        "session_revoked",
    )


async def test_logout_without_body(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.post("/api/auth/logout", headers=user.headers)
    assert resp.status_code == 204
    assert_error(await client.get("/api/auth/me", headers=user.headers), 401, "session_revoked")


async def test_patch_me(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.patch(
        "/api/auth/me",
        headers=user.headers,
        json={"name": "Ada Designer", "timezone": "Europe/Paris", "preferences": {"units": "cm"}},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert (body["name"], body["timezone"], body["preferences"]) == (
        "Ada Designer",
        "Europe/Paris",
        {"units": "cm"},
    )
    again = await client.get("/api/auth/me", headers=user.headers)
    assert again.json()["timezone"] == "Europe/Paris"
    bad = await client.patch("/api/auth/me", headers=user.headers, json={"timezone": "Mars/Base"})
    assert_error(bad, 422, "validation_error")
    role = await client.patch("/api/auth/me", headers=user.headers, json={"role": "admin"})
    assert_error(role, 422, "validation_error")
    assert (await client.get("/api/auth/me", headers=user.headers)).json()["role"] == "user"


async def test_change_password_revokes_other_sessions(client: httpx.AsyncClient, user: AuthedUser):
    other = (
        await client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    ).json()
    wrong = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": "not it", "new_password": "brand new pw"},
    )
    assert_error(wrong, 401, "invalid_credentials")
    weak = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": "short"},
    )
    assert_error(weak, 422, "weak_password")
    ok = await client.post(
        "/api/auth/change-password",
        headers=user.headers,
        json={"current_password": user.password, "new_password": "brand new pw"},
    )
    assert ok.status_code == 204
    # This session continues; the other one has ended.
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 200
    assert_error(
        await client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {other['access_token']}"}
        ),
        401,
        "session_revoked",
    )
    assert_error(
        await client.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]}),
        401,
        "session_revoked",
    )
    old = await client.post(
        "/api/auth/login", json={"email": user.email, "password": user.password}
    )
    assert_error(old, 401, "invalid_credentials")
    new = await client.post(
        "/api/auth/login", json={"email": user.email, "password": "brand new pw"}
    )
    assert new.status_code == 200


async def test_expired_and_forged_tokens(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    claims = services.tokens.decode_access(user.access_token)
    expired = TokenService(
        services.tokens._secret, algorithm="HS256", access_ttl_s=-60, refresh_ttl_s=60
    ).issue_access(claims.user_id, claims.session_id, "user")
    assert_error(
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"}),
        401,
        "token_expired",
    )

    forged = TokenService(
        "x" * 48, algorithm="HS256", access_ttl_s=600, refresh_ttl_s=60
    ).issue_access(claims.user_id, claims.session_id, "admin")
    assert_error(
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}),
        401,
        "invalid_token",
    )

    payload = jwt.decode(user.access_token, options={"verify_signature": False})
    unsigned = jwt.encode(payload, key=None, algorithm="none")
    assert_error(
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {unsigned}"}),
        401,
        "invalid_token",
    )

    assert_error(
        await client.get("/api/auth/me", headers={"Authorization": "Bearer garbage"}),
        401,
        "invalid_token",
    )
    missing = await client.get("/api/auth/me")
    assert_error(missing, 401, "not_authenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    # A refresh token is not an access token.
    assert_error(
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {user.refresh_token}"}),
        401,
        "invalid_token",
    )


async def test_login_throttling(client: httpx.AsyncClient, user: AuthedUser):
    for _ in range(5):
        resp = await client.post(
            "/api/auth/login", json={"email": user.email, "password": "wrong-password"}
        )
        assert_error(resp, 401, "invalid_credentials")
    blocked = await client.post(
        "/api/auth/login", json={"email": user.email, "password": user.password}
    )
    body = assert_error(blocked, 429, "too_many_attempts")
    retry_after = int(blocked.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    assert body["error"]["details"]["retry_after"] == retry_after
    # Another account from the same address is not affected.
    other = await register_user(client, "other")
    ok = await client.post(
        "/api/auth/login", json={"email": other.email, "password": other.password}
    )
    assert ok.status_code == 200


async def test_successful_login_resets_the_failure_count(
    client: httpx.AsyncClient, user: AuthedUser
):
    for _ in range(4):
        await client.post("/api/auth/login", json={"email": user.email, "password": "wrong-one"})
    assert (
        await client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    ).status_code == 200
    for _ in range(4):
        await client.post("/api/auth/login", json={"email": user.email, "password": "wrong-one"})
    assert (
        await client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    ).status_code == 200


async def test_throttle_is_shared_through_redis(services: Services):
    if services.redis is None:
        import pytest

        pytest.skip("embedded backend: the in-process counter is covered above")
    from designer_bff.ratelimit.base import Limit
    from designer_bff.ratelimit.redis import RedisThrottle

    # A second throttle (as in another API process) sees the first one's attempts.
    limits = {"t": Limit(2, 60)}
    a = RedisThrottle(services.redis, prefix=services.settings.redis_prefix, limits=limits)
    b = RedisThrottle(services.redis, prefix=services.settings.redis_prefix, limits=limits)
    key = unique_email("shared")
    assert await a.reserve(("t", key)) is None
    assert await b.reserve(("t", key)) is None
    assert 0 < (await a.reserve(("t", key)) or 0) <= 60
    await a.reset("t", key)
    assert await b.reserve(("t", key)) is None


async def test_two_users_are_separate(
    two_users: tuple[AuthedUser, AuthedUser], client: httpx.AsyncClient
):
    alice, bob = two_users
    assert alice.id != bob.id
    assert (await client.get("/api/auth/me", headers=alice.headers)).json()["id"] == alice.id
    assert (await client.get("/api/auth/me", headers=bob.headers)).json()["id"] == bob.id
    # Bob cannot log out Alice's session with her refresh token.
    await client.post(
        "/api/auth/logout", headers=bob.headers, json={"refresh_token": alice.refresh_token}
    )
    assert (await client.get("/api/auth/me", headers=alice.headers)).status_code == 200
