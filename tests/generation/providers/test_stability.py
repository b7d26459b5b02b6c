"""stability-core, stability-ultra and stability-sd3.5-large against a local server
speaking Stability AI's Stable Image API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from designer_bff.billing.pricing import PriceTable
from designer_bff.generation.providers import (
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from designer_bff.generation.providers._http import (
    ContentRefused,
    InvalidProviderOptions,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderQuotaExceeded,
    ProviderRateLimited,
    ProviderTimeout,
)
from designer_bff.generation.providers.stability import (
    StabilityCoreProvider,
    StabilityProvider,
    StabilitySD35LargeProvider,
    StabilityUltraProvider,
)
from tests.generation.providers.fakes import FakeStability, design_request, image_size

PROMPT = design_request().prompt


def build(cls: type[StabilityProvider], server: FakeStability, prices: PriceTable, **kw: Any):
    args: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.base_url,
        "timeout_s": 1.0,
        **kw,
    }
    return cls(prices, **args)


@pytest.fixture
async def core(
    stability_server: FakeStability, prices: PriceTable
) -> AsyncIterator[StabilityProvider]:
    provider = build(StabilityCoreProvider, stability_server, prices)
    yield provider
    await provider.aclose()


async def fails(provider: StabilityProvider, server: FakeStability, *steps: str) -> ProviderError:
    server.script(steps)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(design_request())
    assert len(server.requests) == 1  # one attempt per call
    return caught.value


async def test_core_request_and_result(
    core: StabilityProvider, stability_server: FakeStability, prices: PriceTable
) -> None:
    stability_server.script(["ok"])
    request = design_request()
    design = await core.generate(request)
    [sent] = stability_server.requests
    assert (sent.method, sent.path) == ("POST", "/v2beta/stable-image/generate/core")
    assert sent.authorization == "Bearer test-key"
    assert sent.headers["accept"] == "image/*"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sent.form == {
        "prompt": PROMPT,
        "negative_prompt": "floral",  # Stability has a negative prompt of its own
        "aspect_ratio": "1:1",
        "seed": str(1 + request.seed % 4_294_967_294),
        "output_format": "png",
    }
    assert sent.files == {}
    assert core.prompt_family == "tags"
    assert design.data is not None and image_size(design.data) == (64, 64)
    assert (design.format, design.model, design.seed) == ("png", "stable-image-core", request.seed)
    assert design.cost_usd == prices.image("stability", "stable-image-core") == Decimal("0.03")


async def test_ultra(stability_server: FakeStability, prices: PriceTable) -> None:
    provider = build(StabilityUltraProvider, stability_server, prices)
    try:
        stability_server.script(["ok"])
        design = await provider.generate(
            design_request(negative_prompt=None, options={"aspect_ratio": "9:16"})
        )
    finally:
        await provider.aclose()
    [sent] = stability_server.requests
    assert sent.path == "/v2beta/stable-image/generate/ultra"
    assert "negative_prompt" not in sent.form
    assert sent.form["aspect_ratio"] == "9:16"
    assert design.data is not None
    width, height = image_size(design.data)
    assert height > width
    assert design.cost_usd == prices.image("stability", "stable-image-ultra")


async def test_sd3_5_large(stability_server: FakeStability, prices: PriceTable) -> None:
    provider = build(StabilitySD35LargeProvider, stability_server, prices)
    try:
        stability_server.script(["ok"])
        design = await provider.generate(design_request(options={"size": "1792x1024"}, seed=0))
    finally:
        await provider.aclose()
    [sent] = stability_server.requests
    assert sent.path == "/v2beta/stable-image/generate/sd3"
    assert (sent.form["model"], sent.form["mode"]) == ("sd3.5-large", "text-to-image")
    assert sent.form["aspect_ratio"] == "16:9"
    assert sent.form["seed"] == "1"  # never 0, which would ask for a random seed
    assert design.cost_usd == prices.image("stability", "sd3.5-large") == Decimal("0.065")


async def test_an_aspect_ratio_it_lacks(core: StabilityProvider, stability_server: FakeStability):
    stability_server.script(["ok"])
    with pytest.raises(InvalidProviderOptions, match="3:4"):
        await core.generate(design_request(options={"aspect_ratio": "3:4"}))
    assert stability_server.requests == []


async def test_moderation_refusal(core: StabilityProvider, stability_server: FakeStability) -> None:
    error = await fails(core, stability_server, "refused")
    assert type(error) is ContentRefused and not error.transient
    assert "content moderation" in error.message and "rephrase" in error.message
    assert "flagged" in error.message


async def test_a_filtered_image_is_refused_not_delivered(
    core: StabilityProvider, stability_server: FakeStability
) -> None:
    error = await fails(core, stability_server, "filtered")
    assert type(error) is ContentRefused
    assert "content filter" in error.message


@pytest.mark.parametrize(
    ("step", "error_type", "says"),
    [
        ("401", ProviderAuthFailed, "STABILITY_API_KEY"),
        ("quota", ProviderQuotaExceeded, "sufficient credits"),
        ("400", PermanentProviderError, "Invalid parameters"),
        ("413", PermanentProviderError, "10MiB"),
        ("422", PermanentProviderError, "English"),
        ("429:5", ProviderRateLimited, "rate limit"),
        ("500", TransientProviderError, "unexpected server error"),
        ("502", TransientProviderError, "502"),
    ],
)
async def test_errors(
    core: StabilityProvider,
    stability_server: FakeStability,
    step: str,
    error_type: type[ProviderError],
    says: str,
) -> None:
    error = await fails(core, stability_server, step)
    assert type(error) is error_type
    assert says in error.message
    assert error.retry_after == (5.0 if step == "429:5" else None)


async def test_the_server_checks_the_key(stability_server: FakeStability, prices: PriceTable):
    provider = build(StabilityCoreProvider, stability_server, prices, api_key="sk-wrong")
    try:
        error = await fails(provider, stability_server, "ok")
    finally:
        await provider.aclose()
    assert type(error) is ProviderAuthFailed


@pytest.mark.parametrize(
    ("step", "says"), [("malformed", "application/json"), ("not-image", "not a usable image")]
)
async def test_malformed_replies_are_transient(
    core: StabilityProvider, stability_server: FakeStability, step: str, says: str
) -> None:
    error = await fails(core, stability_server, step)
    assert type(error) is ProviderBadResponse and error.transient
    assert says in error.message


async def test_timeout(stability_server: FakeStability, prices: PriceTable) -> None:
    provider = build(StabilityCoreProvider, stability_server, prices, timeout_s=0.3)
    try:
        started = time.monotonic()
        error = await fails(provider, stability_server, "slow:1")
        took = time.monotonic() - started
    finally:
        await provider.aclose()
    assert type(error) is ProviderTimeout
    assert error.message == "Stability AI did not answer within 0.3 s"
    assert took < 1.0
