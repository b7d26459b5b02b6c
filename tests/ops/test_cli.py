"""The `designer-bff` command as an operator uses it: real processes, real ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "designer-bff"


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "APP_ENV", "R2_ENDPOINT"}
    }
    env.update({"DATA_DIR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING"}, **extra)
    return env


def run_cli(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`designer-bff ARGS` to completion in `tmp_path`, text output captured."""
    return subprocess.run(
        [str(BIN), *args],
        cwd=tmp_path,
        env=env if env is not None else clean_env(tmp_path),
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    tmp_path: Path, port: int, *, log_file: Path | None = None, **extra_env: str
) -> subprocess.Popen[bytes]:
    """`designer-bff serve` on loopback, once /health answers 200. Its output goes to a pipe
    (read by stop_server) or, for chatty servers, to `log_file`."""
    out = log_file.open("wb") if log_file is not None else subprocess.PIPE
    proc = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(tmp_path, **extra_env),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            if log_file is not None:
                raise AssertionError(log_file.read_text())
            raise AssertionError(proc.stdout.read().decode() if proc.stdout else "exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not become healthy in 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    return out.decode()


def test_production_without_strong_secret_refuses_to_start(tmp_path: Path):
    for extra in (
        {},
        {"JWT_SECRET": "too-short"},
        {"JWT_SECRET": "x" * 48},
    ):  # strong secret but SQLite
        result = run_cli(
            tmp_path,
            "serve",
            "--port",
            str(free_port()),
            env=clean_env(tmp_path, APP_ENV="production", **extra),
        )
        assert result.returncode != 0
        assert "APP_ENV=production refuses to start" in result.stderr
    assert not (tmp_path / "var" / "jwt_secret").exists()


def test_restart_keeps_users_and_tokens(tmp_path: Path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(tmp_path, port, LOG_LEVEL="INFO")
    try:
        reg = httpx.post(
            f"{base}/api/auth/register",
            json={"email": "test@example.com", "password": "password123", "name": "Test User"},
        )
        assert reg.status_code == 201
        token = reg.json()["token"]
    finally:
        first_log = stop_server(proc)
    assert "Applying migrations" in first_log
    assert proc.returncode == 0
    # One format: every line the server wrote is a JSON log record.
    lines = [line for line in first_log.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["event"] for line in lines), first_log

    proc = start_server(tmp_path, port, LOG_LEVEL="INFO")
    try:
        me = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == "test@example.com"
        login = httpx.post(
            f"{base}/api/auth/login", json={"email": "test@example.com", "password": "password123"}
        )
        assert login.status_code == 200
    finally:
        second_log = stop_server(proc)
    assert "up to date" in second_log
    assert "password123" not in first_log + second_log
    assert token not in first_log + second_log


def test_db_commands_and_users_create(tmp_path: Path):
    cur = run_cli(tmp_path, "db", "current")
    assert "none (empty database)" in cur.stdout
    up = run_cli(tmp_path, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    cur = run_cli(tmp_path, "db", "current")
    assert "pending" not in cur.stdout
    head = cur.stdout.split("head:")[1].strip()
    assert f"current: {head}" in cur.stdout

    password_twice = "s3cret-pass\ns3cret-pass\n"
    made = run_cli(tmp_path, "users", "create", "Boss@Example.com", "--admin", input=password_twice)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Created admin boss@example.com" in made.stdout
    dup = run_cli(tmp_path, "users", "create", "boss@example.com", input=password_twice)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    weak = run_cli(tmp_path, "users", "create", "new@example.com", input="short\nshort\n")
    assert weak.returncode == 1 and "at least 8" in weak.stderr


@pytest.mark.parametrize("role", ["worker", "scheduler"])
def test_background_roles_need_redis(tmp_path: Path, role: str):
    result = run_cli(tmp_path, "serve", "--role", role)
    assert result.returncode == 2
    assert "needs REDIS_URL" in result.stderr


@pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL")),
    reason="worker and scheduler roles run beside an API over Redis",
)
@pytest.mark.parametrize("role", ["worker", "scheduler"])
def test_background_roles_start_and_stop_cleanly(tmp_path: Path, role: str):
    import asyncio
    import uuid

    from tests.conftest import create_pg_database, delete_redis_prefix, drop_pg_database

    name, url = asyncio.run(create_pg_database())
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    env = clean_env(
        tmp_path,
        DATABASE_URL=url,
        REDIS_URL=os.environ["REDIS_URL"],
        REDIS_PREFIX=prefix,
        SPEECH_PROVIDER="none",
        LOG_LEVEL="INFO",  # "<role> ready" is an INFO record of the server log
    )
    proc = subprocess.Popen(
        [str(BIN), "serve", "--role", role],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:  # blocks until the role says it is ready (or exits)
            seen.append(line.decode())
            if f"{role} ready" in seen[-1]:
                break
        assert proc.poll() is None, "".join(seen)
        out = "".join(seen) + stop_server(proc)
        assert proc.returncode == 0, out
        assert f"role={role}" in out
    finally:
        if proc.poll() is None:
            proc.kill()
        asyncio.run(drop_pg_database(name))
        asyncio.run(delete_redis_prefix(prefix))


def test_portfolio_import_stores_analyses_and_skips_what_it_has(tmp_path: Path):
    import sqlite3

    from tests.portfolio.images import BURGUNDY, NAVY, WHITE, dress, zip_of

    made = run_cli(
        tmp_path, "users", "create", "ada@example.com", input="s3cret-pass\ns3cret-pass\n"
    )
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "work"
    (folder / "2025").mkdir(parents=True)
    (folder / "navy.png").write_bytes(dress(NAVY, WHITE, variant=1))
    (folder / "2025" / "burgundy.jpg").write_bytes(dress(BURGUNDY, variant=2, fmt="JPEG"))
    (folder / "old.zip").write_bytes(zip_of({"a/navy2.png": dress(NAVY, variant=3)}))
    (folder / "notes.txt").write_text("not a picture")
    (folder / ".DS_Store").write_bytes(b"\0\0junk")

    out = run_cli(tmp_path, "portfolio", "import", str(folder), "--user", "Ada@example.com")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Imported 3 image(s), skipped 0 already in the portfolio, 1 unusable" in out.stderr
    assert "analysed 3, failed 0" in out.stderr
    assert "Analysing" in out.stderr  # the progress bar

    again = run_cli(
        tmp_path, "portfolio", "import", str(folder / "navy.png"), "--user", "ada@example.com"
    )
    assert again.returncode == 0, again.stderr
    assert "Imported 0 image(s), skipped 1 already" in again.stderr

    db = sqlite3.connect(tmp_path / "var" / "designer_bff.db")
    try:
        kinds = db.execute("SELECT type, COUNT(*) FROM images GROUP BY type").fetchall()
        (count,) = db.execute("SELECT source_image_count FROM style_profiles").fetchone()
        statuses = db.execute("SELECT status FROM vlt_specifications").fetchall()
    finally:
        db.close()
    assert kinds == [("portfolio", 3)] and count == 3
    assert sorted(s for (s,) in statuses) == ["done"] * 3

    nobody = run_cli(tmp_path, "portfolio", "import", str(folder), "--user", "who@example.com")
    assert nobody.returncode == 1 and "no user with email" in nobody.stderr
