"""The OpenAI transcription client against a real HTTP server on loopback."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import AsyncIterator

import numpy as np
import pytest
from speech_testkit import (
    FAST,
    CloudClientCases,
    FakeUpstream,
    Reply,
    closed_port,
    timed_transcribe,
    transcribe_fails,
)

from designer_bff.speech import (
    AudioClip,
    OpenAISpeechProvider,
    RetryPolicy,
    SpeechProviderError,
    SpeechProviderTimeout,
    SpeechRateLimited,
    SpeechUnavailable,
)

KEY = "sk-test-0123456789"


def openai_error(message: str, type_: str, code: str | None) -> dict[str, object]:
    """The documented error body: {"error": {"message", "type", "param", "code"}}."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@pytest.fixture
async def provider(upstream: FakeUpstream) -> AsyncIterator[OpenAISpeechProvider]:
    stt = OpenAISpeechProvider(KEY, base_url=upstream.base_url, retry=FAST, timeout_s=5)
    yield stt
    await stt.aclose()


async def test_success_sends_the_documented_request(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    upstream.script(
        Reply(
            json={
                "task": "transcribe",
                "language": "english",
                "duration": 2.0,
                "text": " Make me ten bohemian dresses. ",
                "segments": [],
            }
        )
    )
    result = await provider.transcribe(clip)

    assert result.transcript == "Make me ten bohemian dresses."
    assert result.language == "en"
    assert result.provider == "openai"
    assert result.duration_s == pytest.approx(clip.duration_s)

    [request] = upstream.requests
    assert (request.method, request.path) == ("POST", "/v1/audio/transcriptions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.form["model"] == "whisper-1"
    assert request.form["response_format"] == "verbose_json"
    assert request.form["language"] == "en"
    assert "bohemian" in request.form["prompt"]
    filename, content_type, payload = request.files["file"]
    assert (filename, content_type) == ("audio.wav", "audio/wav")
    with wave.open(io.BytesIO(payload)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, 16_000, 2)
        sent = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.allclose(sent / 32767, clip.samples, atol=1e-4)


async def test_gpt4o_models_use_plain_json(upstream: FakeUpstream, clip: AudioClip) -> None:
    stt = OpenAISpeechProvider(
        KEY, base_url=upstream.base_url + "/", model="gpt-4o-mini-transcribe", retry=FAST
    )
    upstream.script(Reply(json={"text": "five more like the last one"}))
    try:
        result = await stt.transcribe(clip)
    finally:
        await stt.aclose()
    assert result.transcript == "five more like the last one"
    assert result.language == "en"  # the language we asked for; json does not echo it
    assert upstream.requests[0].path == "/v1/audio/transcriptions"
    assert upstream.requests[0].form["model"] == "gpt-4o-mini-transcribe"
    assert upstream.requests[0].form["response_format"] == "json"


async def test_bad_key_is_unavailable_and_not_retried(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    masked = f"Incorrect API key provided: {KEY[:6]}***{KEY[-4:]}."
    bad_key = Reply(401, openai_error(masked, "invalid_request_error", "invalid_api_key"))
    caught = await transcribe_fails(upstream, provider, clip, bad_key, error=SpeechUnavailable)
    assert (caught.status_code, caught.code) == (503, "speech_unavailable")
    assert "API key" in caught.message
    assert KEY[-4:] not in caught.message  # upstream's masked key is not passed on
    assert len(upstream.requests) == 1


async def test_retry_after_ms_is_preferred(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    limited = openai_error("Rate limit reached", "requests", "rate_limit_exceeded")
    transcript, took_s = await timed_transcribe(
        upstream,
        provider,
        clip,
        Reply(429, limited, headers={"retry-after-ms": "150", "Retry-After": "30"}),
        Reply(json={"text": "ok"}),
    )
    assert transcript == "ok"
    assert 0.14 <= took_s < 5


async def test_long_retry_after_is_passed_on_not_slept(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    limited = openai_error("Rate limit reached", "requests", "rate_limit_exceeded")
    long_wait = Reply(429, limited, headers={"Retry-After": "120"})
    started = time.monotonic()
    caught = await transcribe_fails(upstream, provider, clip, long_wait, error=SpeechRateLimited)
    assert time.monotonic() - started < 2
    assert (caught.status_code, caught.code) == (503, "speech_rate_limited")
    assert caught.retry_after == 120
    assert len(upstream.requests) == 1


async def test_persistent_rate_limit_gives_up(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    limited = openai_error("Rate limit reached", "requests", "rate_limit_exceeded")
    short_wait = Reply(429, limited, headers={"retry-after-ms": "10"})
    caught = await transcribe_fails(
        upstream, provider, clip, *[short_wait] * 3, error=SpeechRateLimited
    )
    assert caught.retry_after == pytest.approx(0.01)
    assert len(upstream.requests) == 3  # the first try and max_retries=2


async def test_out_of_quota_is_not_retried(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    quota = openai_error(
        "You exceeded your current quota", "insufficient_quota", "insufficient_quota"
    )
    await transcribe_fails(
        upstream, provider, clip, Reply(429, quota), error=SpeechUnavailable, match="quota"
    )
    assert len(upstream.requests) == 1


async def test_server_error_then_success(
    upstream: FakeUpstream, provider: OpenAISpeechProvider, clip: AudioClip
) -> None:
    upstream.script(Reply(503, text="upstream connect error"), Reply(json={"text": "hi"}))
    assert (await provider.transcribe(clip)).transcript == "hi"
    assert len(upstream.requests) == 2


class TestCloudClientCases(CloudClientCases):
    rate_limited = Reply(
        429,
        openai_error("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
        headers={"Retry-After": "1"},
    )
    answer = Reply(json={"text": "show me my outliers"})
    answer_text = "show me my outliers"
    server_error = Reply(
        500,
        openai_error("The server had an error processing your request.", "server_error", None),
    )
    bad_request_says = "too short"
    bad_request = Reply(
        400, openai_error("Audio file is too short.", "invalid_request_error", "too_short")
    )
    malformed = [
        pytest.param(Reply(text="<html>not json</html>"), id="html"),
        pytest.param(Reply(text='{"text": "cut off'), id="truncated-json"),
        pytest.param(Reply(json={"transcript": "wrong field"}), id="no-text-field"),
        pytest.param(Reply(json=["text"]), id="not-an-object"),
    ]


async def test_timeout_is_retried_then_reported(upstream: FakeUpstream, clip: AudioClip) -> None:
    retry = RetryPolicy(max_retries=1, backoff_base_s=0.01)
    stt = OpenAISpeechProvider(KEY, base_url=upstream.base_url, timeout_s=0.2, retry=retry)
    late = Reply(json={"text": "late"}, delay_s=1)
    upstream.script(late, late)
    try:
        with pytest.raises(SpeechProviderTimeout) as caught:
            await stt.transcribe(clip)
    finally:
        await stt.aclose()
    assert (caught.value.status_code, caught.value.code) == (504, "speech_provider_timeout")
    assert len(upstream.requests) == 2


async def test_unreachable_server(clip: AudioClip) -> None:
    stt = OpenAISpeechProvider(
        KEY, base_url=f"http://127.0.0.1:{closed_port()}", retry=FAST, timeout_s=2
    )
    try:
        with pytest.raises(SpeechProviderError, match="could not reach"):
            await stt.transcribe(clip)
    finally:
        await stt.aclose()


async def test_without_key_it_is_unavailable(upstream: FakeUpstream, clip: AudioClip) -> None:
    stt = OpenAISpeechProvider(None, base_url=upstream.base_url)
    upstream.script()
    assert not stt.available()
    assert stt.health() == {"provider": "openai", "available": False, "model": "whisper-1"}
    with pytest.raises(SpeechUnavailable):
        await stt.transcribe(clip)
    await stt.aclose()
    assert upstream.requests == []
