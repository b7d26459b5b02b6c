"""The one place that picks the analyzer from configuration: the Visual Descriptor API
when VLT_API_URL is set, else the local analyzer."""

from __future__ import annotations

from redis.asyncio import Redis

from designer_bff.vlt.base import ImageAnalyzer
from designer_bff.vlt.cache import AnalysisCache, MemoryAnalysisCache, RedisAnalysisCache
from designer_bff.vlt.local import LocalAnalyzer
from designer_bff.vlt.remote import RemoteAnalyzer

# Analyses are facts about bytes: kept a month, so re-uploads are never paid for twice.
CACHE_TTL_S = 30 * 24 * 3600


def build_analyzer(
    *,
    url: str | None,
    api_key: str | None,
    models: list[str],
    timeout_s: float,
    redis: Redis | None,
    redis_prefix: str,
) -> ImageAnalyzer:
    if not url:
        return LocalAnalyzer()
    cache: AnalysisCache = (
        RedisAnalysisCache(redis, prefix=f"{redis_prefix}vlt:", ttl_s=CACHE_TTL_S)
        if redis is not None
        else MemoryAnalysisCache()
    )
    return RemoteAnalyzer(
        url=url, api_key=api_key, models=tuple(models), timeout_s=timeout_s, cache=cache
    )
