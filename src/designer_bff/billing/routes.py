"""Costs and budgets: a designer's own (/api/costs) and, for admins, everyone's
(/api/admin/costs) with the caps they set on designers' budgets."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from designer_bff.auth.deps import AdminDep, UserDep
from designer_bff.billing.ledger import Period
from designer_bff.billing.schemas import (
    AdminCostsOut,
    BudgetCapIn,
    BudgetIn,
    BudgetOut,
    CostsOut,
)
from designer_bff.billing.service import BillingService
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses

router = APIRouter(tags=["costs"])

BillingDep = Annotated[BillingService, Depends(provide(BillingService))]
PeriodQuery = Annotated[
    Period,
    Query(description="The calendar period (UTC) holding now: month, week (from Monday) or day."),
]

_ADMIN_ONLY = "`admin_required`: this needs an administrator account"
_ABOVE_CAP = (
    "`budget_above_cap`: above the ceiling an administrator set on your budget "
    "(`details.cap_usd` says what it is)"
)


@router.get("/api/costs", response_model=CostsOut)
async def my_costs(
    current: UserDep, db: DbDep, billing: BillingDep, period: PeriodQuery = "month"
) -> dict[str, Any]:
    """What I spent this month, week or day: in total, by provider and model, by operation
    and by day, with my monthly budget. Only my own calls are counted."""
    return await billing.summary(db, current.id, period)


@router.get("/api/costs/budget", response_model=BudgetOut)
async def my_budget(current: UserDep, db: DbDep, billing: BillingDep) -> dict[str, Any]:
    """My monthly budget: my own, the cap over it, what applies, spent and left."""
    return (await billing.budget(db, current.id)).to_dict()


@router.put(
    "/api/costs/budget",
    response_model=BudgetOut,
    responses=error_responses({422: _ABOVE_CAP}),
)
async def set_my_budget(
    body: BudgetIn, current: UserDep, db: DbDep, billing: BillingDep
) -> dict[str, Any]:
    """Set my monthly budget (null: none of my own). Paid designs stop when it is spent."""
    return (await billing.set_budget(db, current.id, body.monthly_budget_usd)).to_dict()


@router.get(
    "/api/admin/costs",
    response_model=AdminCostsOut,
    responses=error_responses({403: _ADMIN_ONLY}),
)
async def everyones_costs(
    admin: AdminDep, db: DbDep, billing: BillingDep, period: PeriodQuery = "month"
) -> dict[str, Any]:
    """Everyone's costs this month, week or day: the totals, each designer's (with their
    budget) and each provider's and model's."""
    return await billing.admin_summary(db, period)


@router.put(
    "/api/admin/users/{user_id:uuid}/budget-cap",
    response_model=BudgetOut,
    responses=error_responses({403: _ADMIN_ONLY, 404: "`not_found`: no user has this id"}),
)
async def set_budget_cap(
    user_id: uuid.UUID, body: BudgetCapIn, admin: AdminDep, db: DbDep, billing: BillingDep
) -> dict[str, Any]:
    """Cap a designer's monthly budget (null: no cap). The lower of their own budget and
    the cap applies; the designer cannot set a budget above it."""
    return (await billing.set_cap(db, admin.id, user_id, body.budget_cap_usd)).to_dict()
