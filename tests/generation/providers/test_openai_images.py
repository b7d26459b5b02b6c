"""openai-gpt-image-1 and openai-dall-e-3 against a local server speaking OpenAI Images."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

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
from designer_bff.generation.providers.openai_images import DallE3Provider, GptImage1Provider
from tests.generation.providers.fakes import FakeOpenAI, design_request, image_size

PATH = "/v1/images/generations"
PROMPT = design_request().prompt


@pytest.fixture
async def gpt_image(
    openai_server: FakeOpenAI, prices: PriceTable
) -> AsyncIterator[GptImage1Provider]:
    provider = GptImage1Provider(
        prices,
        api_key=openai_server.api_key,
        base_url=openai_server.base_url,
        timeout_s=1.0,
        poll_interval_s=0.01,
    )
    yield provider
    await provider.aclose()


@pytest.fixture
async def dalle(openai_server: FakeOpenAI, prices: PriceTable) -> AsyncIterator[DallE3Provider]:
    provider = DallE3Provider(
        prices, api_key=openai_server.api_key, base_url=openai_server.base_url, timeout_s=1.0
    )
    yield provider
    await provider.aclose()


async def fails(
    provider: GptImage1Provider | DallE3Provider, server: FakeOpenAI, *steps: str
) -> ProviderError:
    server.script(steps)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(design_request())
    assert len(server.sent("POST", PATH)) == 1  # one attempt per call: the engine retries
    return caught.value


async def test_gpt_image_1_request_and_result(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI, prices: PriceTable
) -> None:
    openai_server.script(["ok"])
    request = design_request(options={"size": "1024x1536", "quality": "high"})
    design = await gpt_image.generate(request)

    [sent] = openai_server.requests
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.authorization == "Bearer test-key"
    assert sent.json == {
        "model": "gpt-image-1",
        # No negative prompt at OpenAI: the exclusion is said in the prompt.
        "prompt": f"{PROMPT}; without floral",
        "n": 1,
        "size": "1024x1536",
        "quality": "high",
        "output_format": "png",
    }
    assert design.format == "png" and design.data is not None
    assert image_size(design.data) == (64, 96)  # the fake draws 1/16 of the size asked
    assert (design.model, design.seed) == ("gpt-image-1", request.seed)
    assert design.cost_usd == prices.image(
        "openai", "gpt-image-1", size="1024x1536", quality="high"
    )
    assert design.cost_usd == Decimal("0.25")
    assert design.timings["provider_s"] > 0


async def test_gpt_image_1_defaults_and_price(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI, prices: PriceTable
) -> None:
    openai_server.script(["ok"])
    design = await gpt_image.generate(design_request(negative_prompt=None))
    body = openai_server.requests[0].json
    assert (body["size"], body["quality"], body["prompt"]) == ("1024x1024", "medium", PROMPT)
    assert design.cost_usd == prices.image(
        "openai", "gpt-image-1", size="1024x1024", quality="medium"
    )
    # A size alone is priced at the model's default quality, not the table's catch-all.
    assert gpt_image.price({"size": "1536x1024"}) == prices.image(
        "openai", "gpt-image-1", size="1536x1024", quality="medium"
    )
    assert gpt_image.price({"size": "1536x1024"}) != prices.image("openai", "gpt-image-1")


@pytest.mark.parametrize(
    "options",
    [{"size": "1024x1792"}, {"quality": "hd"}, {"size": "512x512"}],
)
async def test_options_the_model_does_not_offer(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI, options: dict[str, str]
) -> None:
    openai_server.script(["ok"])
    with pytest.raises(InvalidProviderOptions) as caught:
        await gpt_image.generate(design_request(options=options))
    assert not caught.value.transient
    assert openai_server.requests == []  # refused before paying for anything
    with pytest.raises(ValueError):
        gpt_image.price(options)


async def test_dall_e_3_base64(
    dalle: DallE3Provider, openai_server: FakeOpenAI, prices: PriceTable
) -> None:
    openai_server.script(["ok"])
    options = {"size": "1792x1024", "quality": "hd", "style": "natural"}
    design = await dalle.generate(design_request(options=options))
    body = openai_server.requests[0].json
    assert body == {
        "model": "dall-e-3",
        "prompt": f"{PROMPT}; without floral",
        "n": 1,
        "size": "1792x1024",
        "quality": "hd",
        "style": "natural",
        "response_format": "b64_json",
    }
    assert design.data is not None and image_size(design.data) == (112, 64)
    assert design.cost_usd == prices.image("openai", "dall-e-3", size="1792x1024", quality="hd")
    assert design.cost_usd == Decimal("0.12")


async def test_dall_e_3_url_is_downloaded(openai_server: FakeOpenAI, prices: PriceTable) -> None:
    provider = DallE3Provider(
        prices,
        api_key=openai_server.api_key,
        base_url=openai_server.base_url,
        timeout_s=1.0,
        response_format="url",
    )
    try:
        openai_server.script(["ok"])
        design = await provider.generate(design_request(options={"size": "1024x1792"}))
    finally:
        await provider.aclose()
    post, download = openai_server.requests
    assert post.json["response_format"] == "url"
    assert download.method == "GET" and download.path.startswith("/files/")
    assert download.authorization is None  # the key never goes to the image's host
    assert design.data is not None and image_size(design.data) == (64, 112)
    assert design.timings["download_s"] >= 0
    assert design.cost_usd == prices.image(
        "openai", "dall-e-3", size="1024x1792", quality="standard"
    )


async def test_a_url_answer_is_downloaded_even_when_base64_was_asked(
    dalle: DallE3Provider, openai_server: FakeOpenAI
) -> None:
    openai_server.script(["ok:url"])
    design = await dalle.generate(design_request())
    assert design.data is not None and image_size(design.data) == (64, 64)
    assert len(openai_server.sent("GET", "/files/")) == 1


async def test_a_failed_download_is_retried_within_the_attempt(
    openai_server: FakeOpenAI, prices: PriceTable
) -> None:
    provider = DallE3Provider(
        prices,
        api_key=openai_server.api_key,
        base_url=openai_server.base_url,
        timeout_s=1.0,
        poll_interval_s=0.01,
        response_format="url",
    )
    try:
        openai_server.script(["ok"], downloads=["500"])
        design = await provider.generate(design_request())
        assert design.data is not None
        assert len(openai_server.sent("POST", PATH)) == 1  # paid once
        assert len(openai_server.sent("GET", "/files/")) == 2
        openai_server.script(["ok"], downloads=["not-image"])
        with pytest.raises(ProviderBadResponse, match="not a usable image"):
            await provider.generate(design_request())
    finally:
        await provider.aclose()


async def test_rejected_key(gpt_image: GptImage1Provider, openai_server: FakeOpenAI) -> None:
    error = await fails(gpt_image, openai_server, "401")
    assert type(error) is ProviderAuthFailed and not error.transient
    assert error.code == "provider_auth_failed"
    assert "OPENAI_API_KEY" in error.message and "te**ey" not in error.message


async def test_the_server_checks_the_key(openai_server: FakeOpenAI, prices: PriceTable) -> None:
    provider = GptImage1Provider(
        prices, api_key="sk-wrong", base_url=openai_server.base_url, timeout_s=1.0
    )
    try:
        error = await fails(provider, openai_server, "ok")
    finally:
        await provider.aclose()
    assert type(error) is ProviderAuthFailed
    assert openai_server.requests[0].authorization == "Bearer sk-wrong"


async def test_rate_limit_with_retry_after_seconds(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI
) -> None:
    error = await fails(gpt_image, openai_server, "429:2")
    assert type(error) is ProviderRateLimited and error.transient
    assert error.retry_after == 2.0
    assert error.code == "provider_rate_limited"


async def test_rate_limit_with_retry_after_date(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI
) -> None:
    error = await fails(gpt_image, openai_server, "429:date:4")
    assert type(error) is ProviderRateLimited
    assert error.retry_after is not None and 2.0 <= error.retry_after <= 4.0


async def test_out_of_quota_is_not_a_rate_limit(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI
) -> None:
    error = await fails(gpt_image, openai_server, "quota")
    assert type(error) is ProviderQuotaExceeded and not error.transient
    assert "quota" in error.message


@pytest.mark.parametrize("status", ["500", "503"])
async def test_server_errors_are_transient(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI, status: str
) -> None:
    error = await fails(gpt_image, openai_server, status)
    assert type(error) is TransientProviderError
    assert error.code == "provider_unavailable" and status in error.message


async def test_forbidden_is_final(gpt_image: GptImage1Provider, openai_server: FakeOpenAI) -> None:
    error = await fails(gpt_image, openai_server, "403")
    assert type(error) is ProviderAuthFailed
    assert "verified" in error.message


async def test_other_client_errors_are_final(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI
) -> None:
    error = await fails(gpt_image, openai_server, "400")
    assert type(error) is PermanentProviderError
    assert "400" in error.message


async def test_gpt_image_1_moderation_refusal(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI
) -> None:
    error = await fails(gpt_image, openai_server, "refused")
    assert type(error) is ContentRefused and not error.transient
    assert error.code == "content_refused"
    assert "safety system" in error.message and "rephrase" in error.message
    assert "moderation_blocked" in error.message


async def test_dall_e_3_content_policy_refusal(
    dalle: DallE3Provider, openai_server: FakeOpenAI
) -> None:
    error = await fails(dalle, openai_server, "refused")
    assert type(error) is ContentRefused
    assert "content_policy_violation" in error.message


@pytest.mark.parametrize("step", ["malformed", "not-image", "no-data"])
async def test_malformed_replies_are_transient(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI, step: str
) -> None:
    error = await fails(gpt_image, openai_server, step)
    assert type(error) is ProviderBadResponse and error.transient
    assert error.code == "provider_bad_response"


async def test_timeout_is_transient(openai_server: FakeOpenAI, prices: PriceTable) -> None:
    provider = GptImage1Provider(
        prices, api_key=openai_server.api_key, base_url=openai_server.base_url, timeout_s=0.3
    )
    try:
        started = time.monotonic()
        error = await fails(provider, openai_server, "slow:1")
        took = time.monotonic() - started
    finally:
        await provider.aclose()
    assert type(error) is ProviderTimeout and error.transient
    assert error.code == "provider_timeout"
    assert error.message == "OpenAI Images did not answer within 0.3 s"
    assert took < 1.5


async def test_each_call_is_one_attempt(
    gpt_image: GptImage1Provider, openai_server: FakeOpenAI
) -> None:
    openai_server.script(["500", "ok"])
    with pytest.raises(TransientProviderError):
        await gpt_image.generate(design_request())
    design = await gpt_image.generate(design_request())
    assert design.data is not None
    assert len(openai_server.sent("POST", PATH)) == 2
