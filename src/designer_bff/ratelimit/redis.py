from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from limits.aio.storage import RedisStorage
from redis.asyncio import Redis

from designer_bff.ratelimit.base import Limit, Throttle


class RedisThrottle(Throttle):
    """Shared by every API process, so throttling holds behind a load balancer. Counters
    live under `{prefix}ratelimit:` and use the app's Redis connection pool."""

    def __init__(self, redis: Redis, *, prefix: str, limits: Mapping[str, Limit]) -> None:
        # The pool is not one of the typed options, and it makes the URI irrelevant.
        options: dict[str, Any] = {"connection_pool": redis.connection_pool}
        storage = RedisStorage(
            "async+redis://", implementation="redispy", key_prefix=f"{prefix}ratelimit", **options
        )
        super().__init__(storage, limits)
