"""Declarative base and column types shared by every feature's models.

One schema serves SQLite and PostgreSQL: JSON columns become JSONB on PostgreSQL,
UUIDs are native there and 32-char strings on SQLite, timestamps are timezone-aware.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from sqlalchemy import JSON, CursorResult, DateTime, ForeignKey, MetaData, Result, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite drops tzinfo otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


# The two columns nearly every table starts with, declared once (SQLAlchemy's Annotated
# column types): a random UUID key, and the owning designer (gone with their account).
UUIDKey = Annotated[uuid.UUID, mapped_column(Uuid(), primary_key=True, default=new_id)]
OwnerId = Annotated[
    uuid.UUID, mapped_column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now(), nullable=False
    )


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (a compare-and-set tells whether it won)."""
    return cast(CursorResult[Any], result).rowcount
