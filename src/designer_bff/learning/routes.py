"""What Designer BFF has learned: mine (/api/preferences, with corrections), everyone's
anonymous trends (/api/trends) and, for admins, the global figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from designer_bff.auth.deps import AdminDep, UserDep
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses
from designer_bff.learning.core import LEARNED_ATTRIBUTES
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
_UNKNOWN = "`not_found`: the value is not one of the attribute's taxonomy values"
_ADMIN_ONLY = "`admin_required`: this needs an administrator account"
AttributePath = Annotated[
    str,
    Path(
        description="A learned attribute (garment spec field).",
        json_schema_extra={"enum": list(LEARNED_ATTRIBUTES)},
    ),
]
ValuePath = Annotated[str, Path(description="One of the attribute's taxonomy values.")]


@router.get("/api/preferences", response_model=PreferencesOut)
async def my_preferences(current: UserDep, db: DbDep, learning: LearningDep) -> dict[str, Any]:
    """What my feedback taught: plain-word statements and the figures per value."""
    return await learning.report(db, current.id)


@router.put(
    "/api/preferences/{attribute}/{value}",
    response_model=PreferencesOut,
    responses=error_responses({404: _UNKNOWN}),
)
async def correct_preference(
    attribute: AttributePath,
    value: ValuePath,
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


@router.get(
    "/api/admin/global-learning",
    response_model=GlobalLearningOut,
    responses=error_responses({403: _ADMIN_ONLY}),
)
async def global_learning(admin: AdminDep, db: DbDep, learning: LearningDep) -> dict[str, Any]:
    """The global figures per attribute value (k-anonymous)."""
    return await learning.admin_global(db)


@router.post(
    "/api/admin/global-learning/refresh",
    response_model=RefreshOut,
    responses=error_responses({403: _ADMIN_ONLY}),
)
async def refresh_global_learning(
    admin: AdminDep, db: DbDep, learning: LearningDep
) -> dict[str, Any]:
    """Recount the global figures now (a periodic task does it anyway)."""
    return {"values": await learning.refresh_global(db)}
