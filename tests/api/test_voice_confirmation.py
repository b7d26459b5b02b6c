"""A spoken command with an unsure slot is asked about, not acted on; confirming acts
once, as understood or as corrected. The recogniser is OpenAI's API played by a local
server speaking its documented shape, so the transcript is exactly what a mishearing
recogniser would send."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from designer_bff.commands.models import VoiceCommand
from designer_bff.generation.models import GenerationJob
from designer_bff.services import Services
from tests.conftest import AuthedUser, register_user
from tests.speech.speech_testkit import FakeUpstream, Reply, make_wav


def _audio() -> dict[str, tuple[str, bytes, str]]:
    return {"audio": ("command.wav", make_wav(2.0), "audio/wav")}


async def _jobs(services: Services, user: AuthedUser) -> int:
    async with services.sessionmaker() as db:
        return int(
            await db.scalar(
                select(func.count())
                .select_from(GenerationJob)
                .where(GenerationJob.user_id == uuid.UUID(user.id))
            )
            or 0
        )


async def _speak(
    client: httpx.AsyncClient, upstream: FakeUpstream, user: AuthedUser, heard: str
) -> dict:
    upstream.script(Reply(json={"text": heard, "language": "english"}))
    resp = await client.post("/api/voice/process-audio", headers=user.headers, files=_audio())
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_an_unsure_count_is_asked_about_and_nothing_is_done(voiced, upstream):
    client, services = voiced
    user = await register_user(client, "unsure")
    body = await _speak(client, upstream, user, "Make me free western denim jackets with fringe.")
    assert body["transcript"] == "Make me free western denim jackets with fringe."
    assert body["understood_text"] == "Make me three western denim jackets with fringe."
    assert body["needs_confirmation"] is True
    assert body["error"]["code"] == "needs_confirmation"
    assert body["job_id"] is None and body["command_id"]
    assert body["spec"]["quantity"] == 3 and body["spec"]["garment_type"] == "jacket"
    assert body["confirm_prompt"] and body["confirm_prompt"].endswith("?")
    assert "3" in body["confirm_prompt"]
    [slot] = body["unsure"]
    assert (slot["slot"], slot["heard"], slot["understood"]) == ("quantity", "free", "3")
    assert slot["options"] == [
        {"label": "1", "text": "Make me free western denim jackets with fringe."}
    ]
    assert await _jobs(services, user) == 0
    # What the recogniser sent was told what to expect: our vocabulary in its prompt.
    assert "tulle" in upstream.requests[0].form["prompt"]

    history = (await client.get("/api/voice/history", headers=user.headers)).json()["items"]
    assert history[0]["error_code"] == "needs_confirmation"
    assert history[0]["text"] == "Make me three western denim jackets with fringe."


async def test_confirming_acts_once(voiced, upstream):
    client, services = voiced
    user = await register_user(client, "confirmer")
    body = await _speak(client, upstream, user, "Make me free western denim jackets with fringe.")
    url = f"/api/voice/commands/{body['command_id']}/confirm"

    done = await client.post(url, headers=user.headers, json={})
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["intent"] == "generate" and result["job_id"]
    assert result["spec"]["quantity"] == 3 and result["error"] is None
    assert await _jobs(services, user) == 1

    again = await client.post(url, headers=user.headers, json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_pending"
    assert await _jobs(services, user) == 1

    async with services.sessionmaker() as db:
        held = await db.get(VoiceCommand, uuid.UUID(body["command_id"]))
        assert held is not None
        assert held.result["confirmed_by"] == result["command_id"]
        new = await db.get(VoiceCommand, uuid.UUID(result["command_id"]))
        assert new is not None and new.result["confirms"] == body["command_id"]


async def test_a_correction_is_acted_on_instead(voiced, upstream):
    client, services = voiced
    user = await register_user(client, "corrector")
    body = await _speak(client, upstream, user, "Make me free western denim jackets with fringe.")
    option = body["unsure"][0]["options"][0]["text"]
    resp = await client.post(
        f"/api/voice/commands/{body['command_id']}/confirm",
        headers=user.headers,
        json={"text": "make me 2 western denim jackets with fringe"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["spec"]["quantity"] == 2
    assert option  # the reading the designer could have picked instead
    assert await _jobs(services, user) == 1


async def test_confirm_answers_404_for_others_and_409_for_settled_commands(voiced, upstream):
    client, _ = voiced
    alice = await register_user(client, "alice")
    bob = await register_user(client, "bob")
    body = await _speak(client, upstream, alice, "Make me free western denim jackets with fringe.")
    url = f"/api/voice/commands/{body['command_id']}/confirm"
    theirs = await client.post(url, headers=bob.headers, json={})
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "not_found"
    missing = await client.post(
        f"/api/voice/commands/{uuid.uuid4()}/confirm", headers=alice.headers, json={}
    )
    assert missing.status_code == 404

    clear = await _speak(client, upstream, alice, "Show my outliers from last week.")
    assert clear["needs_confirmation"] is False and clear["error"] is None
    settled = await client.post(
        f"/api/voice/commands/{clear['command_id']}/confirm", headers=alice.headers, json={}
    )
    assert settled.status_code == 409

    empty = await client.post(url, headers=alice.headers, json={"text": ""})
    assert empty.status_code == 422


async def test_a_collection_name_is_matched_to_the_designers_own(voiced, upstream):
    client, _ = voiced
    user = await register_user(client, "collector")
    made = await client.post("/api/collections", headers=user.headers, json={"name": "Winter Noir"})
    assert made.status_code == 201, made.text
    upstream.script(Reply(json={"text": "Add the last 3 to winter more.", "language": "english"}))
    resp = await client.post("/api/voice/transcribe", headers=user.headers, files=_audio())
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["understood_text"] == "Add the last 3 to Winter Noir."
    assert body["parse"]["target"]["collection_name"] == "Winter Noir"
    # The designer's collection was a recognition hint too.
    assert "Winter Noir" in upstream.requests[0].form["prompt"]
    assert body["needs_confirmation"] is True
    assert body["unsure"][0]["slot"] == "collection_name"


async def test_recent_commands_are_hints_too(voiced, upstream):
    client, _ = voiced
    user = await register_user(client, "repeater")
    said = await client.post(
        "/api/voice/process-text",
        headers=user.headers,
        json={"command": "show my outliers from last week", "dry_run": False},
    )
    assert said.status_code == 200, said.text
    upstream.script(Reply(json={"text": "show my outliers", "language": "english"}))
    resp = await client.post("/api/voice/transcribe", headers=user.headers, files=_audio())
    assert resp.status_code == 200, resp.text
    assert upstream.requests[0].form["prompt"].endswith("show my outliers from last week.")


async def test_a_garment_the_corrections_added_is_asked_about(voiced, upstream):
    client, services = voiced
    user = await register_user(client, "marge")
    heard = "Make me 3 skirts, the kind Aunt Marge adores."
    body = await _speak(client, upstream, user, heard)
    # Without the sound to weigh them, corrections of the tail made a second garment.
    assert body["needs_confirmation"] is True
    assert body["job_id"] is None
    slot = next(u for u in body["unsure"] if u["slot"] == "garment 2")
    assert slot["options"] == [{"label": "none", "text": heard}]
    assert await _jobs(services, user) == 0

    resp = await client.post(
        f"/api/voice/commands/{body['command_id']}/confirm",
        headers=user.headers,
        json={"text": slot["options"][0]["text"]},
    )
    assert resp.status_code == 200, resp.text
    assert [s["garment_type"] for s in resp.json()["specs"]] == ["skirt"]
    assert await _jobs(services, user) == 1


async def test_a_weakly_understood_command_is_asked_about(voiced, upstream):
    client, services = voiced
    user = await register_user(client, "beach")
    # "order pizza" as a recogniser heard it: at best a design for beach, for holiday.
    body = await _speak(client, upstream, user, "Holiday Beach.")
    assert body["needs_confirmation"] is True
    assert body["job_id"] is None
    slot = next(u for u in body["unsure"] if u["slot"] == "command")
    assert slot["understood"] == "Holiday Beach."
    assert await _jobs(services, user) == 0


async def test_adding_to_a_collection_the_designer_does_not_have_is_asked_first(voiced, upstream):
    client, _ = voiced
    user = await register_user(client, "newcoll")
    made = await client.post(
        "/api/collections", headers=user.headers, json={"name": "Winter Whites"}
    )
    assert made.status_code == 201, made.text
    body = await _speak(client, upstream, user, "Move these into Nordic Nights.")
    assert body["needs_confirmation"] is True
    assert body["error"]["code"] == "needs_confirmation"
    assert body["confirm_prompt"].endswith("(a new collection)?"), body["confirm_prompt"]
    assert "collection_name" in {u["slot"] for u in body["unsure"]}
    listed = await client.get("/api/collections", headers=user.headers)
    assert [c["name"] for c in listed.json()["items"]] == ["Winter Whites"]
    # Their own collection, heard clearly, is no question.
    body = await _speak(client, upstream, user, "Move these into Winter Whites.")
    assert body["needs_confirmation"] is False
