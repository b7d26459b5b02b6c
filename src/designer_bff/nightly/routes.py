"""The designer's nightly batch: its settings (/api/nightly) and its past runs
(/api/nightly/runs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool
from pydantic.json_schema import SkipJsonSchema

from designer_bff.auth.deps import UserDep
from designer_bff.billing.schemas import AmountIn
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses
from designer_bff.generation.schemas import MAX_QUANTITY, PROVIDERS, SpecIn
from designer_bff.nightly.service import NightlyService

router = APIRouter(prefix="/api/nightly", tags=["nightly"])

NightlyDep = Annotated[NightlyService, Depends(provide(NightlyService))]


# Every zone this machine knows (the service refuses others as invalid_timezone).
_ZONES: list[JsonValue] = [*sorted(available_timezones())]


class NightlyIn(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    # Absent: unchanged. Null is refused for these four (they always have a value), so
    # the document does not offer it.
    # Strict: 0 or "yes" is not a yes (the document says boolean).
    enabled: StrictBool | SkipJsonSchema[None] = None
    local_time: str | SkipJsonSchema[None] = Field(
        default=None,
        description="When it runs, HH:MM in `timezone`.",
        examples=["02:00"],
        json_schema_extra={"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"},
    )
    timezone: str | SkipJsonSchema[None] = Field(
        default=None,
        description="An IANA time zone.",
        examples=["Europe/Paris"],
        json_schema_extra={"enum": _ZONES},
    )
    quantity: Annotated[int, Field(strict=True, ge=1)] | SkipJsonSchema[None] = Field(
        default=None,
        description="Designs a night (at most MAX_QUANTITY_PER_COMMAND).",
        json_schema_extra={"maximum": MAX_QUANTITY},
    )
    provider: str | None = Field(
        default=None,
        description="A generation provider; null: the designer's default.",
        json_schema_extra={"enum": PROVIDERS},
    )
    max_cost: AmountIn = None
    spec: SpecIn | None = Field(
        default=None, description="What to make; null: the profile and learning choose."
    )


class NightlyRunOut(BaseModel):
    id: uuid.UUID
    run_date: date = Field(description="The designer's local date the batch is for.")
    status: str = Field(description="pending, running, completed, failed, cancelled, skipped")
    designs: int
    cost_usd: str
    collection_id: uuid.UUID | None
    collection_name: str | None
    job_id: uuid.UUID | None
    error_message: str | None
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class NightlyOut(BaseModel):
    configured: bool
    enabled: bool
    local_time: str
    timezone: str
    quantity: int
    provider: str | None
    max_cost: str | None = Field(description='USD a night at most, e.g. "5.00"; null: none.')
    spec: dict[str, Any] | None
    next_run_at: datetime | None
    next_run_local: str | None = Field(description="next_run_at in the designer's time zone.")
    last_run: NightlyRunOut | None


class NightlyRunsOut(BaseModel):
    items: list[NightlyRunOut]


_INVALID = (
    "`invalid_timezone`, `invalid_local_time`, `invalid_quantity`, `quantity_too_large`, "
    "`unknown_provider`, `invalid_spec` or `validation_error`"
)


@router.get("", response_model=NightlyOut)
async def get_nightly(current: UserDep, db: DbDep, nightly: NightlyDep) -> dict[str, Any]:
    """My nightly batch: when it runs (and next, in my time zone), what it makes, and its
    latest run."""
    return await nightly.get(db, current.id)


@router.put("", response_model=NightlyOut, responses=error_responses({422: _INVALID}))
async def set_nightly(
    body: NightlyIn, current: UserDep, db: DbDep, nightly: NightlyDep
) -> dict[str, Any]:
    """Change my nightly batch (only the fields given). The first change sets it up,
    enabled unless `enabled` is false."""
    changes = {key: getattr(body, key) for key in body.model_fields_set}
    return await nightly.update(db, current.id, changes)


@router.get("/runs", response_model=NightlyRunsOut)
async def nightly_runs(
    current: UserDep,
    db: DbDep,
    nightly: NightlyDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> dict[str, Any]:
    """My nightly runs, newest night first."""
    return {"items": await nightly.runs(db, current.id, limit=limit)}
