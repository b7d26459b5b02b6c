"""What the remote image providers (OpenAI, Replicate, Stability) share: the errors they
raise, one pooled httpx client per provider with its timeouts, the mapping of an HTTP
status to an error, Retry-After, downloads, and the check that what came back is an image.

A provider makes one attempt per `generate` call; the engine retries transient errors
(honouring `retry_after`) and gives up on permanent ones. What counts as which:

- transient: timeouts, connection failures, 408/409/425, 429 (rate limits, with the
  server's Retry-After), 5xx, and a malformed reply (`provider_bad_response`: a reply
  that is not JSON, lacks the image, or whose image Pillow cannot decode). A garbled
  reply once is far more likely a glitch (a truncated body, a proxy's error page) than
  a lasting fault, and the engine's attempt limit bounds the cost of being wrong.
- permanent: a rejected key (`provider_auth_failed`), an exhausted account
  (`provider_quota_exceeded`), a content-policy refusal (`content_refused`), options the
  model does not offer (`invalid_provider_options`), and any other 4xx.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx
from PIL import Image

from designer_bff.billing.pricing import PriceTable
from designer_bff.core.http import parse_retry_after
from designer_bff.generation.providers.base import (
    ImageProvider,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from designer_bff.media.variants import DEFAULT_MAX_PIXELS

# The largest image we download from a provider (a 4x upscale of a 2048² PNG is ~50 MB).
DOWNLOAD_MAX_BYTES = 96 * 1024 * 1024
# Formats a provider's image may come in (what the engine's decoder accepts as well).
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
# Tries of one download of a finished image: the paid work is done, so a failed download
# is retried here rather than making the engine pay for the image again.
DOWNLOAD_TRIES = 3
USER_AGENT = "designer-bff"


# --- errors -------------------------------------------------------------------------


class ProviderAuthFailed(PermanentProviderError):
    """The vendor refused our credentials (401) or their permissions (403)."""

    code = "provider_auth_failed"


class ProviderQuotaExceeded(PermanentProviderError):
    """The vendor account is out of credit or over its spend limit: waiting won't help."""

    code = "provider_quota_exceeded"


class ContentRefused(PermanentProviderError):
    """The vendor's safety system refused the prompt or the image it made."""

    code = "content_refused"


class InvalidProviderOptions(PermanentProviderError, ValueError):
    """Options this provider's model does not offer (a size, quality or aspect ratio).
    A ValueError as well, so a caller validating options before queueing can catch it."""

    code = "invalid_provider_options"


class ProviderRateLimited(TransientProviderError):
    code = "provider_rate_limited"


class ProviderTimeout(TransientProviderError):
    code = "provider_timeout"


class ProviderBadResponse(TransientProviderError):
    code = "provider_bad_response"


# --- small pure helpers -------------------------------------------------------------


