from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `amount` attempts per key in a window of `window_s` seconds that starts at
    the key's first attempt."""

    amount: int
    window_s: int

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.window_s)


class Throttle:
    """Named limits over one `limits` storage; the implementations only choose the storage.

    An attempt is *reserved* before the work it guards (a password check) with one atomic
    increment that is refused once the limit is reached, so however requests are timed no
    more than `amount` of them run per window. Checking first and counting after the
    failure let every one of a parallel burst through."""

    def __init__(self, storage: Storage, limits: Mapping[str, Limit]) -> None:
        self.storage = storage
        self.limits = dict(limits)
        # Fixed window: the counter's expiry is set by its first hit, so the window starts
        # at the first attempt and is not extended by later ones; Retry-After is its TTL.
        self._limiter = FixedWindowRateLimiter(storage)
        self._items = {name: limit.item() for name, limit in self.limits.items()}

    async def reserve(self, *claims: tuple[str, str]) -> int | None:
        """Take one attempt from each (limit name, key). None when all were granted;
        otherwise nothing is taken and the answer is the seconds until the first limit that
        refused has room again."""
        taken: list[tuple[str, str]] = []
        for name, key in claims:
            if not await self._limiter.hit(self._items[name], name, key):
                # The refused hit counted too: give it back with those already granted.
                for granted in [*taken, (name, key)]:
                    await self.refund(*granted)
                return await self.retry_after(name, key)
            taken.append((name, key))
        return None

    async def refund(self, name: str, key: str) -> None:
        """Give back one reserved attempt (it succeeded, or another limit refused it)."""
        item = self._items[name]
        storage_key = item.key_for(name, key)
        left = await self.storage.incr(storage_key, item.get_expiry(), amount=-1)
        if left < 0:  # the window ran out meanwhile: no credit for the next one
            await self.storage.clear(storage_key)

    async def reset(self, name: str, key: str) -> None:
        """Forget the key's attempts (after a success that proves the caller)."""
        await self._limiter.clear(self._items[name], name, key)

    async def retry_after(self, name: str, key: str) -> int:
        """Whole seconds (at least 1) until the key's window ends."""
        stats = await self._limiter.get_window_stats(self._items[name], name, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
