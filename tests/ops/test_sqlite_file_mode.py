"""The embedded SQLite database is owner-only (0600), like var/jwt_secret."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.ops.test_cli import BIN, clean_env

DB_FILES = ("designer_bff.db", "designer_bff.db-wal", "designer_bff.db-shm")


def modes(folder: Path) -> dict[str, int]:
    return {
        name: stat.S_IMODE((folder / name).stat().st_mode)
        for name in DB_FILES
        if (folder / name).exists()
    }


def umask_022() -> None:
    # The usual umask, which would make a new file 0644; the test must not rely on a strict one.
    os.umask(0o022)


def run_umask_022(
    tmp_path: Path, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=umask_022,
    )


def test_db_upgrade_creates_an_owner_only_file(tmp_path: Path):
    result = run_umask_022(tmp_path, str(BIN), "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = modes(tmp_path / "var")
    assert "designer_bff.db" in found
    assert found == dict.fromkeys(found, 0o600)


def test_engine_creates_owner_only_files_including_wal_and_shm(tmp_path: Path):
    # A fresh file through the app's engine, written to in WAL mode (so -wal and -shm
    # exist while the connection is open), and an existing 0644 file tightened.
    code = """
import asyncio, os, stat, sys
from pathlib import Path
from sqlalchemy import text
from designer_bff.db.session import create_engine

folder = Path(sys.argv[1])
folder.mkdir()

async def main() -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'designer_bff.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))
    async with engine.connect() as conn:
        await conn.execute(text("SELECT * FROM t"))
        names = ("designer_bff.db", "designer_bff.db-wal", "designer_bff.db-shm")
        for name in names:
            print(name, oct(stat.S_IMODE((folder / name).stat().st_mode)))
    await engine.dispose()

    old = folder / "old.db"
    old.touch(mode=0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{old}")
    await engine.dispose()
    print("old.db", oct(stat.S_IMODE(old.stat().st_mode)))

asyncio.run(main())
"""
    result = run_umask_022(tmp_path, sys.executable, "-c", code, str(tmp_path / "fresh"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "designer_bff.db",
        "0o600",
        "designer_bff.db-wal",
        "0o600",
        "designer_bff.db-shm",
        "0o600",
        "old.db",
        "0o600",
    ]
