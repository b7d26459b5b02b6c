"""The speech-to-text interface shared by every provider, and its errors.

Each error carries a stable machine ``code`` and the HTTP ``status_code`` the API layer
should answer with, so the endpoint can map any :class:`SpeechError` generically::

    except SpeechError as exc:
        headers = {"Retry-After": str(math.ceil(exc.retry_after))} if exc.retry_after else {}
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}},
                            status_code=exc.status_code, headers=headers)
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from designer_bff.speech.audio import AudioClip


# Words designers say that small speech models mishear without context (Whisper tiny
# hears "bohemian" as "bogeyman"). Whisper takes them as a prompt, Google as phrase hints.
FASHION_VOCABULARY: tuple[str, ...] = (
    "bohemian", "boho", "minimalist", "vintage", "cottagecore", "dresses", "tops", "skirts",
    "blazers", "jumpsuits", "a-line", "midi", "maxi", "v-neck", "floral", "chiffon", "linen",
    "navy", "burgundy", "sage", "outliers", "collection",
)  # fmt: skip
FASHION_PROMPT = (
    "A fashion designer's command about garments: " + ", ".join(FASHION_VOCABULARY) + "."
)


class SpeechError(Exception):
    """Base class: a speech failure with a stable ``code`` and an HTTP status."""

    code: ClassVar[str] = "speech_error"
    status_code: ClassVar[int] = 500

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Seconds the caller should wait before trying again, when the cause says so.
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body


class SpeechUnavailable(SpeechError):
    """No provider can transcribe: none configured, optional extra missing, bad key."""

    code = "speech_unavailable"
    status_code = 503


class AudioTooLarge(SpeechError):
    code = "audio_too_large"
    status_code = 413


class AudioTooLong(SpeechError):
    code = "audio_too_long"
    status_code = 413


class UnsupportedAudio(SpeechError):
    """Not audio, a container we do not accept, or audio that does not decode."""

    code = "unsupported_media_type"
    status_code = 415


class SpeechProviderError(SpeechError):
    """The upstream speech service failed (5xx after retries, malformed reply, ...)."""

    code = "speech_provider_error"
    status_code = 502


class SpeechRateLimited(SpeechProviderError):
    """The upstream service kept rate-limiting us.

    503 rather than 429: the limit is on *our* upstream account, not on this client, but
    the client may still retry after ``retry_after`` seconds (sent as ``Retry-After``).
    """

    code = "speech_rate_limited"
    status_code = 503


class SpeechProviderTimeout(SpeechProviderError):
    code = "speech_provider_timeout"
    status_code = 504


@dataclass(frozen=True, slots=True)
class Transcript:
    transcript: str
    language: str | None
    duration_s: float
    provider: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SpeechProvider(abc.ABC):
    """A speech-to-text backend. Implementations must be safe to share across requests."""

    name: ClassVar[str]

    @abc.abstractmethod
    def available(self) -> bool:
        """Cheap check, no network: could this provider transcribe right now?"""

    @abc.abstractmethod
    async def transcribe(self, audio: AudioClip) -> Transcript:
        """Transcribe a decoded, validated clip; raises :class:`SpeechError` subclasses."""

    def health(self) -> dict[str, Any]:
        """What a health endpoint can show; never touches the network."""
        return {"provider": self.name, "available": self.available()}

    async def warm_up(self) -> None:
        """Prepare expensive state (e.g. load a model) ahead of the first request."""
        return None

    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""
        return None
