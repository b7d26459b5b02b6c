"""Command history: every text or spoken command and how it was understood."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from designer_bff.db.base import Base, JSONType, OwnerId, UTCDateTime, UUIDKey, utcnow


class VoiceCommand(Base):
    __tablename__ = "voice_commands"

    id: Mapped[UUIDKey]
    user_id: Mapped[OwnerId]
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="text")  # text|audio
    text: Mapped[str] = mapped_column(Text, nullable=False)
    intent: Mapped[str] = mapped_column(String(40), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    parse: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    # What the action behind the intent did (job created, collection updated, ...).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    processing_time_ms: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    speech_provider: Mapped[str | None] = mapped_column(String(40), nullable=True)
    audio_duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    audio_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_voice_commands_user_created", "user_id", "created_at", "id"),)
