"""No access, refresh or share token reaches the server's output, however it was sent."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
from websockets.sync.client import connect as ws_connect

from designer_bff.core.logging import redact_text
from tests.ops.test_cli import free_port, start_server


def start(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    # DEBUG: the chattiest the server gets (uvicorn and websockets log raw request lines).
    return start_server(tmp_path, port, log_file=tmp_path / "server.log", LOG_LEVEL="DEBUG")


def stop(proc: subprocess.Popen[bytes], tmp_path: Path) -> str:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    return (tmp_path / "server.log").read_text()


def test_tokens_never_reach_the_log(tmp_path: Path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, port)
    secrets: dict[str, str] = {}
    try:
        reg = httpx.post(
            f"{base}/api/auth/register",
            json={"email": "leak@example.com", "password": "password123", "name": "Leak"},
        ).json()
        access, refresh = reg["access_token"], reg["refresh_token"]
        secrets.update(access=access, refresh=refresh)
        auth = {"Authorization": f"Bearer {access}"}

        # Socket.IO with the token in the query string: long-polling, then WebSocket.
        polling = f"{base}/socket.io/?EIO=4&transport=polling&token={access}"
        handshake = httpx.get(polling)
        assert handshake.status_code == 200
        sid = handshake.text.split('"sid":"')[1].split('"')[0]
        assert httpx.post(f"{polling}&sid={sid}", content="40").status_code == 200
        assert "40" in httpx.get(f"{polling}&sid={sid}").text
        ws_url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&token={access}"
        with ws_connect(ws_url) as ws:
            assert str(ws.recv(timeout=5)).startswith("0")
            ws.send("40")
            assert str(ws.recv(timeout=5)).startswith("40")

        # Refresh (the token in the body), then misuse: tokens in query strings and headers.
        renewed = httpx.post(f"{base}/api/auth/refresh", json={"refresh_token": refresh}).json()
        secrets.update(access2=renewed["access_token"], refresh2=renewed["refresh_token"])
        httpx.get(f"{base}/api/auth/me?access_token={renewed['access_token']}")
        httpx.get(f"{base}/api/auth/me?refresh_token={renewed['refresh_token']}")
        httpx.get(f"{base}/api/auth/me", headers={"X-Request-ID": renewed["access_token"]})
        auth = {"Authorization": f"Bearer {renewed['access_token']}"}

        # A share link: the token is in the path.
        made = httpx.post(f"{base}/api/collections", json={"name": "Leaky"}, headers=auth)
        assert made.status_code == 201, made.text
        shared = httpx.post(f"{base}/api/collections/{made.json()['id']}/share", headers=auth)
        share = shared.json()["token"]
        secrets["share"] = share
        assert httpx.get(f"{base}/api/shared/{share}").status_code == 200
        httpx.get(f"{base}/api/shared/{share}/images/00000000-0000-0000-0000-000000000000/thumb")
        # Last, as it ends the session: a refresh token used twice is refused.
        assert httpx.post(f"{base}/api/auth/refresh", json={"refresh_token": refresh}).is_error
    finally:
        out = stop(proc, tmp_path)
    assert '"event": "request"' in out  # the access log was on
    leaked = [name for name, value in secrets.items() if value in out]
    assert leaked == [], f"tokens in the log: {leaked}"


def test_redact_text_patterns():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    line = (
        f'127.0.0.1:5 - "WebSocket /socket.io/?EIO=4&token={jwt}&transport=websocket" '
        "/api/shared/AbC-dEf_123?refresh_token=rt_secretvalue&page=2 route=/api/shared/{token}"
    )
    out = redact_text(line)
    for secret in (jwt, "AbC-dEf_123", "rt_secretvalue"):
        assert secret not in out
    assert "EIO=4" in out and "transport=websocket" in out and "page=2" in out
    assert "/api/shared/{token}" in out  # route templates are not secrets


def test_exception_text_is_redacted():
    # In a child process: configure_logging changes this process's logging for good.
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    code = f"""
import logging, structlog
from designer_bff.core.logging import configure_logging
configure_logging("INFO", json=True)
try:
    raise ValueError("bad token {jwt}")
except ValueError:
    structlog.get_logger("test").exception("boom")
    logging.getLogger("test.stdlib").exception("boom %s", "{jwt}")
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.count("ValueError") == 2 and jwt not in out
