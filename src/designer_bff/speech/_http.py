"""What the cloud speech clients (OpenAI and Google) share: bounded retries, and a base
class holding the key, the pooled HTTP client and the request-to-transcript path."""

from __future__ import annotations

import abc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import stamina

from designer_bff.core.http import parse_retry_after
from designer_bff.speech.base import (
    SpeechError,
    SpeechProvider,
    SpeechProviderError,
    SpeechProviderTimeout,
    Transcript,
)

if TYPE_CHECKING:
    from designer_bff.speech.audio import AudioClip


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before giving up on the upstream service (stamina does the waiting:
    ``backoff_base_s`` doubling per retry, capped at ``backoff_max_s``, plus up to
    ``backoff_base_s`` of jitter).

    A transcription sits inside a user's HTTP request, so the whole budget is small:
    a server asking us to wait longer than ``max_wait_s`` gets its error passed straight
    on (with ``retry_after``) instead of holding the request open.
    """

    max_retries: int = 2
    backoff_base_s: float = 0.5
    backoff_max_s: float = 4.0
    max_wait_s: float = 10.0
    total_budget_s: float = 60.0


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


class _Retryable(Exception):
    """A failure another try may cure; carries the error to raise when none is left."""

    def __init__(self, error: SpeechError) -> None:
        super().__init__(str(error))
        self.error = error


async def _send_once(
    send: Callable[[], Awaitable[httpx.Response]], classify: Classifier, label: str
) -> httpx.Response:
    try:
        response = await send()
    except httpx.TimeoutException as exc:
        error: SpeechError = SpeechProviderTimeout(f"{label} did not answer in time")
        error.__cause__ = exc
        raise _Retryable(error) from exc
    except httpx.TransportError as exc:
        error = SpeechProviderError(f"could not reach {label}: {type(exc).__name__}")
        error.__cause__ = exc
        raise _Retryable(error) from exc
    if response.is_success:
        return response
    error, retryable = classify(response)
    if not retryable:
        raise error
    # The server's own wait (header, else one the classifier read from the body).
    server_wait = parse_retry_after(response.headers)
    if server_wait is not None:
        error.retry_after = server_wait
    raise _Retryable(error)


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    classify: Classifier,
    policy: RetryPolicy,
    label: str,
) -> httpx.Response:
    """Call ``send`` until it gives a 2xx, a non-retryable error, or the budget runs out."""
    started = time.monotonic()

    def wait_for(exc: Exception) -> bool | float:
        # stamina's hook: False = give up, True = its backoff, a float = wait exactly that.
        if not isinstance(exc, _Retryable):
            return False
        server_wait = exc.error.retry_after
        if server_wait is None:
            return True
        left = policy.total_budget_s - (time.monotonic() - started)
        if server_wait > min(policy.max_wait_s, left):
            return False  # passed on with its retry_after rather than held open
        return server_wait

    try:
        async for attempt in stamina.retry_context(
            on=wait_for,
            attempts=policy.max_retries + 1,
            timeout=policy.total_budget_s,
            wait_initial=policy.backoff_base_s,
            wait_max=policy.backoff_max_s,
            wait_jitter=policy.backoff_base_s,
        ):
            with attempt:
                return await _send_once(send, classify, label)
    except _Retryable as exc:
        raise exc.error from exc.error.__cause__
    raise AssertionError("stamina neither returned nor raised")  # pragma: no cover


class CloudSpeechProvider(SpeechProvider):
    """A speech API reached over HTTPS with an API key. Subclasses build the request
    (`transcribe` calls `_send_and_parse`), read the reply (`_parse`) and map failures
    (`_classify`)."""

    label: ClassVar[str]  # how errors and logs name the service

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str,
        timeout_s: float,
        retry: RetryPolicy | None,
        client: httpx.AsyncClient | None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))
        )

    def available(self) -> bool:
        return bool(self._api_key)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _send_and_parse(
        self, audio: AudioClip, send: Callable[[], Awaitable[httpx.Response]]
    ) -> Transcript:
        response = await send_with_retries(
            send, classify=self._classify, policy=self.retry, label=self.label
        )
        text, language = self._parse(response)
        return Transcript(
            transcript=text, language=language, duration_s=audio.duration_s, provider=self.name
        )

    @abc.abstractmethod
    def _parse(self, response: httpx.Response) -> tuple[str, str | None]:
        """(transcript, language) from a 2xx reply; SpeechProviderError if malformed."""

    @abc.abstractmethod
    def _classify(self, response: httpx.Response) -> tuple[SpeechError, bool]:
        """A non-2xx reply as (the error to raise, whether a retry may help)."""
