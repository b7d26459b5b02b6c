"""Choose the speech provider from plain settings values."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal, get_args

from designer_bff.speech import google_stt, openai_stt
from designer_bff.speech.base import SpeechProvider
from designer_bff.speech.google_stt import GoogleSpeechProvider
from designer_bff.speech.local_whisper import LocalWhisperProvider
from designer_bff.speech.openai_stt import OpenAISpeechProvider

log = logging.getLogger(__name__)

ProviderName = Literal["auto", "local", "openai", "google", "none"]
PROVIDER_NAMES: tuple[str, ...] = get_args(ProviderName)


def build_speech_provider(
    provider: str = "auto",
    *,
    openai_api_key: str | None = None,
    openai_base_url: str = openai_stt.DEFAULT_BASE_URL,
    openai_model: str = openai_stt.DEFAULT_MODEL,
    google_api_key: str | None = None,
    google_base_url: str = google_stt.DEFAULT_BASE_URL,
    whisper_threads: int = 2,
    whisper_model: str = "tiny.en",
    model_dir: Path = Path("./var/models"),
) -> SpeechProvider | None:
    """The configured provider, or None when speech is off or nothing can serve it.

    ``auto`` prefers local Whisper (offline, free, private), then OpenAI, then Google,
    according to what is installed and which keys are set. Naming a provider explicitly
    returns it even when it is not usable yet (its ``available()`` says so, and
    ``transcribe`` raises ``SpeechUnavailable``) so a misconfiguration is visible in health
    checks rather than silently replaced by another vendor.
    """
    name = provider.strip().lower()
    if name not in PROVIDER_NAMES:
        raise ValueError(f"unknown speech provider {provider!r}; expected one of {PROVIDER_NAMES}")
    if name == "none":
        return None

    def local() -> LocalWhisperProvider:
        return LocalWhisperProvider(
            cpu_threads=whisper_threads, model=whisper_model, cache_dir=model_dir
        )

    def openai() -> OpenAISpeechProvider:
        return OpenAISpeechProvider(openai_api_key, base_url=openai_base_url, model=openai_model)

    def google() -> GoogleSpeechProvider:
        return GoogleSpeechProvider(google_api_key, base_url=google_base_url)

    if name == "local":
        return local()
    if name == "openai":
        return openai()
    if name == "google":
        return google()

    candidate = local()
    if candidate.available():
        return candidate
    if openai_api_key:
        return openai()
    if google_api_key:
        return google()
    log.info("no speech provider available: no speech extra installed and no API keys set")
    return None
