from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ProcessTextIn(BaseModel):
    command: str = Field(min_length=1, max_length=2000, description="What the designer said.")
    dry_run: bool = Field(default=False, description="Parse only: nothing is stored or done.")


class CommandResult(BaseModel):
    command_id: uuid.UUID | None
    intent: str
    confidence: float
    spec: dict[str, Any]
    specs: list[dict[str, Any]]
    target: dict[str, Any]
    reply: str
    job_id: uuid.UUID | None = None
    error: dict[str, Any] | None = None
    processing_time_ms: float


class TranscriptionOut(BaseModel):
    transcript: str
    language: str | None
    duration_s: float
    provider: str
    parse: dict[str, Any] | None = None


class AudioCommandResult(CommandResult):
    transcript: str
    language: str | None
    duration_s: float
    provider: str


class HistoryItem(BaseModel):
    id: uuid.UUID
    source: str
    text: str
    intent: str
    confidence: float
    reply: str | None
    error_code: str | None
    job_id: uuid.UUID | None
    parse: dict[str, Any]
    processing_time_ms: float
    speech_provider: str | None
    audio_duration_s: float | None
    created_at: datetime


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None


class ExamplesOut(BaseModel):
    examples: list[dict[str, str]]
