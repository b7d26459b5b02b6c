"""Generation jobs. The database is the record of truth: each job and each of its
designs (designs.models.Image, status column) carries a persisted state."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, TimestampMixin, UTCDateTime, UUIDKey


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Jobs whose designs are still being made.
ACTIVE_JOB = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobSource(StrEnum):
    COMMAND = "command"
    SPEC = "spec"
    PROMPT = "prompt"
    IMAGE = "image"  # more like this
    NIGHTLY = "nightly"
    ENHANCE = "enhance"  # an enhanced copy of a design (reference_image_id)


class GenerationJob(TimestampMixin, Base):
    __tablename__ = "generation_jobs"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=JobStatus.QUEUED)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default=JobSource.SPEC)
    command_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("voice_commands.id", ondelete="SET NULL"), nullable=True
    )
    reference_image_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    nightly_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    negative_prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The column keeps the setup guide's name (its "Common Queries" read it).
    provider: Mapped[str] = mapped_column("model_provider", String(40), nullable=False)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    done_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), nullable=False, default=0)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_generation_jobs_user_created", "user_id", "created_at", "id"),
        Index("ix_generation_jobs_status", "status"),
    )