def short(text: object, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_exclusions(prompt: str, negative: str | None) -> str:
    """For models without a negative prompt: the exclusions said in the prompt itself,
    rather than silently dropped."""
    negative = (negative or "").strip()
    return f"{prompt}; without {negative}" if negative else prompt


def pick_aspect_ratio(
    options: Mapping[str, Any], allowed: Sequence[str], default: str = "1:1"
) -> str:
    """The aspect ratio to ask for: `options["aspect_ratio"]` when given (it must be one
    the model offers), else the offered ratio nearest `options["size"]` ("1024x1536"),
    else `default`."""
    ratio = options.get("aspect_ratio")
    if ratio is not None:
        if ratio not in allowed:
            raise InvalidProviderOptions(
                f"aspect ratio {ratio!r} is not offered (choose one of {', '.join(allowed)})"
            )
        return str(ratio)
    size = options.get("size")
    if size is None:
        return default
    try:
        width, height = (int(part) for part in str(size).lower().split("x"))
        if width <= 0 or height <= 0:
            raise ValueError
    except ValueError:
        raise InvalidProviderOptions(f"size {size!r} is not WIDTHxHEIGHT") from None

    def distance(candidate: str) -> float:
        a, b = (int(part) for part in candidate.split(":"))
        return abs(math.log(width / height) - math.log(a / b))

    return min(allowed, key=distance)


def choice(options: Mapping[str, Any], key: str, allowed: Sequence[Any], default: Any) -> Any:
    """`options[key]` (or `default`), which must be one of `allowed`."""
    value = options.get(key, default)
    if value is None:
        value = default
    if value not in allowed:
        offered = ", ".join(str(a) for a in allowed)
        raise InvalidProviderOptions(f"{key} {value!r} is not offered (choose one of {offered})")
    return value


def decode_data_uri(uri: str, label: str) -> bytes:
    """The bytes of a `data:[mime];base64,...` URI."""
    header, sep, payload = uri.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise ProviderBadResponse(f"{label} sent an output data URI that is not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderBadResponse(f"{label} sent an output data URI that is not base64") from exc


def b64_image(value: object, label: str) -> bytes:
    if not isinstance(value, str):
        raise ProviderBadResponse(f"{label} sent no image data")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderBadResponse(f"{label} sent image data that is not base64") from exc


def _image_format(data: bytes) -> str:
    with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
        if image.width * image.height > DEFAULT_MAX_PIXELS:
            raise ValueError(f"{image.width}x{image.height} is too large")
        fmt = str(image.format)
        image.load()  # a full decode: truncated or corrupt data fails here
    return fmt.lower()


async def image_format(data: bytes, label: str) -> str:
    """ "png", "jpeg" or "webp": the bytes decode as an image (checked in a thread, as
    decoding is CPU work); ProviderBadResponse otherwise."""
    if not data:
        raise ProviderBadResponse(f"{label} sent an empty image")
    try:
        return await asyncio.to_thread(_image_format, data)
    except Exception as exc:  # Pillow raises many types for bad data
        raise ProviderBadResponse(
            f"{label} sent data that is not a usable image ({type(exc).__name__}: {exc})"
        ) from exc


def error_for_status(
    label: str,
    status: int,
    detail: str,
    headers: Mapping[str, str],
    *,
    key_setting: str,
) -> ProviderError:
    """The error for a non-2xx reply no vendor-specific rule claimed. `detail` is the
    vendor's message (kept out of 401s: some vendors echo part of the key)."""
    if status == 401:
        return ProviderAuthFailed(f"{label} rejected the API key ({key_setting}); check it")
    if status == 402:
        return ProviderQuotaExceeded(f"{label} account has no credit left: {detail}")
    if status == 403:
        return ProviderAuthFailed(f"{label} refused access (403): {detail}")
    if status == 429:
        return ProviderRateLimited(
            f"{label} is rate limiting us (429): {detail}", retry_after=parse_retry_after(headers)
        )
    if status in (408, 409, 425) or status >= 500:
        return TransientProviderError(
            f"{label} failed ({status}): {detail}", retry_after=parse_retry_after(headers)
        )
    return PermanentProviderError(f"{label} refused the request ({status}): {detail}")


# --- the HTTP client ----------------------------------------------------------------


class VendorHTTP:
    """One vendor's pooled httpx client (made on first use, in the loop that uses it)
    and the request, JSON and download paths that turn transport failures into
    provider errors. The API key travels per request, never on downloads, which go to
    other hosts (CDNs, signed storage URLs)."""

    def __init__(
        self, *, label: str, base_url: str, timeout_s: float, pause_s: float = 0.5
    ) -> None:
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        # Between tries of a failed download.
        self.pause_s = pause_s
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)),
                headers={"User-Agent": USER_AGENT},
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _timeout(self, seconds: float | None) -> httpx.Timeout:
        s = self.timeout_s if seconds is None else max(0.001, min(seconds, self.timeout_s))
        return httpx.Timeout(s, connect=min(10.0, s))

    async def send(
        self, method: str, url: str, *, timeout_s: float | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request; a timeout or an unreachable server as a transient error."""
        timeout = self._timeout(timeout_s)
        try:
            return await self.client.request(method, url, timeout=timeout, **kwargs)
        except httpx.TimeoutException as exc:
            waited = timeout.read if timeout.read is not None else self.timeout_s
            raise ProviderTimeout(f"{self.label} did not answer within {waited:.3g} s") from exc
        except httpx.TransportError as exc:
            raise TransientProviderError(
                f"could not reach {self.label}: {type(exc).__name__}: {short(exc, 120)}"
            ) from exc

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderBadResponse(
                f"{self.label} sent a malformed reply (HTTP {response.status_code}, not JSON)"
            ) from exc

    async def download(self, url: str, *, deadline: float | None = None) -> bytes:
        """The bytes behind an output URL (https or data:), tried up to DOWNLOAD_TRIES
        times before the deadline (time.monotonic())."""
        if url.startswith("data:"):
            return decode_data_uri(url, self.label)
        if not url.startswith(("https://", "http://")):
            raise ProviderBadResponse(f"{self.label} sent an output that is not a URL")
        last: ProviderError | None = None
        for attempt in range(DOWNLOAD_TRIES):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            if attempt:
                pause = self.pause_s * attempt
                await asyncio.sleep(pause if remaining is None else min(pause, remaining))
            try:
                return await self._download_once(url, remaining)
            except TransientProviderError as exc:
                last = exc
        if last is None:
            raise ProviderTimeout(f"{self.label}: no time left to download the image")
        raise last

    async def _download_once(self, url: str, timeout_s: float | None) -> bytes:
        try:
            async with self.client.stream(
                "GET", url, timeout=self._timeout(timeout_s), follow_redirects=True
            ) as response:
                if not response.is_success:
                    raise ProviderBadResponse(
                        f"downloading the image from {self.label} failed "
                        f"(HTTP {response.status_code})",
                        retry_after=parse_retry_after(response.headers),
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > DOWNLOAD_MAX_BYTES:
                        raise PermanentProviderError(
                            f"{self.label}'s image is larger than {DOWNLOAD_MAX_BYTES} bytes"
                        )
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"downloading the image from {self.label} timed out") from exc
        except httpx.TransportError as exc:
            raise TransientProviderError(
                f"downloading the image from {self.label} failed: {type(exc).__name__}"
            ) from exc


class RemoteImageProvider(ImageProvider):
    """A provider reached over HTTPS with an API key: holds the key and the client."""

    label: ClassVar[str]  # how messages name the vendor: "OpenAI Images"
    key_setting: ClassVar[str]  # the setting holding its key, named in auth errors
    default_concurrency = 4

    def __init__(
        self,
        prices: PriceTable,
        *,
        api_key: str,
        base_url: str,
        timeout_s: float = 120.0,
        poll_interval_s: float = 1.0,
    ) -> None:
        super().__init__(prices)
        self._api_key = api_key
        self.timeout_s = timeout_s
        # Between polls of unfinished work, and between tries of a failed download.
        self.poll_interval_s = poll_interval_s
        self.http = VendorHTTP(
            label=self.label, base_url=base_url, timeout_s=timeout_s, pause_s=poll_interval_s
        )

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def _status_error(self, response: httpx.Response, detail: str) -> ProviderError:
        return error_for_status(
            self.label,
            response.status_code,
            detail or response.reason_phrase,
            response.headers,
            key_setting=self.key_setting,
        )

    async def aclose(self) -> None:
        await self.http.aclose()
