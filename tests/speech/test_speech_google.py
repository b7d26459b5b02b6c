"""The Google Speech-to-Text v1 client against a real HTTP server on loopback."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import numpy as np
import pytest
from speech_testkit import (
    FAST,
    CloudClientCases,
    FakeUpstream,
    Reply,
    timed_transcribe,
    transcribe_fails,
)

from designer_bff.speech import (
    AudioClip,
    GoogleSpeechProvider,
    SpeechRateLimited,
    SpeechUnavailable,
)

KEY = "AIza-test-key"


def google_error(code: int, status: str, message: str, *details: dict[str, object]) -> dict:
    """The documented error body: {"error": {"code", "message", "status", "details"}}."""
    return {"error": {"code": code, "message": message, "status": status, "details": list(details)}}


@pytest.fixture
async def provider(upstream: FakeUpstream) -> AsyncIterator[GoogleSpeechProvider]:
    stt = GoogleSpeechProvider(KEY, base_url=upstream.base_url, retry=FAST, timeout_s=5)
    yield stt
    await stt.aclose()


async def test_success_sends_linear16_and_joins_results(
    upstream: FakeUpstream, provider: GoogleSpeechProvider, clip: AudioClip
) -> None:
    upstream.script(
        Reply(
            json={
                "results": [
                    {
                        "alternatives": [
                            {"transcript": "make me ten bohemian", "confidence": 0.91},
                            {"transcript": "make me ten bohemians", "confidence": 0.4},
                        ],
                        "resultEndTime": "1.200s",
                        "languageCode": "en-us",
                    },
                    {
                        "alternatives": [{"transcript": " style dresses", "confidence": 0.88}],
                        "resultEndTime": "2s",
                        "languageCode": "en-us",
                    },
                ],
                "totalBilledTime": "15s",
            }
        )
    )
    result = await provider.transcribe(clip)
    assert result.transcript == "make me ten bohemian style dresses"
    assert (result.language, result.provider) == ("en", "google")
    assert result.duration_s == pytest.approx(clip.duration_s)

    [request] = upstream.requests
    assert (request.method, request.path) == ("POST", "/v1/speech:recognize")
    assert request.headers["x-goog-api-key"] == KEY
    assert "key" not in request.query  # kept out of URLs, which get logged
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    config = body["config"]
    assert config["encoding"] == "LINEAR16"
    assert config["sampleRateHertz"] == 16_000
    assert config["audioChannelCount"] == 1
    assert config["languageCode"] == "en-US"
    assert "bohemian" in config["speechContexts"][0]["phrases"]
    pcm = base64.b64decode(body["audio"]["content"], validate=True)
    assert pcm == clip.pcm16()
    assert np.allclose(np.frombuffer(pcm, "<i2") / 32767, clip.samples, atol=1e-4)


async def test_no_speech_gives_an_empty_transcript(
    upstream: FakeUpstream, provider: GoogleSpeechProvider, clip: AudioClip
) -> None:
    upstream.script(Reply(json={"totalBilledTime": "15s", "requestId": "123"}))
    result = await provider.transcribe(clip)
    assert (result.transcript, result.language) == ("", "en")


API_KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
}
INVALID_KEY = google_error(
    400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", API_KEY_INVALID
)
API_DISABLED = google_error(
    403, "PERMISSION_DENIED", "Cloud Speech-to-Text API has not been used in project 1 before."
)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(400, INVALID_KEY), id="invalid-key"),
        pytest.param(Reply(403, API_DISABLED), id="api-disabled"),
    ],
)
async def test_credential_problems_are_unavailable(
    upstream: FakeUpstream, provider: GoogleSpeechProvider, clip: AudioClip, reply: Reply
) -> None:
    caught = await transcribe_fails(upstream, provider, clip, reply, error=SpeechUnavailable)
    assert (caught.status_code, caught.code) == (503, "speech_unavailable")
    assert len(upstream.requests) == 1


async def test_retry_info_delay_is_used_without_a_header(
    upstream: FakeUpstream, provider: GoogleSpeechProvider, clip: AudioClip
) -> None:
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.3s"}
    exhausted = google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retry_info)
    transcript, took_s = await timed_transcribe(
        upstream, provider, clip, Reply(429, exhausted), Reply(json={"results": []})
    )
    assert transcript == ""
    assert 0.28 <= took_s < 5


async def test_persistent_rate_limit_gives_up_with_retry_after(
    upstream: FakeUpstream, provider: GoogleSpeechProvider, clip: AudioClip
) -> None:
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "45s"}
    exhausted = google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retry_info)
    caught = await transcribe_fails(
        upstream, provider, clip, Reply(429, exhausted), error=SpeechRateLimited
    )
    assert caught.retry_after == 45  # longer than we wait inside a request
    assert len(upstream.requests) == 1


class TestCloudClientCases(CloudClientCases):
    rate_limited = Reply(
        429,
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric."),
        headers={"Retry-After": "1"},
    )
    answer = Reply(json={"results": [{"alternatives": [{"transcript": "cancel that"}]}]})
    answer_text = "cancel that"
    server_error = Reply(
        503, google_error(503, "UNAVAILABLE", "The service is currently unavailable.")
    )
    bad_request_says = "Sync input too long"
    bad_request = Reply(
        400,
        google_error(
            400,
            "INVALID_ARGUMENT",
            f"{bad_request_says}. For audio longer than 1 min use LongRunningRecognize.",
        ),
    )
    malformed = [
        pytest.param(Reply(text="<html>Bad gateway</html>"), id="html"),
        pytest.param(Reply(text='{"results": ['), id="truncated-json"),
        pytest.param(Reply(json={"results": "nope"}), id="results-not-a-list"),
        pytest.param(Reply(json="results"), id="not-an-object"),
    ]


async def test_optional_model_is_sent(upstream: FakeUpstream, clip: AudioClip) -> None:
    stt = GoogleSpeechProvider(KEY, base_url=upstream.base_url, model="latest_short", phrases=())
    upstream.script(Reply(json={}))
    try:
        await stt.transcribe(clip)
    finally:
        await stt.aclose()
    config = json.loads(upstream.requests[0].body)["config"]
    assert config["model"] == "latest_short"
    assert "speechContexts" not in config


async def test_without_key_it_is_unavailable(clip: AudioClip) -> None:
    stt = GoogleSpeechProvider("")
    assert not stt.available()
    with pytest.raises(SpeechUnavailable):
        await stt.transcribe(clip)
    await stt.aclose()
