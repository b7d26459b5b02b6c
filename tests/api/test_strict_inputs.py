"""Counts are JSON integers of at least one and flags are JSON booleans: "5", true, 0 or
"yes" are refused (422), never coerced into a number or a decision."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser

NO_IMAGE = str(uuid.uuid4())  # validation comes first: a valid body on it answers 404


def dress(**extra: Any) -> dict[str, Any]:
    return {"garment_type": "dress", **extra}


@pytest.mark.parametrize(
    "body",
    [
        {"spec": dress(quantity=0)},
        {"spec": dress(quantity=-3)},
        {"spec": dress(quantity="5")},
        {"spec": dress(quantity=True)},
        {"spec": dress(quantity=2.5)},
        {"spec": dress(), "quantity": "5"},
        {"spec": dress(), "quantity": True},
        {"spec": dress(), "quantity": 0},
        {"spec": dress(), "priority": "1"},
        {"spec": dress(), "priority": True},
    ],
)
async def test_generation_counts_are_strict(
    client: httpx.AsyncClient, user: AuthedUser, body: dict[str, Any]
):
    resp = await client.post("/api/generations", json=body, headers=user.headers)
    assert_error(resp, 422, "validation_error")


async def test_generation_spec_quantity_is_used(client: httpx.AsyncClient, user: AuthedUser):
    # 2.0 is the JSON number 2 (JSON Schema's integer includes it); 2.5, "2" and true are not.
    for quantity in (2, 2.0):
        resp = await client.post(
            "/api/generations", json={"spec": dress(quantity=quantity)}, headers=user.headers
        )
        assert resp.status_code == 202, resp.text
        assert resp.json()["quantity"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "a red dress", "count": "3"},
        {"prompt": "a red dress", "count": True},
        {"prompt": "a red dress", "quantity": "3"},
        {"spec": dress(quantity=0)},
    ],
)
async def test_legacy_generate_counts_are_strict(
    client: httpx.AsyncClient, user: AuthedUser, body: dict[str, Any]
):
    resp = await client.post("/api/images/generate", json=body, headers=user.headers)
    assert_error(resp, 422, "validation_error")


@pytest.mark.parametrize("dry_run", [0, 1, "true", "yes"])
async def test_dry_run_is_a_strict_boolean(
    client: httpx.AsyncClient, user: AuthedUser, dry_run: Any
):
    resp = await client.post(
        "/api/voice/process-text",
        json={"command": "make 2 red dresses", "dry_run": dry_run},
        headers=user.headers,
    )
    assert_error(resp, 422, "validation_error")


async def test_dry_run_true_still_parses_only(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.post(
        "/api/voice/process-text",
        json={"command": "make 2 red dresses", "dry_run": True},
        headers=user.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["job_id"] is None


@pytest.mark.parametrize("rating", [True, False, "5", 4.5])
async def test_feedback_rating_is_a_strict_integer(
    client: httpx.AsyncClient, user: AuthedUser, rating: Any
):
    one = await client.post(
        f"/api/images/{NO_IMAGE}/feedback", json={"rating": rating}, headers=user.headers
    )
    assert_error(one, 422, "validation_error")
    bulk = await client.post(
        "/api/images/feedback",
        json={"image_ids": [NO_IMAGE], "rating": rating},
        headers=user.headers,
    )
    assert_error(bulk, 422, "validation_error")


async def test_feedback_flags_are_strict_booleans(client: httpx.AsyncClient, user: AuthedUser):
    bulk = await client.post(
        "/api/images/feedback",
        json={"image_ids": [NO_IMAGE], "type": "favorite", "clear": 0},
        headers=user.headers,
    )
    assert_error(bulk, 422, "validation_error")
    legacy = await client.post(
        "/api/feedback/outlier", json={"imageId": NO_IMAGE, "isOutlier": 1}, headers=user.headers
    )
    assert_error(legacy, 422, "validation_error")


async def test_valid_feedback_body_passes_validation(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.post(
        f"/api/images/{NO_IMAGE}/feedback", json={"rating": 5}, headers=user.headers
    )
    assert resp.status_code == 404, resp.text  # the body was fine; the design is not there
