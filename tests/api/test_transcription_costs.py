"""A remote recogniser is a paid call: each transcription is charged once in the ledger,
per minute of audio (OpenAI played by a local server speaking its documented shape); a
failed one is not."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from designer_bff.billing.models import CostEntry
from designer_bff.services import Services
from tests.conftest import AuthedUser, register_user
from tests.speech.speech_testkit import FakeUpstream, Reply, make_wav


async def _charges(services: Services, user: AuthedUser) -> list[CostEntry]:
    async with services.sessionmaker() as db:
        return list(
            (
                await db.scalars(select(CostEntry).where(CostEntry.user_id == uuid.UUID(user.id)))
            ).all()
        )


def _upload(seconds: float) -> dict[str, tuple[str, bytes, str]]:
    return {"audio": ("command.wav", make_wav(seconds), "audio/wav")}


async def test_a_spoken_command_is_charged_per_minute_once(voiced, upstream: FakeUpstream):
    client, services = voiced
    user = await register_user(client, "speaker")
    upstream.script(Reply(json={"text": "show my outliers", "language": "english"}))
    resp = await client.post("/api/voice/process-audio", headers=user.headers, files=_upload(3.0))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["provider"] == "openai" and body["transcript"] == "show my outliers"
    charges = await _charges(services, user)
    assert len(charges) == 1
    charge = charges[0]
    assert (charge.provider, charge.operation, charge.model) == (
        "openai",
        "transcribe",
        "whisper-1",
    )
    assert charge.idempotency_key == f"transcribe:{body['command_id']}"
    # 3 s at $0.006 a minute.
    assert charge.amount_usd == Decimal("0.000300")
    assert charge.details["seconds"] == pytest.approx(3.0, abs=0.01)


async def test_a_preview_is_charged_and_a_failed_call_is_not(voiced, upstream: FakeUpstream):
    client, services = voiced
    user = await register_user(client, "previewer")
    upstream.script(Reply(json={"text": "make me a red dress"}))
    resp = await client.post("/api/voice/transcribe", headers=user.headers, files=_upload(6.0))
    assert resp.status_code == 200, resp.text
    assert [c.amount_usd for c in await _charges(services, user)] == [Decimal("0.000600")]

    upstream.script(Reply(status=400, json={"error": {"message": "bad audio", "code": None}}))
    failed = await client.post("/api/voice/transcribe", headers=user.headers, files=_upload(2.0))
    assert failed.status_code >= 400
    assert len(await _charges(services, user)) == 1
