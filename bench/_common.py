"""Helpers the benchmarks share: starting the real service, percentiles, CPU time."""

from __future__ import annotations

import math
import os
import secrets
import socket
import sys
from pathlib import Path

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


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
