"""Commands through the HTTP API: text, speech, history and isolation."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from designer_bff.commands.service import CommandService
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser


async def process(
    client: httpx.AsyncClient, user: AuthedUser, command: str, **extra
) -> httpx.Response:
    return await client.post(
        "/api/voice/process-text", headers=user.headers, json={"command": command, **extra}
    )


async def test_the_original_guides_call(client: httpx.AsyncClient, user: AuthedUser):
    resp = await process(client, user, "make me 10 bohemian style dresses")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["intent"] == "generate"
    assert body["spec"]["quantity"] == 10
    assert body["spec"]["garment_type"] == "dress"
    assert body["spec"]["styles"] == ["bohemian"]
    assert body["command_id"]
    assert body["job_id"]  # the designs are queued
    assert body["error"] is None
    assert "10" in body["reply"] and "bohemian" in body["reply"].lower()
    assert set(body) >= {
        "command_id",
        "intent",
        "confidence",
        "spec",
        "specs",
        "target",
        "reply",
        "job_id",
        "error",
    }


async def test_commands_are_kept_in_my_history_only(
    client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    for text in (
        "make me 3 red skirts",
        "show me my outliers from last week",
        "how much did I spend this month?",
    ):
        assert (await process(client, alice, text)).status_code == 200
    assert (await process(client, bob, "make me a navy blazer")).status_code == 200
    # A dry run is understood but not kept.
    dry = await process(client, alice, "make me 2 linen shirts", dry_run=True)
    assert dry.status_code == 200 and dry.json()["command_id"] is None

    mine = (await client.get("/api/voice/history", headers=alice.headers)).json()
    assert [i["text"] for i in mine["items"]] == [
        "how much did I spend this month?",
        "show me my outliers from last week",
        "make me 3 red skirts",
    ]
    assert [i["intent"] for i in mine["items"]] == ["cost_report", "show", "generate"]
    assert all(i["source"] == "text" for i in mine["items"])
    assert mine["items"][0]["processing_time_ms"] >= 0
    theirs = (await client.get("/api/voice/history", headers=bob.headers)).json()
    assert [i["text"] for i in theirs["items"]] == ["make me a navy blazer"]


async def test_history_is_paginated_without_repeats(client: httpx.AsyncClient, user: AuthedUser):
    texts = [f"make me {n} silk blouses" for n in range(1, 8)]
    for text in texts:
        await process(client, user, text)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/voice/history", headers=user.headers, params=params)).json()
        seen += [i["text"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(texts))
    bad = await client.get(
        "/api/voice/history", headers=user.headers, params={"cursor": "not-a-cursor"}
    )
    assert_error(bad, 400, "invalid_cursor")
    too_many = await client.get("/api/voice/history", headers=user.headers, params={"limit": 1000})
    assert_error(too_many, 422, "validation_error")


async def test_unknown_text_is_a_helpful_reply_not_an_error(
    client: httpx.AsyncClient, user: AuthedUser
):
    resp = await process(client, user, "what is the capital of peru")
    assert resp.status_code == 200
    body = resp.json()
    assert body["intent"] == "unknown"
    assert len(body["reply"]) > 20
    assert body["error"] is None


async def test_quantity_over_the_limit_queues_nothing(client: httpx.AsyncClient, user: AuthedUser):
    resp = await process(client, user, "make me 5000 dresses")
    assert resp.status_code == 200
    body = resp.json()
    assert body["error"]["code"] == "quantity_too_large"
    assert body["job_id"] is None
    history = (await client.get("/api/voice/history", headers=user.headers)).json()
    assert history["items"][0]["error_code"] == "quantity_too_large"


async def test_bad_command_bodies(client: httpx.AsyncClient, user: AuthedUser):
    assert_error(
        await client.post("/api/voice/process-text", headers=user.headers, json={}),
        422,
        "validation_error",
    )
    assert_error(await process(client, user, ""), 422, "validation_error")
    assert_error(await process(client, user, "x" * 2001), 422, "validation_error")
    assert_error(
        await client.post("/api/voice/process-text", json={"command": "make me a dress"}),
        401,
        "not_authenticated",
    )


async def test_examples(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.get("/api/voice/examples", headers=user.headers)
    assert resp.status_code == 200
    examples = resp.json()["examples"]
    # Between them the examples show every action a designer can ask for here.
    assert {e["intent"] for e in examples} == {
        "generate",
        "variations",
        "show",
        "collection_create",
        "collection_add",
        "schedule_nightly",
        "cost_report",
        "cancel",
    }
    assert all(e["command"].strip() for e in examples)


@pytest.mark.parametrize(
    ("command", "intent"),
    [
        ("every night make me 5 bohemian dresses", "schedule_nightly"),
        ("how much did I spend this month?", "cost_report"),
    ],
)
def test_intents_without_an_action_say_so(command: str, intent: str):
    # Every intent has its action on this server; one without (a server built without
    # that feature) answers not_available instead of the parser's claim.
    bare = CommandService(max_quantity=100, speech=None, speech_max_bytes=1, speech_max_seconds=1.0)
    parsed = bare.parse(command)
    assert parsed.intent == intent
    assert parsed.error is not None and parsed.error.code == "not_available"
    assert "not available yet" in parsed.reply
    for claim in ("Nightly batch set", "Here's what you've spent"):
        assert claim not in parsed.reply
    assert intent not in {e["intent"] for e in bare.examples()}


async def test_help_lists_only_what_works(client: httpx.AsyncClient, user: AuthedUser):
    body = (await process(client, user, "help", dry_run=True)).json()
    assert body["intent"] == "help"
    assert "design" in body["reply"] and "browse" in body["reply"]
    assert "schedule a nightly batch" in body["reply"] and "check costs" in body["reply"]


# -- speech ----------------------------------------------------------------------------


def espeak_wav(text: str, directory: Path) -> bytes:
    exe = shutil.which("espeak-ng")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is required in CI (apt-get install espeak-ng)")
        pytest.skip("espeak-ng is not installed")
    out = directory / "speech.wav"
    subprocess.run([exe, "-v", "en-us", "-w", str(out), text], check=True, timeout=30)
    return out.read_bytes()


def require_local_speech(services: Services) -> None:
    if services.speech is None or not services.speech.available():
        if os.environ.get("CI"):
            pytest.fail("the local Whisper provider (speech extra) is required in CI")
        pytest.skip("no local speech provider installed")


def tone_wav(seconds: float) -> bytes:
    rate = 16_000
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


async def test_spoken_command_through_process_audio(
    client: httpx.AsyncClient, services: Services, user: AuthedUser, tmp_path: Path
):
    require_local_speech(services)
    wav = espeak_wav("make me ten bohemian style dresses", tmp_path)
    resp = await client.post(
        "/api/voice/process-audio",
        headers=user.headers,
        files={"audio": ("command.wav", wav, "audio/wav")},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["provider"] == services.speech.name
    assert body["intent"] == "generate"
    assert body["spec"]["quantity"] == 10
    assert body["spec"]["garment_type"] == "dress"
    assert body["spec"]["styles"] == ["bohemian"]
    assert 1.0 < body["duration_s"] < 6.0
    history = (await client.get("/api/voice/history", headers=user.headers)).json()
    latest = history["items"][0]
    assert latest["source"] == "audio"
    assert latest["id"] == body["command_id"]
    assert latest["speech_provider"] == services.speech.name


async def test_transcribe_only(
    client: httpx.AsyncClient, services: Services, user: AuthedUser, tmp_path: Path
):
    require_local_speech(services)
    wav = espeak_wav("make me ten bohemian style dresses", tmp_path)
    resp = await client.post(
        "/api/voice/transcribe", headers=user.headers, files={"audio": ("a.wav", wav, "audio/wav")}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "bohemian" in body["transcript"].lower()
    assert body["language"] == "en"
    assert body["parse"]["intent"] == "generate"
    # Transcribing alone stores nothing.
    history = (await client.get("/api/voice/history", headers=user.headers)).json()
    assert history["items"] == []


async def test_audio_errors(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    if services.speech is None:
        resp = await client.post(
            "/api/voice/transcribe",
            headers=user.headers,
            files={"audio": ("a.wav", tone_wav(1), "audio/wav")},
        )
        assert_error(resp, 503, "speech_unavailable")
        return
    not_audio = await client.post(
        "/api/voice/transcribe",
        headers=user.headers,
        files={"audio": ("a.wav", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "audio/wav")},
    )
    assert_error(not_audio, 415, "unsupported_media_type")
    too_big = await client.post(
        "/api/voice/transcribe",
        headers=user.headers,
        files={"audio": ("a.wav", b"RIFF" + b"\0" * (10 * 1024 * 1024), "audio/wav")},
    )
    assert_error(too_big, 413, "audio_too_large")
    too_long = await client.post(
        "/api/voice/process-audio",
        headers=user.headers,
        files={"audio": ("a.wav", tone_wav(61), "audio/wav")},
    )
    assert_error(too_long, 413, "audio_too_long")
    missing = await client.post("/api/voice/transcribe", headers=user.headers)
    assert_error(missing, 422, "validation_error")
    history = (await client.get("/api/voice/history", headers=user.headers)).json()
    assert history["items"] == []


async def test_no_speech_provider_answers_503(backend, tmp_path: Path):
    from designer_bff.app import create_app
    from designer_bff.services import build_services
    from tests.conftest import make_settings, register_user, running

    settings = make_settings(
        tmp_path, database_url=backend.settings.database_url, speech_provider="none"
    )
    if backend.settings.database_url is None:
        settings = make_settings(backend.settings.data_dir, speech_provider="none")
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as c:
            u = await register_user(c, "mute")
            resp = await c.post(
                "/api/voice/process-audio",
                headers=u.headers,
                files={"audio": ("a.wav", tone_wav(1), "audio/wav")},
            )
    finally:
        await services.close()
    assert_error(resp, 503, "speech_unavailable")


async def test_a_refused_action_is_a_reply_and_the_command_is_kept(
    client: httpx.AsyncClient, user: AuthedUser
):
    # Each garment is within the limit; together they are not, so generation refuses it.
    resp = await process(client, user, "make me 60 dresses and 50 skirts")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["intent"] == "generate"
    assert body["job_id"] is None
    assert body["error"]["code"] == "quantity_too_large"
    assert body["reply"]
    history = (await client.get("/api/voice/history", headers=user.headers)).json()
    assert history["items"][0]["id"] == body["command_id"]
    assert history["items"][0]["error_code"] == "quantity_too_large"
    jobs = (await client.get("/api/generations", headers=user.headers)).json()
    assert jobs["items"] == []


async def test_vocabulary_is_what_specs_and_filters_accept(
    client: httpx.AsyncClient, user: AuthedUser
):
    resp = await client.get("/api/voice/vocabulary", headers=user.headers)
    assert resp.status_code == 200, resp.text
    fields = {a["field"]: a for a in resp.json()["attributes"]}
    assert list(fields)[:2] == ["garment_type", "silhouette"]
    assert fields["garment_type"]["multi"] is False and fields["colors"]["multi"] is True
    assert {"dress", "blazer"} <= set(fields["garment_type"]["values"])
    assert {"bohemian", "minimalist"} <= set(fields["styles"]["values"])
    # Every value it names is one a spec may carry: a generation accepts it as it is.
    spec = {"garment_type": fields["garment_type"]["values"][-1]}
    spec["colors"] = fields["colors"]["values"][-1:]
    spec["patterns"] = fields["patterns"]["values"][-1:]
    made = await client.post(
        "/api/generations", headers=user.headers, json={"spec": spec, "quantity": 1}
    )
    assert made.status_code == 202, made.text
    assert (await client.get("/api/voice/vocabulary")).status_code == 401
