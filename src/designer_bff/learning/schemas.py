"""What the learning routes answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Correction = Literal["forget", "avoid", "prefer"]


class StatementOut(BaseModel):
    attribute: str
    value: str
    text: str = Field(description="What was learned, in plain words.")
    ratio: float = Field(description="Success rate against the attribute's other values.")
    direction: Literal["more", "less"]


class LearnedValueOut(BaseModel):
    attribute: str
    value: str
    successes: int = Field(description="Designs with it marked a standout, liked or rated 4+.")
    failures: int = Field(description="Designs with it disliked or rated 2 or less.")
    shown: int = Field(description="Designs with it shown without feedback (count weakly).")
    score: float | None = Field(description="Posterior mean chance of a standout (0..1).")
    correction: Correction | None


class PreferencesOut(BaseModel):
    designs_considered: int
    feedback_count: int
    cold_start: bool = Field(
        description="Little feedback of my own yet: figures from all designers lead."
    )
    explore: float = Field(description="Share of open attributes filled without preferences.")
    statements: list[StatementOut]
    values: list[LearnedValueOut]


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    correction: Correction | None = Field(
        description="forget: discard what was learned about it; avoid: never fill it in; "
        "prefer: lean to it; null: remove avoid/prefer."
    )


class TrendOut(BaseModel):
    value: str
    success_rate: float
    successes: int
    designs: int
    designers: int


class TrendsOut(BaseModel):
    k: int = Field(description="Only values at least k designers contributed to are shown.")
    updated_at: datetime | None
    styles: list[TrendOut]
    attributes: dict[str, list[TrendOut]]


class GlobalValueOut(BaseModel):
    attribute_type: str
    attribute_value: str
    success_count: int
    total_count: int
    success_rate: float
    user_count: int
    updated_at: datetime


class GlobalLearningOut(BaseModel):
    k: int
    values: int
    items: list[GlobalValueOut]


class RefreshOut(BaseModel):
    values: int = Field(description="Values kept (at least k designers contributed).")
