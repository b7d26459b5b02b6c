"""The one place that wires implementations from configuration (InvokeAI's
dependencies.py): database, Redis, throttling, tokens, storage, speech, providers, queue,
events and every feature's service. Features receive them through typed FastAPI
dependencies (`core.deps.provide`); nothing here decides anything."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from designer_bff.analytics.service import AnalyticsService
from designer_bff.auth.gate import SessionGate
from designer_bff.auth.service import AuthService, throttle_limits
from designer_bff.auth.tokens import TokenService
from designer_bff.billing import ledger
from designer_bff.billing.actions import register_billing_actions
from designer_bff.billing.pricing import PriceTable
from designer_bff.billing.service import BillingService
from designer_bff.collections.actions import register_collection_actions
from designer_bff.collections.service import CollectionService
from designer_bff.commands.interpreter import CallBilling, build_interpreter
from designer_bff.commands.service import CommandService
from designer_bff.config import ConfigError, Settings
from designer_bff.core.metrics import Metrics
from designer_bff.core.tasks import cancel_and_wait
from designer_bff.db.session import create_engine, create_sessionmaker
from designer_bff.gallery.actions import register_gallery_actions
from designer_bff.gallery.feedback import FeedbackService
from designer_bff.gallery.service import GalleryService
from designer_bff.generation.actions import register_generation_actions
from designer_bff.generation.engine import GenerationEngine
from designer_bff.generation.enhancement import EnhancementService
from designer_bff.generation.providers import ImageProvider
from designer_bff.generation.providers.registry import build_providers
from designer_bff.generation.queue import TaskQueue
from designer_bff.generation.service import GenerationService
from designer_bff.generation.worker import GenerationWorker
from designer_bff.health.service import HealthService
from designer_bff.learning.cache import FiguresCache, MemoryFiguresCache, RedisFiguresCache
from designer_bff.learning.service import LearningConfig, LearningService
from designer_bff.nightly.actions import register_nightly_actions
from designer_bff.nightly.service import NightlyService
from designer_bff.portfolio.service import PortfolioService
from designer_bff.ratelimit.base import Throttle
from designer_bff.ratelimit.memory import MemoryThrottle
from designer_bff.ratelimit.redis import RedisThrottle
from designer_bff.realtime.events import EventRelay, RedisEmitterEventBus, socketio_channel
from designer_bff.realtime.sessions import (
    LocalSessionSignal,
    RedisSessionSignal,
    SessionSignal,
    sessions_channel,
)
from designer_bff.speech import SpeechProvider, build_speech_provider
from designer_bff.storage import ObjectStore, object_store_from_settings
from designer_bff.styles.analysis import AnalysisRunner
from designer_bff.styles.service import StyleService
from designer_bff.vlt.base import ImageAnalyzer
from designer_bff.vlt.factory import build_analyzer

log = structlog.get_logger("designer_bff.services")

# Per process; Redis itself allows 10,000 clients by default.
REDIS_MAX_CONNECTIONS = 200


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis | None
    throttle: Throttle
    tokens: TokenService
    auth: AuthService
    storage: ObjectStore
    prices: PriceTable
    speech: SpeechProvider | None
    commands: CommandService
    providers: dict[str, ImageProvider]
    queue: TaskQueue
    events: EventRelay
    generator: GenerationEngine
    worker: GenerationWorker
    generation: GenerationService
    enhancement: EnhancementService
    gallery: GalleryService
    feedback: FeedbackService
    collections: CollectionService
    billing: BillingService
    analytics: AnalyticsService
    health: HealthService
    sessions: SessionSignal
    analyzer: ImageAnalyzer
    styles: StyleService
    analysis: AnalysisRunner
    portfolio: PortfolioService
    nightly: NightlyService
    learning: LearningService
    metrics: Metrics = field(default_factory=Metrics)
    _background: set[asyncio.Task[Any]] = field(default_factory=set)

    def registry(self) -> dict[type, object]:
        """Each wired instance under its type, for `core.deps.provide`."""
        out: dict[type, object] = {async_sessionmaker: self.sessionmaker}
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.name.startswith("_") and value is not None and not isinstance(value, dict):
                out.setdefault(type(value), value)
                # Interfaces too (ObjectStore, Throttle...): routes name the interface.
                for base in type(value).__mro__[1:]:
                    if base is not object and base.__module__.startswith("designer_bff"):
                        out.setdefault(base, value)
        return out

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run in the background until `close`; a task that ends is forgotten."""
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def start_background(self) -> None:
        """Work that should begin when the app starts but must not delay it."""
        self.spawn(self.commands.warm_up())

    async def close(self) -> None:
        for task in list(self._background):
            await cancel_and_wait(task)
        await self.worker.stop()
        await self.metrics.aclose()
        await self.analyzer.close()
        await self.sessions.aclose()
        await self.queue.shutdown()
        await self.events.aclose()
        for provider in self.providers.values():
            await provider.aclose()
        if self.speech is not None:
            await self.speech.aclose()
        await self.storage.aclose()
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)
        await self.engine.dispose()


def _forget_in(gate: SessionGate) -> Callable[[list[str]], Awaitable[None]]:
    async def forget(session_ids: list[str]) -> None:
        gate.forget(session_ids)

    return forget


