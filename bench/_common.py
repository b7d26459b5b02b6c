"""Helpers the benchmarks share: starting and stopping the real service, percentiles,
CPU time."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "designer-bff"

# Inherited values that would point the service somewhere other than where we put it.
SCRUB_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_PREFIX",
    "JWT_SECRET",
    "APP_ENV",
    "DATA_DIR",
    "MEDIA_DIR",
    "R2_ENDPOINT",
    "R2_BUCKET_NAME",
    "PORT",
    "HOST",
}


def service_env(data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """Environment for a benchmarked `designer-bff serve`: this machine's, minus anything
    that would redirect it, plus a private data folder and quiet logs."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SCRUB_ENV}
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            "APP_ENV": "development",
            "JWT_SECRET": secrets.token_urlsafe(48),
            # The speech model is not on these paths; loading it at start only adds noise.
            "SPEECH_PROVIDER": "none",
        }
    )
    env.update(extra)
    return env


class BenchError(Exception):
    """The bench cannot go on: a real failure, not a missed target."""


@dataclass
class Proc:
    """A process the bench started, in a process group of its own, output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_serve(name: str, args: list[str], env: dict[str, str], workdir: Path) -> Proc:
    """`designer-bff serve ARGS`, its output in `workdir/NAME.log`."""
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            [str(BIN), "serve", *args],
            cwd=workdir,  # no stray .env from the caller's folder
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we stop all of it, only it
        )
    return Proc(name, popen, log_path)


def serve_on_free_port(
    name: str, role: str, env: dict[str, str], workdir: Path, extra: list[str] | None = None
) -> tuple[Proc, str]:
    """`designer-bff serve --role ROLE` on a free loopback port: the process, its base URL."""
    port = free_port()
    args = ["--role", role, "--host", "127.0.0.1", "--port", str(port), *(extra or [])]
    return start_serve(name, args, env, workdir), f"http://127.0.0.1:{port}"


def stop_proc(proc: Proc, timeout_s: float = 15.0) -> None:
    """SIGTERM, a bounded wait, then SIGKILL: never leaves the process behind."""
    p = proc.popen
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            print(f"  ({proc.name} ignored SIGTERM for {timeout_s:.0f} s: SIGKILL)")
    # Whatever is left in its group (children) goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        p.wait(timeout=5)


async def wait_healthy(
    proc: Proc, base: str, within_s: float, healthy: tuple[int, ...] = (200,)
) -> None:
    """Until GET /health answers one of `healthy`; BenchError if the process exits first."""
    deadline = time.monotonic() + within_s
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise BenchError(
                    f"{proc.name} exited ({proc.popen.returncode}):\n{proc.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/health")).status_code in healthy:
                    return
            await asyncio.sleep(0.2)
    raise BenchError(f"{proc.name} not healthy after {within_s:.0f} s:\n{proc.log_tail()}")


def pg_urls(server: str, name: str) -> tuple[str, str]:
    """(asyncpg DSN of the server's maintenance database, asyncpg DSN of database `name`)."""
    from sqlalchemy.engine import make_url  # only the PostgreSQL benches need it

    url = make_url(server).set(drivername="postgresql")
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    target = url.set(database=name).render_as_string(hide_password=False)
    return admin, target


async def pg_admin(admin_dsn: str, sql: str, timeout_s: float = 30.0) -> None:
    """One statement on the maintenance database (CREATE, DROP, COMMENT ON DATABASE)."""
    import asyncpg  # only the PostgreSQL benches need it

    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        await conn.execute(sql, timeout=timeout_s)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def group_pids(leader: int) -> list[int]:
    """The processes of a process group (a server started with start_new_session and the
    workers it forked); Linux /proc, empty elsewhere."""
    pids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(leader):
            pids.append(int(entry.name))
    return pids


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
