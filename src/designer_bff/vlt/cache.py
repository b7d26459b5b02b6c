"""Where finished analyses are kept, keyed by what was analysed (a content hash), so the
same bytes are never sent to the paid API twice.

Values are JSON objects; both stores hand back a fresh copy, so a caller mutating what
it got cannot change what the next caller gets."""

from __future__ import annotations

import abc
import json
from collections import OrderedDict
from typing import Any

from redis.asyncio import Redis


class AnalysisCache(abc.ABC):
    @abc.abstractmethod
    async def get(self, key: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def set(self, key: str, value: dict[str, Any]) -> None: ...


def _decode(raw: str | bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:  # a corrupt entry is a miss, not an error
        return None
    return value if isinstance(value, dict) else None


class MemoryAnalysisCache(AnalysisCache):
    """In-process, least recently used entries dropped beyond `max_entries` (without
    Redis, one process's cache: a restart forgets it)."""

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = self._entries.get(key)
        if raw is None:
            return None
        self._entries.move_to_end(key)
        return _decode(raw)

    async def set(self, key: str, value: dict[str, Any]) -> None:
        # Stored as JSON text: the same values round-trip as through Redis.
        self._entries[key] = json.dumps(value, separators=(",", ":"))
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class RedisAnalysisCache(AnalysisCache):
    """Shared by every process on the Redis: `prefix + key`, expiring after `ttl_s`."""

    def __init__(self, redis: Redis, *, prefix: str = "vlt:", ttl_s: int = 30 * 24 * 3600) -> None:
        if ttl_s < 1:
            raise ValueError("ttl_s must be at least 1")
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.prefix + key)
        return _decode(raw)

    async def set(self, key: str, value: dict[str, Any]) -> None:
        await self.redis.set(
            self.prefix + key, json.dumps(value, separators=(",", ":")), ex=self.ttl_s
        )
