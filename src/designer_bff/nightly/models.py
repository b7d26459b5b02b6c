"""Nightly batches: a designer's schedule and each night's run."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, TimestampMixin, UTCDateTime, UUIDKey


class NightlySchedule(TimestampMixin, Base):
    __tablename__ = "nightly_schedules"

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    local_time: Mapped[str] = mapped_column(String(5), nullable=False, default="02:00")  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    use_profile: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Most one night's batch may cost (USD); None: only the monthly budget bounds it.
    max_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 6), nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_nightly_schedules_due", "enabled", "next_run_at"),)


class NightlyRun(TimestampMixin, Base):
    __tablename__ = "nightly_runs"

    id: Mapped[UUIDKey]
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("nightly_schedules.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[OwnerId]
    # The designer's local date the batch is for; unique so a night never runs twice.
    run_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The UTC instant of the designer's local run time that night.
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    designs: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    cost_usd: Mapped[Decimal] = mapped_column(
        Numeric(12, 6), nullable=False, default=0, server_default="0"
    )
    collection_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("collections.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("schedule_id", "run_date", name="uq_nightly_runs_schedule_date"),
        Index("ix_nightly_runs_user", "user_id", "run_date"),
    )
