"""The cost ledger: one row per paid call, made idempotent by its key."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, UTCDateTime, UUIDKey, utcnow


class CostEntry(Base):
    __tablename__ = "cost_ledger"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    # e.g. "image:{image_id}:attempt:{n}"; the unique index makes recording a call idempotent.
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    provider: Mapped[str] = mapped_column(String(40), nullable=False)
    operation: Mapped[str] = mapped_column(String(40), nullable=False)  # generate, analyze, ...
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    units: Mapped[Decimal] = mapped_column(Numeric(14, 4), nullable=False, default=1)
    unit_price_usd: Mapped[Decimal] = mapped_column(
        Numeric(12, 6), nullable=False, default=0, server_default="0"
    )
    amount_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), nullable=False)
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    image_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_cost_ledger_user_created", "user_id", "created_at"),)
