"""OpenAI Images (`POST /v1/images/generations`): `openai-gpt-image-1` and `openai-dall-e-3`.

Options (`DesignRequest.options`): `size` and `quality` from the model's own lists (they
set the price), and for dall-e-3 `style` ("vivid" or "natural"). OpenAI has no negative
prompt: exclusions are said in the prompt. gpt-image-1 always answers base64; dall-e-3
answers base64 or a short-lived URL (`response_format`), which we download.

Errors follow OpenAI's `{"error": {"message", "type", "code", "param"}}`: a safety refusal
(400 `content_policy_violation`, or `moderation_blocked` from gpt-image-1) is final and
says so; `insufficient_quota` (a 429) and `billing_hard_limit_reached` (a 400) are an
empty account, not a rate limit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal

import httpx

from designer_bff.billing.pricing import PriceTable
from designer_bff.generation.providers._http import (
    ContentRefused,
    ProviderBadResponse,
    ProviderQuotaExceeded,
    RemoteImageProvider,
    b64_image,
    choice,
    image_format,
    short,
    with_exclusions,
)
from designer_bff.generation.providers.base import (
    DesignRequest,
    GeneratedDesign,
    ProviderError,
)

DEFAULT_BASE_URL = "https://api.openai.com"
_REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})

ResponseFormat = Literal["b64_json", "url"]


class OpenAIImagesProvider(RemoteImageProvider):
    vendor = "openai"
    label = "OpenAI Images"
    key_setting = "OPENAI_API_KEY"
    prompt_family = "sentence"

    sizes: ClassVar[tuple[str, ...]]
    qualities: ClassVar[tuple[str, ...]]
    default_quality: ClassVar[str]

    def resolve(self, options: Mapping[str, Any]) -> dict[str, str]:
        """The size and quality one call uses (the model's defaults filled in)."""
        return {
            "size": choice(options, "size", self.sizes, "1024x1024"),
            "quality": choice(options, "quality", self.qualities, self.default_quality),
        }

    def price(self, options: Mapping[str, Any]) -> Decimal:
        resolved = self.resolve(options)
        return self.prices.image(
            self.vendor,
            self.model,
            self.operation,
            size=resolved["size"],
            quality=resolved["quality"],
        )

    def body(self, request: DesignRequest, resolved: dict[str, str]) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt": with_exclusions(request.prompt, request.negative_prompt),
            "n": 1,
            **resolved,
        }

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        resolved = self.resolve(request.options)
        cost = self.price(request.options)
        started = time.monotonic()
        response = await self.http.send(
            "POST",
            f"{self.base_url}/v1/images/generations",
            headers=self._auth(),
            json=self.body(request, resolved),
        )
        if not response.is_success:
            raise self._error(response)
        payload = self.http.json(response)
        data = payload.get("data") if isinstance(payload, dict) else None
        item = data[0] if isinstance(data, list) and data else None
        if not isinstance(item, dict):
            raise ProviderBadResponse(f"{self.label} sent a reply without an image")
        timings = {"provider_s": time.monotonic() - started}
        if item.get("b64_json") is not None:
            image = b64_image(item["b64_json"], self.label)
        elif isinstance(item.get("url"), str):
            t0 = time.monotonic()
            image = await self.http.download(item["url"], deadline=started + self.timeout_s)
            timings["download_s"] = time.monotonic() - t0
        else:
            raise ProviderBadResponse(f"{self.label} sent a reply without an image")
        fmt = await image_format(image, self.label)
        return GeneratedDesign(
            data=image,
            format=fmt,
            model=self.model,
            seed=request.seed,
            cost_usd=cost,
            timings=timings,
        )

    def _error(self, response: httpx.Response) -> ProviderError:
        err: dict[str, Any] = {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = body["error"]
        code = err.get("code") or err.get("type")
        message = short(err.get("message") or response.text or response.reason_phrase)
        if response.status_code in (400, 422) and code in _REFUSAL_CODES:
            return ContentRefused(
                "OpenAI's safety system refused to make this design "
                f"({code}): rephrase the description. OpenAI said: {message}"
            )
        if code in _QUOTA_CODES:
            return ProviderQuotaExceeded(
                f"the OpenAI account is out of quota or over its billing limit: {message}"
            )
        return self._status_error(response, message)


class GptImage1Provider(OpenAIImagesProvider):
    name = "openai-gpt-image-1"
    model = "gpt-image-1"
    sizes = ("1024x1024", "1024x1536", "1536x1024")
    qualities = ("low", "medium", "high")
    default_quality = "medium"

    def body(self, request: DesignRequest, resolved: dict[str, str]) -> dict[str, Any]:
        # gpt-image-1 always answers base64 (it refuses `response_format`).
        return {**super().body(request, resolved), "output_format": "png"}


class DallE3Provider(OpenAIImagesProvider):
    name = "openai-dall-e-3"
    model = "dall-e-3"
    sizes = ("1024x1024", "1024x1792", "1792x1024")
    qualities = ("standard", "hd")
    default_quality = "standard"
    styles = ("vivid", "natural")

    def __init__(
        self,
        prices: PriceTable,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 120.0,
        poll_interval_s: float = 1.0,
        response_format: ResponseFormat = "b64_json",
    ) -> None:
        super().__init__(
            prices,
            api_key=api_key,
            base_url=base_url,
            timeout_s=timeout_s,
            poll_interval_s=poll_interval_s,
        )
        self.response_format: ResponseFormat = response_format

    def resolve(self, options: Mapping[str, Any]) -> dict[str, str]:
        resolved = super().resolve(options)
        if options.get("style") is not None:
            resolved["style"] = choice(options, "style", self.styles, "vivid")
        return resolved

    def body(self, request: DesignRequest, resolved: dict[str, str]) -> dict[str, Any]:
        return {**super().body(request, resolved), "response_format": self.response_format}
