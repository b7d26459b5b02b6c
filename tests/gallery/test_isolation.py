"""Isolation: every gallery and feedback endpoint given another designer's ids answers
404 and changes nothing."""

from __future__ import annotations

import httpx

from designer_bff.gallery.models import ImageFeedback
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser
from tests.gallery.helpers import count_rows, image_row, learning_events, make_images


async def test_another_designers_images_answer_404_with_no_side_effect(
    client: httpx.AsyncClient, services: Services, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    mine, deleted = (str(i) for i in await make_images(services, alice, 2))
    (bobs,) = (str(i) for i in await make_images(services, bob, 1))
    assert (await client.delete(f"/api/images/{deleted}", headers=alice.headers)).status_code == 200
    coll = await client.post(
        "/api/collections", headers=alice.headers, json={"name": "Private", "image_ids": [mine]}
    )
    assert coll.status_code == 201
    before = await image_row(services, mine)
    assert before is not None
    h = bob.headers

    for method, path, kwargs in (
        ("GET", f"/api/images/{mine}", {}),
        ("GET", f"/api/images/{mine}/file?variant=thumb", {}),
        ("GET", f"/api/images/{mine}/file?variant=original", {}),
        ("DELETE", f"/api/images/{mine}", {}),
        ("POST", f"/api/images/{deleted}/restore", {}),
        ("POST", f"/api/images/{mine}/feedback", {"json": {"type": "outlier", "rating": 1}}),
        ("DELETE", f"/api/images/{mine}/feedback", {}),
        ("POST", "/api/images/feedback", {"json": {"image_ids": [mine], "type": "dislike"}}),
        (
            "POST",
            "/api/images/feedback",
            {"json": {"image_ids": [bobs, mine], "type": "favorite"}},
        ),
        ("POST", "/api/feedback/outlier", {"json": {"imageId": mine}}),
        ("POST", "/api/feedback/comment", {"json": {"imageId": mine, "comment": "meh"}}),
        ("GET", f"/api/images?collection_id={coll.json()['id']}", {}),
    ):
        resp = await client.request(method, path, headers=h, **kwargs)
        assert resp.status_code == 404, (method, path, resp.text)
        assert resp.json()["error"]["code"] in ("not_found", "collection_not_found")

    # Filters with her ids simply find nothing of hers.
    job_id = "00000000-0000-0000-0000-000000000001"
    page = (await client.get("/api/images", headers=h, params={"job_id": job_id})).json()
    assert page["items"] == []
    listed = (await client.get("/api/images", headers=h)).json()
    assert [i["id"] for i in listed["items"]] == [bobs]
    assert (await client.get("/api/images", headers=h, params={"trash": "true"})).json()[
        "items"
    ] == []
    legacy = (await client.get("/api/images/gallery", headers=h)).json()
    assert [i["id"] for i in legacy["images"]] == [bobs]

    # Nothing changed on her side: not the image, not its feedback, not its events.
    after = await image_row(services, mine)
    assert after is not None
    assert (after.is_outlier, after.rating, after.deleted_at) == (False, 0, None)
    still_deleted = await image_row(services, deleted)
    assert still_deleted is not None and still_deleted.deleted_at is not None
    assert await learning_events(services, mine) == []
    assert await count_rows(services, ImageFeedback, ImageFeedback.image_id.in_([after.id])) == 0
    # Bob's own design was not touched by the failed all-or-nothing bulk call.
    bob_row = await image_row(services, bobs)
    assert bob_row is not None and not bob_row.is_outlier
    assert (await client.get(f"/api/images/{mine}", headers=alice.headers)).status_code == 200
    assert_error(await client.get(f"/api/images/{mine}"), 401, "not_authenticated")
