from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from designer_bff import __version__
from designer_bff.core.deps import provide
from designer_bff.core.metrics import Metrics
from designer_bff.health.service import HealthService

router = APIRouter(tags=["operations"])

HealthDep = Annotated[HealthService, Depends(provide(HealthService))]
MetricsDep = Annotated[Metrics, Depends(provide(Metrics))]


class HealthOut(BaseModel):
    status: str = Field(description="`ok`, or `degraded` when a dependency is down.")
    version: str
    checks: dict[str, dict[str, Any]] = Field(
        description="Per dependency (database, redis, storage, broker): its `status` "
        "(`ok`, `down`, `not_configured`) and what was measured."
    )


@router.get(
    "/health",
    summary="Liveness and dependency checks",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A dependency is down."}},
)
async def health(service: HealthDep) -> JSONResponse:
    checks = await service.checks()
    down = [name for name, c in checks.items() if c["status"] == "down"]
    body: dict[str, Any] = {
        "status": "degraded" if down else "ok",
        "version": __version__,
        "checks": checks,
    }
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(metrics: MetricsDep) -> Response:
    # Queue depth is read from the database now (or from a read a moment old).
    return Response(await metrics.render_async(), media_type=metrics.content_type)
