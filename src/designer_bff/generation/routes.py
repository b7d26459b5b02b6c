from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from designer_bff.core.deps import DbDep, UserDep
from designer_bff.core.pagination import MAX_LIMIT
from designer_bff.generation.schemas import GenerationIn, JobOut, JobPage, LegacyGenerateIn
from designer_bff.generation.service import GenerationService, canonical_spec, job_out

router = APIRouter(tags=["generation"])


def _service(request: Request) -> GenerationService:
    return request.app.state.services.generation


@router.post("/api/generations", status_code=status.HTTP_202_ACCEPTED, response_model=JobOut)
async def create_generation(
    body: GenerationIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Queue N designs from a spec, a prompt or a stored command. Progress arrives over
    Socket.IO (`job.progress`, `image.created`, `job.completed`) and at GET /{id}."""
    service = _service(request)
    if body.spec is not None:
        specs = [(canonical_spec(body.spec), body.quantity or body.spec.quantity or 1)]
        source = "spec"
    elif body.prompt is not None:
        specs = await service.specs_from_prompt(body.prompt, body.quantity)
        source = "prompt"
    else:
        assert body.command_id is not None
        specs = await service.specs_from_command(db, current.id, body.command_id, body.quantity)
        source = "command"
    job = await service.create(
        db,
        current.id,
        specs=specs,
        source=source,
        provider=body.provider,
        priority=body.priority,
        prompt=body.prompt,
        command_id=body.command_id,
    )
    return job_out(job, await service.images(db, job))


@router.get("/api/generations", response_model=JobPage)
async def list_generations(
    request: Request,
    db: DbDep,
    current: UserDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """My generation jobs, newest first."""
    jobs, next_cursor = await _service(request).list(db, current.id, limit=limit, cursor=cursor)
    return {"items": [job_out(j) for j in jobs], "next_cursor": next_cursor}


@router.get("/api/generations/{job_id}", response_model=JobOut)
async def get_generation(
    job_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    service = _service(request)
    job = await service.get(db, current.id, job_id)
    return job_out(job, await service.images(db, job))


@router.post("/api/generations/{job_id}/cancel", response_model=JobOut)
async def cancel_generation(
    job_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Stop designs not yet made; designs already made stay."""
    service = _service(request)
    job = await service.cancel(db, current.id, job_id)
    return job_out(job, await service.images(db, job))


# -- the original guide's calls ----------------------------------------------------------


@router.post("/api/images/generate", status_code=status.HTTP_202_ACCEPTED)
async def legacy_generate(
    body: LegacyGenerateIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    service = _service(request)
    quantity = body.quantity or body.count
    if body.spec is not None:
        specs = [(canonical_spec(body.spec), quantity or body.spec.quantity or 1)]
        source = "spec"
    elif body.prompt:
        specs = await service.specs_from_prompt(body.prompt, quantity)
        source = "prompt"
    else:
        from designer_bff.core.errors import AppError

        raise AppError("Give a prompt or a spec.", code="validation_error", status_code=422)
    job = await service.create(
        db, current.id, specs=specs, source=source, provider=body.provider, prompt=body.prompt
    )
    return {
        "success": True,
        "jobId": str(job.id),
        "status": job.status,
        "quantity": job.quantity,
        "statusUrl": f"/api/images/job/{job.id}",
    }


@router.get("/api/images/job/{job_id}")
async def legacy_job_status(
    job_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    service = _service(request)
    job = await service.get(db, current.id, job_id)
    data = job_out(job, await service.images(db, job))
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
