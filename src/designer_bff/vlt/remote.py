"""The Visual Descriptor API (the remote VLT): image bytes -> a VLT record -> our spec.

    analyzer = RemoteAnalyzer(url=..., api_key=..., models=("gemini", "openai"),
                              timeout_s=60, cache=MemoryAnalysisCache())
    analysis = await analyzer.analyze(png_bytes)

One `POST /v1/jobs` (multipart: `file`, `passes`, `model`) per analysis, with the key as
`Authorization: Bearer`. Each model in `models` is asked in turn: 429 and 5xx are retried
on the same model (waiting what Retry-After says, never less), then the next model is
tried. What is final for these bytes or this key (401/403, a refused image) is raised at
once, since another model would refuse it as well. Finished analyses are cached by
content hash, so the same bytes are never analysed, or paid for, twice; concurrent
requests for the same bytes share one call.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import replace
from functools import partial
from typing import Any

import httpx
import structlog

from designer_bff.generation.providers._http import (
    ProviderAuthFailed,
    ProviderQuotaExceeded,
    ProviderTimeout,
    VendorHTTP,
    error_for_status,
    short,
)
from designer_bff.generation.providers.base import ProviderError, TransientProviderError
from designer_bff.vlt.base import Analysis, AnalyzerError, AnalyzerHealth, ImageAnalyzer
from designer_bff.vlt.cache import AnalysisCache, MemoryAnalysisCache
from designer_bff.vlt.mapping import record_to_spec

log = structlog.get_logger("designer_bff.vlt")

LABEL = "Visual Descriptor API"
KEY_SETTING = "VLT_API_KEY"
DEFAULT_MODELS = ("gemini", "openai")
# All three descriptor passes: the full record (what the spec mapping reads).
DEFAULT_PASSES = "A,B,C"
# Bumped when the shape of a cache entry changes, so old entries are simply missed.
CACHE_VERSION = "1"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class _ModelFailed(Exception):
    """One model could not answer (after its retries): worth trying the next one."""


def _sniff(data: bytes) -> tuple[str, str]:
    """(extension, media type) from the magic bytes, so the API is told what it gets."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif", "image/gif"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif", "image/avif"
    if data[4:8] == b"ftyp":
        return "heic", "image/heic"
    return "bin", "application/octet-stream"


def _detail(response: httpx.Response) -> str:
    """The server's own words for an error: {"detail": ...}, {"error": {"message"}}, text."""
    try:
        body = response.json()
    except ValueError:
        return short(response.text or response.reason_phrase, 200)
    if isinstance(body, dict):
        for value in (body.get("detail"), body.get("error"), body.get("message")):
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str | list) and value:
                return short(value, 200)
    return short(response.text, 200)


