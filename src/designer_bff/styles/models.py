"""Style profiles and the visual descriptor (VLT) records of portfolio images."""

from __future__ import annotations

import uuid
from datetime import datetime
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


class VltSpecification(TimestampMixin, Base):
    """The visual descriptor's record of one image and the garment spec mapped from it."""

    __tablename__ = "vlt_specifications"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    image_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    )
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
    )
