"""OpenAI transcription API (``POST /v1/audio/transcriptions``) over httpx."""

from __future__ import annotations

import logging
from typing import Any, Literal

import httpx

from designer_bff.speech._http import CloudSpeechProvider, RetryPolicy, error_body, short
from designer_bff.speech.audio import AudioClip
from designer_bff.speech.base import (
    FASHION_PROMPT,
    RecognitionHints,
    SpeechError,
    SpeechProviderError,
    SpeechRateLimited,
    SpeechUnavailable,
    Transcript,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com"
DEFAULT_MODEL = "whisper-1"

# verbose_json names the language in words; we report ISO 639-1 like the other providers.
_LANGUAGE_CODES = {
    "english": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it",
    "portuguese": "pt", "dutch": "nl", "polish": "pl", "turkish": "tr", "russian": "ru",
    "japanese": "ja", "chinese": "zh", "korean": "ko", "arabic": "ar", "hindi": "hi",
}  # fmt: skip

ResponseFormat = Literal["json", "verbose_json"]


class OpenAISpeechProvider(CloudSpeechProvider):
    name = "openai"
    label = "the OpenAI speech API"

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        response_format: ResponseFormat | None = None,
        language: str | None = "en",
        prompt: str | None = FASHION_PROMPT,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key, base_url=base_url, timeout_s=timeout_s, retry=retry, client=client
        )
        self.model = model
        # Only whisper-1 offers verbose_json (with the language); the gpt-4o transcribe
        # models answer json or text.
        self.response_format: ResponseFormat = response_format or (
            "verbose_json" if model.startswith("whisper") else "json"
        )
        self.language = language
        self.prompt = prompt

    def health(self) -> dict[str, Any]:
        return {**super().health(), "model": self.model}

    async def transcribe(
        self, audio: AudioClip, hints: RecognitionHints | None = None
    ) -> Transcript:
        if not self._api_key:
            raise SpeechUnavailable("no OpenAI API key is configured")
        # We send the already-validated, decoded clip as 16 kHz WAV: every upload format
        # then reaches OpenAI in one format it accepts, and the duration we enforced is
        # exactly what is billed (60 s is ~1.9 MB, far under the 25 MB limit).
        wav = audio.wav_bytes()
        fields: dict[str, str] = {"model": self.model, "response_format": self.response_format}
        if self.language:
            fields["language"] = self.language
        # OpenAI's `prompt` biases the transcription toward its words: ours, then the
        # designer's own names (collections).
        prompt = hints.prompt(self.prompt or "") if hints else self.prompt
        if prompt:
            fields["prompt"] = prompt
        url = f"{self.base_url}/v1/audio/transcriptions"
        headers = {"Authorization": f"Bearer {self._api_key}"}

        async def send() -> httpx.Response:
            return await self._client.post(
                url, headers=headers, data=fields, files={"file": ("audio.wav", wav, "audio/wav")}
            )

        return await self._send_and_parse(audio, send)

    def _parse(self, response: httpx.Response) -> tuple[str, str | None]:
        try:
            body = response.json()
        except ValueError as exc:
            raise SpeechProviderError("the OpenAI speech API sent a malformed reply") from exc
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise SpeechProviderError("the OpenAI speech API reply has no transcript text")
        language = body.get("language")
        if isinstance(language, str) and language:
            language = _LANGUAGE_CODES.get(language.lower(), language.lower())
        else:
            language = self.language
        return body["text"].strip(), language

    def _classify(self, response: httpx.Response) -> tuple[SpeechError, bool]:
        status = response.status_code
        err = error_body(response)
        code, message = err.get("code"), short(err.get("message") or response.reason_phrase)
        log.warning("OpenAI speech API answered %s (%s): %s", status, code, message)
        if status == 401:
            # The upstream message echoes part of the key; keep it out of client replies.
            return SpeechUnavailable("the OpenAI speech API rejected the configured API key"), False
        if status in (403, 404):  # region/organisation not allowed, or unknown model
            return SpeechUnavailable(f"the OpenAI speech API refused: {message}"), False
        if status == 429:
            if code == "insufficient_quota":  # billing, not a rate limit: waiting won't help
                return SpeechUnavailable("the OpenAI account is out of quota"), False
            return SpeechRateLimited("the OpenAI speech API is rate limiting us"), True
        if status in (408, 409) or status >= 500:  # the retry set of OpenAI's own SDK
            return SpeechProviderError(f"the OpenAI speech API failed ({status}): {message}"), True
        return SpeechProviderError(f"the OpenAI speech API refused ({status}): {message}"), False
