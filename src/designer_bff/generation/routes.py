from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from designer_bff.auth.deps import UserDep
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses
from designer_bff.core.pagination import PageParams, newest_first_format, page_params
from designer_bff.generation.models import GenerationJob, JobSource
from designer_bff.generation.schemas import (
    EstimateOut,
    GenerationIn,
    JobOut,
    JobPage,
    LegacyGenerateIn,
    ProviderDefaultsIn,
    ProviderDefaultsOut,
    ProviderOut,
)
from designer_bff.generation.service import GenerationService, job_out

router = APIRouter(tags=["generation"])

GenerationDep = Annotated[GenerationService, Depends(provide(GenerationService))]

_UNMAKEABLE = (
    "`quantity_too_large`, `invalid_quantity`, `unknown_provider`, `command_not_makeable` "
    "or `not_a_generation_command`: nothing can be made from it"
)
_CREATE_ERRORS = error_responses(
    {
        402: "`budget_exceeded`: the estimate is more than is left of the monthly budget "
        "(`details.remaining_usd`)",
        404: "`not_found`: no command of yours has this `command_id`",
        422: _UNMAKEABLE,
    }
)


@router.post(
    "/api/generations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses=_CREATE_ERRORS,
)
async def create_generation(
    body: GenerationIn, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Queue N designs from a spec, a prompt or a stored command. Progress arrives over
    Socket.IO (`job.progress`, `image.created`, `job.completed`) and at GET /{id}."""
    specs, source = await service.specs_from_request(
        db,
        current.id,
        spec=body.spec,
        prompt=body.prompt,
        command_id=body.command_id,
        quantity=body.quantity,
    )
    job = await service.create(
        db,
        current.id,
        specs=specs,
        source=source,
        provider=body.provider,
        strategy=body.strategy,
        options=body.options.given() if body.options else None,
        fallback=body.fallback,
        priority=body.priority,
        prompt=body.prompt if source == JobSource.PROMPT else None,
        command_id=body.command_id,
    )
    return await service.describe(db, job)


@router.post(
    "/api/generations/estimate",
    response_model=EstimateOut,
    responses=error_responses(
        {404: "`not_found`: no command of yours has this `command_id`", 422: _UNMAKEABLE}
    ),
)
async def estimate_generation(
    body: GenerationIn, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """What POST /api/generations with this body would cost, which provider would make
    it, and whether it fits what is left of the monthly budget. Nothing is made."""
    specs, _ = await service.specs_from_request(
        db,
        current.id,
        spec=body.spec,
        prompt=body.prompt,
        command_id=body.command_id,
        quantity=body.quantity,
    )
    return await service.estimate(
        db,
        current.id,
        total=sum(n for _, n in specs),
        provider=body.provider,
        strategy=body.strategy,
        options=body.options.given() if body.options else None,
        fallback=body.fallback,
    )


@router.get("/api/generations/providers", response_model=list[ProviderOut])
async def list_providers(service: GenerationDep, current: UserDep) -> list[dict[str, Any]]:
    """The providers this deployment offers, with the price of one design each."""
    return service.offered()


@router.get("/api/generations/defaults", response_model=ProviderDefaultsOut)
async def get_defaults(service: GenerationDep, db: DbDep, current: UserDep) -> dict[str, Any]:
    """My default provider and strategy (used when a request names neither)."""
    return await service.defaults(db, current.id)


@router.put(
    "/api/generations/defaults",
    response_model=ProviderDefaultsOut,
    responses=error_responses({422: "`unknown_provider` or `unknown_strategy`"}),
)
async def set_defaults(
    body: ProviderDefaultsIn, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    return await service.set_defaults(
        db,
        current.id,
        default_provider=body.default_provider,
        provider_strategy=body.provider_strategy,
    )


@router.get("/api/generations", response_model=JobPage)
async def list_generations(
    service: GenerationDep,
    db: DbDep,
    current: UserDep,
    page: Annotated[PageParams, page_params(newest_first_format(GenerationJob), 20)],
) -> dict[str, Any]:
    """My generation jobs, newest first."""
    jobs, next_cursor = await service.page(db, current.id, limit=page.limit, cursor=page.cursor)
    return {"items": [job_out(j) for j in jobs], "next_cursor": next_cursor}


@router.get("/api/generations/{job_id:uuid}", response_model=JobOut)
async def get_generation(
    job_id: uuid.UUID, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    return await service.describe(db, await service.get(db, current.id, job_id))


@router.post("/api/generations/{job_id:uuid}/cancel", response_model=JobOut)
async def cancel_generation(
    job_id: uuid.UUID, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Stop designs not yet made; designs already made stay."""
    return await service.describe(db, await service.cancel(db, current.id, job_id))


# -- the original guide's calls ----------------------------------------------------------


@router.post(
    "/api/images/generate",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses({422: _UNMAKEABLE}),
)
async def legacy_generate(
    body: LegacyGenerateIn, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    specs, source = await service.specs_from_request(
        db,
        current.id,
        spec=body.spec,
        prompt=body.prompt or None,
        command_id=None,
        quantity=service.check_quantity(body.quantity, body.count),
    )
    job = await service.create(
        db,
        current.id,
        specs=specs,
        source=source,
        provider=body.provider,
        prompt=body.prompt if source == JobSource.PROMPT else None,
    )
    return {
        "success": True,
        "jobId": str(job.id),
        "status": job.status,
        "quantity": job.quantity,
        "statusUrl": f"/api/images/job/{job.id}",
    }


@router.get("/api/images/job/{job_id:uuid}")
async def legacy_job_status(
    job_id: uuid.UUID, service: GenerationDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    job = await service.get(db, current.id, job_id)
    data = await service.describe(db, job)
    return {
        "success": True,
        "jobId": str(job.id),
        "status": job.status,
        "progress": data["progress"],
        "cost": data["cost_usd"],
        "error": data["error"],
        "images": [
            {
                "id": str(i["id"]),
                "url": i["urls"]["preview"],
                "thumbnailUrl": i["urls"]["thumb"],
                "width": i["width"],
                "height": i["height"],
                "thumbhash": i["thumbhash"],
            }
            for i in data["images"]
            if i["urls"]
        ],
    }
