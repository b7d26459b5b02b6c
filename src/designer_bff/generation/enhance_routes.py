"""POST /api/images/{id}/enhance: a larger, sharper copy of one of my designs, made in the
background as a design of its own."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from designer_bff.auth.deps import UserDep
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses
from designer_bff.generation.enhancement import MAX_PIXELS, MAX_SIDE, EnhancementService

router = APIRouter(tags=["generation"])

EnhancementDep = Annotated[EnhancementService, Depends(provide(EnhancementService))]


class EnhanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: Literal[2, 4] = Field(default=2, description="Enlarge ×2 or ×4.")
    face_fix: bool = Field(
        default=False,
        strict=True,
        description="Restore faces too (only with a provider that can: not the local one).",
    )
    provider: str | None = Field(
        default=None,
        max_length=40,
        description="An enhancement provider (GET /api/generations/providers, operation "
        "`enhance`); by default the cheapest that can do what is asked.",
    )


class EnhancementOut(BaseModel):
    id: uuid.UUID = Field(description="The new design's id (GET /api/images/{id} once ready).")
    job_id: uuid.UUID = Field(description="Its job: progress at GET /api/generations/{id}.")
    status: str = Field(description="`pending` until the engine has made it.")
    type: Literal["enhanced"]
    source_image_id: uuid.UUID
    provider: str
    model: str
    scale: int
    face_fix: bool
    width: int = Field(description="What the new design will measure.")
    height: int
    price_usd: str = Field(description="What it costs (charged once made).")
    urls: dict[str, str] = Field(description="Its files, served once it is ready.")
    job_url: str
    created_at: datetime


@router.post(
    "/api/images/{image_id:uuid}/enhance",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EnhancementOut,
    responses=error_responses(
        {
            402: "`budget_exceeded`: the enhancement costs more than is left of the monthly budget",
            404: "`not_found`: no design of yours has this id",
            409: "`not_ready`: the design is still being made (or was never made)",
            422: "`unknown_provider` (not an enhancement provider), `face_fix_unavailable` "
            "(the provider cannot restore faces), `too_large` (the result would pass "
            f"{MAX_SIDE} px a side or {MAX_PIXELS // 1_000_000} MP), `unpriced_options`, "
            "or an invalid `scale`",
        }
    ),
)
async def enhance_image(
    image_id: uuid.UUID,
    service: EnhancementDep,
    db: DbDep,
    current: UserDep,
    body: EnhanceIn | None = None,
) -> dict[str, Any]:
    """Queue an enlarged (×2 or ×4), sharpened copy of a ready design. The copy is a new
    design (`type` `enhanced`, `source_image_id` this one), made in the background like
    any design: `job.progress` and `image.created` arrive over Socket.IO, and it joins
    the gallery when ready. The local upscaler is free; remote ones are charged."""
    body = body or EnhanceIn()
    made = await service.create(
        db,
        current.id,
        image_id,
        scale=body.scale,
        face_fix=body.face_fix,
        provider=body.provider,
    )
    return made.out()
