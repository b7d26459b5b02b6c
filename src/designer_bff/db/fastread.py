"""Reads on the hottest routes, run on the database driver itself.

A gallery page spent more time in SQLAlchemy's execution layers (the ORM's result
set-up, the greenlet bridge to asyncpg, the adapted cursor) than PostgreSQL spent
running its query. Here the statement is still built with SQLAlchemy, and compiled by
it once per shape (its own cache key: the same structure with other values reuses the
compiled form and takes the new values, in the order SQLAlchemy extracts them), but it
runs as one asyncpg prepared statement (asyncpg keeps it prepared per connection) and
the rows come back as asyncpg records. On other databases (the embedded SQLite) the
same statement runs through SQLAlchemy Core, rows with the same attribute names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

# Compiled statements by SQLAlchemy cache key, per dialect name. A few hundred shapes
# at most exist (filters x sorts x cursor or not); cleared wholesale if ever exceeded.
_MAX_SHAPES = 512
_compiled: dict[Any, SQLCompiler] = {}


class Row(Protocol):
    def __getattr__(self, name: str) -> Any: ...


class Record(asyncpg.Record):
    """An asyncpg record that also answers `row.column`, like SQLAlchemy's rows."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def driver_statement(dialect: Dialect, stmt: Select[Any]) -> tuple[str, list[Any]] | None:
    """The SQL and positional arguments asyncpg runs for `stmt`; None where the statement
    goes through SQLAlchemy instead (other databases, an uncacheable statement)."""
    cache_key = stmt._generate_cache_key() if dialect.name == "postgresql" else None
    if cache_key is None:
        return None
    shape = (dialect.name, cache_key.key)
    compiled = _compiled.get(shape)
    if compiled is None:
        built = stmt.compile(dialect=dialect, cache_key=cache_key)
        assert isinstance(built, SQLCompiler)
        compiled = built
        if len(_compiled) >= _MAX_SHAPES:
            _compiled.clear()
        _compiled[shape] = compiled
    params = compiled.construct_params(
        extracted_parameters=cache_key.bindparams, escape_names=False
    )
    state = compiled.construct_expanded_state(params, escape_names=False)
    # The expanded state carries only the processors of expanded (IN) parameters; the
    # others (JSONB serialisation, ...) are the compiled statement's own.
    processors: dict[str, Any] = {**compiled._bind_processors, **state.processors}
    args = [
        processors[name](value) if name in processors else value
        for name, value in zip(state.positiontup or (), state.positional_parameters, strict=True)
    ]
    return state.statement, args


async def fetch_rows(db: AsyncSession, stmt: Select[Any]) -> Sequence[Row]:
    """All rows of a SELECT, read in the session's connection (and transaction)."""
    conn = await db.connection()
    driver = driver_statement(conn.dialect, stmt)
    if driver is None:
        return list((await conn.execute(stmt)).all())
    sql, args = driver
    # The session's transaction, if it has one, is the one SQLAlchemy's adapter began on
    # this same connection: the read sees what the request already wrote.
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    return list(await raw.fetch(sql, *args, record_class=Record))
