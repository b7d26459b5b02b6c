"""Dependency checks behind GET /health: each part answers within a bound, or is down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import structlog
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from designer_bff.generation.queue import TaskQueue
from designer_bff.storage import ObjectStore

log = structlog.get_logger("designer_bff.health")

HEALTH_TIMEOUT_S = 2.0


class HealthService:
    def __init__(
        self, engine: AsyncEngine, redis: Redis | None, storage: ObjectStore, queue: TaskQueue
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.storage = storage
        self.queue = queue

    async def checks(self) -> dict[str, Any]:
        results = await asyncio.gather(
            self._check("database", self._db_ok()),
            self._check("redis", self._redis_ok()) if self.redis else _fixed("not_configured"),
            self._check("storage", self._storage_ok()),
            self._check("broker", self.queue.health()) if self.redis else _in_process(),
        )
        return dict(zip(("database", "redis", "storage", "broker"), results, strict=True))

    async def _check(self, name: str, probe: Awaitable[None]) -> dict[str, Any]:
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


async def _fixed(status: str) -> dict[str, Any]:
    return {"status": status}


async def _in_process() -> dict[str, Any]:
    return {"status": "ok", "kind": "in-process"}
