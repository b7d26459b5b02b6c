"""What Designer BFF has learned: mine (/api/preferences, with corrections), everyone's
anonymous trends (/api/trends) and, for admins, the global figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from designer_bff.auth.deps import AdminDep, UserDep
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses
from designer_bff.learning.schemas import (
    CorrectionIn,
    GlobalLearningOut,
    PreferencesOut,
    RefreshOut,
    TrendsOut,
)
from designer_bff.learning.service import LearningService

router = APIRouter(tags=["learning"])

LearningDep = Annotated[LearningService, Depends(provide(LearningService))]
_INVALID = "`invalid_preference`: not a learned attribute, or not one of its values"


@router.get("/api/preferences", response_model=PreferencesOut)
async def my_preferences(current: UserDep, db: DbDep, learning: LearningDep) -> dict[str, Any]:
    """What my feedback taught: plain-word statements and the figures per value."""
    return await learning.report(db, current.id)


@router.put(
    "/api/preferences/{attribute}/{value}",
    response_model=PreferencesOut,
    responses=error_responses({422: _INVALID}),
)
async def correct_preference(
    attribute: str,
    value: str,
    body: CorrectionIn,
    current: UserDep,
    db: DbDep,
    learning: LearningDep,
) -> dict[str, Any]:
    """Correct what was learned about one value (forget, avoid, prefer, or null)."""
    await learning.correct(db, current.id, attribute, value, body.correction)
    return await learning.report(db, current.id)


@router.delete("/api/preferences", status_code=204)
async def forget_preferences(current: UserDep, db: DbDep, learning: LearningDep) -> Response:
    """Forget everything learned so far (feedback on designs stays)."""
    await learning.forget_all(db, current.id)
    return Response(status_code=204)


@router.get("/api/trends", response_model=TrendsOut)
async def trends(
    current: UserDep,
    db: DbDep,
    learning: LearningDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Top styles and attributes across designers (only values at least k designers
    contributed to: no one's own taste can be read from it)."""
    return await learning.trends(db, limit)


@router.get("/api/admin/global-learning", response_model=GlobalLearningOut)
async def global_learning(admin: AdminDep, db: DbDep, learning: LearningDep) -> dict[str, Any]:
    """The global figures per attribute value (k-anonymous)."""
    return await learning.admin_global(db)


@router.post("/api/admin/global-learning/refresh", response_model=RefreshOut)
async def refresh_global_learning(
    admin: AdminDep, db: DbDep, learning: LearningDep
) -> dict[str, Any]:
    """Recount the global figures now (a periodic task does it anyway)."""
    return {"values": await learning.refresh_global(db)}
