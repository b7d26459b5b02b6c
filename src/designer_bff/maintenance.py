"""Periodic housekeeping that keeps the database small: expired refresh tokens and
ended sessions are removed once they can no longer be used or detected as reused, and
deleted designs whose grace period has passed are purged (row and files)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.auth.models import RefreshSession, RefreshToken
from designer_bff.db.base import affected_rows, utcnow
from designer_bff.storage import LocalObjectStore, ObjectStore

if TYPE_CHECKING:
    from designer_bff.analytics.service import AnalyticsService
    from designer_bff.gallery.service import GalleryService

log = structlog.get_logger("designer_bff.maintenance")

# Ended sessions are kept a while so a late reuse of their tokens still reads "revoked".
REVOKED_RETENTION = timedelta(days=7)


async def purge_expired_sessions(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    now = utcnow()
    async with sessionmaker() as db:
        tokens = await db.execute(
            delete(RefreshToken).where(RefreshToken.expires_at < now - REVOKED_RETENTION)
        )
        sessions = await db.execute(
            delete(RefreshSession).where(
                or_(
                    RefreshSession.expires_at < now - REVOKED_RETENTION,
                    RefreshSession.revoked_at < now - REVOKED_RETENTION,
                )
            )
        )
        await db.commit()
    removed = affected_rows(tokens) + affected_rows(sessions)
    if removed:
        log.info("purged_expired_sessions", rows=removed)
    return removed


async def run_maintenance(
    sessionmaker: async_sessionmaker[AsyncSession],
    gallery: GalleryService | None = None,
    storage: ObjectStore | None = None,
    analytics: AnalyticsService | None = None,
) -> None:
    """One round of every task; a failing task does not stop the others."""
    try:
        await purge_expired_sessions(sessionmaker)
    except Exception:
        log.exception("maintenance_failed", task="sessions")
    if gallery is not None:
        try:
            await gallery.purge_due(sessionmaker)
        except Exception:
            log.exception("maintenance_failed", task="deleted_images")
    if isinstance(storage, LocalObjectStore):
        try:
            removed = await storage.remove_stale_temp_files()
            if removed:
                log.info("removed_stale_temp_files", files=removed)
        except Exception:
            log.exception("maintenance_failed", task="temp_files")
    if analytics is not None:
        # Writes yesterday's snapshots in the first round after midnight (UTC) only.
        try:
            await analytics.snapshot_due(sessionmaker)
        except Exception:
            log.exception("maintenance_failed", task="analytics_snapshot")


async def run_periodic(
    sessionmaker: async_sessionmaker[AsyncSession],
    interval_s: float = 3600.0,
    *,
    gallery: GalleryService | None = None,
    storage: ObjectStore | None = None,
    analytics: AnalyticsService | None = None,
) -> None:
    """Runs until cancelled; a failed round is logged and retried next interval."""
    while True:
        await run_maintenance(sessionmaker, gallery, storage, analytics)
        await asyncio.sleep(interval_s)
