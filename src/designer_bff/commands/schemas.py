from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, AliasPath, BaseModel, Field

InterpretedBy = Literal["rules", "openai"]
_INTERPRETED_BY = (
    "What understood the command: `rules` (the rule parser) or `openai` (a model's reading "
    "of a command the rules were unsure of, checked against the taxonomy)."
)


class ProcessTextIn(BaseModel):
    command: str = Field(min_length=1, max_length=2000, description="What the designer said.")
    # Strict: 0, "false" or "no" must not quietly decide whether a command is carried out.
    dry_run: bool = Field(
        default=False,
        strict=True,
        description="Parse only: no command is stored and nothing is done (a model asked "
        "to read an unclear command is still charged: the call was made).",
    )


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
    interpreted_by: InterpretedBy = Field(default="rules", description=_INTERPRETED_BY)
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
    # Kept in the command's result (`result.interpretation.by`); older commands: rules.
    interpreted_by: InterpretedBy = Field(
        default="rules",
        validation_alias=AliasChoices(
            AliasPath("result", "interpretation", "by"), "interpreted_by"
        ),
        description=_INTERPRETED_BY,
    )
    processing_time_ms: float
    speech_provider: str | None
    audio_duration_s: float | None
    created_at: datetime


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None


class ExamplesOut(BaseModel):
    examples: list[dict[str, str]]


class AttributeVocabulary(BaseModel):
    field: str = Field(description="The garment spec's attribute (garment_type, colors ...).")
    multi: bool = Field(description="Whether a spec holds a list of these (colors) or one.")
    values: list[str] = Field(description="Its canonical values, as specs and filters use them.")


class VocabularyOut(BaseModel):
    attributes: list[AttributeVocabulary]
