from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from designer_bff.commands.spec import GarmentSpec


class GenerationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: GarmentSpec | None = Field(default=None, description="What to design.")
    prompt: str | None = Field(default=None, min_length=1, max_length=4000)
    command_id: uuid.UUID | None = Field(default=None, description="A command from history.")
    quantity: int | None = Field(default=None, ge=1, description="Designs to make (default 1).")
    provider: str | None = Field(default=None, max_length=40)
    priority: int = Field(default=0, ge=-10, le=10)

    @model_validator(mode="after")
    def _one_source(self) -> GenerationIn:
        given = [n for n in ("spec", "prompt", "command_id") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of spec, prompt or command_id")
        return self


class LegacyGenerateIn(BaseModel):
    """The original guide's body: a prompt or a spec, with a count."""

    prompt: str | None = Field(default=None, min_length=1, max_length=4000)
    spec: GarmentSpec | None = None
    count: int | None = Field(default=None, ge=1)
    quantity: int | None = Field(default=None, ge=1)
    provider: str | None = None


class ImageOut(BaseModel):
    id: uuid.UUID
    seq: int | None
    status: str
    width: int | None
    height: int | None
    thumbhash: str | None
    dominant_color: str | None
    urls: dict[str, str] | None
    error: str | None = None


class JobOut(BaseModel):
    id: uuid.UUID
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
    source: str
    provider: str
    prompt: str | None
    spec: dict[str, Any] | None
    quantity: int
    progress: dict[str, int]
    cost_usd: str
    error: dict[str, Any] | None
    command_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    images: list[ImageOut] | None = None


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None
