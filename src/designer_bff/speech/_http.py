"""Bounded retries for the cloud speech clients (shared by OpenAI and Google)."""

from __future__ import annotations

import asyncio
import email.utils
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from designer_bff.speech.base import (
    SpeechError,
    SpeechProviderError,
    SpeechProviderTimeout,
    SpeechRateLimited,
)

_jitter = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before giving up on the upstream service.

    A transcription sits inside a user's HTTP request, so the whole budget is small:
    a server asking us to wait longer than ``max_wait_s`` gets its error passed straight
    on (with ``retry_after``) instead of holding the request open.
    """

    max_retries: int = 2
    backoff_base_s: float = 0.5
    backoff_max_s: float = 4.0
    max_wait_s: float = 10.0
    total_budget_s: float = 60.0

    def backoff(self, attempt: int) -> float:
        # "Equal jitter": at least half the exponential step, so retries still spread out.
        step = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        return step / 2 + _jitter.uniform(0, step / 2)


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (secs or date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The ``{"error": {...}}`` object both OpenAI and Google use, or {} if absent."""
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


def short(text: object, limit: int = 200) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Maps a non-2xx response to (error to raise, whether retrying may help).
Classifier = Callable[[httpx.Response], tuple[SpeechError, bool]]


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    classify: Classifier,
    policy: RetryPolicy,
    label: str,
) -> httpx.Response:
    """Call ``send`` until it gives a 2xx, a non-retryable error, or the budget runs out."""
    started = time.monotonic()
    attempt = 0
    while True:
        server_wait: float | None = None
        try:
            response = await send()
        except httpx.TimeoutException as exc:
            error: SpeechError = SpeechProviderTimeout(f"{label} did not answer in time")
            error.__cause__ = exc
        except httpx.TransportError as exc:
            error = SpeechProviderError(f"could not reach {label}: {type(exc).__name__}")
            error.__cause__ = exc
        else:
            if response.is_success:
                return response
            error, retryable = classify(response)
            if not retryable:
                raise error
            server_wait = parse_retry_after(response.headers)
            if server_wait is None:
                server_wait = error.retry_after
            if server_wait is not None:
                error.retry_after = server_wait
        if attempt >= policy.max_retries:
            raise error
        delay = server_wait if server_wait is not None else policy.backoff(attempt)
        elapsed = time.monotonic() - started
        if delay > policy.max_wait_s or elapsed + delay > policy.total_budget_s:
            if isinstance(error, SpeechRateLimited) and error.retry_after is None:
                error.retry_after = delay
            raise error
        await asyncio.sleep(delay)
        attempt += 1
