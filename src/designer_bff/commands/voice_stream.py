"""Words on screen while a designer is still speaking: the web app sends its recording
over Socket.IO in chunks, and each socket gets back quick partial transcripts.

Events (all on the authenticated socket that recorded):

- ``voice.start`` ``{mime}`` -> ack ``{ok: true, stream_id}`` or ``{ok: false, error}``
- ``voice.chunk`` ``{stream_id, data: bytes}``: the next piece of the audio file
- ``voice.stop`` ``{stream_id}``: the recording is over (its final upload goes to
  ``/api/voice/transcribe``; nothing here is stored or charged)
- emitted to that socket: ``voice.partial`` ``{stream_id, text, seq}`` when the reading
  changes, ``voice.error`` ``{stream_id, error: {code, message}}`` when a stream ends
  on a failure.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio
import structlog

from designer_bff.speech import (
    AudioTooLarge,
    SpeechError,
    SpeechProvider,
    UnsupportedAudio,
    load_audio,
    sniff_audio_format,
)

log = structlog.get_logger("designer_bff.voice_stream")

PASS_INTERVAL_S = 0.4
IDLE_S = 90.0
MAX_STREAMS_PER_SOCKET = 2
# Enough bytes for every container's magic (sniff_audio_format reads at most 12).
_SNIFF_BYTES = 12


class PassPacer:
    """When a stream's next transcription pass may start: only after new audio, and no
    sooner than `interval` after the previous pass started. Audio arriving while a pass
    runs (or waits) is merged into the next one, however many chunks it was."""

    def __init__(self, interval: float = PASS_INTERVAL_S) -> None:
        self.interval = interval
        self._new_audio = False
        self._last_start: float | None = None

    def audio_arrived(self) -> None:
        self._new_audio = True

    def wait(self, now: float) -> float | None:
        """Seconds until the next pass may start (0: now); None when there is nothing new."""
        if not self._new_audio:
            return None
        if self._last_start is None:
            return 0.0
        return max(0.0, self._last_start + self.interval - now)

    def start(self, now: float) -> None:
        """A pass starts now and takes in all audio received so far."""
        self._new_audio = False
        self._last_start = now


@dataclass
class _Stream:
    id: str
    sid: str
    mime: str
    pacer: PassPacer
    last_activity: float
    audio: bytearray = field(default_factory=bytearray)
    text: str = ""
    seq: int = 0
    # The one task that paces and runs this stream's passes; None when idle.
    runner: asyncio.Task[None] | None = None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


class VoiceStreams:
    """Open recordings per socket and their partial transcription passes."""

    def __init__(
        self,
        speech: SpeechProvider | None,
        max_bytes: int,
        max_seconds: float,
        *,
        interval_s: float = PASS_INTERVAL_S,
        idle_s: float = IDLE_S,
        max_per_socket: int = MAX_STREAMS_PER_SOCKET,
    ) -> None:
        self.speech = speech
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.interval_s = interval_s
        self.idle_s = idle_s
        self.max_per_socket = max_per_socket
        self._streams: dict[str, _Stream] = {}
        self._sio: socketio.AsyncServer | None = None
        self._closed = False

    def register(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        sio.on("voice.start", self.start)
        sio.on("voice.chunk", self.chunk)
        sio.on("voice.stop", self.stop)

    @property
    def open_streams(self) -> int:
        return len(self._streams)

    def streams_of(self, sid: str) -> int:
        return sum(1 for s in self._streams.values() if s.sid == sid)

    # -- the event handlers ----------------------------------------------------------

    async def start(self, sid: str, data: Any = None) -> dict[str, Any]:
        if self.speech is None or not self.speech.available():
            return _error("speech_unavailable", "Speech recognition is not available here.")
        mime = data.get("mime") if isinstance(data, dict) else None
        if not isinstance(mime, str) or len(mime) > 200:
            return _error("bad_request", "Send {mime: string}.")
        if self.streams_of(sid) >= self.max_per_socket:
            return _error(
                "too_many_streams",
                f"At most {self.max_per_socket} recordings at once; stop one first.",
            )
        stream = _Stream(
            id=str(uuid.uuid4()),
            sid=sid,
            mime=mime,
            pacer=PassPacer(self.interval_s),
            last_activity=time.monotonic(),
        )
        self._streams[stream.id] = stream
        return {"ok": True, "stream_id": stream.id}

    async def chunk(self, sid: str, data: Any = None) -> None:
        # No await before the append: each event runs in a task of its own, and only
        # their first steps are sure to run in the order the chunks arrived.
        stream = self._own(sid, data)
        piece = data.get("data") if stream is not None else None
        if stream is None or not isinstance(piece, (bytes, bytearray, memoryview)):
            return
        if len(stream.audio) + len(piece) > self.max_bytes:
            self._forget(stream)
            size = AudioTooLarge(f"the recording passed the {self.max_bytes} byte limit")
            await self._emit_error(stream, size.code, size.message)
            return
        stream.audio += piece
        stream.last_activity = time.monotonic()
        stream.pacer.audio_arrived()
        if stream.runner is None:
            stream.runner = asyncio.create_task(self._run(stream))

    async def stop(self, sid: str, data: Any = None) -> None:
        stream = self._own(sid, data)
        if stream is not None:
            self._forget(stream)

    async def forget_socket(self, sid: str) -> None:
        for stream in [s for s in self._streams.values() if s.sid == sid]:
            self._forget(stream)

    # -- housekeeping ------------------------------------------------------------------

    def sweep(self, now: float | None = None) -> int:
        """Drop streams idle for `idle_s` (a client that vanished mid-recording);
        returns how many."""
        now = time.monotonic() if now is None else now
        idle = [s for s in self._streams.values() if now - s.last_activity >= self.idle_s]
        for stream in idle:
            self._forget(stream)
        return len(idle)

    async def run_sweeps(self) -> None:
        while not self._closed:
            await asyncio.sleep(max(1.0, self.idle_s / 6))
            self.sweep()

    async def aclose(self) -> None:
        self._closed = True
        runners = [s.runner for s in self._streams.values() if s.runner is not None]
        for stream in list(self._streams.values()):
            self._forget(stream)
        await asyncio.gather(*runners, return_exceptions=True)

    # -- internals ---------------------------------------------------------------------

    def _own(self, sid: str, data: Any) -> _Stream | None:
        """The stream `data` names, if this socket started it (others' are unknown)."""
        stream_id = data.get("stream_id") if isinstance(data, dict) else None
        stream = self._streams.get(stream_id) if isinstance(stream_id, str) else None
        return stream if stream is not None and stream.sid == sid else None

    def _forget(self, stream: _Stream) -> None:
        self._streams.pop(stream.id, None)
        if stream.runner is not None and stream.runner is not asyncio.current_task():
            stream.runner.cancel()
        stream.runner = None

    async def _run(self, stream: _Stream) -> None:
        """Passes over everything received so far until no new audio is waiting."""
        try:
            while stream.id in self._streams:
                wait = stream.pacer.wait(time.monotonic())
                if wait is None:
                    break  # the next chunk starts a new runner
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                stream.pacer.start(time.monotonic())
                if not await self._pass(stream):
                    break
        except Exception:
            log.exception("voice_stream_pass_failed", stream_id=stream.id)
            self._forget(stream)
            await self._emit_error(stream, "internal_error", "Something went wrong on our side.")
        finally:
            if stream.runner is asyncio.current_task():
                stream.runner = None

    async def _pass(self, stream: _Stream) -> bool:
        """One reading of the audio so far; False when the stream ended on an error."""
        assert self.speech is not None  # start() opens no stream without speech
        audio = bytes(stream.audio)
        try:
            clip = await load_audio(
                audio, max_bytes=self.max_bytes, max_duration_s=self.max_seconds
            )
            text = (await self.speech.transcribe_partial(clip)).strip()
        except UnsupportedAudio as exc:
            if len(audio) < _SNIFF_BYTES or sniff_audio_format(audio) is not None:
                return True  # a prefix too short to decode yet: wait for more
            self._forget(stream)
            await self._emit_error(stream, exc.code, exc.message)
            return False
        except SpeechError as exc:  # too long, provider down, ...
            self._forget(stream)
            await self._emit_error(stream, exc.code, exc.message)
            return False
        if text != stream.text and stream.id in self._streams:
            stream.text = text
            stream.seq += 1
            await self._emit(
                stream, "voice.partial", {"stream_id": stream.id, "text": text, "seq": stream.seq}
            )
        return True

    async def _emit_error(self, stream: _Stream, code: str, message: str) -> None:
        body = {"stream_id": stream.id, "error": {"code": code, "message": message}}
        await self._emit(stream, "voice.error", body)

    async def _emit(self, stream: _Stream, event: str, data: dict[str, Any]) -> None:
        if self._sio is None:
            return
        # The socket is connected to this process (its chunk arrived here): no need to
        # publish the designer's words on the shared message queue. A socket that left
        # meanwhile is simply not in its room any more.
        await self._sio.emit(event, data, to=stream.sid, ignore_queue=True)
