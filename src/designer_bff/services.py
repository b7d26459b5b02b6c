"""The one place that wires implementations from configuration (InvokeAI's
dependencies.py): database, Redis, throttling, tokens, metrics. Features receive
these through FastAPI dependencies instead of building their own."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from designer_bff.auth.service import AuthService
from designer_bff.auth.tokens import TokenService
from designer_bff.collections.actions import register_collection_actions
from designer_bff.collections.service import CollectionService
from designer_bff.commands.parser import get_parser
from designer_bff.commands.service import CommandService
from designer_bff.config import ConfigError, Settings
from designer_bff.core.metrics import Metrics
from designer_bff.db.session import create_engine, create_sessionmaker
from designer_bff.gallery.actions import register_gallery_actions
from designer_bff.gallery.feedback import FeedbackService
from designer_bff.gallery.service import GalleryService
from designer_bff.generation.actions import register_generation_actions
from designer_bff.generation.engine import GenerationEngine
from designer_bff.generation.providers import ImageProvider
from designer_bff.generation.providers.registry import build_providers
from designer_bff.generation.queue import TaskQueue
from designer_bff.generation.service import GenerationService
from designer_bff.ratelimit.base import FailureCounter
from designer_bff.ratelimit.memory import MemoryFailureCounter
from designer_bff.ratelimit.redis import RedisFailureCounter
from designer_bff.realtime.events import EventRelay, RedisEmitterEventBus, socketio_channel
from designer_bff.speech import SpeechProvider, build_speech_provider
from designer_bff.storage import ObjectStore, build_object_store

log = structlog.get_logger("designer_bff.services")

HEALTH_TIMEOUT_S = 2.0


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis | None
    throttle: FailureCounter
    tokens: TokenService
    auth: AuthService
    storage: ObjectStore
    speech: SpeechProvider | None
    commands: CommandService
    providers: dict[str, ImageProvider]
    queue: TaskQueue
    events: EventRelay
    generator: GenerationEngine
    generation: GenerationService
    gallery: GalleryService
    feedback: FeedbackService
    collections: CollectionService
    metrics: Metrics = field(default_factory=Metrics)
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    def start_background(self) -> None:
        """Work that should begin when the app starts but must not delay it."""
        # The parser builds its vocabulary index on first use (~80 ms): not on a request.
        self._spawn(asyncio.to_thread(get_parser))
        if self.speech is not None and self.speech.available():
            self._spawn(self._warm_speech())

    async def _warm_speech(self) -> None:
        # The first spoken command would otherwise wait for the model to load.
        assert self.speech is not None
        try:
            await self.speech.warm_up()
            log.info("speech_ready", provider=self.speech.name)
        except Exception:
            log.exception("speech_warm_up_failed", provider=self.speech.name)

    def start_worker(self, *, sweeper: bool = True) -> None:
        """Make designs in this process: consume the queue (Redis) and sweep for expired
        leases and stalled queues. The in-process broker runs tasks as they are sent."""
        self.queue.set_handler(self._run_design_task)
        max_tasks = sum(self.generator.concurrency(p) for p in self.providers) * 2
        self.queue.start_receiver(max_tasks)
        if sweeper:
            self._spawn(self.generator.run_sweeper())

    async def _run_design_task(self, provider: str) -> None:
        await self.generator.run_one(provider)

    async def recover_embedded(self) -> None:
        """Embedded mode (SQLite, no Redis) has one worker, this process: whatever was claimed
        before a restart was claimed by a process that is gone, so it is released at once."""
        if self.queue.distributed or self.settings.is_postgres:
            # Other processes may share PostgreSQL: their claims are released only when
            # their leases expire (the sweeper).
            return
        from sqlalchemy import update

        from designer_bff.gallery.models import Image

        async with self.sessionmaker() as db:
            await db.execute(
                update(Image)
                .where(Image.status == "claimed")
                .values(status="pending", claimed_by=None, lease_expires_at=None)
            )
            await db.commit()
        for provider in self.providers:
            await self.generator.reseed(provider)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.queue.shutdown()
        await self.events.aclose()
        for provider in self.providers.values():
            await provider.aclose()
        if self.speech is not None:
            await self.speech.aclose()
        await self.storage.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()

    # -- health ------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        checks = await asyncio.gather(
            self._check("database", self._db_ok()),
            self._check("redis", self._redis_ok()) if self.redis else _not_configured(),
            self._check("storage", self._storage_ok()),
            self._check("broker", self.queue.health()) if self.redis else _in_process(),
        )
        return dict(zip(("database", "redis", "storage", "broker"), checks, strict=True))

    async def _check(self, name: str, probe: Any) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            await asyncio.wait_for(probe, HEALTH_TIMEOUT_S)
        except Exception as exc:  # any failure means "down"; the reason goes to the log
            log.warning("health_check_failed", check=name, error=repr(exc))
            return {"status": "down", "error": type(exc).__name__}
        return {"status": "ok", "latency_ms": round((loop.time() - start) * 1000, 2)}

    async def _db_ok(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _redis_ok(self) -> None:
        assert self.redis is not None
        await self.redis.ping()

    async def _storage_ok(self) -> None:
        if not await self.storage.health():
            raise ConnectionError(f"{self.storage.name} storage does not answer")


async def _not_configured() -> dict[str, Any]:
    return {"status": "not_configured"}


async def _in_process() -> dict[str, Any]:
    return {"status": "ok", "kind": "in-process"}


def build_services(settings: Settings, metrics: Metrics | None = None) -> Services:
    settings.check_production()
    db_engine = create_engine(settings.sqlalchemy_url)
    sessionmaker = create_sessionmaker(db_engine)
    redis = (
        Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
        if settings.redis_url
        else None
    )
    throttle: FailureCounter
    if redis is not None:
        throttle = RedisFailureCounter(
            redis,
            prefix=settings.redis_prefix,
            limit=settings.login_max_failures,
            window_s=settings.login_window_s,
        )
    else:
        throttle = MemoryFailureCounter(
            limit=settings.login_max_failures, window_s=settings.login_window_s
        )
    try:
        storage = build_object_store(
            media_dir=settings.media_root,
            r2_endpoint=settings.r2_endpoint,
            r2_access_key_id=settings.r2_access_key_id,
            r2_secret_access_key=settings.r2_secret_access_key,
            r2_bucket_name=settings.r2_bucket_name,
            r2_cdn_url=settings.r2_cdn_url,
            region=settings.r2_region,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    speech = build_speech_provider(
        settings.speech_provider,
        openai_api_key=settings.openai_api_key,
        openai_base_url=settings.openai_base_url,
        google_api_key=settings.google_api_key,
        google_base_url=settings.google_speech_base_url,
    )
    commands = CommandService(
        max_quantity=settings.max_quantity_per_command,
        speech=speech,
        speech_max_bytes=settings.speech_max_bytes,
        speech_max_seconds=settings.speech_max_seconds,
    )
    providers = build_providers()
    queue = TaskQueue(settings)
    events = EventRelay(
        RedisEmitterEventBus(settings.redis_url, socketio_channel(settings.redis_prefix))
        if settings.redis_url
        else None
    )
    generator = GenerationEngine(
        settings=settings,
        sessionmaker=sessionmaker,
        storage=storage,
        providers=providers,
        queue=queue,
        events=events,
        worker_id=f"{socket.gethostname()}-{os.getpid()}",
    )
    generation = GenerationService(settings, providers, queue, events)
    register_generation_actions(commands, generation)
    gallery = GalleryService(storage, grace=timedelta(days=settings.deleted_image_grace_days))
    collections = CollectionService(gallery)
    register_gallery_actions(commands, gallery)
    register_collection_actions(commands, collections, gallery)
    tokens = TokenService(
        settings.resolve_jwt_secret(),
        algorithm=settings.jwt_algorithm,
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
    )
    return Services(
        settings=settings,
        engine=db_engine,
        sessionmaker=sessionmaker,
        redis=redis,
        throttle=throttle,
        tokens=tokens,
        auth=AuthService(tokens, throttle),
        storage=storage,
        speech=speech,
        commands=commands,
        providers=providers,
        queue=queue,
        events=events,
        generator=generator,
        generation=generation,
        gallery=gallery,
        feedback=FeedbackService(gallery),
        collections=collections,
        metrics=metrics or Metrics(),
    )


__all__ = ["Services", "build_services"]
