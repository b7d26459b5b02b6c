"""X-Forwarded-For is believed only from TRUSTED_PROXIES (real server, real socket)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from designer_bff.config import Settings
from tests.ops.test_cli import free_port, start_server, stop_server

EMAIL = "proxy@example.com"
PASSWORD = "password123"


def start(tmp_path: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    return start_server(tmp_path, port, LOG_LEVEL="INFO", LOGIN_MAX_FAILURES="2", **env)


def login(base: str, password: str, xff: str) -> int:
    return httpx.post(
        f"{base}/api/auth/login",
        json={"email": EMAIL, "password": password},
        headers={"X-Forwarded-For": xff},
    ).status_code


def lock_out_then_retry(tmp_path: Path, **env: str) -> tuple[int, set[str]]:
    """Lock the account out from 1.2.3.4, then log in from a "new" forwarded address.
    Returns that login's status and the client addresses the access log recorded."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path, port, **env)
    try:
        reg = httpx.post(
            f"{base}/api/auth/register",
            json={"email": EMAIL, "password": PASSWORD, "name": "Proxy"},
        )
        assert reg.status_code == 201
        assert [login(base, "wrong-password", "1.2.3.4") for _ in range(2)] == [401, 401]
        assert login(base, PASSWORD, "1.2.3.4") == 429
        status = login(base, PASSWORD, "5.6.7.8")
    finally:
        out = stop_server(proc)
    clients = set()
    for line in out.splitlines():
        if line.startswith("{") and '"event": "request"' in line:
            entry = json.loads(line)
            if entry["path"] == "/api/auth/login":
                clients.add(entry["client"])
    return status, clients


def test_forwarded_for_is_ignored_by_default(tmp_path: Path):
    status, clients = lock_out_then_retry(tmp_path)
    # Every attempt counts against the real peer, so a new header does not unlock.
    assert status == 429
    assert clients == {"127.0.0.1"}


def test_forwarded_for_is_believed_from_a_trusted_proxy(tmp_path: Path):
    status, clients = lock_out_then_retry(tmp_path, TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1")
    assert status == 200  # a different client behind the proxy is not locked out
    assert clients == {"1.2.3.4", "5.6.7.8"}


def test_trusted_proxies_setting(tmp_path: Path):
    assert Settings(_env_file=None).trusted_proxies == []
    assert Settings(_env_file=None, trusted_proxies="").trusted_proxies == []
    parsed = Settings(_env_file=None, trusted_proxies="127.0.0.1, 10.0.0.0/8,::1")
    assert parsed.trusted_proxies == ["127.0.0.1", "10.0.0.0/8", "::1"]
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings(_env_file=None, trusted_proxies="proxy.internal")
