"""Run Alembic migrations programmatically (serve, the CLI and tests share this)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from designer_bff.db.session import secure_sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' would be read as interpolation by configparser.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(url: str) -> str | None:
    """The database's revision, read through the async driver in a private event loop."""

    async def _read() -> str | None:
        secure_sqlite_file(url)  # connecting creates a missing SQLite file
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: MigrationContext.configure(c).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(_read())


def upgrade(url: str, revision: str = "head") -> None:
    """Apply pending migrations. Must not be called from inside a running event loop."""
    # Creates the folder and an owner-only file before Alembic's engine would create it.
    secure_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "upgrade"]
