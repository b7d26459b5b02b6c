"""Async engine and sessions for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# The database holds password hashes and session data: owner-only, like var/jwt_secret.
SQLITE_FILE_MODE = 0o600
# Files SQLite keeps beside the database (it gives them the database file's mode).
_SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")
# PostgreSQL: seconds to open a connection, and to wait for a free one from the pool.
CONNECT_TIMEOUT_S = 5.0
POOL_TIMEOUT_S = 10.0


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory ones."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def secure_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 before SQLite would create it under the umask (0644
    as a rule), and tighten an existing one and its -wal/-shm/-journal files."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    for suffix in _SQLITE_SIDECARS:
        with contextlib.suppress(FileNotFoundError):
            file = path.with_name(path.name + suffix)
            if file.stat().st_mode & 0o777 != SQLITE_FILE_MODE:
                os.chmod(file, SQLITE_FILE_MODE)


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 20, max_overflow: int = 20
) -> AsyncEngine:
    # No pool_pre_ping: it cost a round trip on every checkout (every request). A
    # connection PostgreSQL dropped (a restart) fails its next statement instead, and
    # SQLAlchemy then discards every connection of the pool made before it, so one request
    # per process sees the error (503 database_unavailable) and the next ones reconnect.
    # JSON columns decoded by pydantic-core (Rust): a gallery page decodes 100 of them.
    kwargs: dict[str, Any] = {"echo": echo, "json_deserializer": from_json}
    if url.startswith("sqlite"):
        secure_sqlite_file(url)
        # One writer at a time on SQLite: wait for the lock instead of failing at once.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # Connections above pool_size are opened and closed per checkout (a TCP and
        # authentication round trip each): size the pool for the concurrency expected.
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        # Bounded waits, so that a request answers 503 database_unavailable instead of
        # hanging while PostgreSQL is away: a connection attempt (asyncpg's default is
        # 60 s) and a wait for a free pooled connection (SQLAlchemy's default is 30 s).
        kwargs["pool_timeout"] = POOL_TIMEOUT_S
        kwargs["connect_args"] = {
            "timeout": CONNECT_TIMEOUT_S,
            # asyncpg prepares every statement; after five runs PostgreSQL may switch to a
            # generic plan that ignores the actual user id, which measured 10-30x slower
            # for the gallery's per-user filters (bench/gallery.py). Plan each execution.
            "server_settings": {"plan_cache_mode": "force_custom_plan"},
        }
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        # WAL lets readers proceed while a writer commits; FKs are off by default in SQLite.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
