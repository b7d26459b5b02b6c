from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from designer_bff import __version__
from designer_bff.core.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness and dependency checks")
async def health(services: ServicesDep) -> JSONResponse:
    checks = await services.health()
    down = [name for name, c in checks.items() if c["status"] == "down"]
    body: dict[str, Any] = {
        "status": "degraded" if down else "ok",
        "version": __version__,
        "checks": checks,
    }
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type=services.metrics.content_type)
