"""Replicate predictions: Imagen 4 and FLUX for generation, Real-ESRGAN and GFPGAN for
enhancement.

Official models run at `POST /v1/models/{owner}/{name}/predictions`; community models
(the upscalers) by version at `POST /v1/predictions` with `{"version", "input"}`. Both
ask to wait (`Prefer: wait=N`, at most 60 s); a prediction still running after that is
polled at `GET /v1/predictions/{id}` until `succeeded`, `failed` or `canceled`, within
one attempt's deadline (PROVIDER_TIMEOUT_S; at the deadline it is cancelled, so we stop
paying for it). Output is a URL (or a list of them; https or data:) that we download.

Polls and downloads are free, so a failed poll (a 5xx, a timeout) is polled again and a
failed download tried again inside the attempt; only creating a prediction costs, and a
failure there goes to the engine. A failed prediction whose error is a safety filter
("NSFW content detected", E005 "flagged as sensitive") is a content refusal; one
Replicate says to retry ("Prediction interrupted; please retry (code: PA)") is
transient; any other failure is final, with Replicate's text.

Errors of the API itself are RFC 7807 problems: `{"title", "detail", "status"}`.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import contextlib
import io
import math
import re
import time
from typing import Any, ClassVar

import httpx
import structlog
from PIL import Image

from designer_bff.billing.pricing import PriceTable
from designer_bff.generation.providers._http import (
    IMAGE_FORMATS,
    ContentRefused,
    InvalidProviderOptions,
    ProviderBadResponse,
    ProviderTimeout,
    RemoteImageProvider,
    choice,
    image_format,
    pick_aspect_ratio,
    short,
    with_exclusions,
)
from designer_bff.generation.providers.base import (
    DesignRequest,
    GeneratedDesign,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)

log = structlog.get_logger("designer_bff.providers")

DEFAULT_BASE_URL = "https://api.replicate.com"
# The documented defaults of Settings.replicate_*_version.
REAL_ESRGAN_VERSION = "f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa"
GFPGAN_VERSION = "0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c"

TERMINAL = frozenset({"succeeded", "failed", "canceled"})
# Replicate's limit on holding a create request open (Prefer: wait=1..60).
MAX_SYNC_WAIT_S = 60
# Replicate recommends data URIs only for files under 1 MB; larger sources are uploaded
# through the Files API first.
DATA_URI_MAX_BYTES = 1_000_000
# Seeds go to the models as non-negative 32-bit integers (our design seeds are 63-bit).
SEED_MODULUS = 2**31
# Time a finished prediction's download may have past the attempt's deadline.
DOWNLOAD_GRACE_S = 30.0

_SAFETY = re.compile(
    r"nsfw|safety|sensitive|content polic|responsible ai|filtered out|inappropriate|\bE005\b",
    re.IGNORECASE,
)
_RETRYABLE = re.compile(r"please retry|\(code: PA\)", re.IGNORECASE)
_THROTTLE_WAIT = re.compile(r"available in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


class ReplicateProvider(RemoteImageProvider):
    vendor = "replicate"
    label = "Replicate"
    key_setting = "REPLICATE_API_TOKEN"

    def __init__(
        self,
        prices: PriceTable,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 120.0,
        poll_interval_s: float = 1.0,
    ) -> None:
        super().__init__(
            prices,
            api_key=api_key,
            base_url=base_url,
            timeout_s=timeout_s,
            poll_interval_s=poll_interval_s,
        )

    # -- one prediction, from creation to the downloaded image ----------------------

    async def _run(self, path: str, body: dict[str, Any], deadline: float) -> tuple[bytes, dict]:
        """Creates a prediction at `path`, waits for it and downloads its first output:
        (image bytes, timings)."""
        started = time.monotonic()
        wait_s = max(1, min(MAX_SYNC_WAIT_S, math.floor(deadline - started)))
        response = await self.http.send(
            "POST",
            f"{self.base_url}{path}",
            headers={**self._auth(), "Prefer": f"wait={wait_s}"},
            json=body,
            # The server holds the request up to wait_s; leave it room to answer.
            timeout_s=deadline - started,
        )
        if not response.is_success:
            raise self._error(response)
        prediction = self._prediction(self.http.json(response))
        prediction = await self._until_terminal(prediction, deadline)
        timings: dict[str, float] = {"provider_s": time.monotonic() - started}
        metrics = prediction.get("metrics")
        if isinstance(metrics, dict) and isinstance(metrics.get("predict_time"), int | float):
            timings["predict_s"] = float(metrics["predict_time"])
        status = prediction["status"]
        if status == "failed":
            raise self._failure(prediction)
        if status == "canceled":
            raise PermanentProviderError(f"the {self.label} prediction was canceled")
        url = self._output_url(prediction.get("output"))
        t0 = time.monotonic()
        # The image is paid for: its download may run a little past the deadline rather
        # than fail and have the engine pay for another.
        grace = min(DOWNLOAD_GRACE_S, self.timeout_s)
        data = await self.http.download(url, deadline=max(deadline, t0 + grace))
        timings["download_s"] = time.monotonic() - t0
        return data, timings

    def _prediction(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise ProviderBadResponse(f"{self.label} sent a reply that is not a prediction")
        return body

    def _poll_url(self, prediction: dict[str, Any]) -> str:
        """The prediction's own `urls.get` link when it points at the API we called (so
        the token never travels elsewhere), else the documented path."""
        urls = prediction.get("urls")
        link = urls.get("get") if isinstance(urls, dict) else None
        if isinstance(link, str) and link.startswith(self.base_url + "/"):
            return link
        pid = prediction.get("id")
        if not isinstance(pid, str) or not pid:
            raise ProviderBadResponse(f"{self.label} sent a prediction without an id")
        return f"{self.base_url}/v1/predictions/{pid}"

    async def _until_terminal(self, prediction: dict[str, Any], deadline: float) -> dict:
        poll_url = None
        last_problem = ""
        while prediction["status"] not in TERMINAL:
            poll_url = poll_url or self._poll_url(prediction)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._cancel(prediction)
                raise ProviderTimeout(
                    f"the {self.label} prediction did not finish within {self.timeout_s:g} s "
                    f"(last status: {prediction['status']}{last_problem})"
                )
            await asyncio.sleep(min(self.poll_interval_s, remaining))
            try:
                response = await self.http.send(
                    "GET",
                    poll_url,
                    headers=self._auth(),
                    timeout_s=max(0.001, deadline - time.monotonic()),
                )
                if not response.is_success:
                    raise self._error(response)
                prediction = self._prediction(self.http.json(response))
            except TransientProviderError as exc:
                # Polling is free: a failed poll is polled again until the deadline.
                log.warning("replicate_poll_failed", provider=self.name, error=exc.message)
                last_problem = f"; last poll: {exc.message}"
        return prediction

    async def _cancel(self, prediction: dict[str, Any]) -> None:
        """Best effort: a prediction we stopped waiting for stops running (and billing)."""
        urls = prediction.get("urls")
        link = urls.get("cancel") if isinstance(urls, dict) else None
        pid = prediction.get("id")
        if not (isinstance(link, str) and link.startswith(self.base_url + "/")):
            if not isinstance(pid, str) or not pid:
                return
            link = f"{self.base_url}/v1/predictions/{pid}/cancel"
        with contextlib.suppress(ProviderError):
            await self.http.send("POST", link, headers=self._auth(), timeout_s=5.0)

    def _output_url(self, output: Any) -> str:
        if isinstance(output, list):
            output = next((o for o in output if isinstance(o, str) and o), None)
        if not isinstance(output, str) or not output:
            raise ProviderBadResponse(f"the {self.label} prediction succeeded without an image")
        return output

    def _failure(self, prediction: dict[str, Any]) -> ProviderError:
        error = short(prediction.get("error") or "no reason given")
        if _SAFETY.search(error):
            return ContentRefused(
                f"{self.model}'s safety filter refused this design: rephrase the "
                f"description. Replicate said: {error}"
            )
        if _RETRYABLE.search(error):
            return TransientProviderError(f"the {self.label} prediction failed: {error}")
        return PermanentProviderError(f"the {self.label} prediction failed: {error}")

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = ""
        if isinstance(body, dict):
            detail = str(body.get("detail") or body.get("title") or "")
        detail = short(detail or response.text or response.reason_phrase)
        error = self._status_error(response, detail)
        if response.status_code == 429 and error.retry_after is None:
            # "Request was throttled. Expected available in 5 seconds."
            found = _THROTTLE_WAIT.search(detail)
            if found:
                error.retry_after = float(found.group(1))
        return error


class ReplicateModelProvider(ReplicateProvider):
    """An official model, run by name: a text-to-image generator."""

    prompt_family = "sentence"
    aspect_ratios: ClassVar[tuple[str, ...]]

    def build_input(self, request: DesignRequest) -> dict[str, Any]:
        return {
            "prompt": with_exclusions(request.prompt, request.negative_prompt),
            "aspect_ratio": pick_aspect_ratio(request.options, self.aspect_ratios),
            "output_format": "png",
        }

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        body = {"input": self.build_input(request)}
        cost = self.price(request.options)
        deadline = time.monotonic() + self.timeout_s
        data, timings = await self._run(f"/v1/models/{self.model}/predictions", body, deadline)
        fmt = await image_format(data, self.label)
        return GeneratedDesign(
            data=data,
            format=fmt,
            model=self.model,
            seed=request.seed,
            cost_usd=cost,
            timings=timings,
        )


class Imagen4Provider(ReplicateModelProvider):
    name = "replicate-imagen-4"
    model = "google/imagen-4"
    aspect_ratios = ("1:1", "9:16", "16:9", "3:4", "4:3")
    safety_levels = ("block_low_and_above", "block_medium_and_above", "block_only_high")

    def build_input(self, request: DesignRequest) -> dict[str, Any]:
        # Imagen takes no seed and no negative prompt.
        payload = super().build_input(request)
        if request.options.get("safety_filter_level") is not None:
            payload["safety_filter_level"] = choice(
                request.options, "safety_filter_level", self.safety_levels, None
            )
        return payload


class FluxSchnellProvider(ReplicateModelProvider):
    name = "replicate-flux-schnell"
    model = "black-forest-labs/flux-schnell"
    aspect_ratios = (
        "1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21",
    )  # fmt: skip

    def build_input(self, request: DesignRequest) -> dict[str, Any]:
        return {
            **super().build_input(request),
            "seed": request.seed % SEED_MODULUS,
            "num_outputs": 1,
        }


class Flux11ProProvider(ReplicateModelProvider):
    name = "replicate-flux-1.1-pro"
    model = "black-forest-labs/flux-1.1-pro"
    aspect_ratios = ("1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3")

    def build_input(self, request: DesignRequest) -> dict[str, Any]:
        return {**super().build_input(request), "seed": request.seed % SEED_MODULUS}


# --- enhancement --------------------------------------------------------------------


def _mime(source: bytes) -> str:
    try:
        with Image.open(io.BytesIO(source), formats=IMAGE_FORMATS) as image:
            fmt = str(image.format)
    except Exception as exc:  # Pillow raises many types for bad data
        raise PermanentProviderError(
            f"the design to enhance is not an image ({type(exc).__name__})"
        ) from exc
    return Image.MIME.get(fmt, "application/octet-stream")


class ReplicateEnhancer(ReplicateProvider):
    """A community upscaler, run by version: `request.source` in, a larger image out.
    Options: `scale` 2 or 4 (default 2), `face_fix` (default False)."""

    operation = "enhance"
    default_concurrency = 2
    scales = (2, 4)

    def __init__(
        self,
        prices: PriceTable,
        *,
        api_key: str,
        version: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 120.0,
        poll_interval_s: float = 1.0,
    ) -> None:
        super().__init__(
            prices,
            api_key=api_key,
            base_url=base_url,
            timeout_s=timeout_s,
            poll_interval_s=poll_interval_s,
        )
        if not version.strip():
            raise ValueError(f"{self.name}: a Replicate model version is required")
        self.version = version.strip()

    @abc.abstractmethod
    def build_input(self, image: str, scale: int, face_fix: bool) -> dict[str, Any]:
        """The model's input for this source image (a data URI or a file URL)."""

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        if not request.source:
            raise PermanentProviderError(f"{self.name} needs the design to enhance")
        scale = choice(request.options, "scale", self.scales, 2)
        face_fix = request.options.get("face_fix", False)
        if not isinstance(face_fix, bool):
            raise InvalidProviderOptions(f"face_fix must be true or false, not {face_fix!r}")
        cost = self.price(request.options)
        deadline = time.monotonic() + self.timeout_s
        mime = await asyncio.to_thread(_mime, request.source)
        image, uploaded = await self._source_input(request.source, mime, deadline)
        try:
            body = {"version": self.version, "input": self.build_input(image, scale, face_fix)}
            data, timings = await self._run("/v1/predictions", body, deadline)
        finally:
            if uploaded:
                await self._delete_file(uploaded)
        fmt = await image_format(data, self.label)
        return GeneratedDesign(
            data=data,
            format=fmt,
            model=self.model,
            seed=request.seed,
            cost_usd=cost,
            timings=timings,
        )

    async def _source_input(
        self, source: bytes, mime: str, deadline: float
    ) -> tuple[str, str | None]:
        """(what the model's image input gets, the uploaded file's URL to delete after):
        a data URI for small sources, else a file uploaded with the Files API."""
        if len(source) <= DATA_URI_MAX_BYTES:
            return f"data:{mime};base64,{base64.b64encode(source).decode('ascii')}", None
        ext = mime.rsplit("/", 1)[-1]
        response = await self.http.send(
            "POST",
            f"{self.base_url}/v1/files",
            headers=self._auth(),
            files={"content": (f"design.{ext}", source, mime)},
            timeout_s=deadline - time.monotonic(),
        )
        if not response.is_success:
            raise self._error(response)
        body = self.http.json(response)
        urls = body.get("urls") if isinstance(body, dict) else None
        link = urls.get("get") if isinstance(urls, dict) else None
        if not isinstance(link, str) or not link:
            raise ProviderBadResponse(f"{self.label} sent a file without a URL")
        return link, link

    async def _delete_file(self, link: str) -> None:
        """Best effort: the uploaded source does not linger at Replicate."""
        if not link.startswith(self.base_url + "/"):
            return
        with contextlib.suppress(ProviderError):
            await self.http.send("DELETE", link, headers=self._auth(), timeout_s=5.0)


class RealEsrganProvider(ReplicateEnhancer):
    name = "replicate-real-esrgan"
    model = "nightmareai/real-esrgan"

    def build_input(self, image: str, scale: int, face_fix: bool) -> dict[str, Any]:
        return {"image": image, "scale": scale, "face_enhance": face_fix}


class GfpganProvider(ReplicateEnhancer):
    """GFPGAN restores faces by design (and upscales): `face_fix` changes nothing."""

    name = "replicate-gfpgan"
    model = "tencentarc/gfpgan"

    def build_input(self, image: str, scale: int, face_fix: bool) -> dict[str, Any]:
        return {"img": image, "scale": scale, "version": "v1.4"}
