"""Designs (images), feedback on them, and collections."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, TimestampMixin, UTCDateTime, new_id

IMAGE_TYPES = ("generated", "portfolio", "enhanced")

# Spec attribute -> gallery filter name and tag prefix ("colors": ["red"] -> "color:red").
TAG_FAMILIES: dict[str, str] = {
    "silhouette": "silhouette",
    "length": "length",
    "neckline": "neckline",
    "sleeve": "sleeve",
    "styles": "style",
    "colors": "color",
    "palettes": "palette",
    "patterns": "pattern",
    "fabrics": "fabric",
    "occasions": "occasion",
    "seasons": "season",
}


def attribute_tags(spec: dict[str, Any] | None) -> list[str]:
    """The spec's attributes as "family:value" tags (what the gallery filters on)."""
    tags: list[str] = []
    for field, prefix in TAG_FAMILIES.items():
        value = (spec or {}).get(field)
        values = value if isinstance(value, list) else [value] if value else []
        for v in values:
            if isinstance(v, str) and v:
                tag = f"{prefix}:{v.strip().lower()}"
                if tag not in tags:
                    tags.append(tag)
    return tags


def spec_columns(spec: dict[str, Any] | None) -> dict[str, Any]:
    """The columns denormalised from a design's (resolved) spec; set them whenever the spec
    of a design is written."""
    spec = spec or {}
    return {"garment_type": spec.get("garment_type"), "attribute_tags": attribute_tags(spec)}


# pending -> claimed (leased by a worker) -> ready | failed | cancelled
IMAGE_STATUSES = ("pending", "claimed", "ready", "failed", "cancelled")


class Image(TimestampMixin, Base):
    __tablename__ = "images"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(20), nullable=False, default="generated")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("generation_jobs.id", ondelete="SET NULL"), nullable=True
    )
    # Position in its job: (job_id, seq) is unique, so a redelivered task never makes twice.
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Set at each claim; per-user round robin serves the user claimed least recently.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    spec: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Denormalised from spec for gallery filters that need an index.
    garment_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Denormalised from the resolved spec: ["color:red", "pattern:floral", "style:bohemian",
    # ...] (see spec_columns); GIN-indexed with user_id on PostgreSQL for attribute filters.
    attribute_tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    negative_prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)

    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    thumbhash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dominant_color: Mapped[str | None] = mapped_column(String(9), nullable=True)
    storage_backend: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Object keys of each variant: {"original": ..., "preview": ..., "thumb": ..., "svg": ...}
    variants: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), nullable=False, default=0)

    is_outlier: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The owner's rating (1-5; 0 = none), kept in sync with image_feedback for the rating sort.
    rating: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    outlier_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purge_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("job_id", "seq", name="uq_images_job_seq"),
        Index("ix_images_user_created", "user_id", "created_at", "id"),
        Index("ix_images_user_outlier", "user_id", "is_outlier", "created_at"),
        Index("ix_images_user_garment", "user_id", "garment_type", "created_at"),
        Index("ix_images_user_rating", "user_id", "rating", "created_at", "id"),
        # Portfolio and enhanced designs are a small share: walk only them.
        Index("ix_images_user_type", "user_id", "type", "created_at", "id"),
        # PostgreSQL: one GIN index over (user, tags) (btree_gin), so an attribute filter
        # reads only this designer's matches, not every designer's posting list.
        Index(
            "ix_images_user_attribute_tags",
            "user_id",
            "attribute_tags",
            postgresql_using="gin",
        ),
        Index("ix_images_job", "job_id", "seq"),
        Index("ix_images_status_lease", "status", "lease_expires_at"),
        Index("ix_images_purge", "purge_after"),
    )


class ImageFeedback(TimestampMixin, Base):
    """One row per user and image: the designer's current verdict on a design."""

    __tablename__ = "image_feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
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


class Collection(TimestampMixin, Base):
    __tablename__ = "collections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
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
