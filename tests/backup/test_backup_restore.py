"""Backups of a real deployment (SQLite or PostgreSQL; a local folder or an S3 bucket):
made with the CLI while the service runs, restored into a fresh database and store, and
served again. Every row and every object must come back identical."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from designer_bff.app import create_app
from designer_bff.backup.manifest import MANIFEST, read_manifest
from designer_bff.backup.service import (
    BackupError,
    create_backup,
    restore_backup,
    store_from_settings,
    verify_backup,
)
from designer_bff.db import migrate
from designer_bff.services import build_services
from tests.backup.helpers import (
    Deployment,
    World,
    acli,
    all_rows,
    fetch_file,
    gallery_ids,
    new_deployment,
    object_sums,
    populate,
)
from tests.conftest import PG_URL, register_user, running, say, wait_until

COMBOS = [
    pytest.param(("embedded", "local"), id="embedded-local"),
    pytest.param(("embedded", "s3"), id="embedded-s3"),
    pytest.param(
        ("postgres", "s3"),
        id="postgres-s3",
        marks=pytest.mark.skipif(not PG_URL, reason="DATABASE_URL not set"),
    ),
]

# Tables the world must have filled (the round trip proves nothing on empty tables).
FILLED = (
    "users",
    "refresh_sessions",
    "generation_jobs",
    "images",
    "image_feedback",
    "collections",
    "collection_images",
    "voice_commands",
)


@dataclass
class Source:
    """A populated deployment and the backup made of it while it ran."""

    deployment: Deployment
    world: World
    backup: Path
    rows: dict[str, list[tuple[Any, ...]]]
    objects: dict[str, str]
    folder: Path
    database: str
    store: str
    s3_endpoint: str | None

    async def fresh(self, *, migrated: bool = False) -> Deployment:
        return await new_deployment(
            self.folder, self.database, self.store, self.s3_endpoint, migrated=migrated
        )


@pytest.fixture(scope="module", params=COMBOS)
async def source(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Source]:
    database, store = request.param
    endpoint = request.getfixturevalue("s3_endpoint") if store == "s3" else None
    folder = tmp_path_factory.mktemp(f"backup-{database}-{store}")
    deployment = await new_deployment(folder, database, store, endpoint, migrated=True)
    backup = folder / "backup"
    try:
        world = await populate(deployment, backup_to=backup)
        rows = await all_rows(deployment.settings)
        objects = await object_sums(deployment.settings)
        yield Source(deployment, world, backup, rows, objects, folder, database, store, endpoint)
    finally:
        await deployment.close()


def _assert_same_rows(
    got: dict[str, list[tuple[Any, ...]]], expected: dict[str, list[tuple[Any, ...]]]
) -> None:
    assert sorted(got) == sorted(expected)
    for table, rows in expected.items():
        assert got[table] == rows, f"table {table} differs after the restore"


async def test_backup_holds_every_row_and_object(source: Source) -> None:
    manifest = read_manifest(source.backup)
    assert manifest.database.tables == {t: len(r) for t, r in source.rows.items()}
    for table in FILLED:
        assert source.rows[table], f"the world left {table} empty"
    assert len(source.rows["images"]) == 12
    assert manifest.database.revision == migrate.head_revision(
        source.deployment.settings.sqlalchemy_url
    )
    # Every design's original, preview and thumbnail (at least), each with its checksum.
    assert len(source.objects) >= 3 * 12
    assert manifest.objects.count == len(source.objects)
    assert manifest.objects.bytes == sum(
        p.stat().st_size for p in (source.backup / "objects").rglob("*") if p.is_file()
    )
    lines = (source.backup / "objects.jsonl").read_text().splitlines()
    listed = {entry["key"]: entry["sha256"] for entry in map(json.loads, lines)}
    assert listed == source.objects
    assert manifest.objects.vanished == []
    # Owner-only: the backup holds password hashes.
    assert source.backup.stat().st_mode & 0o777 == 0o700
    assert (source.backup / MANIFEST).stat().st_mode & 0o777 == 0o600


async def test_restore_into_a_fresh_deployment_serves_everything(source: Source) -> None:
    target = await source.fresh()
    try:
        result = await acli(target, "backup", "restore", str(source.backup))
        assert result.returncode == 0, result.stderr
        assert "Restored from" in result.stderr
        current = await acli(target, "db", "current")
        head = migrate.head_revision(target.settings.sqlalchemy_url)
        assert f"current: {head}" in current.stdout and "pending" not in current.stdout

        _assert_same_rows(await all_rows(target.settings), source.rows)
        assert await object_sums(target.settings) == source.objects

        await _serves_the_world(target, source.world)
    finally:
        await target.close()


async def _serves_the_world(target: Deployment, world: World) -> None:
    """The restored service: old passwords log in, galleries list the same designs, the
    files download with the same bytes, the share link opens."""
    services = build_services(target.settings)
    try:
        async with running(create_app(services=services)) as client:
            for user in world.users:
                resp = await client.post(
                    "/api/auth/login", json={"email": user.email, "password": user.password}
                )
                assert resp.status_code == 200, resp.text
                user.access_token = resp.json()["access_token"]
                assert await gallery_ids(client, user) == world.designs[user.id]
            for user in world.users[:2]:
                image_id = world.designs[user.id][0]
                data = await fetch_file(
                    client, f"/api/images/{image_id}/file?variant=thumb", user.headers
                )
                assert hashlib.sha256(data).hexdigest() == world.thumb_sha256[image_id]
                assert data[8:12] == b"WEBP"

            client.cookies.clear()
            shared = await client.get(f"/api/shared/{world.share_token}")
            assert shared.status_code == 200, shared.text
            page = shared.json()
            assert page["name"] == "For the buyer"
            assert [i["id"] for i in page["items"]] == world.shared_ids
            first = page["items"][0]
            data = await fetch_file(client, first["urls"]["thumb"], {})
            assert hashlib.sha256(data).hexdigest() == world.thumb_sha256[first["id"]]
    finally:
        await services.close()


async def test_restore_into_a_migrated_empty_deployment(source: Source) -> None:
    """A target the service has already started on (tables made, no rows) is empty too."""
    target = await source.fresh(migrated=True)
    try:
        store = store_from_settings(target.settings)
        try:
            await restore_backup(target.settings, store, source.backup)
        finally:
            await store.aclose()
        _assert_same_rows(await all_rows(target.settings), source.rows)
        assert await object_sums(target.settings) == source.objects
    finally:
        await target.close()


async def test_a_backup_taken_under_writes_is_one_consistent_snapshot(
    source: Source, tmp_path: Path
) -> None:
    """Commands keep being recorded while the backup runs: the backup holds the rows of
    one instant (its manifest's counts are exactly what restores), never a mix."""
    live = await source.fresh(migrated=True)
    target = await source.fresh()
    services = build_services(live.settings)
    stop = asyncio.Event()
    written = 0

    async def keep_writing(client: Any, user: Any) -> None:
        nonlocal written
        while not stop.is_set():
            await say(client, user, "how much did I spend this month?")
            written += 1

    try:
        async with running(create_app(services=services)) as client:
            user = await register_user(client, "writer")
            writer = asyncio.create_task(keep_writing(client, user))
            await wait_until(lambda: written >= 3, "3 writes", within=30)
            manifest = await create_backup(live.settings, services.storage, tmp_path / "b")
            after = written
            await wait_until(
                lambda: written >= after + 3, "writes after the snapshot", within=30
            )  # writes go on after the snapshot
            stop.set()
            await writer
        recorded = manifest.database.tables["voice_commands"]
        assert 3 <= recorded < written
        store = store_from_settings(target.settings)
        try:  # restore_backup also checks every table's count against the manifest
            await restore_backup(target.settings, store, tmp_path / "b")
        finally:
            await store.aclose()
        restored = await all_rows(target.settings)
        assert len(restored["voice_commands"]) == recorded
        assert {t: len(r) for t, r in restored.items()} == manifest.database.tables
    finally:
        stop.set()
        await services.close()
        await live.close()
        await target.close()


def _flip_byte(path: Path, at: int = 20) -> None:
    data = bytearray(path.read_bytes())
    data[at % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


async def test_verify_names_corrupted_files(source: Source, tmp_path: Path) -> None:
    manifest, problems = await asyncio.to_thread(verify_backup, source.backup)
    assert problems == [] and manifest.objects.count == len(source.objects)

    copy = tmp_path / "copy"
    shutil.copytree(source.backup, copy)
    key = sorted(source.objects)[3]
    _flip_byte(copy / "objects" / key)
    database_file = read_manifest(copy).database.file
    _flip_byte(copy / database_file, at=5000)
    gone = sorted(source.objects)[5]
    (copy / "objects" / gone).unlink()
    (copy / "objects" / "stray.webp").write_bytes(b"not from the store")

    bad = await acli(source.deployment, "backup", "verify", str(copy))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    named = bad.stdout.splitlines()
    assert f"objects/{key}: sha256 differs from the manifest" in named
    assert f"{database_file}: sha256 differs from the manifest" in named
    assert f"objects/{gone}: missing" in named
    assert "objects/stray.webp: not in the manifest" in named
    assert len(named) == 4

    (copy / MANIFEST).unlink()  # what a backup that crashed leaves
    with pytest.raises(BackupError, match=r"no manifest.json.*incomplete"):
        verify_backup(copy)


async def test_restore_refuses_what_is_not_empty_or_not_intact(
    source: Source, tmp_path: Path
) -> None:
    # The source itself: a database with designers in it (and a store with their files).
    own = store_from_settings(source.deployment.settings)
    try:
        with pytest.raises(BackupError, match=r"target database is not empty: .*users \(3 rows\)"):
            await restore_backup(source.deployment.settings, own, source.backup)
    finally:
        await own.aclose()
    _assert_same_rows(await all_rows(source.deployment.settings), source.rows)

    target = await source.fresh()
    store = store_from_settings(target.settings)
    try:
        # An empty database, but a store that holds something.
        await store.put("someone/else.png", b"x", "image/png")
        with pytest.raises(BackupError, match="object store is not empty"):
            await restore_backup(target.settings, store, source.backup)
        await store.delete("someone/else.png")

        # A damaged backup: refused before anything is written.
        damaged = tmp_path / "damaged"
        shutil.copytree(source.backup, damaged)
        key = sorted(source.objects)[0]
        _flip_byte(damaged / "objects" / key)
        with pytest.raises(BackupError, match=f"damaged.*objects/{key}: sha256"):
            await restore_backup(target.settings, store, damaged)
        assert not any(rows for rows in (await all_rows(target.settings)).values())
        assert await object_sums(target.settings) == {}

        # No manifest: not a backup (or an incomplete one).
        (damaged / MANIFEST).unlink()
        with pytest.raises(BackupError, match="incomplete"):
            await restore_backup(target.settings, store, damaged)
    finally:
        await store.aclose()
        await target.close()


async def test_create_refuses_a_folder_that_is_not_empty(source: Source, tmp_path: Path) -> None:
    folder = tmp_path / "occupied"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    store = store_from_settings(source.deployment.settings)
    try:
        with pytest.raises(BackupError, match="is not empty: a backup goes into a new or empty"):
            await create_backup(source.deployment.settings, store, folder)
    finally:
        await store.aclose()
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "keep me"
