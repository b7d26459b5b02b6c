"""Collections of designs, ordered, with an optional public share link."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, OwnerId, TimestampMixin, UTCDateTime, UUIDKey


class Collection(TimestampMixin, Base):
    __tablename__ = "collections"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Lower-cased name: unique per user regardless of case.
    name_key: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    cover_image_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="SET NULL"), nullable=True
    )
    # Unguessable token of the public read-only link; None when not shared (or revoked).
    share_token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("user_id", "name_key", name="uq_collections_user_name"),
        Index("ix_collections_user_created", "user_id", "created_at"),
    )


class CollectionImage(Base):
    __tablename__ = "collection_images"

    collection_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    image_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (
        Index("ix_collection_images_order", "collection_id", "position"),
        Index("ix_collection_images_image", "image_id"),
    )
