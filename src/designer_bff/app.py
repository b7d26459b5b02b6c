"""The ASGI application: FastAPI routes wrapped in our middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from designer_bff import __version__
from designer_bff.auth.routes import router as auth_router
from designer_bff.commands.routes import router as commands_router
from designer_bff.config import Settings, get_settings
from designer_bff.core.errors import install_error_handlers
from designer_bff.core.metrics import Metrics
from designer_bff.core.middleware import RequestContextMiddleware
from designer_bff.health.routes import router as health_router
from designer_bff.services import Services, build_services

log = structlog.get_logger("designer_bff.app")


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app. Services are created at startup unless given (tests share them)."""
    settings = settings or (services.settings if services else get_settings())
    metrics = services.metrics if services else Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings, metrics)
        app.state.services.start_background()
        log.info(
            "app_started",
            version=__version__,
            env=settings.app_env,
            database="postgresql" if settings.is_postgres else "sqlite",
            redis=bool(settings.redis_url),
        )
        try:
            yield
        finally:
            if owned:
                await app.state.services.close()

    app = FastAPI(
        title="Designer BFF",
        version=__version__,
        description="An AI design partner for fashion designers.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(commands_router)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    # Outermost, so every response (CORS preflights and crashes included) gets its id.
    app.add_middleware(
        RequestContextMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes
    )
    return app
