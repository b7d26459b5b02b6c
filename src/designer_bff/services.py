"""The one place that wires implementations from configuration (InvokeAI's
dependencies.py): database, Redis, throttling, tokens, metrics. Features receive
these through FastAPI dependencies instead of building their own."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from designer_bff.auth.service import AuthService
from designer_bff.auth.tokens import TokenService
from designer_bff.config import Settings
from designer_bff.core.metrics import Metrics
from designer_bff.db.session import create_engine, create_sessionmaker
from designer_bff.ratelimit.base import FailureCounter
from designer_bff.ratelimit.memory import MemoryFailureCounter
from designer_bff.ratelimit.redis import RedisFailureCounter

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
    metrics: Metrics = field(default_factory=Metrics)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()

    # -- health ------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        checks = await asyncio.gather(
            self._check("database", self._db_ok()),
            self._check("redis", self._redis_ok()) if self.redis else _not_configured(),
            self._check("storage", self._storage_ok()),
            self._check("broker", self._redis_ok()) if self.redis else _in_process(),
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
        root = self.settings.media_root

        def _probe() -> None:
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=root, prefix=".health-"):
                pass
            if not os.access(root, os.W_OK):
                raise PermissionError(str(root))

        await asyncio.to_thread(_probe)


async def _not_configured() -> dict[str, Any]:
    return {"status": "not_configured"}


async def _in_process() -> dict[str, Any]:
    return {"status": "ok", "kind": "in-process"}


def build_services(settings: Settings, metrics: Metrics | None = None) -> Services:
    settings.check_production()
    engine = create_engine(settings.sqlalchemy_url)
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
    tokens = TokenService(
        settings.resolve_jwt_secret(),
        algorithm=settings.jwt_algorithm,
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
    )
    return Services(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        redis=redis,
        throttle=throttle,
        tokens=tokens,
        auth=AuthService(tokens, throttle),
        metrics=metrics or Metrics(),
    )


__all__ = ["Services", "build_services"]
