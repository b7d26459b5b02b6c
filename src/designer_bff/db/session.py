"""Async engine and sessions for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

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


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        secure_sqlite_file(url)
        # One writer at a time on SQLite: wait for the lock instead of failing at once.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20)
        # asyncpg prepares every statement; after five runs PostgreSQL may switch to a
        # generic plan that ignores the actual user id, which measured 10-30x slower for
        # the gallery's per-user filters (bench/gallery.py). Plan each execution instead.
        kwargs["connect_args"] = {"server_settings": {"plan_cache_mode": "force_custom_plan"}}
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
