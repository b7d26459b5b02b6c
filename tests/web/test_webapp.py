"""The built web app served beside the API: index.html for client routes, hashed assets
cached for a year, and nothing of the API shadowed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from designer_bff.core.errors import install_error_handlers
from designer_bff.webapp import IMMUTABLE, NO_CACHE, mount_webapp


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    return dist


def _api() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/api/things")
    async def things() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_serves_the_app_and_its_assets(tmp_path: Path):
    app = _api()
    assert mount_webapp(app, _dist(tmp_path))
    async with _client(app) as c:
        for path in ("/", "/history", "/collections/123/edit?x=1"):
            r = await c.get(path)
            assert r.status_code == 200, path
            assert r.text.startswith("<!doctype html>")
            assert r.headers["cache-control"] == NO_CACHE
        r = await c.get("/assets/index-abc123.js")
        assert r.status_code == 200
        assert r.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        r = await c.get("/favicon.svg")
        assert r.status_code == 200 and r.text == "<svg/>"
        assert (await c.head("/history")).status_code == 200


async def test_never_shadows_the_api(tmp_path: Path):
    app = _api()
    mount_webapp(app, _dist(tmp_path))
    async with _client(app) as c:
        assert (await c.get("/api/things")).json() == {"ok": "yes"}
        assert (await c.get("/health")).json() == {"status": "ok"}
        missing = await c.get("/api/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert (await c.post("/api/things")).status_code == 405  # wrong method stays 405
        assert (await c.post("/history")).status_code == 404  # only GET/HEAD load the app
        for path in ("/assets/gone-123.js", "/missing.png", "/metrics/x", "/socket.io/x"):
            assert (await c.get(path)).status_code == 404, path


async def test_routes_added_later_still_win(tmp_path: Path):
    app = _api()
    mount_webapp(app, _dist(tmp_path))

    @app.get("/later")
    async def later() -> dict[str, bool]:
        return {"later": True}

    async with _client(app) as c:
        assert (await c.get("/later")).json() == {"later": True}


async def test_nothing_mounted_without_a_build(tmp_path: Path):
    app = _api()
    assert not mount_webapp(app, tmp_path / "no-dist")
    async with _client(app) as c:
        assert (await c.get("/")).status_code == 404
        assert (await c.get("/api/things")).status_code == 200


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/health", "/metrics"])
async def test_real_app_keeps_its_own_pages(client: httpx.AsyncClient, path: str):
    r = await client.get(path)
    assert r.status_code in (200, 503), path  # health may be 503 without its backends
    assert "text/html" not in r.headers.get("content-type", "") or path == "/docs"
    assert 'id="root"' not in r.text
