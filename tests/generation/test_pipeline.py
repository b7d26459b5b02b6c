"""Generation end to end through the API on every backend."""

from __future__ import annotations

import io
from typing import Any

import httpx
import numpy as np
from PIL import Image as PILImage

from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser, say
from tests.generation.helpers import start_job, wait_for_job


async def test_voice_command_makes_ten_different_bohemian_dresses(
    client: httpx.AsyncClient, user: AuthedUser
):
    job_id = (await say(client, user, "make me 10 bohemian style dresses"))["job_id"]
    assert job_id
    job = await wait_for_job(client, user, job_id)
    assert job["status"] == "completed", job
    assert job["progress"] == {"done": 10, "failed": 0, "total": 10}
    assert [i["seq"] for i in job["images"]] == list(range(10))
    thumbs = []
    for image in job["images"]:
        assert image["status"] == "ready"
        assert image["thumbhash"] and image["width"] == 1024
        thumb = await client.get(image["urls"]["thumb"], headers=user.headers)
        assert thumb.status_code == 200
        assert thumb.headers["content-type"] == "image/webp"
        assert "immutable" in thumb.headers["cache-control"]
        assert thumb.headers["etag"]
        pic = PILImage.open(io.BytesIO(thumb.content))
        assert max(pic.size) <= 256
        thumbs.append(np.asarray(pic.convert("RGB").resize((64, 64)), dtype=np.int16))
        preview = await client.get(image["urls"]["preview"], headers=user.headers)
        assert (
            preview.status_code == 200
            and max(PILImage.open(io.BytesIO(preview.content)).size) <= 1024
        )
    # Visibly different: every pair of designs differs in a clear share of pixels.
    for i in range(len(thumbs)):
        for j in range(i + 1, len(thumbs)):
            diff = np.abs(thumbs[i] - thumbs[j]).sum(axis=2) > 40
            assert diff.mean() > 0.02, (i, j)


async def test_create_from_spec_and_etag_revalidation(client: httpx.AsyncClient, user: AuthedUser):
    spec = {"garment_type": "skirt", "colors": ["navy"], "patterns": ["stripes"]}
    body = await start_job(client, user, spec, quantity=2)
    assert body["status"] == "queued" and body["quantity"] == 2
    assert body["spec"]["patterns"] == ["striped"]  # synonyms resolved
    job = await wait_for_job(client, user, body["id"])
    assert job["status"] == "completed"
    url = job["images"][0]["urls"]["original"]
    first = await client.get(url, headers=user.headers)
    # A flat's original is the vector drawing it was rendered from.
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in first.content[:300]
    cached = await client.get(url, headers={**user.headers, "If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304
    svg = await client.get(
        job["images"][0]["urls"]["original"].replace("original", "svg"), headers=user.headers
    )
    assert svg.status_code == 200 and b"<svg" in svg.content[:200]


async def test_prompt_and_legacy_calls(client: httpx.AsyncClient, user: AuthedUser):
    legacy = await client.post(
        "/api/images/generate",
        headers=user.headers,
        json={"prompt": "two minimalist black blazers"},
    )
    assert legacy.status_code == 202, legacy.text
    body = legacy.json()
    assert body["statusUrl"] == f"/api/images/job/{body['jobId']}"
    assert body["quantity"] == 2
    await wait_for_job(client, user, body["jobId"])
    status = await client.get(body["statusUrl"], headers=user.headers)
    assert status.status_code == 200
    data = status.json()
    assert data["status"] == "completed" and len(data["images"]) == 2
    assert data["images"][0]["thumbnailUrl"].endswith("variant=thumb")


async def test_invalid_generation_requests(client: httpx.AsyncClient, user: AuthedUser):
    h = user.headers
    dress = {"garment_type": "dress"}
    refused: list[tuple[dict[str, Any], int, str]] = [
        ({}, 422, "validation_error"),
        ({"spec": dress, "prompt": "a dress"}, 422, "validation_error"),
        ({"spec": {"garment_type": "spaceship"}}, 422, "invalid_spec"),
        ({"spec": dress, "quantity": 101}, 422, "quantity_too_large"),
        ({"spec": dress, "provider": "nope"}, 422, "unknown_provider"),
        ({"command_id": "00000000-0000-0000-0000-000000000000"}, 404, "not_found"),
    ]
    for body, status, code in refused:
        assert_error(await client.post("/api/generations", headers=h, json=body), status, code)
    jobs = (await client.get("/api/generations", headers=h)).json()
    assert jobs["items"] == []  # nothing was created by the refused requests


async def test_isolation(client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]):
    alice, bob = two_users
    job = (
        await client.post(
            "/api/generations", headers=alice.headers, json={"spec": {"garment_type": "top"}}
        )
    ).json()
    done = await wait_for_job(client, alice, job["id"])
    image_url = done["images"][0]["urls"]["thumb"]
    for method, url in (
        ("GET", f"/api/generations/{job['id']}"),
        ("POST", f"/api/generations/{job['id']}/cancel"),
        ("GET", f"/api/images/job/{job['id']}"),
        ("GET", image_url),
    ):
        resp = await client.request(method, url, headers=bob.headers)
        assert_error(resp, 404, "not_found")
    assert (await client.get("/api/generations", headers=bob.headers)).json()["items"] == []
    # Bob's "more like the last one" never reaches Alice's design.
    assert (await say(client, bob, "5 more like the last one"))["job_id"] is None


async def test_variations_and_cancel_by_voice(
    client: httpx.AsyncClient, user: AuthedUser, services: Services
):
    first = await say(client, user, "make me a red floral midi dress")
    await wait_for_job(client, user, first["job_id"])
    more = await say(client, user, "3 more like the last one but in navy")
    assert more["intent"] == "variations" and more["job_id"]
    job = await wait_for_job(client, user, more["job_id"])
    assert job["quantity"] == 3 and job["status"] == "completed"
    assert job["spec"]["colors"] == ["navy"]
    assert job["spec"]["garment_type"] == "dress"
    cancelled = await say(client, user, "cancel that")
    assert cancelled["intent"] == "cancel"
    assert "Nothing is generating" in cancelled["reply"]
