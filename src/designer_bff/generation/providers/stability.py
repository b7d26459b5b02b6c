"""Stability AI Stable Image (`POST /v2beta/stable-image/generate/{core|ultra|sd3}`):
`stability-core`, `stability-ultra` and `stability-sd3.5-large`.

The request is multipart/form-data (prompt, negative_prompt, aspect_ratio, seed,
output_format=png, and for sd3 the model); with `Accept: image/*` the reply is the
image's bytes, its `finish-reason` header SUCCESS or CONTENT_FILTERED. A filtered
generation comes back as a 200 with a blurred image: we refuse it as content refused
rather than deliver the blur. Errors are JSON `{"id", "name", "errors": [...]}`; a 403
`content_moderation` is a content refusal.

Options: `aspect_ratio` (or a `size` "WxH", mapped to the nearest offered ratio).
Seeds go as 1..4294967294 (0 would ask for a random one).
"""

from __future__ import annotations

import time
from typing import ClassVar

import httpx

from designer_bff.generation.providers._http import (
    ContentRefused,
    ProviderBadResponse,
    RemoteImageProvider,
    image_format,
    pick_aspect_ratio,
    short,
)
from designer_bff.generation.providers.base import (
    DesignRequest,
    GeneratedDesign,
    ProviderError,
)

DEFAULT_BASE_URL = "https://api.stability.ai"
ASPECT_RATIOS = ("1:1", "16:9", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
SEED_MAX = 4_294_967_294


class StabilityProvider(RemoteImageProvider):
    vendor = "stability"
    label = "Stability AI"
    key_setting = "STABILITY_API_KEY"
    prompt_family = "tags"

    endpoint: ClassVar[str]  # core | ultra | sd3
    sd3_model: ClassVar[str | None] = None

    def fields(self, request: DesignRequest) -> dict[str, str]:
        fields = {
            "prompt": request.prompt,
            "aspect_ratio": pick_aspect_ratio(request.options, ASPECT_RATIOS),
            "seed": str(1 + request.seed % SEED_MAX),
            "output_format": "png",
        }
        if request.negative_prompt:
            fields["negative_prompt"] = request.negative_prompt
        if self.sd3_model:
            fields["model"] = self.sd3_model
            fields["mode"] = "text-to-image"
        return fields

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        fields = self.fields(request)
        cost = self.price(request.options)
        started = time.monotonic()
        response = await self.http.send(
            "POST",
            f"{self.base_url}/v2beta/stable-image/generate/{self.endpoint}",
            headers={**self._auth(), "Accept": "image/*"},
            # (None, value): plain form fields, sent as multipart as the API requires.
            files={name: (None, value) for name, value in fields.items()},
        )
        if not response.is_success:
            raise self._error(response)
        if response.headers.get("finish-reason", "").upper() == "CONTENT_FILTERED":
            raise ContentRefused(
                "Stability AI's content filter blocked the image it made for this design: "
                "rephrase the description"
            )
        if not response.headers.get("content-type", "").startswith("image/"):
            raise ProviderBadResponse(
                f"{self.label} sent {response.headers.get('content-type') or 'no content type'}"
                " where an image was expected"
            )
        data = response.content
        fmt = await image_format(data, self.label)
        return GeneratedDesign(
            data=data,
            format=fmt,
            model=self.model,
            seed=request.seed,
            cost_usd=cost,
            timings={"provider_s": time.monotonic() - started},
        )

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:
            body = None
        name, errors = "", []
        if isinstance(body, dict):
            name = str(body.get("name") or "")
            raw = body.get("errors")
            errors = [str(e) for e in raw] if isinstance(raw, list) else []
        detail = short("; ".join(errors) or name or response.text or response.reason_phrase)
        if response.status_code == 403 and name == "content_moderation":
            return ContentRefused(
                "Stability AI's content moderation refused this design: rephrase the "
                f"description. Stability AI said: {detail}"
            )
        return self._status_error(response, detail)


class StabilityCoreProvider(StabilityProvider):
    name = "stability-core"
    model = "stable-image-core"
    endpoint = "core"


class StabilityUltraProvider(StabilityProvider):
    name = "stability-ultra"
    model = "stable-image-ultra"
    endpoint = "ultra"


class StabilitySD35LargeProvider(StabilityProvider):
    name = "stability-sd3.5-large"
    model = "sd3.5-large"
    endpoint = "sd3"
    sd3_model = "sd3.5-large"
