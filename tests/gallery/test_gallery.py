"""The gallery through the API on every backend: listing, filters, sorts, cursors that
hold while designs arrive, the columns layout, the original's call, one design in full,
delete / restore / purge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from designer_bff.db.base import utcnow
from designer_bff.designs.models import Image
from designer_bff.maintenance import run_maintenance
from designer_bff.services import Services
from designer_bff.styles.models import VltSpecification
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser
from tests.gallery.helpers import ids_of, image_row, make_images
from tests.generation.helpers import start_job, wait_for_job


async def _page(client: httpx.AsyncClient, user: AuthedUser, **params: Any) -> dict[str, Any]:
    resp = await client.get("/api/images", headers=user.headers, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _all(client: httpx.AsyncClient, user: AuthedUser, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = await _page(client, user, **params, **({"cursor": cursor} if cursor else {}))
        seen += ids_of(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_lists_only_my_ready_designs_newest_first(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    ready = await make_images(
        services,
        user,
        3,
        spec={"garment_type": "dress", "colors": ["red", "ivory"], "styles": ["bohemian"]},
        cost="0.04",
    )
    await make_images(services, user, 1, status="pending")
    await make_images(services, user, 1, status="failed")
    page = await _page(client, user)
    assert ids_of(page) == [str(i) for i in reversed(ready)]
    assert page["next_cursor"] is None
    item = page["items"][0]
    assert set(item) >= {
        "id",
        "type",
        "width",
        "height",
        "ratio",
        "thumbhash",
        "urls",
        "spec",
        "is_outlier",
        "my_feedback",
        "job_id",
        "cost_usd",
        "created_at",
    }
    assert item["type"] == "generated" and item["width"] == 1024 and item["ratio"] == 1.0
    assert item["urls"] == {
        "thumb": f"/api/images/{item['id']}/file?variant=thumb",
        "preview": f"/api/images/{item['id']}/file?variant=preview",
        "original": f"/api/images/{item['id']}/file?variant=original",
    }
    assert item["spec"] == {
        "garment_type": "dress",
        "styles": ["bohemian"],
        "colors": ["red", "ivory"],
    }
    assert item["is_outlier"] is False and item["my_feedback"] is None
    assert item["cost_usd"] == "0.040000"
    thumb = await client.get(item["urls"]["thumb"], headers=user.headers)
    assert thumb.status_code == 200 and thumb.content == f"thumb:{item['id']}".encode()


async def test_every_filter(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    day = datetime(2025, 3, 10, 12, tzinfo=UTC)
    red_dress = await make_images(
        services,
        user,
        2,
        spec={
            "garment_type": "dress",
            "colors": ["red"],
            "patterns": ["floral"],
            "styles": ["bohemian"],
            "fabrics": ["chiffon"],
            "length": "maxi",
        },
        prompt="A flowing bohemian maxi dress, 100% chiffon",
        start=day,
        step=timedelta(seconds=1),
    )
    blue_top = await make_images(
        services,
        user,
        1,
        spec={"garment_type": "top", "colors": ["blue"], "patterns": ["striped"]},
        prompt="striped nautical top",
        provider="openai",
        start=day + timedelta(days=1),
    )
    portfolio = await make_images(
        services,
        user,
        1,
        type="portfolio",
        spec={"garment_type": "skirt", "colors": ["red", "black"], "styles": ["minimalist"]},
        prompt=None,
        start=day + timedelta(days=2),
    )
    s = [str(i) for i in red_dress]
    t = [str(i) for i in blue_top]
    p = [str(i) for i in portfolio]

    async def ids(**params: Any) -> set[str]:
        return set(await _all(client, user, **params))

    assert await ids(type="portfolio") == set(p)
    assert await ids(type="generated,portfolio") == set(s + t + p)
    assert await ids(garment_type="dress") == set(s)
    assert await ids(garment_type=["dress", "top"]) == set(s + t)
    assert await ids(color="red") == set(s + p)
    assert await ids(color="RED,blue") == set(s + t + p)
    assert await ids(color="red", garment_type="skirt") == set(p)
    assert await ids(pattern="floral") == set(s)
    assert await ids(style="minimalist") == set(p)
    assert await ids(style="bohemian", color="blue") == set()
    assert await ids(fabric="chiffon") == set(s)
    assert await ids(length="maxi") == set(s)
    assert await ids(provider="openai") == set(t)
    assert await ids(q="MAXI dress") == set(s)
    assert await ids(q="100%") == set(s)  # LIKE wildcards are taken literally
    assert await ids(q="_") == set()
    assert await ids(date_from="2025-03-11") == set(t + p)
    assert await ids(date_to="2025-03-11") == set(s + t)  # a date includes that day
    assert await ids(date_from="2025-03-11", date_to="2025-03-11") == set(t)
    assert await ids(date_to="2025-03-10T12:00:00Z") == {s[0]}
    assert await ids(date_from="2025-03-10T12:00:01+00:00", date_to="2025-03-11") == {s[1], *t}
    assert await ids(is_outlier="true") == set()
    assert await ids(is_outlier="false", garment_type="top") == set(t)
    # Bad input: a clear 422, never a 500.
    for bad in ({"type": "sketch"}, {"date_from": "yesterday"}, {"sort": "random"}, {"x": "1"}):
        assert_error(
            await client.get("/api/images", headers=user.headers, params=bad),
            422,
            "validation_error",
        )


async def test_sorts_and_feedback_filters(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    a, b, c, d = (str(i) for i in await make_images(services, user, 4))
    h = user.headers
    for image_id, body in (
        (a, {"type": "like", "rating": 3}),
        (b, {"type": "favorite", "rating": 5}),
        (c, {"type": "dislike"}),
    ):
        resp = await client.post(f"/api/images/{image_id}/feedback", headers=h, json=body)
        assert resp.status_code == 200, resp.text
    assert await _all(client, user) == [d, c, b, a]
    assert await _all(client, user, sort="oldest") == [a, b, c, d]
    assert await _all(client, user, sort="rating") == [b, a, d, c]
    assert await _all(client, user, sort="rating", limit=1) == [b, a, d, c]
    assert await _all(client, user, feedback="favorite") == [b]
    assert await _all(client, user, feedback="liked") == [a]
    assert await _all(client, user, feedback="disliked") == [c]
    assert await _all(client, user, feedback="unrated") == [d]
    assert await _all(client, user, min_rating=4) == [b]
    page = await _page(client, user, feedback="favorite")
    assert page["items"][0]["my_feedback"]["is_favorite"] is True
    assert page["items"][0]["my_feedback"]["rating"] == 5


@pytest.mark.parametrize("sort", ["newest", "oldest", "rating"])
async def test_cursor_never_repeats_or_skips_while_designs_arrive(
    client: httpx.AsyncClient, services: Services, user: AuthedUser, sort: str
):
    base = utcnow() - timedelta(hours=1)
    # Ties on created_at (a job's designs share it) must not break the cursor either.
    original = await make_images(services, user, 12, start=base, step=timedelta(0))
    original += await make_images(services, user, 11, start=base + timedelta(minutes=1))
    for image_id in original[::4]:
        await client.post(
            f"/api/images/{image_id}/feedback", headers=user.headers, json={"rating": 4}
        )
    seen: list[str] = []
    cursor = None
    added: list[uuid.UUID] = []
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = await _page(client, user, **params)
        seen += ids_of(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # New designs arrive between page fetches.
        added += await make_images(services, user, 3, step=timedelta(microseconds=10))
    assert len(seen) == len(set(seen)), "an image was repeated"
    original_ids = {str(i) for i in original}
    assert original_ids <= set(seen), "an image was skipped"
    arrivals = {str(i) for i in added}
    if sort == "newest":
        assert set(seen) == original_ids  # arrivals are newer than every page still to come
    elif sort == "oldest":
        assert set(seen) == original_ids | arrivals  # arrivals come at the end, all of them
    else:
        assert set(seen) <= original_ids | arrivals  # unrated arrivals land among unrated


async def test_bad_cursors_and_limits(client: httpx.AsyncClient, services: Services, user):
    await make_images(services, user, 3)
    page = await _page(client, user, limit=1)
    cursor = page["next_cursor"]
    assert cursor
    h = user.headers
    for bad in ("nonsense", "eyJ4IjoxfQ", cursor[:-3]):
        assert_error(
            await client.get("/api/images", headers=h, params={"cursor": bad}),
            400,
            "invalid_cursor",
        )
    # A cursor is the whole position of a design, so another sort goes on after it...
    other = await client.get("/api/images", headers=h, params={"cursor": cursor, "sort": "rating"})
    assert other.status_code == 200, other.text
    # ... but a cursor of another listing is refused.
    assert_error(
        await client.get("/api/images", headers=h, params={"cursor": "collection" + cursor}),
        400,
        "invalid_cursor",
    )
    assert_error(
        await client.get("/api/images", headers=h, params={"limit": 201}), 422, "validation_error"
    )
    assert len((await _page(client, user, limit=200))["items"]) == 3


async def test_columns_layout(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    wide = await make_images(services, user, 2, size=(1200, 800))
    tall = await make_images(services, user, 1, size=(600, 900))
    cols = await _page(client, user, layout="columns", limit=2)
    assert cols["count"] == 2 and cols["next_cursor"]
    assert cols["ids"] == [str(tall[0]), str(wide[1])]
    assert cols["ratios"] == [round(600 / 900, 5), 1.5]
    assert cols["widths"] == [600, 1200] and cols["heights"] == [900, 800]
    for key in ("types", "thumbhashes", "dominant_colors", "thumb_urls", "preview_urls"):
        assert len(cols[key]) == 2
    assert cols["thumb_urls"][0] == f"/api/images/{tall[0]}/file?variant=thumb"
    rest = await _page(client, user, layout="columns", cursor=cols["next_cursor"])
    assert rest["ids"] == [str(wide[0])] and rest["next_cursor"] is None


async def test_legacy_gallery_call(client: httpx.AsyncClient, services: Services, user):
    ids = [str(i) for i in await make_images(services, user, 5)]
    job = uuid.uuid4()
    await client.post(
        f"/api/images/{ids[0]}/feedback", headers=user.headers, json={"type": "outlier"}
    )
    resp = await client.get(
        "/api/images/gallery", headers=user.headers, params={"page": 2, "limit": 2}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True
    assert [i["id"] for i in body["images"]] == [ids[2], ids[1]]
    assert body["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "hasMore": True,
    }
    first = body["images"][0]
    assert first["url"].endswith("variant=preview") and first["thumbnailUrl"].endswith("thumb")
    outliers = (
        await client.get("/api/images/gallery", headers=user.headers, params={"isOutlier": "true"})
    ).json()
    assert [i["id"] for i in outliers["images"]] == [ids[0]] and outliers["images"][0]["isOutlier"]
    none = (
        await client.get("/api/images/gallery", headers=user.headers, params={"jobId": str(job)})
    ).json()
    assert none["images"] == [] and none["pagination"]["total"] == 0


async def test_detail_has_everything(client: httpx.AsyncClient, services: Services, user):
    (image_id,) = await make_images(
        services, user, 1, spec={"garment_type": "coat", "colors": ["camel"]}, cost="0.02"
    )
    h = user.headers
    resp = await client.get(f"/api/images/{image_id}", headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["prompt"] == "a coat" and body["spec"]["resolved"]["colors"] == ["camel"]
    assert body["provider"] == "local-flats" and body["model"] == "test" and body["seed"] == 0
    assert body["costs"]["image_usd"] == "0.020000"
    assert body["vlt"] is None and body["collections"] == [] and body["my_feedback"] is None
    coll = await client.post(
        "/api/collections", headers=h, json={"name": "Coats", "image_ids": [str(image_id)]}
    )
    assert coll.status_code == 201, coll.text
    await client.post(f"/api/images/{image_id}/feedback", headers=h, json={"type": "outlier"})
    async with services.sessionmaker() as db:
        db.add(
            VltSpecification(
                user_id=uuid.UUID(user.id),
                image_id=image_id,
                status="completed",
                provider="local",
                record={"garment_type": "coat"},
                spec={"garment_type": "coat"},
                confidence={"overall": 0.9},
                prompt_text="a camel coat",
            )
        )
        await db.commit()
    body = (await client.get(f"/api/images/{image_id}", headers=h)).json()
    assert body["collections"] == [{"id": coll.json()["id"], "name": "Coats"}]
    assert body["is_outlier"] is True and body["outlier_marked_at"]
    assert body["my_feedback"]["is_outlier"] is True
    assert body["vlt"]["prompt_text"] == "a camel coat" and body["vlt"]["status"] == "completed"
    assert_error(await client.get(f"/api/images/{uuid.uuid4()}", headers=h), 404, "not_found")
    # Path ids are UUIDs: anything else names no resource (so /api/images/feedback is not one).
    assert_error(await client.get("/api/images/not-a-uuid", headers=h), 404, "not_found")


async def test_delete_restore_and_purge(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    keep, gone = (str(i) for i in await make_images(services, user, 2))
    h = user.headers
    row = await image_row(services, gone)
    assert row is not None
    keys = list(row.variants.values())
    resp = await client.delete(f"/api/images/{gone}", headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    purge_after = datetime.fromisoformat(body["purge_after"])
    assert timedelta(days=6.9) < purge_after - utcnow() <= timedelta(days=7)
    assert await _all(client, user) == [keep]
    assert await _all(client, user, trash="true") == [gone]
    for path in (f"/api/images/{gone}", f"/api/images/{gone}/file?variant=thumb"):
        assert_error(await client.get(path, headers=h), 404, "not_found")
    assert_error(await client.delete(f"/api/images/{gone}", headers=h), 404, "not_found")
    assert_error(await client.post(f"/api/images/{keep}/restore", headers=h), 404, "not_found")

    resp = await client.post(f"/api/images/{gone}/restore", headers=h)
    assert resp.status_code == 200 and resp.json() == {"id": gone, "restored": True}
    assert await _all(client, user) == [gone, keep]

    # Deleted again; a purge before the grace period ends removes nothing.
    assert (await client.delete(f"/api/images/{gone}", headers=h)).status_code == 200
    await run_maintenance(services.sessionmaker, services.gallery)
    assert await image_row(services, gone) is not None
    assert all([await services.storage.exists(k) for k in keys])

    # Once the grace period has passed the cleanup removes the row and every object.
    async with services.sessionmaker() as db:
        await db.execute(
            update(Image)
            .where(Image.id == uuid.UUID(gone))
            .values(purge_after=utcnow() - timedelta(seconds=1))
        )
        await db.commit()
    await run_maintenance(services.sessionmaker, services.gallery)
    assert await image_row(services, gone) is None
    assert not any([await services.storage.exists(k) for k in keys])
    assert_error(await client.post(f"/api/images/{gone}/restore", headers=h), 404, "not_found")
    # The other design is untouched.
    kept = await image_row(services, keep)
    assert kept is not None and all(
        [await services.storage.exists(k) for k in kept.variants.values()]
    )


async def test_real_designs_end_to_end(client: httpx.AsyncClient, user: AuthedUser, services):
    spec = {"garment_type": "dress", "colors": ["red"], "patterns": ["floral"]}
    queued = await start_job(client, user, spec, quantity=3)
    job = await wait_for_job(client, user, queued["id"])
    assert job["status"] == "completed"
    made = {i["id"] for i in job["images"]}
    page = await _page(client, user, job_id=job["id"], color="red", garment_type="dress")
    assert set(ids_of(page)) == made
    item = page["items"][0]
    assert item["spec"]["garment_type"] == "dress" and "red" in item["spec"]["colors"]
    assert "floral" in item["spec"]["patterns"] and item["job_id"] == job["id"]
    # Every attribute the renderer chose is filterable too.
    row = await image_row(services, item["id"])
    assert row is not None
    silhouette = row.spec["resolved"]["silhouette"]
    assert item["id"] in ids_of(await _page(client, user, silhouette=silhouette))
    assert (await client.get(item["urls"]["preview"], headers=user.headers)).status_code == 200
    detail = (await client.get(f"/api/images/{item['id']}", headers=user.headers)).json()
    assert detail["job"]["id"] == job["id"] and detail["width"] == 1024
