"""My analytics: dashboard, style evolution, provider performance and recent activity.
Each reads only the caller's own designs, feedback, costs and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from designer_bff.analytics.schemas import (
    ActivityPageOut,
    DashboardOut,
    ProvidersOut,
    StyleEvolutionOut,
)
from designer_bff.analytics.service import MAX_ACTIVITY, MAX_WEEKS, AnalyticsService
from designer_bff.auth.deps import UserDep
from designer_bff.core.deps import DbDep, provide

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

AnalyticsDep = Annotated[AnalyticsService, Depends(provide(AnalyticsService))]
WeeksQuery = Annotated[
    int,
    Query(ge=1, le=MAX_WEEKS, description="How many weeks (UTC, from Monday), this one last."),
]


@router.get("/dashboard", response_model=DashboardOut)
async def dashboard(
    current: UserDep, db: DbDep, analytics: AnalyticsDep, weeks: WeeksQuery = 12
) -> dict[str, Any]:
    """My totals, my designs, outliers and costs per week, my favourite styles and the
    attribute values most often among my outliers."""
    return await analytics.dashboard(db, current.id, weeks)


@router.get("/style-evolution", response_model=StyleEvolutionOut)
async def style_evolution(
    current: UserDep, db: DbDep, analytics: AnalyticsDep, weeks: WeeksQuery = 12
) -> dict[str, Any]:
    """Per week: what my outliers showed, and my style profile at the week's end."""
    return await analytics.style_evolution(db, current.id, weeks)


@router.get("/provider-performance", response_model=ProvidersOut)
async def provider_performance(
    current: UserDep, db: DbDep, analytics: AnalyticsDep
) -> dict[str, Any]:
    """Per provider and model: my designs, outlier rate and what they cost."""
    return {"items": await analytics.provider_performance(db, current.id)}


@router.get("/recent-activity", response_model=ActivityPageOut)
async def recent_activity(
    current: UserDep,
    db: DbDep,
    analytics: AnalyticsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_ACTIVITY, description="How many items.")] = 20,
) -> dict[str, Any]:
    """What happened lately, newest first: designs made, outliers and favourites marked,
    collections created, nightly batches and portfolio analyses."""
    return {"items": await analytics.recent_activity(db, current.id, limit)}
