"""The daily backup of the scheduler role.

At BACKUP_TIME (UTC) a backup is written into BACKUP_DIR/.incomplete-<date>-<id>, verified,
then renamed to BACKUP_DIR/<date> (YYYY-MM-DD); only then are dated folders older than
BACKUP_RETENTION days removed. A scheduler that was down at that time makes the day's
backup when it starts.

Exactly once a day across schedulers: with Redis, a key per date taken with SET NX (a
lease renewed while the backup runs, then "done" for the retention period, or "failed"
for half an hour before another try); without Redis (one host), a lock file in BACKUP_DIR.
In both cases a dated folder with a manifest means the day is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import shutil
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from enum import StrEnum
from pathlib import Path
from typing import IO, TypeVar

import structlog
from redis.asyncio import Redis

from designer_bff.config import Settings
from designer_bff.core.tasks import cancel_and_wait
from designer_bff.db.base import utcnow
from designer_bff.storage import ObjectStore

from .manifest import DIR_MODE, MANIFEST, fsync_dir
from .service import BackupError, Summary, create_backup, verify_backup

log = structlog.get_logger("designer_bff.backup")

T = TypeVar("T")

STAGING_PREFIX = ".incomplete-"
LOCK_FILE = ".lock"
# The longest a scheduler sleeps between looks (another's failed backup is retried, a
# changed clock noticed, within this).
POLL_S = 300.0
RETRY_AFTER = timedelta(minutes=30)
LEASE = timedelta(minutes=10)

_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_time(value: str) -> day_time:
    """ "03:30" -> 03:30 UTC; anything but HH:MM from 00:00 to 23:59 raises ValueError."""
    match = _HHMM.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day written HH:MM (00:00 to 23:59)")
    return day_time(int(match.group(1)), int(match.group(2)), tzinfo=UTC)


def _at(day: date, at: day_time) -> datetime:
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=UTC)


def due_day(now: datetime, at: day_time) -> date:
    """The date of the most recent backup time at or before `now` (today's once it has
    passed, else yesterday's): the one backup a scheduler that was down catches up on."""
    today = now.astimezone(UTC).date()
    return today if _at(today, at) <= now else today - timedelta(days=1)


def next_run(now: datetime, at: day_time) -> datetime:
    """The first backup time strictly after `now`."""
    today = now.astimezone(UTC).date()
    instant = _at(today, at)
    return instant if instant > now else _at(today + timedelta(days=1), at)


def dated(name: str) -> date | None:
    """The date a backup folder's name stands for, or None for any other name."""
    if not _DATED.fullmatch(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def expired(names: Iterable[str], newest: date, retention_days: int) -> list[str]:
    """Dated folders outside the last `retention_days` days up to `newest` (which is kept
    with the retention_days - 1 days before it). Other names are never touched."""
    cutoff = newest - timedelta(days=retention_days)
    return sorted(n for n in names if (d := dated(n)) is not None and d <= cutoff)


def stale_staging(names: Iterable[str]) -> list[str]:
    """Folders of backups that stopped before the end (the caller holds the day's claim,
    so none of them is still being written)."""
    return sorted(n for n in names if n.startswith(STAGING_PREFIX))


class ClaimState(StrEnum):
    CLAIMED = "claimed"  # this scheduler makes the day's backup
    DONE = "done"  # made already
    BUSY = "busy"  # another scheduler is making it, or waits to retry a failed one


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    ABANDONED = "abandoned"  # stopped (shutdown): anyone may take it over at once


class DailyClaim(ABC):
    @abstractmethod
    async def acquire(self, day: date) -> ClaimState: ...

    @abstractmethod
    async def renew(self, day: date) -> bool:
        """Extend the claim while the backup runs; False when it was lost."""

    @abstractmethod
    async def release(self, day: date, outcome: Outcome) -> None: ...


# Compare-and-set on our own value: a claim that expired and was taken over by another
# scheduler is never extended or overwritten by the one that lost it.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '' then
    return redis.call('del', KEYS[1])
  end
  return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 0
"""


class RedisClaim(DailyClaim):
    """`{prefix}backup:{date}`: running:<owner> (a lease), done:<owner>, failed:<owner>."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        owner: str,
        *,
        lease: timedelta = LEASE,
        keep: timedelta = timedelta(days=9),
        retry: timedelta = RETRY_AFTER,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.owner = owner
        self.lease_ms = int(lease.total_seconds() * 1000)
        self.keep_ms = int(keep.total_seconds() * 1000)
        self.retry_ms = int(retry.total_seconds() * 1000)

    def key(self, day: date) -> str:
        return f"{self.prefix}backup:{day.isoformat()}"

    @property
    def _running(self) -> str:
        return f"running:{self.owner}"

    async def acquire(self, day: date) -> ClaimState:
        key = self.key(day)
        if await self.redis.set(key, self._running, nx=True, px=self.lease_ms):
            return ClaimState.CLAIMED
        value = await self.redis.get(key)
        text = value.decode() if isinstance(value, bytes) else str(value or "")
        return ClaimState.DONE if text.startswith("done:") else ClaimState.BUSY

    async def renew(self, day: date) -> bool:
        renewed = await self.redis.eval(_RENEW, 1, self.key(day), self._running, str(self.lease_ms))
        return bool(renewed)

    async def release(self, day: date, outcome: Outcome) -> None:
        if outcome is Outcome.DONE:
            value, ttl = f"done:{self.owner}", self.keep_ms
        elif outcome is Outcome.FAILED:
            value, ttl = f"failed:{self.owner}", self.retry_ms
        else:
            value, ttl = "", 0
        await self.redis.eval(_RELEASE, 1, self.key(day), self._running, value, str(ttl))


class LocalClaim(DailyClaim):
    """Without Redis every process runs on one host: an exclusive lock on a file in
    BACKUP_DIR, held while the backup runs (released by the kernel if it is killed)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._held: IO[bytes] | None = None

    def _try_lock(self) -> bool:
        self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fh = self.path.open("ab")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._held = fh
        return True

    async def acquire(self, day: date) -> ClaimState:
        if self._held is not None:
            return ClaimState.BUSY  # this process is making one already
        locked = await asyncio.to_thread(self._try_lock)
        return ClaimState.CLAIMED if locked else ClaimState.BUSY

    async def renew(self, day: date) -> bool:
        return self._held is not None

    async def release(self, day: date, outcome: Outcome) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.close()  # closing the file releases the lock


class BackupScheduler:
    """The daily loop (`run_forever`); `run_if_due` is one look, for tests and the loop."""

    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        redis: Redis | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        poll_s: float = POLL_S,
        lease: timedelta = LEASE,
    ) -> None:
        if settings.backup_dir is None:
            raise ValueError("BACKUP_DIR is not set: scheduled backups are off")
        self.settings = settings
        self.store = store
        self.folder = settings.backup_dir
        self.at = parse_time(settings.backup_time)
        self.retention = settings.backup_retention
        self.clock = clock
        self.poll_s = poll_s
        self.lease = lease
        self.owner = owner or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.claim: DailyClaim = (
            RedisClaim(
                redis,
                settings.redis_prefix,
                self.owner,
                lease=lease,
                keep=timedelta(days=self.retention + 2),
            )
            if redis is not None
            else LocalClaim(self.folder)
        )
        self._done: date | None = None
        self._retry_at: datetime | None = None

    def sleep_s(self, now: datetime) -> float:
        return max(1.0, min(self.poll_s, (next_run(now, self.at) - now).total_seconds()))

    async def run_forever(self) -> None:
        log.info(
            "backup_scheduler_started",
            folder=str(self.folder),
            at=self.settings.backup_time,
            retention_days=self.retention,
        )
        while True:
            try:
                await self.run_if_due()
            except Exception:
                log.exception("backup_round_failed")
            await asyncio.sleep(self.sleep_s(self.clock()))

    def _has_backup(self, day: date) -> bool:
        return (self.folder / day.isoformat() / MANIFEST).is_file()

    async def run_if_due(self, now: datetime | None = None) -> Path | None:
        """Make the due day's backup unless it exists, another scheduler is on it, or a
        failed try is waiting to be retried; its folder when this call made it."""
        now = now or self.clock()
        day = due_day(now, self.at)
        if self._done == day or (self._retry_at is not None and now < self._retry_at):
            return None
        if await asyncio.to_thread(self._has_backup, day):
            self._done = day
            return None
        state = await self.claim.acquire(day)
        if state is not ClaimState.CLAIMED:
            if state is ClaimState.DONE:
                self._done = day
            return None
        try:
            if await asyncio.to_thread(self._has_backup, day):  # finished as we claimed
                path = None
            else:
                path = await self._renewing(day, self.backup_day(day))
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self.claim.release(day, Outcome.ABANDONED)
            raise
        except Exception as exc:
            self._retry_at = now + RETRY_AFTER
            log.exception("backup_failed", day=day.isoformat(), error=str(exc))
            with contextlib.suppress(Exception):
                await self.claim.release(day, Outcome.FAILED)
            return None
        await self.claim.release(day, Outcome.DONE)
        self._done = day
        return path

    async def _renewing(self, day: date, work: Awaitable[T]) -> T:
        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease.total_seconds() / 3)
                try:
                    if not await self.claim.renew(day):
                        log.warning("backup_claim_lost", day=day.isoformat())
                except Exception:
                    log.warning("backup_claim_renew_failed", day=day.isoformat(), exc_info=True)

        renewer = asyncio.create_task(renew())
        try:
            return await work
        finally:
            await cancel_and_wait(renewer)

    async def backup_day(self, day: date) -> Path:
        """Write, verify and publish the day's backup, then prune old ones."""
        started = time.monotonic()
        final = self.folder / day.isoformat()
        staging = self.folder / f"{STAGING_PREFIX}{day.isoformat()}-{uuid.uuid4().hex[:8]}"
        await asyncio.to_thread(self.folder.mkdir, mode=DIR_MODE, parents=True, exist_ok=True)
        try:
            manifest = await create_backup(self.settings, self.store, staging)
            _, problems = await asyncio.to_thread(verify_backup, staging)
            if problems:
                raise BackupError(
                    "the new backup does not verify: " + "; ".join(map(str, problems[:20]))
                )
            await asyncio.to_thread(_publish, staging, final)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, staging, True)
            raise
        pruned = await asyncio.to_thread(self.prune, day)
        log.info(
            "backup_completed",
            day=day.isoformat(),
            path=str(final),
            seconds=round(time.monotonic() - started, 2),
            pruned=pruned,
            vanished=len(manifest.objects.vanished),
            **asdict(Summary.of(manifest)),
        )
        return final

    def prune(self, newest: date) -> list[str]:
        """Remove dated backups past the retention and stopped ones; their names."""
        names = [p.name for p in self.folder.iterdir() if p.is_dir()]
        doomed = expired(names, newest, self.retention) + stale_staging(names)
        for name in doomed:
            shutil.rmtree(self.folder / name, ignore_errors=True)
        return doomed


def _publish(staging: Path, final: Path) -> None:
    # rename(2) is atomic: the dated folder appears whole, or not at all.
    os.rename(staging, final)
    fsync_dir(final.parent)


async def run_daily_backups(
    settings: Settings, store: ObjectStore, redis: Redis | None = None
) -> None:
    """The scheduler role's loop (until cancelled); returns at once when BACKUP_DIR is unset."""
    if settings.backup_dir is None:
        return
    await BackupScheduler(settings, store, redis).run_forever()


__all__ = [
    "BackupScheduler",
    "ClaimState",
    "LocalClaim",
    "Outcome",
    "RedisClaim",
    "due_day",
    "expired",
    "next_run",
    "parse_time",
    "run_daily_backups",
    "stale_staging",
]
