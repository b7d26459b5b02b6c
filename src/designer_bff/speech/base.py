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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from designer_bff.speech.audio import AudioClip


# Words designers say that small speech models mishear without context (Whisper tiny
# hears "bohemian" as "bogeyman"). Google takes them as phrase hints.
FASHION_VOCABULARY: tuple[str, ...] = (
    "bohemian", "boho", "minimalist", "vintage", "cottagecore", "dresses", "tops", "skirts",
    "blazers", "jumpsuits", "a-line", "midi", "maxi", "v-neck", "floral", "chiffon", "linen",
    "navy", "burgundy", "sage", "outliers", "collection", "tulle", "denim", "fuchsia",
    "nightly", "crochet", "fringe", "coral",
)  # fmt: skip
# Whisper follows a prompt's style as well as its words: commands written the way they
# are said (digits, our terms, capitalised collection names) make it write ours alike.
FASHION_PROMPT = (
    "Make me 10 bohemian maxi dresses in sage chiffon. Generate 7 festival crochet tops in "
    "coral. 3 western denim jackets with fringe. 4 tulle ball gowns in fuchsia for prom, no "
    "sleeves. Show my outliers from last week. Add the last 5 to Winter Noir. Every night "
    "make 20 minimalist blazers. What's my bill for this week? Dresses, gowns, tops, "
    "blouses, shirts, sweaters, jumpers, cardigans, skirts, trousers, jeans, shorts, "
    "jumpsuits, blazers, jackets, coats, hoodies. Silk, satin, linen, cotton, wool, cashmere, "
    "leather, suede, lace, velvet, tweed, jersey. Ruffles, pleats, pockets, buttons, belts, "
    "sleeveless, cropped, oversized."
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


class AcousticScorer(Protocol):
    """Scores whole texts against the audio a transcript came from: the recogniser's
    log-probability of each text (higher is likelier). Blocking: call from a thread."""

    def score(self, texts: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True, slots=True)
class RecognitionHints:
    """What the recogniser should expect: our vocabulary, the designer's own names."""

    phrases: tuple[str, ...] = ()  # collection names, recent commands, ...
    # Every word a command is made of (lower case). A recogniser that can keep its
    # decoding to them does so in one pass (the phrases' words count too); free text
    # such as a new collection's name still comes from an unrestricted pass.
    vocabulary: frozenset[str] = frozenset()
    # Whether a reading of the restricted pass is already a whole command in that
    # vocabulary (no free text in it): then the unrestricted pass may be skipped.
    settled: Callable[[str], bool] | None = field(default=None, compare=False)

    def prompt(self, base: str = "", limit_chars: int = 900) -> str:
        """A prompt for recognisers that take one (Whisper, OpenAI): the base text
        first, then as many phrases as fit (Whisper keeps a prompt's last 223 tokens, so
        the designer's names, last, are never the ones cut)."""
        parts = [base] if base else []
        size = len(base)
        for phrase in self.phrases:
            phrase = phrase.strip()
            if phrase and size + len(phrase) + 2 <= limit_chars:
                parts.append(phrase + ".")
                size += len(phrase) + 2
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Transcript:
    transcript: str
    language: str | None
    duration_s: float
    provider: str
    # Other readings the recogniser weighed, best first (n-best), without `transcript`.
    alternatives: tuple[str, ...] = ()
    # Present when the recogniser can weigh any text against this audio (local Whisper).
    scorer: AcousticScorer | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transcript": self.transcript,
            "language": self.language,
            "duration_s": self.duration_s,
            "provider": self.provider,
            "alternatives": list(self.alternatives),
        }


class SpeechProvider(abc.ABC):
    """A speech-to-text backend. Implementations must be safe to share across requests."""

    name: ClassVar[str]

    @abc.abstractmethod
    def available(self) -> bool:
        """Cheap check, no network: could this provider transcribe right now?"""

    @abc.abstractmethod
    async def transcribe(
        self, audio: AudioClip, hints: RecognitionHints | None = None
    ) -> Transcript:
        """Transcribe a decoded, validated clip; raises :class:`SpeechError` subclasses."""

    async def transcribe_partial(self, audio: AudioClip) -> str:
        """A quick reading of audio still being recorded, for showing words as they
        come; providers with a cheaper path override it."""
        return (await self.transcribe(audio)).transcript

    def health(self) -> dict[str, Any]:
        """What a health endpoint can show; never touches the network."""
        return {"provider": self.name, "available": self.available()}

    async def warm_up(self) -> None:
        """Prepare expensive state (e.g. load a model) ahead of the first request."""
        return None

    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""
        return None
