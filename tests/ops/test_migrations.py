"""The migration history builds the whole schema from empty on both backends, goes back
down cleanly, and matches the models exactly (no drift for later issues to trip over)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from designer_bff.db import migrate
from designer_bff.migrations.models import Base
from tests.conftest import PG_URL, create_pg_database, drop_pg_database

EXPECTED_TABLES = {
    "users",
    "refresh_sessions",
    "refresh_tokens",
    "auth_events",
    "style_profiles",
    "style_profile_versions",
    "analysis_jobs",
    "voice_commands",
    "vlt_specifications",
    "generation_jobs",
    "images",
    "image_feedback",
    "collections",
    "collection_images",
    "cost_ledger",
    "global_learning",
    "user_preferences",
    "learning_events",
    "nightly_schedules",
    "nightly_runs",
    "analytics_snapshots",
}


async def _inspect(url: str) -> tuple[set[str], list, str | None, dict[str, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def _read(sync_conn):
                insp = inspect(sync_conn)
                tables = set(insp.get_table_names()) - {"alembic_version"}
                diff = compare_metadata(
                    MigrationContext.configure(sync_conn, opts={"compare_type": True}),
                    Base.metadata,
                )
                rev = MigrationContext.configure(sync_conn).get_current_revision()
                json_types = {
                    c["name"]: str(c["type"])
                    for c in (insp.get_columns("images") if "images" in tables else [])
                    if c["name"] in ("spec", "variants")
                }
                return tables, diff, rev, json_types

            return await conn.run_sync(_read)
    finally:
        await engine.dispose()


async def _roundtrip(url: str) -> dict[str, str]:
    await asyncio.to_thread(migrate.upgrade, url)
    tables, diff, rev, json_types = await _inspect(url)
    assert tables == EXPECTED_TABLES
    assert diff == []
    assert rev == migrate.head_revision(url)
    await asyncio.to_thread(migrate.downgrade, url, "base")
    tables, _, rev, _ = await _inspect(url)
    assert tables == set() and rev is None
    await asyncio.to_thread(migrate.upgrade, url)
    tables, diff, _, _ = await _inspect(url)
    assert tables == EXPECTED_TABLES and diff == []
    return json_types


async def test_migrations_from_empty_on_sqlite(tmp_path: Path):
    json_types = await _roundtrip(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    assert json_types["spec"] == "JSON"


@pytest.mark.skipif(not PG_URL, reason="DATABASE_URL not set: PostgreSQL run skipped")
async def test_migrations_from_empty_on_postgres():
    name, url = await create_pg_database()
    try:
        json_types = await _roundtrip(url)
        assert json_types["spec"] == "JSONB"
    finally:
        await drop_pg_database(name)
