"""What feedback teaches: per-user preference weights, anonymous global rates, raw events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, UTCDateTime, UUIDKey, utcnow


class LearningEvent(Base):
    """One feedback change, with the spec attributes it credits (input to the learner)."""

    __tablename__ = "learning_events"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    image_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # outlier, like, rating, ...
    value: Mapped[float] = mapped_column(Float, nullable=False, default=1.0)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_learning_events_user_created", "user_id", "created_at"),
        Index("ix_learning_events_unprocessed", "processed_at", "created_at"),
    )


class UserPreference(Base):
    """A designer's correction of what was learned about one value: `correction`
    "forget" (feedback before `reset_at` no longer counts), "avoid" (never filled in) or
    "prefer" (filled in as a liked value); the counts mirror the posterior when written."""

    __tablename__ = "user_preferences"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    attribute_type: Mapped[str] = mapped_column(String(40), nullable=False)
    attribute_value: Mapped[str] = mapped_column(String(80), nullable=False)
    weight: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    positive_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    negative_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    correction: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "user_id", "attribute_type", "attribute_value", name="uq_user_preferences_attr"
        ),
    )


class GlobalLearning(Base):
    """Anonymous success rates per attribute across all designers (no user ids kept)."""

    __tablename__ = "global_learning"

    id: Mapped[UUIDKey]
    attribute_type: Mapped[str] = mapped_column(String(40), nullable=False)
    attribute_value: Mapped[str] = mapped_column(String(80), nullable=False)
    success_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    success_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    user_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("attribute_type", "attribute_value", name="uq_global_learning_attr"),
    )
