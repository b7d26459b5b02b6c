"""RemoteAnalyzer against a real local HTTP server speaking the Visual Descriptor API."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from designer_bff.vlt.base import AnalyzerError
from designer_bff.vlt.cache import MemoryAnalysisCache, RedisAnalysisCache
from designer_bff.vlt.remote import RemoteAnalyzer
from tests.vlt.fake_vlt_server import NAMED_COLORS, FakeVLT, fake_vlt, solid_png, striped_png

# As tests/conftest.py: Redis-backed tests run when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL")

NAVY = NAMED_COLORS["Navy Blue"]
CRIMSON = NAMED_COLORS["Crimson"]
OFF_WHITE = NAMED_COLORS["Off White"]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLT]:
    with fake_vlt() as fake:
        yield fake


@pytest.fixture
def vlt(server: FakeVLT) -> FakeVLT:
    server.script()
    return server


def make_analyzer(server: FakeVLT, **overrides: Any) -> RemoteAnalyzer:
    options: dict[str, Any] = {
        "url": server.base_url,
        "api_key": server.api_key,
        "models": ("gemini", "openai"),
        "timeout_s": 5.0,
        "cache": MemoryAnalysisCache(),
        "retries": 2,
        "retry_delay_s": 0.01,
        "max_retry_delay_s": 2.0,
        "health_timeout_s": 1.0,
    }
    options.update(overrides)
    return RemoteAnalyzer(**options)


@pytest.fixture
async def analyzer(vlt: FakeVLT) -> AsyncIterator[RemoteAnalyzer]:
    remote = make_analyzer(vlt)
    yield remote
    await remote.close()


def unique_png() -> bytes:
    """Different bytes each call (so no test is served another's cache entry), same look."""
    shade = uuid.uuid4().int % 5
    return solid_png((NAVY[0] + shade, NAVY[1], NAVY[2]))


async def test_the_record_is_kept_whole_and_mapped_onto_the_spec(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    analysis = await analyzer.analyze(solid_png(NAVY), image_id="img-1")
    assert analysis.provider == "vlt-api" and analyzer.name == "vlt-api"
    assert analysis.model == "gemini"
    assert (analysis.billable, analysis.cached) == (True, False)
    record = analysis.record
    assert record["image_id"] == "img-1"
    assert record["colors"]["primary"] == "Navy Blue"  # read from the uploaded pixels
    assert record["version"] == "vlt-1.4-gemini"
    assert analysis.prompt_text == "a navy blue midi dress"
    spec = analysis.spec
    assert (spec.garment_type, spec.length, spec.silhouette) == ("dress", "midi", "a-line")
    assert (spec.neckline, spec.sleeve) == ("sweetheart", "puff")
    assert spec.colors == ["navy"]
    assert spec.patterns == ["solid"]
    assert spec.fabrics == ["cotton"]
    assert spec.details == ["pocket", "button", "zipper"]
    assert analysis.confidence["garment_type"] == 0.95
    assert analysis.confidence["fabrics"] == 0.61
    assert analysis.confidence["length"] == 0.7
    assert analysis.timings["remote_ms"] > 0

    (request,) = vlt.requests
    assert request.headers["authorization"] == f"Bearer {vlt.api_key}"
    assert request.form == {"passes": "A,B,C", "model": "gemini"}
    filename, content_type, data = request.files["file"]
    assert (filename, content_type, data) == ("img-1.png", "image/png", solid_png(NAVY))


async def test_another_image_gives_another_spec(analyzer: RemoteAnalyzer) -> None:
    analysis = await analyzer.analyze(striped_png(CRIMSON, OFF_WHITE, size=(96, 64)))
    spec = analysis.spec
    assert spec.garment_type == "pants"
    assert spec.silhouette == "relaxed"  # the record's own silhouette beats the name's
    assert spec.colors == ["red", "ivory"]
    assert spec.patterns == ["striped"]
    assert spec.sleeve is None and spec.neckline is None


async def test_gemini_failing_falls_back_to_openai(vlt: FakeVLT, analyzer: RemoteAnalyzer) -> None:
    vlt.script(gemini=["503", "500", "503"])
    analysis = await analyzer.analyze(unique_png())
    assert analysis.model == "openai"
    assert analysis.record["version"] == "vlt-1.4-openai"
    assert analysis.billable is True
    assert vlt.calls == {"gemini": 3, "openai": 1}  # one try and two retries, then openai


async def test_a_5xx_once_is_retried_on_the_same_model(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    vlt.script(gemini=["502"])
    analysis = await analyzer.analyze(unique_png())
    assert analysis.model == "gemini"
    assert vlt.calls == {"gemini": 2}


async def test_429_waits_for_retry_after_then_succeeds(vlt: FakeVLT) -> None:
    vlt.script(gemini=["429:0.5"])
    analyzer = make_analyzer(vlt, retry_delay_s=0.001)
    try:
        started = time.monotonic()
        analysis = await analyzer.analyze(unique_png())
        elapsed = time.monotonic() - started
    finally:
        await analyzer.close()
    assert analysis.model == "gemini"
    assert vlt.calls == {"gemini": 2}
    assert elapsed >= 0.5  # the server's wait, not the 1 ms backoff


async def test_a_retry_after_beyond_the_cap_moves_on_to_the_next_model(vlt: FakeVLT) -> None:
    vlt.script(gemini=["429:120"])
    analyzer = make_analyzer(vlt, max_retry_delay_s=1.0)
    try:
        started = time.monotonic()
        analysis = await analyzer.analyze(unique_png())
        elapsed = time.monotonic() - started
    finally:
        await analyzer.close()
    assert analysis.model == "openai"
    assert vlt.calls == {"gemini": 1, "openai": 1}
    assert elapsed < 1.0


async def test_timeouts_are_vlt_unavailable_and_transient(vlt: FakeVLT) -> None:
    vlt.script(gemini=["slow:3"], openai=["slow:3"])
    analyzer = make_analyzer(vlt, timeout_s=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(AnalyzerError) as caught:
            await analyzer.analyze(unique_png())
        elapsed = time.monotonic() - started
    finally:
        await analyzer.close()
    assert caught.value.code == "vlt_unavailable"
    assert caught.value.transient is True
    assert "gemini" in caught.value.message and "openai" in caught.value.message
    # A timed-out model is not asked again (the job may still be running there).
    assert vlt.calls == {"gemini": 1, "openai": 1}
    assert elapsed < 2.0


async def test_every_model_failing_is_vlt_unavailable(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    vlt.script(gemini=["500"] * 3, openai=["503"] * 3)
    with pytest.raises(AnalyzerError) as caught:
        await analyzer.analyze(unique_png())
    assert (caught.value.code, caught.value.transient) == ("vlt_unavailable", True)
    assert "HTTP 503" in caught.value.message or "(503)" in caught.value.message
    assert vlt.calls == {"gemini": 3, "openai": 3}


async def test_a_malformed_or_empty_reply_is_retried(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    vlt.script(gemini=["malformed", "empty"])
    analysis = await analyzer.analyze(unique_png())
    assert analysis.model == "gemini"
    assert analysis.spec.garment_type == "dress"
    assert vlt.calls == {"gemini": 3}


async def test_a_wrong_key_is_vlt_unauthorized_and_final(vlt: FakeVLT) -> None:
    analyzer = make_analyzer(vlt, api_key="sk-wrong-key-123")
    try:
        with pytest.raises(AnalyzerError) as caught:
            await analyzer.analyze(unique_png())
    finally:
        await analyzer.close()
    assert (caught.value.code, caught.value.transient) == ("vlt_unauthorized", False)
    assert "VLT_API_KEY" in caught.value.message
    assert "sk-wrong-key-123" not in caught.value.message
    assert len(vlt.requests) == 1  # neither retried nor sent to the other model


async def test_a_missing_key_is_vlt_unauthorized(vlt: FakeVLT) -> None:
    analyzer = make_analyzer(vlt, api_key=None)
    try:
        with pytest.raises(AnalyzerError) as caught:
            await analyzer.analyze(unique_png())
    finally:
        await analyzer.close()
    assert caught.value.code == "vlt_unauthorized"
    assert "authorization" not in vlt.requests[0].headers


async def test_bytes_that_are_no_image_are_invalid_image(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    with pytest.raises(AnalyzerError) as caught:
        await analyzer.analyze(b"%PDF-1.7 this is a pdf, not a picture")
    assert (caught.value.code, caught.value.transient) == ("invalid_image", False)
    assert "not a decodable image" in caught.value.message
    assert vlt.calls == {"gemini": 1}
    with pytest.raises(AnalyzerError) as empty:
        await analyzer.analyze(b"")
    assert empty.value.code == "invalid_image"
    assert vlt.calls == {"gemini": 1}  # empty bytes never leave the process


async def test_the_same_bytes_are_analysed_and_paid_for_once(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    data = unique_png()
    first = await analyzer.analyze(data)
    second = await analyzer.analyze(data)
    assert vlt.calls == {"gemini": 1}
    assert (first.billable, first.cached) == (True, False)
    assert (second.billable, second.cached) == (False, True)
    assert second.record == first.record
    assert second.spec == first.spec and second.confidence == first.confidence
    assert second.model == "gemini"
    await analyzer.analyze(striped_png(CRIMSON, OFF_WHITE))  # other bytes: a new call
    assert vlt.calls == {"gemini": 2}


async def test_a_failure_is_not_cached(vlt: FakeVLT, analyzer: RemoteAnalyzer) -> None:
    vlt.script(gemini=["500"] * 3, openai=["500"] * 3)
    data = unique_png()
    with pytest.raises(AnalyzerError):
        await analyzer.analyze(data)
    analysis = await analyzer.analyze(data)
    assert analysis.billable is True and analysis.model == "gemini"


async def test_concurrent_requests_for_the_same_bytes_share_one_call(
    vlt: FakeVLT, analyzer: RemoteAnalyzer
) -> None:
    vlt.script(gemini=["slow:0.3"])
    data = unique_png()
    results = await asyncio.gather(*(analyzer.analyze(data) for _ in range(4)))
    assert vlt.calls == {"gemini": 1}
    assert sum(a.billable for a in results) == 1
    assert all(a.record == results[0].record for a in results)


async def test_another_model_list_is_another_cache_entry(vlt: FakeVLT) -> None:
    cache = MemoryAnalysisCache()
    data = unique_png()
    both = make_analyzer(vlt, cache=cache)
    only_openai = make_analyzer(vlt, cache=cache, models=("openai",))
    try:
        await both.analyze(data)
        analysis = await only_openai.analyze(data)
    finally:
        await both.close()
        await only_openai.close()
    assert analysis.model == "openai" and analysis.billable is True
    assert vlt.calls == {"gemini": 1, "openai": 1}


async def test_health(vlt: FakeVLT, analyzer: RemoteAnalyzer) -> None:
    health = await analyzer.health()
    assert (health.status, health.endpoint, health.detail) == ("healthy", vlt.base_url, None)
    vlt.healthy = False
    health = await analyzer.health()
    assert health.status == "unhealthy"
    assert health.detail is not None and "503" in health.detail


async def test_server_down() -> None:
    with fake_vlt() as down:
        analyzer = make_analyzer(down)
        assert (await analyzer.health()).status == "healthy"
    try:  # the server is gone now, its port closed
        health = await analyzer.health()
        assert health.status == "unhealthy"
        assert health.endpoint == down.base_url
        assert health.detail == "connection refused"
        with pytest.raises(AnalyzerError) as caught:
            await analyzer.analyze(unique_png())
        assert (caught.value.code, caught.value.transient) == ("vlt_unavailable", True)
    finally:
        await analyzer.close()


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError):
        RemoteAnalyzer(url="vlt.example.com", api_key="k")
    with pytest.raises(ValueError):
        RemoteAnalyzer(url="https://vlt.example.com", api_key="k", models=())
    analyzer = RemoteAnalyzer(url="https://vlt.example.com/", api_key="secret-key")
    assert analyzer.url == "https://vlt.example.com"
    assert "secret-key" not in repr(analyzer)


# --- the caches -----------------------------------------------------------------------


async def test_memory_cache_is_bounded_lru_and_hands_out_copies() -> None:
    cache = MemoryAnalysisCache(max_entries=2)
    await cache.set("a", {"record": {"n": 1}})
    await cache.set("b", {"record": {"n": 2}})
    got = await cache.get("a")  # a is now the most recently used
    assert got == {"record": {"n": 1}}
    got["record"]["n"] = 99
    await cache.set("c", {"record": {"n": 3}})
    assert await cache.get("b") is None
    assert await cache.get("a") == {"record": {"n": 1}}
    assert await cache.get("c") == {"record": {"n": 3}}
    assert len(cache) == 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_cache_outage_costs_a_call_not_the_analysis(vlt: FakeVLT) -> None:
    # No client-side retries: the point is what the analyzer does when Redis fails.
    redis = Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    analyzer = make_analyzer(vlt, cache=RedisAnalysisCache(redis, prefix="x:", ttl_s=60))
    try:
        analysis = await analyzer.analyze(unique_png())
    finally:
        await analyzer.close()
        await redis.aclose()
    assert analysis.billable is True and analysis.spec.garment_type == "dress"


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    redis = Redis.from_url(REDIS_URL)
    prefix = f"dbfftest:vlt:{uuid.uuid4().hex[:10]}:"
    try:
        yield redis, prefix
    finally:
        async for key in redis.scan_iter(match=f"{prefix}*", count=500):
            await redis.delete(key)
        await redis.aclose()


async def test_redis_cache_is_shared_between_analyzers(
    vlt: FakeVLT, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    data = unique_png()
    first = make_analyzer(vlt, cache=RedisAnalysisCache(redis, prefix=prefix, ttl_s=600))
    # Another process's analyzer: nothing shared but the Redis.
    second = make_analyzer(vlt, cache=RedisAnalysisCache(redis, prefix=prefix, ttl_s=600))
    try:
        paid = await first.analyze(data)
        again = await second.analyze(data)
    finally:
        await first.close()
        await second.close()
    assert vlt.calls == {"gemini": 1}
    assert paid.billable and not paid.cached
    assert again.cached and not again.billable
    assert again.record == paid.record and again.spec == paid.spec
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 1
    assert 0 < await redis.ttl(keys[0]) <= 600


async def test_a_corrupt_redis_entry_is_a_miss(redis_prefix: tuple[Redis, str]) -> None:
    redis, prefix = redis_prefix
    cache = RedisAnalysisCache(redis, prefix=prefix, ttl_s=60)
    await redis.set(f"{prefix}k", b"{not json")
    assert await cache.get("k") is None
    await cache.set("k", {"record": {"garment_type": "Dress"}, "model": "openai"})
    assert await cache.get("k") == {"record": {"garment_type": "Dress"}, "model": "openai"}
