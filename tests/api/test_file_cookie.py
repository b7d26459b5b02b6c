"""A browser loads my designs with plain <img src> URLs: login sets a files cookie
(HttpOnly, SameSite=Strict, scoped to the image routes). The same URL shows nothing in
another browser, nothing to another designer, and nothing once the cookie expires."""

from __future__ import annotations

import asyncio

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from designer_bff.app import create_app
from designer_bff.auth.cookies import FILES_COOKIE
from designer_bff.services import Services, build_services
from tests.conftest import AuthedUser, Backend, client_from, make_settings, register_user
from tests.gallery.helpers import make_images


def _url(image_id: object) -> str:
    return f"/api/images/{image_id}/file?variant=thumb"


async def test_login_sets_a_cookie_only_the_file_routes_get(app: FastAPI):
    async with client_from(app, "10.9.0.1") as browser:
        user = await register_user(browser, "cookie")
        resp = await browser.post(
            "/api/auth/login", json={"email": user.email, "password": user.password}
        )
        set_cookie = resp.headers["set-cookie"]
        assert set_cookie.startswith(f"{FILES_COOKIE}=")
        lowered = set_cookie.lower()
        for part in ("httponly", "samesite=strict", "path=/api/images", "max-age="):
            assert part in lowered, set_cookie
        # The cookie is not an access token: the API refuses it as a Bearer token.
        value = browser.cookies.get(FILES_COOKIE)
        assert value
        me = await browser.get("/api/auth/me", headers={"Authorization": f"Bearer {value}"})
        assert me.status_code == 401


async def test_a_url_works_in_my_browser_only(app: FastAPI, services: Services):
    async with client_from(app, "10.9.0.2") as mine, client_from(app, "10.9.0.3") as theirs:
        me = await register_user(mine, "owner")
        (image_id,) = await make_images(services, me, 1)
        # My browser: no Authorization header, the cookie does it.
        shown = await mine.get(_url(image_id))
        assert shown.status_code == 200, shown.text
        assert shown.headers["content-type"] == "image/webp" and shown.content
        # The same URL in another browser (no cookie): nothing.
        copied = await theirs.get(_url(image_id))
        assert copied.status_code == 401
        assert copied.json()["error"]["code"] == "not_authenticated"
        # Another designer's browser, logged in: still nothing (404, never 403).
        await register_user(theirs, "other")
        assert FILES_COOKIE in theirs.cookies
        assert (await theirs.get(_url(image_id))).status_code == 404
        # After logout the cookie is gone, and the old value is refused too.
        old = mine.cookies.get(FILES_COOKIE)
        out = await mine.post("/api/auth/logout", headers=me.headers)
        assert out.status_code == 204
        assert FILES_COOKIE not in mine.cookies
        replay = await theirs.get(_url(image_id), headers={"Cookie": f"{FILES_COOKIE}={old}"})
        assert replay.status_code in (401, 404)
        fresh = httpx.Cookies({FILES_COOKIE: str(old)})
        async with client_from(app, "10.9.0.4") as third:
            third.cookies = fresh
            assert (await third.get(_url(image_id))).status_code == 401


async def test_a_url_shows_nothing_once_the_cookie_expires(backend: Backend):
    settings = make_settings(
        backend.settings.data_dir,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix,
        access_token_ttl_s=4,  # long enough for the first look on a loaded machine
        speech_provider="none",
    )
    short = build_services(settings)
    try:
        app = create_app(services=short, run_worker=False)
        async with LifespanManager(app), client_from(app, "10.9.0.5") as browser:
            user: AuthedUser = await register_user(browser, "expiry")
            (image_id,) = await make_images(short, user, 1)
            assert (await browser.get(_url(image_id))).status_code == 200
            kept = browser.cookies.get(FILES_COOKIE)
            await asyncio.sleep(4.5)
            # Whether the client still sends it or not, the URL now shows nothing.
            browser.cookies = httpx.Cookies({FILES_COOKIE: str(kept)})
            expired = await browser.get(_url(image_id))
            assert expired.status_code == 401
            assert expired.json()["error"]["code"] == "token_expired"
    finally:
        await short.close()
