"""Speech-to-text for voice commands.

Upload bytes -> :func:`load_audio` (sniff the container, enforce size and duration,
decode to 16 kHz mono) -> :class:`AudioClip` -> ``SpeechProvider.transcribe`` ->
:class:`Transcript`. Providers: local Whisper tiny.en (faster-whisper, offline, the
``speech`` extra), the OpenAI transcription API and Google Speech-to-Text v1, chosen by
:func:`build_speech_provider`. Every failure is a :class:`SpeechError` carrying a stable
``code`` and the HTTP ``status_code`` to answer with.
"""

from designer_bff.speech._http import RetryPolicy
from designer_bff.speech.audio import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DURATION_S,
    SAMPLE_RATE,
    SUPPORTED_FORMATS,
    AudioClip,
    decode_audio,
    load_audio,
    sniff_audio_format,
)
from designer_bff.speech.base import (
    AcousticScorer,
    AudioTooLarge,
    AudioTooLong,
    RecognitionHints,
    SpeechError,
    SpeechProvider,
    SpeechProviderError,
    SpeechProviderTimeout,
    SpeechRateLimited,
    SpeechUnavailable,
    Transcript,
    UnsupportedAudio,
)
from designer_bff.speech.factory import PROVIDER_NAMES, build_speech_provider
from designer_bff.speech.google_stt import GoogleSpeechProvider
from designer_bff.speech.local_whisper import LocalWhisperProvider
from designer_bff.speech.openai_stt import OpenAISpeechProvider

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DURATION_S",
    "PROVIDER_NAMES",
    "SAMPLE_RATE",
    "SUPPORTED_FORMATS",
    "AcousticScorer",
    "AudioClip",
    "AudioTooLarge",
    "AudioTooLong",
    "GoogleSpeechProvider",
    "LocalWhisperProvider",
    "OpenAISpeechProvider",
    "RecognitionHints",
    "RetryPolicy",
    "SpeechError",
    "SpeechProvider",
    "SpeechProviderError",
    "SpeechProviderTimeout",
    "SpeechRateLimited",
    "SpeechUnavailable",
    "Transcript",
    "UnsupportedAudio",
    "build_speech_provider",
    "decode_audio",
    "load_audio",
    "sniff_audio_format",
]
