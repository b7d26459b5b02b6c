"""The service with VLT_API_URL set, against a real local server speaking the Visual
Descriptor API: portfolio analyses come from it (records kept whole, mapped onto the
spec, each paid call in the ledger, the same bytes never paid twice); when it goes down,
health says so, a one-image analysis fails clearly and a new upload's analysis fails
without half-written rows."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from designer_bff.app import create_app
from designer_bff.billing.models import CostEntry
from designer_bff.db import migrate
from designer_bff.designs.models import Image
from designer_bff.services import build_services
from designer_bff.styles.models import VltSpecification
from tests.conftest import AuthedUser, make_settings, register_user, running
from tests.vlt.fake_vlt_server import fake_vlt, solid_png, striped_png

NAVY = (28, 40, 82)
CRIMSON = (190, 24, 40)


async def wait_analyses(
    client: httpx.AsyncClient, user: AuthedUser, count: int, within: float = 60.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        items = (await client.get("/api/portfolio", headers=user.headers)).json()["items"]
        if len(items) >= count and all(
            i["analysis"]["status"] in ("done", "failed") for i in items
        ):
            return items
        assert time.monotonic() < deadline, items
        await asyncio.sleep(0.1)


async def test_portfolio_analysis_through_the_remote_vlt(tmp_path: Path) -> None:
    with fake_vlt() as server:
        settings = make_settings(
            tmp_path,
            vlt_api_url=server.base_url,
            vlt_api_key=server.api_key,
            vlt_timeout_s=5,
            analysis_max_attempts=1,
        )
        await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
        services = build_services(settings)
        try:
            async with running(create_app(services=services)) as client:
                health = (await client.get("/api/vlt/health")).json()
                assert health["status"] == "healthy" and health["endpoint"] == server.base_url
                assert health["analyzer"] == "vlt-api"

                user = await register_user(client, "remote-vlt")
                navy = solid_png(NAVY, (60, 90))
                files = [
                    ("files", ("navy.png", navy, "image/png")),
                    ("files", ("stripes.png", striped_png(CRIMSON, (246, 242, 232)), "image/png")),
                ]
                r = await client.post("/api/portfolio", files=files, headers=user.headers)
                assert r.status_code == 202, r.text
                items = await wait_analyses(client, user, 2)
                by_name = {i["filename"]: i["analysis"] for i in items}
                assert all(a["status"] == "done" for a in by_name.values()), by_name
                assert by_name["navy.png"]["provider"] == "vlt-api"
                assert by_name["navy.png"]["model"] == "gemini"
                assert by_name["navy.png"]["spec"]["colors"][0] == "navy"
                assert by_name["navy.png"]["spec"]["garment_type"] == "dress"
                assert "striped" in by_name["stripes.png"]["spec"]["patterns"]
                assert server.calls["gemini"] == 2

                async with services.sessionmaker() as db:
                    rows = (
                        await db.scalars(
                            select(VltSpecification).where(
                                VltSpecification.user_id == uuid.UUID(user.id)
                            )
                        )
                    ).all()
                    charges = (
                        await db.scalars(
                            select(CostEntry).where(CostEntry.user_id == uuid.UUID(user.id))
                        )
                    ).all()
                # The record is kept whole, in the API's own words.
                navy_row = next(r for r in rows if r.filename == "navy.png")
                assert navy_row.record is not None
                assert navy_row.record["colors"]["primary"] == "Navy Blue"
                assert navy_row.record["construction"]["closure"] == "Invisible back zipper"
                assert sorted((c.provider, c.model, c.operation) for c in charges) == [
                    ("vlt", "gemini", "analyze"),
                    ("vlt", "gemini", "analyze"),
                ]

                # The same bytes again, analysed alone: from the cache, not paid again.
                r = await client.post(
                    "/api/vlt/analyze",
                    files={"file": ("again.png", navy, "image/png")},
                    headers=user.headers,
                )
                assert r.status_code == 200, r.text
                assert r.json()["cached"] is True and server.calls["gemini"] == 2

                # The server goes down.
                server.stop()
                health = (await client.get("/api/vlt/health")).json()
                assert health["status"] == "unhealthy" and health["detail"]
                r = await client.post(
                    "/api/vlt/analyze",
                    files={"file": ("new.png", solid_png(CRIMSON, (61, 90)), "image/png")},
                    headers=user.headers,
                    timeout=60,
                )
                assert r.status_code == 502, r.text
                assert r.json()["error"]["code"] == "vlt_unavailable"

                r = await client.post(
                    "/api/portfolio",
                    files=[("files", ("late.png", solid_png(CRIMSON, (62, 90)), "image/png"))],
                    headers=user.headers,
                )
                assert r.status_code == 202, r.text
                late_id = r.json()["accepted"][0]["id"]
                items = await wait_analyses(client, user, 3)
                late = next(i for i in items if i["id"] == late_id)["analysis"]
                assert late["status"] == "failed"
                assert late["error"]["code"] == "vlt_unavailable" and late["spec"] is None
                async with services.sessionmaker() as db:
                    row = await db.scalar(
                        select(VltSpecification).where(
                            VltSpecification.image_id == uuid.UUID(late_id)
                        )
                    )
                    image = await db.get(Image, uuid.UUID(late_id))
                    charged = (
                        await db.scalars(
                            select(CostEntry).where(CostEntry.user_id == uuid.UUID(user.id))
                        )
                    ).all()
                assert row is not None and row.record is None and row.spec is None
                assert image is not None and image.spec == {} and image.garment_type is None
                assert len(charged) == 2  # a failed call is never charged
                profile = (await client.get("/api/style-profile", headers=user.headers)).json()
                assert profile["image_count"] == 2 and profile["pending"] == 0
        finally:
            await services.close()
