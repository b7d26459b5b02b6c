"""`show` commands return the matching gallery query."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from designer_bff.commands.models import VoiceCommand
from designer_bff.db.base import utcnow
from designer_bff.services import Services
from tests.conftest import AuthedUser, say
from tests.gallery.helpers import make_images


async def command_result(services: Services, command_id: str) -> dict:
    """What the command's action did, as stored with it in the history."""
    async with services.sessionmaker() as db:
        command = await db.get(VoiceCommand, uuid.UUID(command_id))
        assert command is not None
        return command.result or {}


async def test_show_returns_the_gallery_query(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    red = await make_images(
        services, user, 2, spec={"garment_type": "dress", "colors": ["red"], "patterns": ["floral"]}
    )
    await make_images(services, user, 1, spec={"garment_type": "dress", "colors": ["blue"]})
    body = await say(client, user, "show me red floral dresses")
    assert body["intent"] == "show"
    assert "2 designs" in body["reply"]
    result = await command_result(services, body["command_id"])
    assert result["gallery_query"] == {"garment_type": "dress", "pattern": "floral", "color": "red"}
    assert result["count"] == 2
    # The URL is a working gallery call that finds exactly those designs.
    url = result["url"]
    assert urlsplit(url).path == "/api/images"
    page = (await client.get(url, headers=user.headers)).json()
    assert {i["id"] for i in page["items"]} == {str(i) for i in red}
    assert parse_qs(urlsplit(url).query)["color"] == ["red"]


async def test_show_outliers_favourites_dates_and_collections(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    old = await make_images(services, user, 1, start=utcnow() - timedelta(days=30))
    new = [str(i) for i in await make_images(services, user, 2)]
    await client.post(
        f"/api/images/{new[0]}/feedback", headers=user.headers, json={"type": "outlier"}
    )
    await client.post(
        f"/api/images/{old[0]}/feedback", headers=user.headers, json={"type": "favorite"}
    )
    body = await say(client, user, "show me my outliers")
    assert "1 design" in body["reply"]
    body = await say(client, user, "show my favorites from last week")
    assert "0 designs" in body["reply"]
    await client.post(
        "/api/collections", headers=user.headers, json={"name": "Summer Capsule", "image_ids": new}
    )
    body = await say(client, user, "show collection Summer Capsule")
    assert "2 designs" in body["reply"], body
    result = await command_result(services, body["command_id"])
    assert "collection_id" in result["gallery_query"]
    body = await say(client, user, "show collection Winter Dreams")
    assert "no collection" in body["reply"]
