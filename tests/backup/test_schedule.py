"""The daily backup: when it runs, what it keeps, exactly once beside another scheduler,
and wired into `designer-bff serve`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from structlog.testing import capture_logs

from designer_bff.backup.manifest import MANIFEST
from designer_bff.backup.schedule import (
    BackupScheduler,
    due_day,
    expired,
    next_run,
    parse_time,
    stale_staging,
)
from designer_bff.backup.service import store_from_settings, verify_backup
from designer_bff.config import Settings
from designer_bff.db import migrate
from designer_bff.storage import ObjectStore
from tests.conftest import REDIS_URL, delete_redis_prefix, make_settings
from tests.generation.procs import Processes, service_env


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


AT = day_time(3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "due", "following"),
    [
        ("2026-03-10T03:29:59", "2026-03-09", "2026-03-10T03:30:00"),
        ("2026-03-10T03:30:00", "2026-03-10", "2026-03-11T03:30:00"),
        ("2026-03-10T23:59:00", "2026-03-10", "2026-03-11T03:30:00"),
        ("2026-03-11T00:00:00", "2026-03-10", "2026-03-11T03:30:00"),
        # Across a month, a year and a leap day.
        ("2026-12-31T12:00:00", "2026-12-31", "2027-01-01T03:30:00"),
        ("2028-02-29T01:00:00", "2028-02-28", "2028-02-29T03:30:00"),
    ],
)
def test_due_day_and_next_run(now: str, due: str, following: str) -> None:
    assert due_day(_utc(now), AT) == date.fromisoformat(due)
    assert next_run(_utc(now), AT) == _utc(following)


def test_next_run_from_another_zone_is_the_same_instant() -> None:
    paris = datetime.fromisoformat("2026-03-10T04:00:00+01:00")  # 03:00 UTC
    assert next_run(paris, AT) == _utc("2026-03-10T03:30:00")
    assert due_day(paris, AT) == date(2026, 3, 9)


def test_backup_time_is_hh_mm(tmp_path: Path) -> None:
    assert parse_time("00:00") == day_time(0, 0, tzinfo=UTC)
    assert parse_time("23:59") == day_time(23, 59, tzinfo=UTC)
    for bad in ("24:00", "3:30", "03:60", "0330", "03:30:00", "", "ab:cd"):
        with pytest.raises(ValueError):
            parse_time(bad)
        with pytest.raises(ValidationError, match="BACKUP_TIME"):
            make_settings(tmp_path, backup_time=bad)
    settings = make_settings(tmp_path, backup_dir="", backup_pg_bin_dir="")
    assert settings.backup_dir is None and settings.backup_pg_bin_dir is None
    assert settings.backup_time == "03:30" and settings.backup_retention == 7
    with pytest.raises(ValidationError):
        make_settings(tmp_path, backup_retention=0)


def test_retention_keeps_the_last_days_and_nothing_else_is_touched() -> None:
    names = [
        "2026-03-01",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
        "2026-03-10",
        "2026-03-11",  # a day ahead (a clock that was wrong): kept
        "2026-02-30",  # not a date
        "notes",
        "2026-3-01",
        ".incomplete-2026-03-10-abcd",
        ".lock",
    ]
    assert expired(names, date(2026, 3, 10), 7) == ["2026-03-01", "2026-03-03"]
    assert expired(names, date(2026, 3, 10), 1) == [
        "2026-03-01",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
    ]
    assert stale_staging(names) == [".incomplete-2026-03-10-abcd"]


# -- the scheduler against a real (embedded) deployment ---------------------------------


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[tuple[Settings, ObjectStore]]:
    settings = make_settings(
        tmp_path / "data",
        backup_dir=tmp_path / "backups",
        backup_time="03:30",
        backup_retention=3,
    )
    await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
    store = store_from_settings(settings)
    await store.put("u1/2026-03-10/thumb/a.webp", b"RIFF....WEBP", "image/webp")
    try:
        yield settings, store
    finally:
        await store.aclose()


def _old_backups(folder: Path, *days: str) -> None:
    for day in days:
        (folder / day).mkdir(parents=True)
        (folder / day / MANIFEST).write_text("{}")


def _manifests(folder: Path, pattern: str) -> list[Path]:
    return list(folder.glob(f"{pattern}/{MANIFEST}"))


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != ".lock")


CLAIMS = [
    "local",
    pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set")),
]


@pytest.mark.parametrize("claim", CLAIMS)
async def test_two_schedulers_back_up_once_a_day_and_prune_after_it_verified(
    deployment: tuple[Settings, ObjectStore], claim: str
) -> None:
    settings, store = deployment
    folder = settings.backup_dir
    assert folder is not None
    _old_backups(folder, "2026-03-01", "2026-03-07", "2026-03-08", "2026-03-09")
    (folder / ".incomplete-2026-03-09-dead").mkdir()  # a backup killed half-way
    (folder / "notes").mkdir()

    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    redis = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)] if claim == "redis" else []
    if redis:
        settings = settings.model_copy(update={"redis_prefix": prefix})
    now = _utc("2026-03-10T04:00:00")
    schedulers = [
        BackupScheduler(settings, store, redis[i] if redis else None, clock=lambda: now)
        for i in range(2)
    ]
    try:
        with capture_logs() as logs:
            made = await asyncio.gather(*(s.run_if_due() for s in schedulers))
        # Made once, not made twice with the second copy failing to take the folder.
        events = [e["event"] for e in logs]
        assert events.count("backup_completed") == 1 and "backup_failed" not in events, logs
        # One made it; the other found the day claimed, or already done.
        assert sorted(map(str, made)) == sorted([str(folder / "2026-03-10"), "None"])
        _, problems = verify_backup(folder / "2026-03-10")
        assert problems == []
        # Retention 3 days: 03-08, 03-09 and the new one; the rest of the folder untouched.
        assert _names(folder) == ["2026-03-08", "2026-03-09", "2026-03-10", "notes"]
        # Later looks that day, by either scheduler (a fresh one too), make nothing.
        again = BackupScheduler(settings, store, redis[0] if redis else None, clock=lambda: now)
        assert await asyncio.gather(*(s.run_if_due() for s in [*schedulers, again])) == [
            None,
            None,
            None,
        ]
        # The next day's time has not come yet at 03:29; it has at 03:30.
        early = _utc("2026-03-11T03:29:00")
        assert await schedulers[0].run_if_due(early) is None
        made = await schedulers[1].run_if_due(_utc("2026-03-11T03:30:00"))
        assert made == folder / "2026-03-11"
        assert not (folder / "2026-03-08").exists()
    finally:
        for client in redis:
            await client.aclose()
        if redis:
            await delete_redis_prefix(prefix)


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set")
async def test_schedulers_on_two_hosts_back_up_once_through_redis(
    deployment: tuple[Settings, ObjectStore], tmp_path: Path
) -> None:
    """Each host has its own BACKUP_DIR: only the Redis key keeps the second from making
    another backup of the same day."""
    settings, store = deployment
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    hosts = [
        settings.model_copy(update={"redis_prefix": prefix, "backup_dir": tmp_path / name})
        for name in ("host-a", "host-b")
    ]
    clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    now = _utc("2026-03-10T04:00:00")
    try:
        schedulers = [
            BackupScheduler(host, store, client, clock=lambda: now)
            for host, client in zip(hosts, clients, strict=True)
        ]
        first = await asyncio.gather(*(s.run_if_due() for s in schedulers))
        later = await asyncio.gather(*(s.run_if_due() for s in reversed(schedulers)))
        assert later == [None, None]
        assert sorted(str(p) for p in first if p) in (
            [str(tmp_path / "host-a" / "2026-03-10")],
            [str(tmp_path / "host-b" / "2026-03-10")],
        )
        assert len(_manifests(tmp_path, "host-*/*")) == 1
        key = f"{prefix}backup:2026-03-10"
        assert (await clients[0].get(key) or b"").startswith(b"done:")
        # Kept for the retention period (+2 days), then Redis forgets it.
        ttl = await clients[0].pttl(key)
        assert timedelta(days=4) < timedelta(milliseconds=ttl) <= timedelta(days=5)
    finally:
        for client in clients:
            await client.aclose()
        await delete_redis_prefix(prefix)


async def test_a_failed_backup_keeps_the_old_ones_and_waits_to_retry(tmp_path: Path) -> None:
    # No database at all: the backup fails (a real failure, not a stand-in).
    settings = make_settings(tmp_path / "data", backup_dir=tmp_path / "backups", backup_retention=1)
    folder = tmp_path / "backups"
    _old_backups(folder, "2026-03-01")
    store = store_from_settings(settings)
    try:
        now = _utc("2026-03-10T04:00:00")
        scheduler = BackupScheduler(settings, store, clock=lambda: now)
        assert await scheduler.run_if_due() is None
        # Nothing new, nothing half-written left, and the old backup still there.
        assert _names(folder) == ["2026-03-01"]
        # The database appears; the scheduler retries only after a pause.
        await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
        assert await scheduler.run_if_due(now + timedelta(minutes=5)) is None
        made = await scheduler.run_if_due(now + timedelta(minutes=31))
        assert made == folder / "2026-03-10"
        assert _names(folder) == ["2026-03-10"]
    finally:
        await store.aclose()


async def test_serve_makes_the_daily_backup(tmp_path: Path) -> None:
    """`designer-bff serve` (role all) with BACKUP_DIR: a scheduler that starts after the
    day's backup time makes the day's backup at once, and logs it."""
    folder = tmp_path / "backups"
    env = service_env(tmp_path / "data", BACKUP_DIR=str(folder), BACKUP_TIME="00:00")
    procs = Processes(tmp_path)
    try:
        server = procs.start("all", env)
        await server.wait_ready(within=60)
        deadline = time.monotonic() + 60
        while not _manifests(folder, "*"):
            assert server.alive(), server.log_tail()
            assert time.monotonic() < deadline, f"no backup within 60 s:\n{server.log_tail()}"
            await asyncio.sleep(0.2)
        (made,) = [p.parent for p in _manifests(folder, "*")]
        assert made.name in {
            datetime.now(UTC).date().isoformat(),
            (datetime.now(UTC) - timedelta(minutes=1)).date().isoformat(),
        }
        _, problems = verify_backup(made)
        assert problems == []
        deadline = time.monotonic() + 10
        while '"backup_completed"' not in server.log():
            assert time.monotonic() < deadline, server.log_tail()
            await asyncio.sleep(0.1)
        assert server.stop() == 0
    finally:
        procs.close()