def build_services(settings: Settings, metrics: Metrics | None = None) -> Services:
    settings.check_production()
    metrics = metrics or Metrics()
    db_engine = create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    sessionmaker = create_sessionmaker(db_engine)
    redis = (
        Redis(
            # A burst of requests waits for a free connection (up to 5 s) instead of failing
            # with "Too many connections" (redis-py's plain pool refuses at 100).
            connection_pool=BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=REDIS_MAX_CONNECTIONS,
                timeout=5,
                socket_connect_timeout=2,
                socket_timeout=5,
            )
        )
        if settings.redis_url
        else None
    )
    limits = throttle_limits(settings)
    throttle: Throttle = (
        RedisThrottle(redis, prefix=settings.redis_prefix, limits=limits)
        if redis is not None
        else MemoryThrottle(limits)
    )
    try:
        storage = object_store_from_settings(settings)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    speech = build_speech_provider(
        settings.speech_provider,
        openai_api_key=settings.openai_api_key,
        openai_base_url=settings.openai_base_url,
        google_api_key=settings.google_api_key,
        google_base_url=settings.google_speech_base_url,
        whisper_model=settings.whisper_model,
        model_dir=settings.data_dir / "models",
    )
    try:
        prices = PriceTable.load(settings.prices_file)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"PRICES_FILE: {exc}") from exc
    try:
        interpreter = build_interpreter(
            settings.command_interpreter,
            openai_api_key=settings.openai_api_key,
            openai_base_url=settings.openai_base_url,
            model=settings.openai_chat_model,
            timeout_s=settings.openai_chat_timeout_s,
            prices=prices,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    commands = CommandService(
        max_quantity=settings.max_quantity_per_command,
        speech=speech,
        speech_max_bytes=settings.speech_max_bytes,
        speech_max_seconds=settings.speech_max_seconds,
        interpreter=interpreter,
        billing=CallBilling(prices=prices, record=ledger.record, remaining=ledger.remaining),
    )
    providers = build_providers(prices, settings)
    queue = TaskQueue(settings)
    queue.on_reconnect = metrics.reconnect_counter("queue")
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
        metrics=metrics,
    )
    analyzer = build_analyzer(
        url=settings.vlt_api_url,
        api_key=settings.vlt_api_key,
        models=settings.vlt_models,
        timeout_s=settings.vlt_timeout_s,
        redis=redis,
        redis_prefix=settings.redis_prefix,
    )
    styles = StyleService()
    analysis = AnalysisRunner(
        sessionmaker=sessionmaker,
        storage=storage,
        analyzer=analyzer,
        styles=styles,
        events=events,
        prices=prices,
        wake=queue.enqueue_analysis,
        worker_id=f"{socket.gethostname()}-{os.getpid()}",
        concurrency=settings.analysis_concurrency,
        lease_s=settings.analysis_lease_s,
        max_attempts=settings.analysis_max_attempts,
        sweep_interval_s=settings.generation_sweep_interval_s,
    )
    portfolio = PortfolioService(storage, styles, events, queue.enqueue_analysis, analyzer.name)
    figures_cache: FiguresCache = (
        RedisFiguresCache(redis, settings.redis_prefix)
        if redis is not None
        else MemoryFiguresCache()
    )
    learning = LearningService(
        LearningConfig(
            half_life_days=settings.learning_half_life_days,
            explore=settings.learning_explore,
            k=settings.learning_k,
            prior_strength=settings.learning_prior_strength,
            cache_s=settings.learning_cache_s,
        ),
        figures_cache,
        profile_inputs=styles.prompt_inputs,
    )
    generation = GenerationService(
        settings, providers, queue, events, style_inputs=learning.prompt_inputs
    )
    enhancement = EnhancementService(providers, queue, events, generation)
    register_generation_actions(commands, generation)
    gallery = GalleryService(
        storage,
        grace=timedelta(days=settings.deleted_image_grace_days),
        portfolio_visibility=styles.portfolio_visibility,
    )
    collections = CollectionService()
    register_gallery_actions(commands, gallery)
    billing = BillingService()
    register_billing_actions(commands, billing)
    register_collection_actions(commands, collections)
    nightly = NightlyService(settings, sessionmaker, generation, collections, events)
    register_nightly_actions(commands, nightly)
    sessions: SessionSignal = (
        RedisSessionSignal(redis, sessions_channel(settings.redis_prefix))
        if redis is not None
        else LocalSessionSignal()
    )
    # Standing sessions served from memory; revocations reach every process's gate over
    # the sessions signal, and a re-subscribed signal (messages maybe missed) clears it.
    gate = SessionGate(settings.session_cache_s)
    sessions.subscribe(_forget_in(gate))
    sessions.on_reset(gate.clear)
    sessions.on_reset(metrics.reconnect_counter("session_signal", skip_first=True))
    worker = GenerationWorker(
        generator,
        queue,
        embedded=not (queue.distributed or settings.is_postgres),
        analysis=analysis,
    )
    metrics.watch_queue(worker.queue_depth)
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
        auth=AuthService(tokens, throttle, sessions, gate),
        storage=storage,
        prices=prices,
        speech=speech,
        commands=commands,
        providers=providers,
        queue=queue,
        events=events,
        generator=generator,
        worker=worker,
        generation=generation,
        enhancement=enhancement,
        gallery=gallery,
        feedback=FeedbackService(on_change=learning.invalidate),
        collections=collections,
        billing=billing,
        analytics=AnalyticsService(settings.learning_k),
        health=HealthService(db_engine, redis, storage, queue),
        sessions=sessions,
        analyzer=analyzer,
        styles=styles,
        analysis=analysis,
        portfolio=portfolio,
        nightly=nightly,
        learning=learning,
        metrics=metrics,
    )


__all__ = ["Services", "build_services"]
