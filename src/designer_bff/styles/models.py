"""Style profiles, their history, and the visual descriptor (VLT) records of analysed
images with the analysis jobs that make them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, TimestampMixin, UTCDateTime, UUIDKey


class StyleProfile(TimestampMixin, Base):
    """A designer's style: specs of their portfolio aggregated, plus their own edits."""

    __tablename__ = "style_profiles"

    id: Mapped[UUIDKey]
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    # {attribute_type: {value: weight}} aggregated from analysed portfolio images.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    # The designer's edits, applied on top of the aggregate (pin, remove, reweight).
    overrides: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_image_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    analyzed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StyleProfileVersion(Base):
    """One version of a designer's profile as it was: what changed it and what it said."""

    __tablename__ = "style_profile_versions"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # "analysed 3 images", "removed 1 image", "pinned colors navy", "edited the summary"
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    image_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    top: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("user_id", "version", name="uq_style_profile_versions_user_version"),
    )


class AnalysisStatus(StrEnum):
    """pending -> running (leased by a worker) -> done | failed"""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class AnalysisJob(TimestampMixin, Base):
    """Images analysed together (a portfolio upload, a batch): progress for the designer."""

    __tablename__ = "analysis_jobs"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    # portfolio: the images join the portfolio and the profile; batch: analysis only.
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_analysis_jobs_user", "user_id", "created_at"),)


class VltSpecification(TimestampMixin, Base):
    """The visual descriptor's record of one image and the garment spec mapped from it.

    A portfolio image's record points at its design (`image_id`); a batch analysis reads
    its input from `input_key` (deleted once analysed) and keeps only the record."""

    __tablename__ = "vlt_specifications"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    image_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="CASCADE"), nullable=True
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("analysis_jobs.id", ondelete="CASCADE"), nullable=True
    )
    input_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    provider: Mapped[str] = mapped_column(String(40), nullable=False)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    confidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    prompt_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("image_id", "provider", name="uq_vlt_specifications_image_provider"),
        Index("ix_vlt_specifications_user", "user_id", "created_at"),
        Index("ix_vlt_specifications_status", "status", "lease_expires_at"),
        Index("ix_vlt_specifications_job", "job_id"),
    )
