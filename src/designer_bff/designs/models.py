"""The design record: one generated, uploaded (portfolio) or enhanced image, with the
spec it was made from. Generation writes it; the gallery, feedback, collections and
learning read it. Its representation for clients lives in `designs.representation`."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
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

from designer_bff.db.base import Base, JSONType, OwnerId, TimestampMixin, UTCDateTime, UUIDKey
from designer_bff.garments.spec import GarmentSpec


class DesignType(StrEnum):
    GENERATED = "generated"
    PORTFOLIO = "portfolio"
    ENHANCED = "enhanced"


class DesignStatus(StrEnum):
    """pending -> claimed (leased by a worker) -> ready | failed | cancelled"""

    PENDING = "pending"
    CLAIMED = "claimed"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Designs a worker may still make.
UNFINISHED = (DesignStatus.PENDING, DesignStatus.CLAIMED)

# The key under which a design's stored spec keeps what the provider really drew.
RESOLVED_KEY = "resolved"


def spec_columns(spec: GarmentSpec) -> dict[str, Any]:
    """The columns denormalised from a design's (resolved) spec; set them whenever the spec
    of a design is written."""
    return {"garment_type": spec.garment_type, "attribute_tags": spec.attribute_tags()}


class Image(TimestampMixin, Base):
    __tablename__ = "images"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    type: Mapped[str] = mapped_column(String(20), nullable=False, default=DesignType.GENERATED)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=DesignStatus.PENDING)
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
    # ...] (see `spec_columns`); GIN-indexed with user_id on PostgreSQL for attribute filters.
    attribute_tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    negative_prompt: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # sha256 of an uploaded original: the same bytes uploaded twice are kept once.
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)

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
    # The setup guide's names: what making this design cost, and what enhancing it cost
    # (an enhanced design's own price). Both are copies of its cost_ledger rows.
    generation_cost: Mapped[Decimal] = mapped_column(
        Numeric(12, 6), nullable=False, default=0, server_default="0"
    )
    enhancement_cost: Mapped[Decimal] = mapped_column(
        Numeric(12, 6), nullable=False, default=0, server_default="0"
    )
    # An enhanced design's source design.
    source_image_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("images.id", ondelete="SET NULL"), nullable=True
    )
    # What the prompt builder chose for this design: provider family, the attributes it
    # filled, the provider's parameters (size, quality ...).
    params: Mapped[dict[str, Any]] = mapped_column(
        JSONType, nullable=False, default=dict, server_default="{}"
    )

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
        Index("ix_images_source", "source_image_id"),
        Index("ix_images_status_lease", "status", "lease_expires_at"),
        Index("ix_images_purge", "purge_after"),
        # NULLs are distinct: only uploads (which have a hash) are deduplicated.
        Index("uq_images_user_content_hash", "user_id", "content_hash", unique=True),
    )

    @property
    def cost_usd(self) -> Decimal:
        """What this design cost in all."""
        return (self.generation_cost or Decimal(0)) + (self.enhancement_cost or Decimal(0))

    @property
    def garment_spec(self) -> GarmentSpec:
        """The spec the design was asked for."""
        return GarmentSpec.from_stored(self.spec)

    @property
    def drawn_spec(self) -> GarmentSpec:
        """What the provider really drew (the resolved spec) when it said, else the spec
        asked for: the attributes feedback on this design credits."""
        stored = self.spec or {}
        resolved = stored.get(RESOLVED_KEY)
        return GarmentSpec.from_stored(resolved if isinstance(resolved, dict) else stored)
