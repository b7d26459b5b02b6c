"""The pieces a backup relies on: finding pg_dump / pg_restore, handing them the
connection without the password on a command line, and a manifest that cannot point
outside its folder."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from designer_bff.backup.manifest import (
    Manifest,
    ManifestError,
    ObjectEntry,
    object_path,
    read_manifest,
)
from designer_bff.backup.service import (
    BackupError,
    create_backup,
    find_pg_tool,
    libpq_env,
    tool_major,
)
from designer_bff.db import migrate
from designer_bff.storage import InvalidKey
from tests.conftest import make_settings
from tests.generation.procs import free_port
from tests.storage.conftest import make_s3_store


def test_libpq_env_carries_the_connection_and_the_password_privately() -> None:
    env, dbname = libpq_env("postgresql+asyncpg://app:s3cr%40t@db.internal:6543/designs?ssl=true")
    assert dbname == "designs"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.internal", "6543", "app")
    assert env["PGPASSWORD"] == "s3cr@t"
    assert env["PGSSLMODE"] == "require"
    env, _ = libpq_env("postgresql+asyncpg://app@/designs?host=/run/postgresql&sslmode=disable")
    assert env["PGHOST"] == "/run/postgresql" and env["PGSSLMODE"] == "disable"
    with pytest.raises(BackupError, match="no database"):
        libpq_env("postgresql+asyncpg://app@db.internal:5432")


def _installed_pg_dump() -> Path:
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin/pg_dump") if p.is_file()]
    which = shutil.which("pg_dump")
    if not found and not which:
        pytest.skip("no PostgreSQL client tools installed")
    return found[0] if found else Path(str(which))


def test_pg_tools_are_found_by_version(tmp_path: Path) -> None:
    pg_dump = _installed_pg_dump()
    major = tool_major(pg_dump)
    assert major is not None and major >= 10
    # BACKUP_PG_BIN_DIR wins, and is the only place looked in when set.
    assert find_pg_tool("pg_dump", major, pg_dump.parent) == str(pg_dump)
    with pytest.raises(BackupError, match="BACKUP_PG_BIN_DIR"):
        find_pg_tool("pg_dump", major, tmp_path)
    # pg_dump refuses servers newer than itself: so does the search, naming what it found.
    too_new = rf"PostgreSQL {major + 1} or newer.*found: .*\({major}\)"
    with pytest.raises(BackupError, match=too_new):
        find_pg_tool("pg_dump", major + 1, None)
    assert tool_major(pg_dump) == tool_major(Path(find_pg_tool("pg_dump", major, None)))


def test_an_index_entry_cannot_leave_the_backup_folder(tmp_path: Path) -> None:
    sha = "0" * 64
    for key in ("../../etc/passwd", "/etc/passwd", "a/../../b", ".hidden/x", ""):
        line = json.dumps({"key": key, "size": 1, "sha256": sha})
        with pytest.raises(ManifestError):
            ObjectEntry.from_line(line)
        with pytest.raises(InvalidKey):
            object_path(tmp_path, key)
    negative = json.dumps({"key": "a.png", "size": -1, "sha256": sha})
    for bad in (negative, '{"key": "a.png"}', "[]"):
        with pytest.raises(ManifestError):
            ObjectEntry.from_line(bad)
    entry = ObjectEntry("u1/2026-03-10/thumb/a.webp", 12, sha)
    assert ObjectEntry.from_line(entry.to_line()) == entry


def test_a_manifest_is_read_only_when_it_is_one(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="incomplete"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(ManifestError, match="not a designer-bff backup"):
        read_manifest(tmp_path)
    good = {
        "format": "designer-bff-backup",
        "format_version": 1,
        "app_version": "0.1.0",
        "started_at": "2026-03-10T03:30:00+00:00",
        "completed_at": "2026-03-10T03:31:00+00:00",
        "database": {
            "backend": "sqlite",
            "file": "database.sqlite3",
            "size": 1,
            "sha256": "0" * 64,
            "revision": "0004",
            "tables": {"users": 2},
        },
        "objects": {
            "store": "local",
            "count": 0,
            "bytes": 0,
            "index": "objects.jsonl",
            "index_size": 0,
            "index_sha256": "0" * 64,
        },
    }
    manifest = Manifest.from_json(json.dumps(good))
    assert manifest.rows == 2 and Manifest.from_json(manifest.to_json()) == manifest
    escaping = json.loads(json.dumps(good))
    escaping["database"]["file"] = "../../var/designer_bff.db"
    with pytest.raises(ManifestError, match="outside the backup"):
        Manifest.from_json(json.dumps(escaping))
    newer = {**good, "format_version": 2}
    with pytest.raises(ManifestError, match="format version 2"):
        Manifest.from_json(json.dumps(newer))


async def test_a_failed_backup_leaves_its_folder_empty(tmp_path: Path) -> None:
    """The database is copied, then the store cannot be listed (nothing listens at its
    endpoint): what was written is removed, so the folder is ready for another try."""
    settings = make_settings(tmp_path / "data")
    await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
    store = make_s3_store(f"http://127.0.0.1:{free_port()}", "nowhere")
    target = tmp_path / "backup"
    try:
        with pytest.raises(BackupError, match="object store"):
            await create_backup(settings, store, target)
    finally:
        await store.aclose()
    assert target.is_dir() and list(target.iterdir()) == []
