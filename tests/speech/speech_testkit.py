"""Helpers for the speech tests: synthetic audio and a real HTTP upstream on loopback."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
import threading
import time
import wave
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


def require(condition: bool, reason: str) -> None:
    """Skip locally, but fail in CI, where every tool is meant to be installed."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


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


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
