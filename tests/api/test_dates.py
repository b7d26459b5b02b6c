"""Dates a timestamp cannot hold (before year 1 or after 9999 once in UTC) are refused with
a 400, never a 500: in the gallery's date filters and in the cursors of every cursor-paged
listing. On every backend."""

from __future__ import annotations

import httpx
import pytest

from designer_bff.services import Services
from tests.conftest import AuthedUser
from tests.gallery.helpers import make_images

# In UTC these are year 10000 and year 0; the date is valid, the day after it is not.
LATE, EARLY = "9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"


def assert_error(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code, error
    assert error["message"]


async def test_dates_beyond_the_calendar_are_a_400(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    h = user.headers
    collection = (await client.post("/api/collections", headers=h, json={"name": "d"})).json()
    paths = ("/api/images", f"/api/collections/{collection['id']}/images")
    for params in (
        {"date_to": "9999-12-31"},  # a date includes its day: the bound is year 10000
        {"date_from": EARLY},
        {"date_to": EARLY},
        {"date_from": LATE},
        {"date_from": "2025-01-01", "date_to": LATE},
    ):
        for path in paths:
            resp = await client.get(path, headers=h, params=params)
            assert_error(resp, 400, "invalid_date")
            assert "date" in resp.json()["error"]["message"]
    # The calendar's own ends are still fine bounds.
    await make_images(services, user, 1)
    for params, found in (
        ({"date_from": "0001-01-01", "date_to": "9999-12-30"}, 1),
        ({"date_from": "0001-01-01T00:00:00Z", "date_to": "9999-12-31T23:59:59Z"}, 1),
        ({"date_from": "9999-12-31"}, 0),
        ({"date_to": "0001-01-01"}, 0),
    ):
        resp = await client.get("/api/images", headers=h, params=params)
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["items"]) == found, params


def with_time(cursor: str, text: str) -> str:
    """The same cursor with its time field (microseconds since 1970) written as `text`."""
    fields = cursor.split(".")
    times = [i for i, f in enumerate(fields) if f.isdigit() and len(f) >= 10]
    assert times, "no time field found in the cursor"
    fields[times[0]] = text
    return ".".join(fields)


async def _make_two(client: httpx.AsyncClient, services: Services, user: AuthedUser, path: str):
    """Two rows of the listing at `path`, so a page of one has a next cursor."""
    h = user.headers
    for n in range(2):
        if path == "/api/images":
            await make_images(services, user, 1)
        elif path == "/api/collections":
            resp = await client.post("/api/collections", headers=h, json={"name": f"c{n}"})
        elif path == "/api/generations":
            job = {"spec": {"garment_type": "top"}, "quantity": 1}
            resp = await client.post("/api/generations", headers=h, json=job)
        else:
            command = {"command": f"make me {n + 2} silk blouses"}
            resp = await client.post("/api/voice/process-text", headers=h, json=command)
        if path != "/api/images":
            assert resp.is_success, resp.text


@pytest.mark.parametrize(
    "path", ["/api/images", "/api/collections", "/api/generations", "/api/voice/history"]
)
async def test_cursors_carrying_such_dates_are_a_400(
    client: httpx.AsyncClient, services: Services, user: AuthedUser, path: str
):
    await _make_two(client, services, user, path)
    page = await client.get(path, headers=user.headers, params={"limit": 1})
    assert page.status_code == 200, page.text
    cursor = page.json()["next_cursor"]
    assert cursor
    assert (await client.get(path, headers=user.headers, params={"cursor": cursor})).is_success
    # A cursor's time has at most 16 digits (up to year 2286): no later or negative time,
    # nor one a timestamp cannot hold, can be written in one.
    for forged in ("9" * 17, "-1", "1e20", "9" * 40):
        resp = await client.get(
            path, headers=user.headers, params={"cursor": with_time(cursor, forged)}
        )
        assert_error(resp, 400, "invalid_cursor")


@pytest.mark.parametrize("sort", ["rating", "position"])
async def test_cursors_carrying_numbers_beyond_their_column_are_a_400(
    client: httpx.AsyncClient, services: Services, user: AuthedUser, sort: str
):
    h = user.headers
    ids = await make_images(services, user, 2)
    if sort == "position":
        made = await client.post("/api/collections", headers=h, json={"name": "numbers"})
        collection = made.json()["id"]
        added = await client.post(
            f"/api/collections/{collection}/images",
            headers=h,
            json={"image_ids": [str(i) for i in ids]},
        )
        assert added.is_success, added.text
        path, params = f"/api/collections/{collection}/images", {"sort": "position"}
    else:
        path, params = "/api/images", {"sort": "rating"}
    page = await client.get(path, headers=h, params={**params, "limit": 1})
    cursor = page.json()["next_cursor"]
    assert cursor
    fields = cursor.split(".")
    # The first number after the listing's name: the position in a collection's cursor
    # (a 32-bit INTEGER), the rating otherwise (0-5, a SMALLINT).
    beyond = (2**70, 40_000, 6, -1) if sort == "rating" else (2**70, 2**40, -(2**40))
    for number in beyond:
        token = ".".join([fields[0], str(number), *fields[2:]])
        resp = await client.get(path, headers=h, params={**params, "cursor": token})
        assert_error(resp, 400, "invalid_cursor")
