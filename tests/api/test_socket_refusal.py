"""A refused Socket.IO connection says why in the shape socket.io-client reads:
CONNECT_ERROR {"message": "...", "data": {"code": "..."}}, never a Python repr."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from designer_bff.app import asgi_app


async def _connect_error(app: FastAPI, auth: dict[str, str] | None) -> dict:
    transport = httpx.ASGITransport(app=asgi_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        # Engine.IO v4 over long-polling: open, then the Socket.IO CONNECT packet.
        opened = await c.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert opened.status_code == 200 and opened.text.startswith("0"), opened.text
        sid = json.loads(opened.text[1:])["sid"]
        query = {"EIO": "4", "transport": "polling", "sid": sid}
        connect = "40" + (json.dumps(auth) if auth is not None else "")
        sent = await c.post("/socket.io/", params=query, content=connect)
        assert sent.status_code == 200, sent.text
        answer = await c.get("/socket.io/", params=query, timeout=10)
    # "44" = message packet + CONNECT_ERROR.
    assert answer.text.startswith("44"), answer.text
    return json.loads(answer.text[2:])


async def test_refusals_carry_message_and_code(app: FastAPI):
    missing = await _connect_error(app, None)
    assert missing["data"] == {"code": "not_authenticated"}
    assert "access token" in missing["message"]

    bad = await _connect_error(app, {"token": "not-a-token"})
    assert isinstance(bad["message"], str) and "{" not in bad["message"]
    assert bad["data"]["code"] in {"invalid_token", "token_invalid", "token_expired"}


async def test_the_servers_own_origin_is_allowed_and_others_are_not(app: FastAPI):
    transport = httpx.ASGITransport(app=asgi_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        params = {"EIO": "4", "transport": "polling"}
        own = await c.get("/socket.io/", params=params, headers={"Origin": "http://testserver"})
        assert own.status_code == 200, own.text
        # The web app opened as 127.0.0.1 instead of localhost is still its own origin.
        other_name = await c.get(
            "/socket.io/",
            params=params,
            headers={"Origin": "http://127.0.0.1:5000", "Host": "127.0.0.1:5000"},
        )
        assert other_name.status_code == 200, other_name.text
        foreign = await c.get(
            "/socket.io/", params=params, headers={"Origin": "http://evil.example"}
        )
        assert foreign.status_code == 400
