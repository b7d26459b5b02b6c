"""Costs and budgets in the API. Money goes out as strings with the ledger's 6 decimal
places ("4.200000"), as a design's `cost_usd` does: exact, never a binary float. Budgets
come in as null, a whole number of dollars (20) or a string with at most 2 decimal
places ("20.00"); a fractional JSON number (20.5) is refused, as a float cannot say
whether it meant 20.50 or 20.4999999."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from designer_bff.billing.service import AMOUNT_PATTERN, MAX_WHOLE_AMOUNT, parse_amount

USD_PATTERN = r"^-?[0-9]+\.[0-9]{6}$"


def _usd(description: str) -> Any:
    return Field(description=description, pattern=USD_PATTERN, examples=["4.200000"])


AmountIn = Annotated[
    Decimal | None,
    BeforeValidator(parse_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_WHOLE_AMOUNT},
                {"type": "string", "pattern": AMOUNT_PATTERN},
                {"type": "null"},
            ],
            "description": "US dollars a month: a whole number (20), a string with at most "
            '2 decimal places ("20.00"), or null for no limit.',
            "examples": ["20.00", 20, None],
        }
    ),
]


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    monthly_budget_usd: AmountIn


class BudgetCapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget_cap_usd: AmountIn


class BudgetOut(BaseModel):
    """A monthly budget (calendar months, UTC). null amounts mean no limit."""

    monthly_budget_usd: str | None = _usd("The designer's own monthly budget.")
    cap_usd: str | None = _usd("An administrator's ceiling on it.")
    effective_usd: str | None = _usd("The limit that applies: the lower of the two.")
    spent_usd: str = _usd("Spent this calendar month (UTC).")
    remaining_usd: str | None = _usd("Left this month under the limit, never below 0.")


class ProviderCost(BaseModel):
    provider: str = Field(description='The vendor: "openai", "replicate", "local-flats", ...')
    model: str | None
    amount_usd: str = _usd("Spent on this model in the period.")
    calls: int = Field(description="Paid calls recorded.")


class OperationCost(BaseModel):
    operation: str = Field(description="generate, enhance, analyze, transcribe, interpret.")
    amount_usd: str = _usd("Spent on this operation in the period.")
    calls: int


class DayCost(BaseModel):
    day: str = Field(description="The UTC calendar day, YYYY-MM-DD.", examples=["2026-12-01"])
    amount_usd: str = _usd("Spent that day.")
    calls: int
    by_provider: dict[str, str] = Field(
        description="Amount per vendor that day (only vendors with calls).",
        examples=[{"replicate": "0.080000"}],
    )


class _Period(BaseModel):
    period: str = Field(description="month, week (from Monday) or day: calendar, UTC.")
    start: datetime = Field(description="The period's first instant (UTC).")
    end: datetime = Field(description="The next period's first instant (exclusive).")
    total_usd: str = _usd("Spent in the period.")
    calls: int
    by_provider: list[ProviderCost] = Field(description="Largest amount first.")


class CostsOut(_Period):
    by_operation: list[OperationCost] = Field(description="Largest amount first.")
    by_day: list[DayCost] = Field(
        description="Each day from the period's start through today, days without calls at 0."
    )
    budget: BudgetOut


class UserCost(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    amount_usd: str = _usd("Spent in the period.")
    calls: int
    budget: BudgetOut


class AdminCostsOut(_Period):
    users: list[UserCost] = Field(
        description="Each designer who spent in the period or has a budget or cap, "
        "largest spender first."
    )
