"""Feedback on designs: the designer's verdict, one row per designer and design."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, TimestampMixin, UUIDKey


class Reaction(StrEnum):
    LIKE = "like"
    DISLIKE = "dislike"


class ImageFeedback(TimestampMixin, Base):
    """One row per user and image: the designer's current verdict on a design."""

    __tablename__ = "image_feedback"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    image_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    )
    is_outlier: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_favorite: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reaction: Mapped[str | None] = mapped_column(String(10), nullable=True)  # like|dislike
    rating: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)

    __table_args__ = (
        UniqueConstraint("user_id", "image_id", name="uq_image_feedback_user_image"),
        Index("ix_image_feedback_image", "image_id"),
    )

    def verdict(self) -> dict[str, Any]:
        """The designer's current verdict, as the API shows it."""
        return {
            "is_outlier": self.is_outlier,
            "is_favorite": self.is_favorite,
            "reaction": self.reaction,
            "rating": self.rating,
            "comment": self.comment,
            "tags": list(self.tags or []),
        }
