"""Feedback and outliers through the API: one row per designer and design, the image's
outlier flag kept in sync, bulk review, the original's calls, and a learning event for
every change crediting the resolved spec."""

from __future__ import annotations

import uuid

import httpx

from designer_bff.gallery.models import ImageFeedback
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser
from tests.gallery.helpers import count_rows, image_row, learning_events, make_images
from tests.generation.helpers import wait_for_job

SPEC = {
    "garment_type": "dress",
    "silhouette": "a-line",
    "styles": ["bohemian"],
    "colors": ["rust", "ivory"],
    "patterns": ["floral"],
}


async def _feedback_rows(services: Services, image_id: str) -> int:
    return await count_rows(services, ImageFeedback, ImageFeedback.image_id == uuid.UUID(image_id))


async def test_feedback_upserts_one_row_and_syncs_the_image(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    (image_id,) = [str(i) for i in await make_images(services, user, 1, spec=SPEC)]
    url = f"/api/images/{image_id}/feedback"
    h = user.headers

    resp = await client.post(url, headers=h, json={"type": "outlier"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["image_id"] == image_id and body["is_outlier"] is True
    assert body["outlier_marked_at"] and body["is_favorite"] is False
    row = await image_row(services, image_id)
    assert row is not None and row.is_outlier and row.outlier_marked_at is not None
    marked_at = row.outlier_marked_at

    body = (
        await client.post(
            url,
            headers=h,
            json={"type": "like", "rating": 4, "comment": "Love the hem", "tags": ["Hem", "hem"]},
        )
    ).json()
    assert body["is_outlier"] is True and body["reaction"] == "like" and body["rating"] == 4
    assert body["comment"] == "Love the hem" and body["tags"] == ["hem"]
    body = (await client.post(url, headers=h, json={"type": "dislike"})).json()
    assert body["reaction"] == "dislike" and body["rating"] == 4
    # Marking an outlier again changes nothing (and records nothing).
    before = len(await learning_events(services, image_id))
    body = (await client.post(url, headers=h, json={"type": "outlier"})).json()
    assert body["is_outlier"] is True
    assert len(await learning_events(services, image_id)) == before
    row = await image_row(services, image_id)
    assert row is not None and row.outlier_marked_at == marked_at and row.rating == 4
    assert await _feedback_rows(services, image_id) == 1

    # Clearing one verdict, then everything.
    body = (await client.delete(url, headers=h, params={"type": "outlier"})).json()
    assert body["is_outlier"] is False and body["outlier_marked_at"] is None
    assert body["reaction"] == "dislike"
    row = await image_row(services, image_id)
    assert row is not None and not row.is_outlier and row.outlier_marked_at is None
    body = (await client.delete(url, headers=h)).json()
    assert body["reaction"] is None and body["rating"] is None and body["tags"] == []
    assert await _feedback_rows(services, image_id) == 0
    row = await image_row(services, image_id)
    assert row is not None and row.rating == 0

    kinds = [(e.kind, e.value) for e in await learning_events(services, image_id)]
    assert ("outlier", 1.0) in kinds and ("outlier", 0.0) in kinds
    assert ("like", 1.0) in kinds and ("like", 0.0) in kinds and ("dislike", 1.0) in kinds
    assert ("rating", 4.0) in kinds and ("rating", 0.0) in kinds
    assert ("comment", 1.0) in kinds and ("tags", 1.0) in kinds
    assert len(kinds) == 12
    event = (await learning_events(services, image_id))[0]
    assert event.user_id == uuid.UUID(user.id)
    assert event.attributes["garment_type"] == "dress"
    assert event.attributes["colors"] == ["rust", "ivory"]
    assert event.attributes["patterns"] == ["floral"]
    assert event.attributes["silhouette"] == "a-line"


async def test_invalid_feedback_leaves_nothing(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    (image_id,) = [str(i) for i in await make_images(services, user, 1)]
    url = f"/api/images/{image_id}/feedback"
    for bad in (
        {},
        {"type": "love"},
        {"rating": 6},
        {"rating": 0},
        {"tags": ["x" * 41]},
        {"type": "like", "extra": 1},
    ):
        assert_error(
            await client.post(url, headers=user.headers, json=bad), 422, "validation_error"
        )
    assert_error(
        await client.post(
            "/api/images/feedback", headers=user.headers, json={"image_ids": [image_id]}
        ),
        422,
        "validation_error",
    )
    assert_error(
        await client.post(
            "/api/images/feedback",
            headers=user.headers,
            json={"image_ids": [image_id], "clear": True, "rating": 3},
        ),
        422,
        "validation_error",
    )
    assert_error(
        await client.post(
            f"/api/images/{uuid.uuid4()}/feedback", headers=user.headers, json={"type": "like"}
        ),
        404,
        "not_found",
    )
    assert await _feedback_rows(services, image_id) == 0
    assert await learning_events(services, image_id) == []


async def test_bulk_feedback(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    ids = [str(i) for i in await make_images(services, user, 4, spec=SPEC)]
    h = user.headers
    resp = await client.post(
        "/api/images/feedback", headers=h, json={"image_ids": ids[:3], "type": "outlier"}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["updated"] == 3 and all(i["is_outlier"] for i in body["items"])
    assert [i["image_id"] for i in body["items"]] == ids[:3]
    again = await client.post(
        "/api/images/feedback", headers=h, json={"image_ids": ids[:3], "type": "outlier"}
    )
    assert again.json()["updated"] == 0
    page = (await client.get("/api/images", headers=h, params={"is_outlier": "true"})).json()
    assert {i["id"] for i in page["items"]} == set(ids[:3])

    # An unknown id makes the whole request fail, and nothing changes.
    missing = str(uuid.uuid4())
    body = assert_error(
        await client.post(
            "/api/images/feedback",
            headers=h,
            json={"image_ids": [ids[3], missing], "type": "favorite"},
        ),
        404,
        "not_found",
    )
    assert body["error"]["details"]["missing"] == [missing]
    assert await _feedback_rows(services, ids[3]) == 0

    cleared = await client.post(
        "/api/images/feedback",
        headers=h,
        json={"image_ids": ids[:2], "type": "outlier", "clear": True},
    )
    assert cleared.json()["updated"] == 2
    row = await image_row(services, ids[0])
    assert row is not None and not row.is_outlier
    rated = await client.post(
        "/api/images/feedback", headers=h, json={"image_ids": ids, "rating": 2}
    )
    assert rated.json()["updated"] == 4
    assert len(await learning_events(services, ids[3])) == 1


async def test_original_feedback_calls(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    (image_id,) = [str(i) for i in await make_images(services, user, 1, spec=SPEC)]
    h = user.headers
    resp = await client.post("/api/feedback/outlier", headers=h, json={"imageId": image_id})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and body["imageId"] == image_id and body["isOutlier"] is True
    row = await image_row(services, image_id)
    assert row is not None and row.is_outlier
    resp = await client.post(
        "/api/feedback/comment", headers=h, json={"imageId": image_id, "comment": "make it longer"}
    )
    assert resp.status_code == 200 and resp.json()["comment"] == "make it longer"
    detail = (await client.get(f"/api/images/{image_id}", headers=h)).json()
    assert detail["my_feedback"]["comment"] == "make it longer"
    assert detail["my_feedback"]["is_outlier"] is True
    off = await client.post(
        "/api/feedback/outlier", headers=h, json={"imageId": image_id, "isOutlier": False}
    )
    assert off.json()["isOutlier"] is False
    assert {e.kind for e in await learning_events(services, image_id)} == {"outlier", "comment"}
    assert_error(
        await client.post("/api/feedback/outlier", headers=h, json={}), 422, "validation_error"
    )
    assert_error(
        await client.post("/api/feedback/outlier", headers=h, json={"imageId": str(uuid.uuid4())}),
        404,
        "not_found",
    )


async def test_learning_event_credits_what_was_really_drawn(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    resp = await client.post(
        "/api/generations",
        headers=user.headers,
        json={"spec": {"garment_type": "dress", "styles": ["bohemian"]}, "quantity": 1},
    )
    job = await wait_for_job(client, user, resp.json()["id"])
    image_id = job["images"][0]["id"]
    resp = await client.post(
        f"/api/images/{image_id}/feedback", headers=user.headers, json={"type": "outlier"}
    )
    assert resp.status_code == 200
    (event,) = await learning_events(services, image_id)
    row = await image_row(services, image_id)
    assert row is not None
    resolved = row.spec["resolved"]
    assert event.kind == "outlier" and event.value == 1.0
    # Attributes the renderer chose (not only the ones asked for) are credited.
    assert event.attributes["colors"] == resolved["colors"] and resolved["colors"]
    assert event.attributes["silhouette"] == resolved["silhouette"]
