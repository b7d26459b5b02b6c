from __future__ import annotations

from redis.asyncio import Redis

from designer_bff.ratelimit.base import FailureCounter


class RedisFailureCounter(FailureCounter):
    """Shared by every API process, so throttling holds behind a load balancer."""

    def __init__(self, redis: Redis, *, prefix: str, limit: int, window_s: int) -> None:
        super().__init__(limit=limit, window_s=window_s)
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}fail:{key}"

    async def retry_after(self, key: str) -> int | None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._key(key))
            pipe.ttl(self._key(key))
            count, ttl = await pipe.execute()
        if count is not None and int(count) >= self.limit:
            return max(1, int(ttl)) if ttl and ttl > 0 else self.window_s
        return None

    async def record_failure(self, key: str) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._key(key))
            # NX: the window starts at the first failure and is not extended by later ones.
            pipe.expire(self._key(key), self.window_s, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def reset(self, key: str) -> None:
        await self.redis.delete(self._key(key))
