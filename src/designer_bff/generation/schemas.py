from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from designer_bff.core.fields import whole_floats
from designer_bff.garments.spec import ATTRIBUTES, Exclusions, GarmentSpec
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.generation.models import JobStatus
from designer_bff.generation.providers.local_flats import LocalFlatsProvider
from designer_bff.generation.routing import STRATEGIES


def _given(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


# The providers this deployment offers (the service refuses others as unknown_provider).
PROVIDERS: list[JsonValue] = [LocalFlatsProvider.name, None]
# The default MAX_QUANTITY_PER_COMMAND; the service refuses more as quantity_too_large.
MAX_QUANTITY = 100


def _taxonomy_values(fields: Mapping[str, str]) -> Callable[[dict[str, Any]], None]:
    """State each attribute's vocabulary (the taxonomy's canonical values) in the schema:
    the service refuses values outside it as `invalid_spec`."""

    def extra(schema: dict[str, Any]) -> None:
        taxonomy = get_taxonomy()
        for name, family in fields.items():
            prop = schema["properties"][name]
            values: list[JsonValue] = list(taxonomy.values(family))
            if prop.get("type") == "array":
                prop["items"] = {**prop.get("items", {}), "enum": values}
            else:
                prop["enum"] = [*values, None]
        if "quantity" in schema["properties"]:
            schema["properties"]["quantity"]["maximum"] = MAX_QUANTITY

    return extra


_CLOSED = [a for a in ATTRIBUTES if a.field != "details"]  # details are free text


class ExclusionsIn(Exclusions):
    model_config = ConfigDict(
        json_schema_extra=_taxonomy_values({a.exclude_key: a.field for a in _CLOSED})
    )


class SpecIn(GarmentSpec):
    """A garment spec in a request: each attribute from the taxonomy's vocabulary."""

    model_config = ConfigDict(
        json_schema_extra=_taxonomy_values({a.field: a.field for a in _CLOSED})
    )

    exclude: ExclusionsIn = Field(default_factory=ExclusionsIn)


class ProviderOptionsIn(BaseModel):
    """How a remote provider makes each design; a provider that has no price for a
    combination refuses it (`unpriced_options`)."""

    model_config = ConfigDict(extra="forbid")

    size: str | None = Field(
        default=None,
        json_schema_extra={
            "enum": ["1024x1024", "1024x1536", "1536x1024", "1024x1792", "1792x1024", None]
        },
    )
    quality: str | None = Field(
        default=None,
        json_schema_extra={"enum": ["low", "medium", "high", "standard", "hd", None]},
    )

    def given(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class GenerationIn(BaseModel):
    """Exactly one of `spec`, `prompt` or `command_id` (a null one counts as not given)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [_given(n) for n in ("spec", "prompt", "command_id")]},
    )

    spec: SpecIn | None = Field(default=None, description="What to design.")
    prompt: str | None = Field(default=None, min_length=1, max_length=4000)
    command_id: uuid.UUID | None = Field(default=None, description="A command from history.")
    # Counts are strict integers: "5" or true is a client bug, not a number.
    quantity: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        description="Designs to make (default 1).",
        json_schema_extra={"maximum": MAX_QUANTITY},
    )
    provider: str | None = Field(default=None, max_length=40, json_schema_extra={"enum": PROVIDERS})
    strategy: str | None = Field(
        default=None,
        description="When no provider is named: pick by cost, quality, speed or balanced.",
        json_schema_extra={"enum": [*STRATEGIES, None]},
    )
    options: ProviderOptionsIn | None = None
    fallback: bool = Field(
        default=True, strict=True, description="Try the next provider when this one is down."
    )
    priority: int = Field(default=0, strict=True, ge=-10, le=10)
    _whole = whole_floats("quantity", "priority")

    @model_validator(mode="after")
    def _one_source(self) -> GenerationIn:
        given = [n for n in ("spec", "prompt", "command_id") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of spec, prompt or command_id")
        return self


class LegacyGenerateIn(BaseModel):
    """The original guide's body: a prompt or a spec (the spec wins), with a count."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [_given("prompt"), _given("spec")]},
    )

    prompt: str | None = Field(default=None, min_length=1, max_length=4000)
    spec: SpecIn | None = None
    count: int | None = Field(
        default=None, strict=True, ge=1, json_schema_extra={"maximum": MAX_QUANTITY}
    )
    quantity: int | None = Field(
        default=None, strict=True, ge=1, json_schema_extra={"maximum": MAX_QUANTITY}
    )
    _whole = whole_floats("count", "quantity")
    provider: str | None = Field(default=None, json_schema_extra={"enum": PROVIDERS})


class EstimateOut(BaseModel):
    provider: str
    model: str
    chosen_by: str
    fallback: list[str]
    options: dict[str, str]
    quantity: int
    unit_price_usd: str
    total_usd: str
    remaining_usd: str | None
    within_budget: bool


class ProviderOut(BaseModel):
    name: str
    vendor: str
    model: str
    operation: str
    prompt_family: str
    unit_price_usd: str | None
    is_default: bool


class ProviderDefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_provider: str | None = Field(
        default=None, max_length=40, json_schema_extra={"enum": PROVIDERS}
    )
    provider_strategy: str | None = Field(
        default=None, json_schema_extra={"enum": [*STRATEGIES, None]}
    )


class ProviderDefaultsOut(BaseModel):
    default_provider: str | None
    provider_strategy: str | None


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
    status: JobStatus
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