def _connect_detail(exc: BaseException) -> str:
    """Why a connection failed, in words an operator reads in a health check."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, httpx.TimeoutException):
            return "timed out"
        seen = seen.__cause__ or seen.__context__
    return f"{type(exc).__name__}: {short(exc, 120)}"


class RemoteAnalyzer(ImageAnalyzer):
    name = "vlt-api"

    def __init__(
        self,
        *,
        url: str,
        api_key: str | None,
        models: tuple[str, ...] = DEFAULT_MODELS,
        timeout_s: float = 60.0,
        cache: AnalysisCache | None = None,
        passes: str = DEFAULT_PASSES,
        retries: int = 2,
        retry_delay_s: float = 1.0,
        max_retry_delay_s: float = 30.0,
        health_timeout_s: float = 5.0,
    ) -> None:
        """`retries`: further tries of one model after a 429/5xx/transport failure, waiting
        Retry-After when the server gives one, else `retry_delay_s` doubling each time.
        A Retry-After beyond `max_retry_delay_s` is not waited for: the next model is
        asked instead (an analysis is waited on by a person or a batch with a lease)."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"VLT_API_URL must be an http(s) URL, not {url!r}")
        ordered = tuple(dict.fromkeys(m.strip() for m in models if m.strip()))
        if not ordered:
            raise ValueError("at least one VLT model is needed")
        if timeout_s <= 0 or health_timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        if retries < 0 or retry_delay_s < 0 or max_retry_delay_s < 0:
            raise ValueError("retries and retry delays cannot be negative")
        self.url = url.rstrip("/")
        self.models = ordered
        self.passes = passes
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self.max_retry_delay_s = max_retry_delay_s
        self.health_timeout_s = health_timeout_s
        self.cache: AnalysisCache = cache if cache is not None else MemoryAnalysisCache()
        self._api_key = api_key
        self.http = VendorHTTP(label=LABEL, base_url=self.url, timeout_s=timeout_s)
        self._inflight: dict[str, asyncio.Future[Analysis]] = {}

    def __repr__(self) -> str:  # never the key
        return f"RemoteAnalyzer(url={self.url!r}, models={self.models!r})"

    def cache_key(self, data: bytes) -> str:
        """What identifies an analysis: the bytes' sha256, the models asked and the passes
        (another model list or pass set gives another record)."""
        digest = hashlib.sha256(data).hexdigest()
        return f"v{CACHE_VERSION}:{digest}:{','.join(self.models)}:{self.passes}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    # -- analyze ----------------------------------------------------------------------

    async def analyze(self, data: bytes, *, image_id: str | None = None) -> Analysis:
        started = time.perf_counter()
        if not data:
            raise AnalyzerError("The image is empty.", code="invalid_image", transient=False)
        key = self.cache_key(data)
        hit = await self._from_cache(key, started)
        if hit is not None:
            return hit
        shared = self._inflight.get(key)
        if shared is not None:
            # Another request is already paying for these bytes: wait for its answer.
            analysis = await asyncio.shield(shared)
            return replace(analysis, billable=False, cached=True)
        task = asyncio.ensure_future(self._analyze_remote(key, data, image_id, started))
        self._inflight[key] = task
        task.add_done_callback(partial(self._settled, key))
        # Shielded: a caller giving up does not waste a call already under way; its
        # result still lands in the cache for the next caller.
        return await asyncio.shield(task)

    def _settled(self, key: str, task: asyncio.Future[Analysis]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved, so an abandoned failure is not logged as lost

    async def _from_cache(self, key: str, started: float) -> Analysis | None:
        try:
            entry = await self.cache.get(key)
        except Exception as exc:  # a cache outage costs money, not availability
            log.warning("vlt_cache_read_failed", error=f"{type(exc).__name__}: {exc}")
            return None
        if entry is None:
            return None
        record, model = entry.get("record"), entry.get("model")
        if not isinstance(record, dict) or not (model is None or isinstance(model, str)):
            return None
        # Mapped again rather than stored: mapping fixes then apply to cached records too.
        spec, confidence = record_to_spec(record)
        prompt_text = record.get("prompt_text")
        return Analysis(
            record=record,
            spec=spec,
            confidence=confidence,
            provider=self.name,
            model=model,
            prompt_text=prompt_text if isinstance(prompt_text, str) else None,
            billable=False,
            cached=True,
            timings={"total_ms": (time.perf_counter() - started) * 1000},
        )

    async def _analyze_remote(
        self, key: str, data: bytes, image_id: str | None, started: float
    ) -> Analysis:
        failures: list[str] = []
        for model in self.models:
            asked = time.perf_counter()
            try:
                record, answered = await self._ask(model, data, image_id)
            except _ModelFailed as exc:
                failures.append(f"{model}: {exc}")
                log.warning("vlt_model_failed", model=model, error=str(exc))
                continue
            remote_ms = (time.perf_counter() - asked) * 1000
            try:
                await self.cache.set(key, {"record": record, "model": answered})
            except Exception as exc:
                log.warning("vlt_cache_write_failed", error=f"{type(exc).__name__}: {exc}")
            spec, confidence = record_to_spec(record)
            prompt_text = record.get("prompt_text")
            return Analysis(
                record=record,
                spec=spec,
                confidence=confidence,
                provider=self.name,
                model=answered,
                prompt_text=prompt_text if isinstance(prompt_text, str) else None,
                billable=True,
                cached=False,
                timings={
                    "remote_ms": remote_ms,
                    "total_ms": (time.perf_counter() - started) * 1000,
                },
            )
        raise AnalyzerError(
            f"The {LABEL} could not analyse the image ({'; '.join(failures)}).",
            code="vlt_unavailable",
            transient=True,
        )

    async def _ask(
        self, model: str, data: bytes, image_id: str | None
    ) -> tuple[dict[str, Any], str]:
        """One model's record, retrying what is worth retrying; AnalyzerError for what
        is final; _ModelFailed when this model gave out."""
        ext, media_type = _sniff(data)
        stem = image_id if image_id and _SAFE_NAME.match(image_id) else "image"
        last = "no answer"
        for attempt in range(self.retries + 1):
            retry_after: float | None = None
            try:
                response = await self.http.send(
                    "POST",
                    f"{self.url}/v1/jobs",
                    headers=self._headers(),
                    files={"file": (f"{stem}.{ext}", data, media_type)},
                    data={"passes": self.passes, "model": model},
                )
            except ProviderTimeout as exc:
                # Not retried on this model: the analysis may still be running (and
                # billing) there; the next model gets its own full timeout.
                raise _ModelFailed(exc.message) from exc
            except TransientProviderError as exc:
                last = exc.message
            else:
                if response.is_success:
                    try:
                        return self._read(response, model, image_id)
                    except ProviderError as exc:
                        last = exc.message
                else:
                    error = self._status_error(response)
                    last, retry_after = error.message, error.retry_after
            if attempt == self.retries:
                break
            delay = retry_after if retry_after is not None else self.retry_delay_s * 2**attempt
            if delay > self.max_retry_delay_s:
                if retry_after is not None:
                    last += f" (asked to wait {delay:.3g} s)"
                    break
                delay = self.max_retry_delay_s
            await asyncio.sleep(delay)
        raise _ModelFailed(last)

    def _status_error(self, response: httpx.Response) -> TransientProviderError:
        """The transient error for a retryable status; raises AnalyzerError for the rest."""
        status = response.status_code
        detail = _detail(response)
        error = error_for_status(LABEL, status, detail, response.headers, key_setting=KEY_SETTING)
        if isinstance(error, TransientProviderError):
            return error
        if isinstance(error, ProviderAuthFailed):
            reason = "rejected the API key" if status == 401 else "refused access"
            raise AnalyzerError(
                f"The {LABEL} {reason} (HTTP {status}); check {KEY_SETTING}.",
                code="vlt_unauthorized",
                transient=False,
            )
        if isinstance(error, ProviderQuotaExceeded):
            raise AnalyzerError(
                f"The {LABEL} account has no credit left: {detail}",
                code="vlt_quota_exceeded",
                transient=False,
            )
        if status == 413:
            raise AnalyzerError(
                f"The image is too large for the {LABEL}: {detail}",
                code="image_too_large",
                transient=False,
            )
        if status in (400, 415, 422):
            raise AnalyzerError(
                f"The {LABEL} could not read the image: {detail}",
                code="invalid_image",
                transient=False,
            )
        # 404, 405, ...: the URL or the API changed under us; asking again will not help.
        raise AnalyzerError(
            f"The {LABEL} refused the request (HTTP {status}): {detail}",
            code="vlt_rejected",
            transient=False,
        )

    def _read(
        self, response: httpx.Response, model: str, image_id: str | None
    ) -> tuple[dict[str, Any], str]:
        """(record, model that answered) from a job reply; ProviderBadResponse-style
        errors (transient) when it is not the documented shape."""
        body = self.http.json(response)
        records = body.get("records") if isinstance(body, dict) else None
        found = [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
        if not found:
            raise TransientProviderError(
                f"{LABEL} sent a reply without records (HTTP {response.status_code})"
            )
        record = next((r for r in found if image_id and r.get("image_id") == image_id), found[0])
        reported = body.get("model")
        # The server may answer with another model than asked (its own fallback).
        answered = reported if isinstance(reported, str) and reported in DEFAULT_MODELS else model
        return record, answered

    # -- health and close -------------------------------------------------------------

    async def health(self) -> AnalyzerHealth:
        try:
            response = await self.http.client.get(
                f"{self.url}/healthz",
                headers=self._headers(),
                timeout=httpx.Timeout(self.health_timeout_s),
            )
        except Exception as exc:  # a health check reports; it never raises
            return AnalyzerHealth("unhealthy", self.url, _connect_detail(exc))
        if response.is_success:
            return AnalyzerHealth("healthy", self.url, None)
        return AnalyzerHealth(
            "unhealthy", self.url, f"/healthz answered HTTP {response.status_code}"
        )

    async def close(self) -> None:
        for task in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()
        await self.http.aclose()
