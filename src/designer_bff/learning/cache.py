"""Where a designer's learned figures are kept between generations: Redis when
configured (feedback in any process clears them for all), else this process's memory."""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from redis.asyncio import Redis


class FiguresCache(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def set(self, key: str, value: dict[str, Any], ttl_s: float) -> None: ...

    async def delete(self, key: str) -> None: ...


class MemoryFiguresCache:
    def __init__(self, max_entries: int = 4096) -> None:
        self._items: dict[str, tuple[float, dict[str, Any]]] = {}
        self._max = max_entries

    async def get(self, key: str) -> dict[str, Any] | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return item[1]

    async def set(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        if len(self._items) >= self._max:
            # Oldest first: dicts keep insertion order.
            self._items.pop(next(iter(self._items)))
        self._items[key] = (time.monotonic() + ttl_s, value)

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)


class RedisFiguresCache:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.prefix + key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def set(self, key: str, value: dict[str, Any], ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        await self.redis.set(self.prefix + key, json.dumps(value), px=max(1, int(ttl_s * 1000)))

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)
