"""Analytics in the API. Money goes out as strings with the ledger's 6 decimal places
("4.200000"), as the cost routes do; rates are fractions 0..1 rounded to 4 places."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from designer_bff.billing.schemas import USD_PATTERN

WEEK_DOC = "The Monday (UTC) the week starts on, YYYY-MM-DD."


def _usd(description: str) -> Any:
    return Field(description=description, pattern=USD_PATTERN, examples=["4.200000"])


def _rate(description: str = "Outliers / designs, 0 when there are no designs.") -> Any:
    return Field(description=description, ge=0, le=1, examples=[0.125])


class TotalsOut(BaseModel):
    designs: int = Field(description="Generated designs, ready and not deleted (all time).")
    outliers: int = Field(description="Those marked as outliers.")
    outlier_rate: float = _rate()
    favorites: int = Field(description="Those marked as favourites.")
    cost_usd: str = _usd("Everything in my cost ledger, all time.")
    cost_this_month_usd: str = _usd("My cost ledger this calendar month (UTC).")


class WeekOut(BaseModel):
    week_start: str = Field(description=WEEK_DOC, examples=["2026-11-02"])
    designs: int = Field(description="Designs created that week.")
    outliers: int = Field(description="How many of them are marked as outliers.")
    outlier_rate: float = _rate()
    cost_usd: str = _usd("My cost ledger that week.")


class StyleOut(BaseModel):
    value: str
    designs: int
    outliers: int


class AttributeOut(BaseModel):
    attribute: str = Field(description="The spec field: garment_type, styles, colors, ...")
    value: str
    designs: int
    outliers: int
    outlier_rate: float = _rate()


class DashboardOut(BaseModel):
    totals: TotalsOut
    weekly: list[WeekOut] = Field(description="Oldest first, weeks without designs included.")
    favourite_styles: list[StyleOut] = Field(
        description="Style values, most outliers first, then most designs (at most 10)."
    )
    top_attributes: list[AttributeOut] = Field(
        description="Attribute values, most outliers first, then the highest outlier rate, "
        "then most designs (at most 10)."
    )


class OutlierShareOut(BaseModel):
    value: str
    count: int = Field(description="Outliers of the week showing this value.")
    share: float = Field(description="count / the week's outliers.", ge=0, le=1)


class ShareOut(BaseModel):
    value: str
    share: float = Field(description="The value's weight in the profile.", ge=0, le=1)


class PeriodOut(BaseModel):
    week_start: str = Field(description=WEEK_DOC, examples=["2026-11-02"])
    designs: int
    outliers: int
    outlier_attributes: dict[str, list[OutlierShareOut]] = Field(
        description="Per attribute, what that week's outliers showed, most frequent first."
    )
    profile: dict[str, list[ShareOut]] | None = Field(
        description="My style profile as it stood at the end of the week (its top values "
        "per attribute); null before I had one."
    )


class StyleEvolutionOut(BaseModel):
    periods: list[PeriodOut] = Field(description="One per week, oldest first.")


class ProviderOut(BaseModel):
    provider: str
    model: str | None
    designs: int
    outliers: int
    outlier_rate: float = _rate()
    cost_usd: str = _usd("What these designs cost to make.")
    cost_per_design: str = _usd("cost_usd / designs.")
    cost_per_outlier: str | None = Field(
        description="cost_usd / outliers; null when there are none.", pattern=USD_PATTERN
    )


class ProvidersOut(BaseModel):
    items: list[ProviderOut] = Field(description="Most designs first.")


class ActivityOut(BaseModel):
    type: Literal["generation", "feedback", "collection", "nightly", "analysis"]
    at: datetime
    text: str = Field(examples=["10 designs from “make me 10 bohemian dresses”"])
    ref: dict[str, str | None] = Field(
        description="What it is about: job_id (generation, analysis, nightly), image_id "
        "(feedback), collection_id (collection, nightly).",
        examples=[{"job_id": "3f2b8a9e-3c1d-4e7a-9a57-2f1e5b8c6d4a"}],
    )


class ActivityPageOut(BaseModel):
    items: list[ActivityOut] = Field(description="Newest first.")
