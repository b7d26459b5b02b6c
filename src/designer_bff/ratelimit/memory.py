from __future__ import annotations

from collections.abc import Mapping

from limits.aio.storage import MemoryStorage

from designer_bff.ratelimit.base import Limit, Throttle


class MemoryThrottle(Throttle):
    """For the single-process embedded mode; state is lost on restart, which is acceptable
    for throttling (a restart takes longer than an attacker gains). Expired counters are
    dropped by the storage as it is used."""

    def __init__(self, limits: Mapping[str, Limit]) -> None:
        super().__init__(MemoryStorage(), limits)
