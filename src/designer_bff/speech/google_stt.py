"""Google Cloud Speech-to-Text v1 (``POST /v1/speech:recognize``) over httpx."""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

import httpx

from designer_bff.speech._http import CloudSpeechProvider, RetryPolicy, error_body, short
from designer_bff.speech.audio import AudioClip
from designer_bff.speech.base import (
    FASHION_VOCABULARY,
    RecognitionHints,
    SpeechError,
    SpeechProviderError,
    SpeechRateLimited,
    SpeechUnavailable,
    Transcript,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://speech.googleapis.com"

# Google's canonical codes (google.rpc.Code) whose failures are worth a retry.
_RETRYABLE_STATUSES = {"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class GoogleSpeechProvider(CloudSpeechProvider):
    name = "google"
    label = "Google Speech-to-Text"

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        language_code: str = "en-US",
        model: str | None = None,
        phrases: tuple[str, ...] = FASHION_VOCABULARY,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key, base_url=base_url, timeout_s=timeout_s, retry=retry, client=client
        )
        self.language_code = language_code
        self.model = model  # e.g. "latest_short" or "command_and_search"; None = Google's
        self.phrases = phrases

    def request_body(
        self, audio: AudioClip, hints: RecognitionHints | None = None
    ) -> dict[str, Any]:
        config: dict[str, Any] = {
            "encoding": "LINEAR16",
            "sampleRateHertz": audio.sample_rate,
            "audioChannelCount": 1,
            "languageCode": self.language_code,
            "enableAutomaticPunctuation": True,
        }
        if self.model:
            config["model"] = self.model
        # Phrase hints: our vocabulary and the designer's own names. Google takes up to
        # 5,000 phrases of at most 100 characters each.
        phrases = list(dict.fromkeys([*self.phrases, *(hints.phrases if hints else ())]))
        phrases = [p for p in phrases if 0 < len(p) <= 100][:5000]
        if phrases:
            config["speechContexts"] = [{"phrases": phrases}]
        # Raw PCM from our decoder: the upload's own container may not be one Google reads.
        content = base64.b64encode(audio.pcm16()).decode("ascii")
        return {"config": config, "audio": {"content": content}}

    async def transcribe(
        self, audio: AudioClip, hints: RecognitionHints | None = None
    ) -> Transcript:
        if not self._api_key:
            raise SpeechUnavailable("no Google API key is configured")
        body = self.request_body(audio, hints)
        url = f"{self.base_url}/v1/speech:recognize"
        # The key goes in Google's documented header rather than ?key=: httpx logs request
        # URLs, and a key in a query string ends up in every log line and proxy log.
        headers = {"x-goog-api-key": self._api_key}

        async def send() -> httpx.Response:
            return await self._client.post(url, headers=headers, json=body)

        return await self._send_and_parse(audio, send)

    def _parse(self, response: httpx.Response) -> tuple[str, str]:
        try:
            body = response.json()
        except ValueError as exc:
            raise SpeechProviderError("Google Speech-to-Text sent a malformed reply") from exc
        if not isinstance(body, dict):
            raise SpeechProviderError("Google Speech-to-Text sent an unexpected reply")
        results = body.get("results", [])  # absent when no speech was heard
        if not isinstance(results, list):
            raise SpeechProviderError("Google Speech-to-Text sent an unexpected reply")
        parts: list[str] = []
        language = self.language_code
        for result in results:
            alternatives = result.get("alternatives") if isinstance(result, dict) else None
            if not alternatives or not isinstance(alternatives[0], dict):
                continue
            # Each result is a consecutive stretch of audio; the first alternative is the
            # most likely reading of it.
            text = alternatives[0].get("transcript")
            if isinstance(text, str) and text.strip():
                parts.append(text.strip())
            if isinstance(result.get("languageCode"), str):
                language = result["languageCode"]
        # Report the primary language subtag ("en"), as Whisper does.
        return " ".join(parts), language.split("-")[0].lower()

    def _classify(self, response: httpx.Response) -> tuple[SpeechError, bool]:
        status = response.status_code
        err = error_body(response)
        rpc_status = err.get("status")
        message = short(err.get("message") or response.reason_phrase)
        log.warning("Google Speech-to-Text answered %s (%s): %s", status, rpc_status, message)
        reasons = {d.get("reason") for d in err.get("details") or [] if isinstance(d, dict)}
        # A wrong key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, not a 401.
        if status in (401, 403) or "API_KEY_INVALID" in reasons:
            refused = f"Google Speech-to-Text refused our credentials: {message}"
            return SpeechUnavailable(refused), False
        if status == 429 or rpc_status == "RESOURCE_EXHAUSTED":
            error = SpeechRateLimited("Google Speech-to-Text is rate limiting us")
            error.retry_after = _retry_delay(err)
            return error, True
        if status >= 500 or rpc_status in _RETRYABLE_STATUSES:
            return SpeechProviderError(f"Google Speech-to-Text failed ({status}): {message}"), True
        return SpeechProviderError(f"Google Speech-to-Text refused ({status}): {message}"), False


def _retry_delay(err: dict[str, Any]) -> float | None:
    """``retryDelay`` from a google.rpc.RetryInfo detail ("1.5s"), if the error has one."""
    for detail in err.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None
