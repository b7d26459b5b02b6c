"""The portfolio through the API: a zip of 30 pictures is stored, analysed in the
background with progress events, and becomes a style profile whose palette and patterns
are what the pictures show; the designer's edits (ban, pin) change the next designs;
duplicates are skipped, removals rebuild the profile, other users see none of it."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import func, select

from designer_bff.designs.models import Image
from designer_bff.realtime.events import EventBus
from designer_bff.services import Services
from designer_bff.styles.models import VltSpecification
from tests.conftest import AuthedUser, register_user, say
from tests.generation.helpers import wait_for_job
from tests.portfolio.images import BURGUNDY, NAVY, WHITE, dress, zip_of


class Recorder(EventBus):
    """Keeps every event it forwards (the real sink still delivers them)."""

    def __init__(self, inner: EventBus | None) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    async def publish(self, user_id: uuid.UUID | str, event: str, data: dict[str, Any]) -> None:
        self.seen.append((str(user_id), event, data))
        if self.inner is not None:
            await self.inner.publish(user_id, event, data)


@contextlib.asynccontextmanager
async def recording(services: Services) -> AsyncIterator[Recorder]:
    original = services.events.sink
    recorder = Recorder(original)
    services.events.sink = recorder
    try:
        yield recorder
    finally:
        services.events.sink = original


async def upload(
    client: httpx.AsyncClient, user: AuthedUser, files: dict[str, bytes], mime: str = "image/png"
) -> httpx.Response:
    parts = [
        ("files", (name, data, "application/zip" if name.endswith(".zip") else mime))
        for name, data in files.items()
    ]
    return await client.post("/api/portfolio", files=parts, headers=user.headers, timeout=120)


async def wait_analysed(
    client: httpx.AsyncClient, user: AuthedUser, count: int, within: float = 90.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        r = await client.get("/api/portfolio?limit=200", headers=user.headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        finished = [i for i in items if i["analysis"]["status"] in ("done", "failed")]
        if len(items) >= count and len(finished) == len(items):
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(finished)} of {len(items)} analysed after {within}s")
        await asyncio.sleep(0.1)


def share(profile: dict[str, Any], attribute: str, value: str) -> float:
    for row in profile["attributes"].get(attribute, []):
        if row["value"] == value:
            return float(row["weight"])
    return 0.0


async def test_a_zip_of_30_becomes_a_profile_that_shows_what_the_pictures_show(
    client: httpx.AsyncClient, services: Services
):
    user = await register_user(client, "portfolio")
    pictures = {f"navy-stripes-{i}.png": dress(NAVY, WHITE, variant=i) for i in range(20)}
    pictures |= {f"burgundy-{i}.png": dress(BURGUNDY, variant=100 + i) for i in range(10)}
    async with recording(services) as events:
        r = await upload(client, user, {"portfolio.zip": zip_of(pictures)})
        assert r.status_code == 202, r.text
        body = r.json()
        assert len(body["accepted"]) == 30 and body["errors"] == [] and body["duplicates"] == []
        job_id = body["analysis"]["job_id"]
        assert body["analysis"]["total"] == 30
        items = await wait_analysed(client, user, 30)
        deadline = time.monotonic() + 10
        while not any(e == "analysis.completed" for _, e, _ in events.seen):
            assert time.monotonic() < deadline, f"no analysis.completed: {events.seen[-3:]}"
            await asyncio.sleep(0.05)
    mine = [(e, d) for u, e, d in events.seen if u == user.id]
    progress = [d for e, d in mine if e == "analysis.progress" and d["job_id"] == job_id]
    assert len(progress) == 30
    assert sorted(d["done"] + d["failed"] for d in progress) == list(range(1, 31))
    completed = [d for e, d in mine if e == "analysis.completed"]
    assert completed == [
        {"job_id": job_id, "done": 30, "failed": 0, "total": 30, "kind": "portfolio"}
    ]
    assert any(e == "profile.updated" for e, _ in mine)
    assert all(i["analysis"]["status"] == "done" for i in items)

    r = await client.get("/api/style-profile", headers=user.headers)
    assert r.status_code == 200
    profile = r.json()
    assert profile["image_count"] == 30 and profile["pending"] == 0
    palette = [p["value"] for p in profile["palette"]]
    assert palette[0] == "navy", palette
    assert "burgundy" in palette[:3], palette
    assert "white" not in palette[:1]
    assert share(profile, "patterns", "striped") > share(profile, "patterns", "solid") > 0
    assert "navy" in profile["summary"]
    history = (await client.get("/api/style-profile/history", headers=user.headers)).json()
    assert history["items"][0]["reason"] == "analysed 30 images"

    # The same bytes again: skipped, nothing new stored or analysed.
    again = await upload(client, user, {"again.png": pictures["burgundy-3.png"]})
    assert again.status_code == 202
    assert again.json()["accepted"] == [] and again.json()["duplicates"][0]["filename"] == (
        "again.png"
    )
    async with services.sessionmaker() as db:
        stored = await db.scalar(
            select(func.count()).select_from(Image).where(Image.user_id == uuid.UUID(user.id))
        )
    assert stored == 30

    # Removing a burgundy picture takes it out of the profile.
    burgundy = next(i for i in items if i["filename"].startswith("burgundy"))
    before = share(profile, "colors", "burgundy")
    r = await client.delete(f"/api/portfolio/{burgundy['id']}", headers=user.headers)
    assert r.status_code == 204
    after = (await client.get("/api/style-profile", headers=user.headers)).json()
    assert after["image_count"] == 29 and share(after, "colors", "burgundy") < before
    assert after["version"] > profile["version"]
    r = await client.get(f"/api/images/{burgundy['id']}/file?variant=thumb", headers=user.headers)
    assert r.status_code == 404

    # Another designer sees none of it.
    other = await register_user(client, "other")
    r = await client.get("/api/portfolio", headers=other.headers)
    assert r.json()["items"] == [] and r.json()["total"] == 0
    r = await client.delete(f"/api/portfolio/{items[0]['id']}", headers=other.headers)
    assert r.status_code == 404
    assert (await client.get("/api/style-profile", headers=other.headers)).json()[
        "image_count"
    ] == 0


async def test_ban_floral_and_pin_navy_change_the_next_five_dresses(
    client: httpx.AsyncClient, services: Services
):
    user = await register_user(client, "edits")
    r = await client.patch(
        "/api/style-profile",
        json={
            "edits": [
                {"op": "ban", "attribute": "patterns", "value": "floral"},
                {"op": "pin", "attribute": "colors", "value": "navy"},
            ]
        },
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["edits"]["banned"] == {"patterns": ["floral"]}
    assert profile["edits"]["pinned"] == {"colors": ["navy"]}
    history = (await client.get("/api/style-profile/history", headers=user.headers)).json()
    assert "ban patterns floral" in history["items"][0]["reason"]

    job_id = (await say(client, user, "make me 5 dresses"))["job_id"]
    job = await wait_for_job(client, user, job_id)
    assert job["status"] == "completed"
    async with services.sessionmaker() as db:
        designs = (await db.scalars(select(Image).where(Image.job_id == uuid.UUID(job_id)))).all()
    assert len(designs) == 5
    for d in designs:
        drawn = d.drawn_spec
        assert d.garment_type == "dress"
        assert "navy" in drawn.colors, drawn
        assert "floral" not in drawn.patterns, drawn
        assert "navy" in (d.prompt or "")


async def test_bad_edits_are_refused_whole(client: httpx.AsyncClient):
    user = await register_user(client, "bad-edits")
    for edit, code in (
        # The document lists each attribute's values: anything else is a validation error.
        ({"op": "ban", "attribute": "sparkle", "value": "red"}, "validation_error"),
        ({"op": "pin", "attribute": "colors", "value": "not-a-colour"}, "validation_error"),
        ({"op": "pin", "attribute": "patterns", "value": "navy"}, "validation_error"),
    ):
        r = await client.patch(
            "/api/style-profile",
            json={"edits": [{"op": "ban", "attribute": "colors", "value": "red"}, edit]},
            headers=user.headers,
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code, r.text
    profile = (await client.get("/api/style-profile", headers=user.headers)).json()
    assert profile["edits"]["banned"] == {} and profile["version"] == 0


async def test_hostile_uploads_leave_nothing_behind(client: httpx.AsyncClient, services: Services):
    user = await register_user(client, "hostile")
    good = dress(NAVY, variant=7)
    cases: list[tuple[dict[str, bytes], int, str]] = [
        ({"evil.zip": zip_of({"../evil.png": good})}, 400, "unsafe_zip"),
        ({"notes.jpg": b"just some text, not a picture"}, 422, "no_images"),
    ]
    for files, status, code in cases:
        r = await upload(client, user, files)
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code, r.text
    r = await client.post("/api/portfolio", content=b"{}", headers=user.headers)
    assert r.status_code == 415
    # One corrupt file in a batch is that file's error, not the batch's.
    r = await upload(client, user, {"ok.png": good, "broken.png": good[: len(good) // 3]})
    assert r.status_code == 202, r.text
    assert [a["filename"] for a in r.json()["accepted"]] == ["ok.png"]
    assert [e["filename"] for e in r.json()["errors"]] == ["broken.png"]
    async with services.sessionmaker() as db:
        stored = await db.scalar(
            select(func.count()).select_from(Image).where(Image.user_id == uuid.UUID(user.id))
        )
        analyses = await db.scalar(
            select(func.count())
            .select_from(VltSpecification)
            .where(VltSpecification.user_id == uuid.UUID(user.id))
        )
    assert stored == 1 and analyses == 1
    uploads = services.settings.data_dir / "uploads"
    assert not any(uploads.iterdir()) if uploads.exists() else True


async def test_vlt_health_and_one_image(client: httpx.AsyncClient, services: Services):
    r = await client.get("/api/vlt/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy" and body["service"] == "VLT API"
    assert body["endpoint"] and body["timestamp"]
    user = await register_user(client, "vlt")
    r = await client.post(
        "/api/vlt/analyze",
        files={"file": ("dress.png", dress(NAVY, WHITE, variant=3), "image/png")},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["provider"] == "local-analyzer"
    assert "navy" in out["spec"]["colors"]
    assert out["record"]["colors"]["primary"] == "navy"
    r = await client.post(
        "/api/vlt/analyze",
        files={"file": ("x.png", b"garbage", "image/png")},
        headers=user.headers,
    )
    assert r.status_code == 422
    r = await client.post("/api/vlt/analyze", files={"file": ("d.png", dress(NAVY), "image/png")})
    assert r.status_code == 401


async def test_a_batch_analysis_keeps_records_not_pictures(
    client: httpx.AsyncClient, services: Services
):
    user = await register_user(client, "batch")
    files = [
        ("files", (f"b{i}.png", dress(BURGUNDY, variant=300 + i), "image/png")) for i in range(3)
    ]
    r = await client.post("/api/vlt/analyze/batch", files=files, headers=user.headers, timeout=60)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 60
    while True:
        job = (await client.get(f"/api/vlt/jobs/{job_id}", headers=user.headers)).json()
        if job["status"] == "completed":
            break
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)
    assert job["done"] == 3 and all("burgundy" in i["spec"]["colors"] for i in job["items"])
    assert all(i["record"] for i in job["items"])
    # Not in the portfolio, and the profile is untouched.
    assert (await client.get("/api/portfolio", headers=user.headers)).json()["total"] == 0
    assert (await client.get("/api/style-profile", headers=user.headers)).json()["image_count"] == 0
    other = await register_user(client, "batch-other")
    r = await client.get(f"/api/vlt/jobs/{job_id}", headers=other.headers)
    assert r.status_code == 404


async def test_a_phone_photo_in_heic_is_kept_as_jpeg_without_its_location(
    client: httpx.AsyncClient, services: Services
):
    import io

    import pillow_heif
    from PIL import Image as PILImage

    pillow_heif.register_heif_opener()
    picture = PILImage.open(io.BytesIO(dress(NAVY, variant=11)))
    exif = PILImage.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS: where the photo was taken
    out = io.BytesIO()
    picture.save(out, "HEIF", quality=90, exif=exif.tobytes())
    heic = out.getvalue()
    assert PILImage.open(io.BytesIO(heic)).getexif().get_ifd(0x8825)

    user = await register_user(client, "heic")
    r = await upload(client, user, {"IMG_0001.HEIC": heic}, mime="image/heic")
    assert r.status_code == 202, r.text
    item = r.json()["accepted"][0]
    items = await wait_analysed(client, user, 1)
    assert items[0]["analysis"]["spec"]["colors"][0] == "navy"
    original = await client.get(item["urls"]["original"], headers=user.headers)
    assert original.status_code == 200, original.text
    stored = PILImage.open(io.BytesIO(original.content))
    assert stored.format == "JPEG" and stored.size == picture.size
    assert not stored.getexif() or not stored.getexif().get_ifd(0x8825)


async def test_a_portfolio_image_deleted_in_the_gallery_leaves_the_profile_until_restored(
    client: httpx.AsyncClient,
):
    user = await register_user(client, "gallery-hide")
    r = await upload(
        client,
        user,
        {"navy.png": dress(NAVY, variant=21), "burgundy.png": dress(BURGUNDY, variant=22)},
    )
    assert r.status_code == 202, r.text
    items = await wait_analysed(client, user, 2)
    burgundy = next(i for i in items if i["filename"] == "burgundy.png")
    before = (await client.get("/api/style-profile", headers=user.headers)).json()
    assert before["image_count"] == 2 and share(before, "colors", "burgundy") > 0

    r = await client.delete(f"/api/images/{burgundy['id']}", headers=user.headers)
    assert r.status_code == 200, r.text
    hidden = (await client.get("/api/style-profile", headers=user.headers)).json()
    assert hidden["image_count"] == 1 and share(hidden, "colors", "burgundy") == 0
    history = (await client.get("/api/style-profile/history", headers=user.headers)).json()
    assert history["items"][0]["reason"] == "deleted burgundy.png"

    r = await client.post(f"/api/images/{burgundy['id']}/restore", headers=user.headers)
    assert r.status_code == 200, r.text
    back = (await client.get("/api/style-profile", headers=user.headers)).json()
    assert back["image_count"] == 2
    assert share(back, "colors", "burgundy") == share(before, "colors", "burgundy")
