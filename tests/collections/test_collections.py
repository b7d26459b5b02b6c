"""Collections through the API on every backend: CRUD, adding / removing / reordering
designs, paginated contents, share links, isolation and voice commands."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from designer_bff.collections.models import Collection, CollectionImage
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.conftest import AuthedUser, say
from tests.gallery.helpers import count_rows, make_images
from tests.gallery.test_voice import command_result


async def _create(client: httpx.AsyncClient, user: AuthedUser, **body: Any) -> dict[str, Any]:
    resp = await client.post("/api/collections", headers=user.headers, json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def _contents(
    client: httpx.AsyncClient, user: AuthedUser, collection_id: str, **params: Any
) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        resp = await client.get(
            f"/api/collections/{collection_id}/images", headers=user.headers, params=query
        )
        assert resp.status_code == 200, resp.text
        page = resp.json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def _collections_of(services: Services, user: AuthedUser) -> int:
    return await count_rows(services, Collection, Collection.user_id == uuid.UUID(user.id))


async def test_crud(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    ids = [str(i) for i in await make_images(services, user, 3)]
    h = user.headers
    made = await _create(
        client, user, name="  Summer   Capsule ", description="Linen and light", image_ids=ids[:2]
    )
    assert made["name"] == "Summer Capsule" and made["description"] == "Linen and light"
    assert made["image_count"] == 2 and made["shared"] is False and made["share_url"] is None
    assert made["cover"]["image_id"] == ids[0]  # no cover chosen: the first design
    assert made["cover"]["urls"]["thumb"].endswith("variant=thumb")

    body = assert_error(
        await client.post("/api/collections", headers=h, json={"name": "summer CAPSULE"}),
        409,
        "collection_exists",
    )
    assert body["error"]["details"]["collection_id"] == made["id"]
    for bad in ({}, {"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"name": "a", "x": 1}):
        assert_error(
            await client.post("/api/collections", headers=h, json=bad), 422, "validation_error"
        )
    # Unknown designs: 404, and no collection is left behind.
    assert_error(
        await client.post(
            "/api/collections", headers=h, json={"name": "Ghost", "image_ids": [str(uuid.uuid4())]}
        ),
        404,
        "not_found",
    )
    assert await _collections_of(services, user) == 1

    other = await _create(client, user, name="Resort")
    listing = (await client.get("/api/collections", headers=h)).json()
    assert [c["id"] for c in listing["items"]] == [other["id"], made["id"]]
    page = (await client.get("/api/collections", headers=h, params={"limit": 1})).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (
        await client.get("/api/collections", headers=h, params={"cursor": page["next_cursor"]})
    ).json()
    assert [c["id"] for c in rest["items"]] == [made["id"]]

    url = f"/api/collections/{made['id']}"
    assert (await client.get(url, headers=h)).json()["image_count"] == 2
    patched = await client.patch(
        url, headers=h, json={"name": "Summer 26", "cover_image_id": ids[1]}
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Summer 26" and body["description"] == "Linen and light"
    assert body["cover_image_id"] == ids[1] and body["cover"]["image_id"] == ids[1]
    assert_error(
        await client.patch(url, headers=h, json={"name": "RESORT"}), 409, "collection_exists"
    )
    # Designs named in a body: 409 (a 404 would say the collection is not there).
    assert_error(
        await client.patch(url, headers=h, json={"cover_image_id": str(uuid.uuid4())}),
        409,
        "images_not_found",
    )
    # Renaming to a different case of its own name is fine.
    assert (await client.patch(url, headers=h, json={"name": "SUMMER 26"})).status_code == 200
    cleared = (await client.patch(url, headers=h, json={"cover_image_id": None})).json()
    assert cleared["cover_image_id"] is None and cleared["cover"]["image_id"] == ids[0]

    assert (await client.delete(url, headers=h)).status_code == 204
    assert_error(await client.get(url, headers=h), 404, "collection_not_found")
    # Its designs stay in the gallery.
    gallery = (await client.get("/api/images", headers=h)).json()
    assert {i["id"] for i in gallery["items"]} == set(ids)


async def test_add_remove_reorder_and_paginate(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    ids = [str(i) for i in await make_images(services, user, 7)]
    h = user.headers
    coll = await _create(client, user, name="Lookbook")
    base = f"/api/collections/{coll['id']}"
    resp = await client.post(f"{base}/images", headers=h, json={"image_ids": ids[:5]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["added"] == 5 and resp.json()["collection"]["image_count"] == 5
    again = (
        await client.post(f"{base}/images", headers=h, json={"image_ids": [ids[4], ids[5]]})
    ).json()
    assert again["added"] == 1 and again["already_present"] == 1
    assert await _contents(client, user, coll["id"]) == ids[:6]
    assert await _contents(client, user, coll["id"], limit=2) == ids[:6]
    assert await _contents(client, user, coll["id"], sort="newest", limit=4) == ids[:6][::-1]
    cols = (await client.get(f"{base}/images", headers=h, params={"layout": "columns"})).json()
    assert cols["ids"] == ids[:6]

    # Unknown or foreign ids: nothing is added.
    assert_error(
        await client.post(
            f"{base}/images", headers=h, json={"image_ids": [ids[6], str(uuid.uuid4())]}
        ),
        409,
        "images_not_found",
    )
    assert await _contents(client, user, coll["id"]) == ids[:6]
    assert_error(
        await client.post(f"{base}/images", headers=h, json={"image_ids": []}),
        422,
        "validation_error",
    )

    # An image can be in many collections.
    second = await _create(client, user, name="Shortlist", image_ids=[ids[0]])
    detail = (await client.get(f"/api/images/{ids[0]}", headers=h)).json()
    assert {c["name"] for c in detail["collections"]} == {"Lookbook", "Shortlist"}
    assert await _contents(client, user, second["id"]) == [ids[0]]

    order = await client.put(
        f"{base}/images/order", headers=h, json={"image_ids": [ids[3], ids[1]]}
    )
    assert order.status_code == 200, order.text
    expected = [ids[3], ids[1], ids[0], ids[2], ids[4], ids[5]]
    assert order.json()["image_ids"] == expected
    assert await _contents(client, user, coll["id"], limit=4) == expected
    body = assert_error(
        await client.put(f"{base}/images/order", headers=h, json={"image_ids": [ids[6]]}),
        409,
        "not_in_collection",
    )
    assert body["error"]["details"]["missing"] == [ids[6]]

    assert (await client.delete(f"{base}/images/{ids[1]}", headers=h)).status_code == 204
    assert_error(
        await client.delete(f"{base}/images/{ids[1]}", headers=h), 404, "not_in_collection"
    )
    removed = await client.post(
        f"{base}/images/remove", headers=h, json={"image_ids": [ids[0], ids[2]]}
    )
    assert removed.json()["removed"] == 2 and removed.json()["collection"]["image_count"] == 3
    assert await _contents(client, user, coll["id"]) == [ids[3], ids[4], ids[5]]
    # Still in the gallery and in the other collection.
    assert await _contents(client, user, second["id"]) == [ids[0]]

    # A deleted design leaves the collection's listing (and comes back on restore).
    await client.delete(f"/api/images/{ids[4]}", headers=h)
    assert await _contents(client, user, coll["id"]) == [ids[3], ids[5]]
    assert (await client.get(base, headers=h)).json()["image_count"] == 2
    await client.post(f"/api/images/{ids[4]}/restore", headers=h)
    assert await _contents(client, user, coll["id"]) == [ids[3], ids[4], ids[5]]
    # Filters work inside a collection, and the gallery filters by collection.
    await client.post(f"/api/images/{ids[5]}/feedback", headers=h, json={"type": "outlier"})
    assert await _contents(client, user, coll["id"], is_outlier="true") == [ids[5]]
    gallery = (
        await client.get("/api/images", headers=h, params={"collection_id": coll["id"]})
    ).json()
    assert {i["id"] for i in gallery["items"]} == {ids[3], ids[4], ids[5]}
    assert_error(
        await client.get("/api/images", headers=h, params={"sort": "position"}),
        422,
        "validation_error",
    )


async def test_share_link_shows_only_its_collection(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    ids = [str(i) for i in await make_images(services, user, 4)]
    h = user.headers
    coll = await _create(client, user, name="For the buyer", description="AW26", image_ids=ids[:2])
    base = f"/api/collections/{coll['id']}"
    resp = await client.post(f"{base}/share", headers=h)
    assert resp.status_code == 200, resp.text
    share = resp.json()
    assert share["url"] == f"http://testserver/api/shared/{share['token']}"
    assert len(share["token"]) >= 40
    assert (await client.post(f"{base}/share", headers=h)).json()["token"] == share["token"]
    assert (await client.get(base, headers=h)).json()["share_url"] == share["url"]

    public = await client.get(share["url"])  # no credentials
    assert public.status_code == 200, public.text
    page = public.json()
    assert page["name"] == "For the buyer" and page["description"] == "AW26"
    assert page["image_count"] == 2 and [i["id"] for i in page["items"]] == ids[:2]
    assert set(page["items"][0]["urls"]) == {"thumb", "preview"}
    text = public.text
    assert user.id not in text and user.email not in text and "prompt" not in text
    for variant in ("thumb", "preview"):
        got = await client.get(page["items"][0]["urls"][variant])
        assert got.status_code == 200 and got.content == f"{variant}:{ids[0]}".encode()
    token_base = f"/api/shared/{share['token']}"
    # Never an original, never another of the owner's designs, never the owner's API.
    assert_error(
        await client.get(f"{token_base}/images/{ids[0]}/file?variant=original"),
        422,
        "validation_error",
    )
    assert_error(
        await client.get(f"{token_base}/images/{ids[2]}/file?variant=thumb"), 404, "not_found"
    )
    # A logged-out visitor's browser (no files cookie) gets nothing from the owner's routes.
    client.cookies.clear()
    assert_error(
        await client.get(f"/api/images/{ids[0]}/file?variant=thumb"), 401, "not_authenticated"
    )
    # Paginated.
    first = (await client.get(token_base, params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = (
        await client.get(token_base, params={"limit": 1, "cursor": first["next_cursor"]})
    ).json()
    assert [i["id"] for i in second["items"]] == [ids[1]] and second["next_cursor"] is None
    # A design deleted by its owner disappears from the link.
    await client.delete(f"/api/images/{ids[1]}", headers=h)
    assert [i["id"] for i in (await client.get(token_base)).json()["items"]] == [ids[0]]
    assert_error(
        await client.get(f"{token_base}/images/{ids[1]}/file?variant=thumb"), 404, "not_found"
    )

    # Revoked: both the page and the files answer 404; a new share makes a new token.
    assert (await client.delete(f"{base}/share", headers=h)).status_code == 204
    assert_error(await client.get(token_base), 404, "share_not_found")
    assert_error(
        await client.get(f"{token_base}/images/{ids[0]}/file?variant=thumb"),
        404,
        "share_not_found",
    )
    assert (await client.get(base, headers=h)).json()["shared"] is False
    renewed = (await client.post(f"{base}/share", headers=h)).json()
    assert renewed["token"] != share["token"]
    assert (await client.get(renewed["url"])).status_code == 200
    for unknown in ("x" * 43, "short", "y" * 80):
        resp = await client.get(f"/api/shared/{unknown}")
        assert resp.status_code == 404, unknown
    # Deleting the collection ends its link too.
    assert (await client.delete(base, headers=h)).status_code == 204
    assert_error(await client.get(renewed["url"]), 404, "share_not_found")


async def test_another_designers_collections_answer_404_with_no_side_effect(
    client: httpx.AsyncClient, services: Services, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    hers = [str(i) for i in await make_images(services, alice, 2)]
    (his,) = [str(i) for i in await make_images(services, bob, 1)]
    coll = await _create(client, alice, name="Alice's", image_ids=hers)
    share = (
        await client.post(f"/api/collections/{coll['id']}/share", headers=alice.headers)
    ).json()
    own = await _create(client, bob, name="Bob's", image_ids=[his])
    base = f"/api/collections/{coll['id']}"
    h = bob.headers
    for method, path, kwargs in (
        ("GET", base, {}),
        ("PATCH", base, {"json": {"name": "Mine now"}}),
        ("DELETE", base, {}),
        ("GET", f"{base}/images", {}),
        ("POST", f"{base}/images", {"json": {"image_ids": [his]}}),
        ("POST", f"{base}/images/remove", {"json": {"image_ids": [hers[0]]}}),
        ("DELETE", f"{base}/images/{hers[0]}", {}),
        ("PUT", f"{base}/images/order", {"json": {"image_ids": [hers[1]]}}),
        ("POST", f"{base}/share", {}),
        ("DELETE", f"{base}/share", {}),
        ("POST", "/api/collections", {"json": {"name": "Steal", "image_ids": [hers[0]]}}),
        ("POST", "/api/collections", {"json": {"name": "Steal", "cover_image_id": hers[0]}}),
    ):
        resp = await client.request(method, path, headers=h, **kwargs)
        assert resp.status_code == 404, (method, path, resp.text)
    # Her designs cannot enter his collection, nor become its cover: named in the body of a
    # request on his collection, they are a 409, as if they did not exist.
    for method, path, kwargs in (
        ("POST", f"/api/collections/{own['id']}/images", {"json": {"image_ids": [hers[0]]}}),
        ("PATCH", f"/api/collections/{own['id']}", {"json": {"cover_image_id": hers[0]}}),
    ):
        resp = await client.request(method, path, headers=h, **kwargs)
        assert_error(resp, 409, "images_not_found")
    # Nothing changed.
    after = (await client.get(base, headers=alice.headers)).json()
    assert after["name"] == "Alice's" and after["image_count"] == 2 and after["shared"]
    assert await _contents(client, alice, coll["id"]) == hers
    assert await _contents(client, bob, own["id"]) == [his]
    assert [c["id"] for c in (await client.get("/api/collections", headers=h)).json()["items"]] == [
        own["id"]
    ]
    assert await _collections_of(services, bob) == 1
    # Names are unique per designer only.
    assert (
        await client.post("/api/collections", headers=h, json={"name": "alice's"})
    ).status_code == 201
    # Her share link works for anyone, but shows only her collection.
    shared = (await client.get(share["url"])).json()
    assert [i["id"] for i in shared["items"]] == hers
    assert_error(
        await client.get(f"/api/shared/{share['token']}/images/{his}/file?variant=thumb"),
        404,
        "not_found",
    )


async def test_voice_collection_commands(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    h = user.headers
    body = await say(client, user, "add the last 3 to Summer Capsule")
    assert body["intent"] == "collection_add" and "no designs" in body["reply"]
    assert await _collections_of(services, user) == 0  # nothing to add: nothing created

    ids = [str(i) for i in await make_images(services, user, 5)]
    body = await say(client, user, "create a collection called Resort 2026")
    assert body["intent"] == "collection_create" and "Created" in body["reply"]
    result = await command_result(services, body["command_id"])
    assert result["created"] is True
    body = await say(client, user, "new collection resort 2026")
    assert "already have" in body["reply"]
    assert await _collections_of(services, user) == 1

    body = await say(client, user, "add the last 3 to Summer Capsule")
    assert body["reply"] == "Created “Summer Capsule” and added 3 designs."
    result = await command_result(services, body["command_id"])
    assert result["created"] is True and result["added"] == 3
    # In the order they were made.
    assert await _contents(client, user, result["collection_id"]) == ids[2:]

    body = await say(client, user, "add this one to Summer Capsule")
    assert "already in" in body["reply"]
    newest = await make_images(services, user, 1)
    body = await say(client, user, "add this one to Summer Capsule")
    assert body["reply"] == "Added 1 design to “Summer Capsule”."
    assert (await _contents(client, user, result["collection_id"]))[-1] == str(newest[0])

    await client.post(f"/api/images/{ids[0]}/feedback", headers=h, json={"type": "outlier"})
    body = await say(client, user, "add my last outlier to resort 2026")
    resort = await command_result(services, body["command_id"])
    assert resort["created"] is False and resort["image_ids"] == [ids[0]]
    assert "Resort 2026" in body["reply"]
    in_resort = CollectionImage.collection_id == uuid.UUID(resort["collection_id"])
    assert await count_rows(services, CollectionImage, in_resort) == 1
