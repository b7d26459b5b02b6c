"""A private PostgreSQL and a private Redis for fault tests: real server processes on
free loopback ports and in throw-away folders, so that stopping, killing and restarting
them disturbs nobody else on the machine (the shared 5432/6379 are never touched).

PostgreSQL's `initdb` refuses to run as root: as root (CI) every PostgreSQL command runs
as the `postgres` user through `runuser`, in a folder that user owns."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.generation.procs import free_port


def _version(path: str) -> int:
    """15 for /usr/lib/postgresql/15/bin/initdb."""
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _newest(pattern: str) -> str | None:
    found = sorted(glob.glob(pattern), key=_version)
    return found[-1] if found else None


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, else
    wherever PATH has them."""
    initdb = _newest("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb")
    if initdb is None:
        return None
    folder = Path(initdb).parent
    return folder if (folder / "pg_ctl").exists() else None


def missing_tools() -> list[str]:
    """What a fault test needs and this machine lacks."""
    missing = []
    if postgres_bin() is None:
        missing.append("initdb/pg_ctl (PostgreSQL server)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (initdb refuses root)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PrivatePostgres:
    """One PostgreSQL cluster of our own: `start`, `stop(mode)` and `start` again keep
    the same data and port, like an operator's restart."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dbff-pg-")))
    bin: Path = field(default_factory=lambda: postgres_bin() or Path("/nonexistent"))

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            _as_postgres([str(self.bin / args[0]), *args[1:]]),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}"
                f"\n{self.log_tail()}"
            )

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        # --no-sync: a test cluster need not survive the machine's power cut.
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            # Five processes' pools (and the test's own connections) fit.
            "-c max_connections=300 -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log_path),
            "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends sessions and shuts down cleanly; `immediate` is a crash (recovery
        replays the WAL at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        done = subprocess.run(
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            timeout=10,
            check=False,
        )
        return done.returncode == 0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except (FileNotFoundError, PermissionError):
            return ""

    def close(self) -> None:
        try:
            if self.data.exists() and self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class PrivateRedis:
    """One redis-server of our own, without persistence: a restart loses every key, the
    harshest restart there is (streams, consumer groups and rate-limit counters gone)."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dbff-redis-")))
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, within: float = 15.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        log = (self.folder / f"redis-{self.starts}.log").open("wb")
        try:
            self.proc = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.folder),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        finally:
            log.close()  # the child has its own copy
        deadline = time.monotonic() + within
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server not answering after {within}s")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: Redis closes every connection and exits (nothing saved)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
