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


class UnsureOption(BaseModel):
    label: str = Field(description='The slot\'s value in this reading ("free", "3").')
    text: str = Field(description="The whole command read this way: send it to act on it.")


class UnsureSlot(BaseModel):
    slot: str = Field(
        description="The spec or target field: quantity, fabrics, collection_name ..."
    )
    heard: str = Field(description="The words as the recogniser heard them.")
    understood: str = Field(description="The value chosen.")
    options: list[UnsureOption] = Field(description="Other readings of this slot.")


class HeardFields(BaseModel):
    """How speech was understood: what the recogniser heard and what was made of it."""

    understood_text: str = Field(
        description="The command as understood, misheard words corrected (send this, not "
        "the transcript, to act on it)."
    )
    alternatives: list[str] = Field(
        default_factory=list, description="Other readings weighed, best first."
    )
    unsure: list[UnsureSlot] = Field(
        default_factory=list, description="Slots whose reading won by a small margin."
    )
    needs_confirmation: bool = Field(
        default=False, description="Whether a slot is unsure: ask before acting."
    )
    confirm_prompt: str | None = Field(
        default=None, description='The question to ask ("3 tulle ball gowns for prom?").'
    )


class TranscriptionOut(HeardFields):
    transcript: str
    language: str | None
    duration_s: float
    provider: str
    parse: dict[str, Any] | None = None


class AudioCommandResult(CommandResult, HeardFields):
    transcript: str
    language: str | None
    duration_s: float
    provider: str


class ConfirmIn(BaseModel):
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="A corrected command to act on instead of the one understood.",
    )


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
