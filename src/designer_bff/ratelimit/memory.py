from __future__ import annotations

import asyncio
import math
import time

from designer_bff.ratelimit.base import FailureCounter

_MAX_KEYS = 100_000


class MemoryFailureCounter(FailureCounter):
    """For the single-process embedded mode; state is lost on restart, which is acceptable
    for throttling (a restart takes longer than an attacker gains)."""

    def __init__(self, *, limit: int, window_s: int) -> None:
        super().__init__(limit=limit, window_s=window_s)
        self._entries: dict[str, tuple[float, int]] = {}  # key -> (window start, count)
        self._lock = asyncio.Lock()

    def _live(self, key: str, now: float) -> tuple[float, int] | None:
        entry = self._entries.get(key)
        if entry and now - entry[0] >= self.window_s:
            del self._entries[key]
            return None
        return entry

    async def retry_after(self, key: str) -> int | None:
        now = time.monotonic()
        entry = self._live(key, now)
        if entry and entry[1] >= self.limit:
            return max(1, math.ceil(self.window_s - (now - entry[0])))
        return None

    async def record_failure(self, key: str) -> int:
        async with self._lock:
            now = time.monotonic()
            entry = self._live(key, now)
            if entry is None:
                if len(self._entries) >= _MAX_KEYS:
                    self._evict(now)
                entry = (now, 0)
            entry = (entry[0], entry[1] + 1)
            self._entries[key] = entry
            return entry[1]

    async def reset(self, key: str) -> None:
        self._entries.pop(key, None)

    def _evict(self, now: float) -> None:
        # Bounded memory under a flood of distinct keys: drop expired, then oldest.
        for key in [k for k, (start, _) in self._entries.items() if now - start >= self.window_s]:
            del self._entries[key]
        while len(self._entries) >= _MAX_KEYS:
            del self._entries[next(iter(self._entries))]
