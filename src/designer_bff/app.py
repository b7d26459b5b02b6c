"""The ASGI application: FastAPI routes wrapped in our middleware, with the Socket.IO
server beside them at /socket.io."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import socketio
import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from designer_bff import __version__
from designer_bff.analytics.routes import router as analytics_router
from designer_bff.auth.routes import router as auth_router
from designer_bff.billing.routes import router as billing_router
from designer_bff.collections.routes import router as collections_router
from designer_bff.commands.routes import router as commands_router
from designer_bff.commands.voice_stream import VoiceStreams
from designer_bff.config import Settings, get_settings
from designer_bff.core.deps import install_registry
from designer_bff.core.errors import Unauthorized, install_error_handlers
from designer_bff.core.metrics import Metrics
from designer_bff.core.middleware import RequestContextMiddleware
from designer_bff.core.openapi import install_openapi
from designer_bff.gallery.routes import collection_router, shared_router
from designer_bff.gallery.routes import router as gallery_router
from designer_bff.generation.enhance_routes import router as enhance_router
from designer_bff.generation.openapi import state_providers
from designer_bff.generation.routes import router as generation_router
from designer_bff.health.routes import router as health_router
from designer_bff.learning.routes import router as learning_router
from designer_bff.nightly.routes import router as nightly_router
from designer_bff.portfolio.routes import LARGE_UPLOAD_PATHS
from designer_bff.portfolio.routes import router as portfolio_router
from designer_bff.realtime.events import SocketIOEventBus
from designer_bff.realtime.server import SocketGateway, SocketIdentity
from designer_bff.services import Services, build_services
from designer_bff.webapp import mount_webapp

log = structlog.get_logger("designer_bff.app")


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    run_worker: bool = True,
) -> FastAPI:
    """Build the app. Services are created at startup unless given (tests share them).
    `run_worker` makes designs in this process too (the embedded default)."""
    settings = settings or (services.settings if services else get_settings())
    metrics = services.metrics if services else Metrics()

    gateway = SocketGateway(settings, _AccountsForSockets(lambda: app.state.services))
    sio = gateway.sio

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        current = services or build_services(settings, metrics)
        app.state.services = current
        if current.events.sink is None:
            # No Redis: this process's own Socket.IO server delivers every event.
            current.events.sink = SocketIOEventBus(sio)
        if settings.redis_url and not sio.manager_initialized:
            # Subscribe to the Redis channel now, not at the first client connection:
            # pub/sub keeps no backlog, so events published before then would be lost.
            sio.manager_initialized = True
            sio.manager.initialize()
        install_registry(app.state, current.registry())
        current.sessions.subscribe(gateway.end_sessions)
        await current.sessions.start()
        current.spawn(gateway.run_rechecks())
        # Partial transcripts while a designer speaks (a preview: nothing stored or charged).
        voice = VoiceStreams(current.speech, settings.speech_max_bytes, settings.speech_max_seconds)
        voice.register(sio)
        gateway.disconnect_hooks.append(voice.forget_socket)
        app.state.voice_streams = voice
        current.spawn(voice.run_sweeps())
        await current.queue.startup()
        current.start_background()
        if run_worker:
            await current.worker.start()
        log.info(
            "app_started",
            version=__version__,
            env=settings.app_env,
            database="postgresql" if settings.is_postgres else "sqlite",
            redis=bool(settings.redis_url),
            worker=run_worker,
        )
        try:
            yield
        finally:
            gateway.disconnect_hooks.remove(voice.forget_socket)
            await voice.aclose()
            if owned:
                await current.close()

    app = FastAPI(
        title="Designer BFF",
        version=__version__,
        description="An AI design partner for fashion designers.",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: the API browser must work offline
        # No OpenTelemetry here (Prometheus /metrics and JSON logs instead): FastAPI's
        # built-in telemetry otherwise asks the environment for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    _mount_docs(app)
    app.state.sio = sio
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(commands_router)
    app.include_router(generation_router)
    app.include_router(enhance_router)
    app.include_router(gallery_router)
    app.include_router(collections_router)
    app.include_router(collection_router)
    app.include_router(shared_router)
    app.include_router(billing_router)
    app.include_router(analytics_router)
    app.include_router(portfolio_router)
    app.include_router(learning_router)
    app.include_router(nightly_router)
    install_openapi(app, state_providers)
    mount_webapp(app)  # the built web app at / (only when web/dist exists)

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
        RequestContextMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        # Uploads stream to disk; their routes enforce the finer limits (files, pixels).
        large_bodies={
            path: settings.portfolio_max_bytes + 1024 * 1024 for path in LARGE_UPLOAD_PATHS
        },
    )
    return app


class _AccountsForSockets:
    """The accounts side of Socket.IO authentication (realtime does not import auth)."""

    def __init__(self, services: Callable[[], Services]) -> None:
        self._services = services  # built at startup, after the socket server

    async def identify(self, token: str) -> SocketIdentity:
        current = self._services()
        claims = current.tokens.decode_access(token)
        async with current.sessionmaker() as db:
            await current.auth.session_user(db, claims.user_id, claims.session_id)
        return SocketIdentity(str(claims.user_id), str(claims.session_id), claims.expires_at)

    async def session_alive(self, user_id: str, session_id: str) -> bool:
        current = self._services()
        async with current.sessionmaker() as db:
            try:
                await current.auth.session_user(db, uuid.UUID(user_id), uuid.UUID(session_id))
            except Unauthorized:
                return False
        return True


def _mount_docs(app: FastAPI) -> None:
    """/docs with Swagger UI from the `swagger-ui-bundle-v2` package, not a CDN."""
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )


def asgi_app(app: FastAPI) -> socketio.ASGIApp:
    """What the server runs: Socket.IO at /socket.io, everything else to FastAPI."""
    return socketio.ASGIApp(app.state.sio, other_asgi_app=app, socketio_path="socket.io")


def api_from_environment() -> socketio.ASGIApp:
    """Factory for `serve --role api --workers N`: one API process, configured from the
    environment like the parent (which has already migrated the database)."""
    from designer_bff.core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return asgi_app(create_app(settings, run_worker=False))
