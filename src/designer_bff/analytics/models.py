"""Daily analytics snapshots, per user and for the whole deployment (user_id NULL)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, UTCDateTime, UUIDKey, utcnow


class AnalyticsSnapshot(Base):
    __tablename__ = "analytics_snapshots"

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    snapshot_date: Mapped[date] = mapped_column(Date, nullable=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    # NULL user ids are distinct in a unique index, so uniqueness of the global row is
    # enforced by the snapshot job (one writer) rather than the constraint.
    __table_args__ = (
        Index("ix_analytics_snapshots_user_date", "user_id", "snapshot_date", unique=True),
    )
