"""Acceptance 4: every figure of the analytics endpoints equals the same figure counted
directly from the tables with SQL here. Designs are made through the real API (typed
command and spec jobs, a priced local renderer so they cost something), marked through
the gallery's feedback API, and a few rows are placed in other weeks or made by another
provider directly in the database."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import and_, func, select, update

from designer_bff.app import create_app
from designer_bff.billing.models import CostEntry
from designer_bff.collections.models import Collection
from designer_bff.designs.models import Image
from designer_bff.gallery.models import ImageFeedback
from designer_bff.generation.models import GenerationJob
from designer_bff.learning.models import LearningEvent
from designer_bff.nightly.models import NightlyRun, NightlySchedule
from designer_bff.services import Services, build_services
from designer_bff.styles.models import AnalysisJob, StyleProfileVersion
from tests.analytics.helpers import (
    DESIGN,
    attribute_pairs,
    design_count,
    expected_attributes,
    has_value,
    ledger_sum,
    rate,
    scalar,
    usd,
)
from tests.api.test_auth import assert_error
from tests.billing.helpers import charge
from tests.conftest import AuthedUser, Backend, make_settings, register_user, running, say
from tests.gallery.helpers import make_images
from tests.generation.helpers import start_job, wait_for_job

PRICE = "0.25"


@dataclass
class World:
    client: httpx.AsyncClient
    services: Services
    alice: AuthedUser
    bob: AuthedUser
    command_job: str


async def _feedback(client: httpx.AsyncClient, user: AuthedUser, ids: list[Any], kind: str) -> None:
    resp = await client.post(
        "/api/images/feedback",
        headers=user.headers,
        json={"image_ids": [str(i) for i in ids], "type": kind},
    )
    assert resp.status_code == 200, resp.text


async def _job_designs(services: Services, job_id: str) -> list[uuid.UUID]:
    async with services.sessionmaker() as db:
        return list(
            (
                await db.scalars(
                    select(Image.id).where(Image.job_id == uuid.UUID(job_id)).order_by(Image.seq)
                )
            ).all()
        )


@pytest.fixture(scope="module")
async def world(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    folder = tmp_path_factory.mktemp("analytics")
    prices = folder / "prices.yaml"
    prices.write_text(f"providers:\n  local-flats:\n    local-flats-v1: {{generate: {PRICE}}}\n")
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else folder,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + "analytics:",
        prices_file=prices,
        image_size=256,
        speech_provider="none",
    )
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as client:
            yield await _populate(client, services)
    finally:
        await services.close()


async def _populate(client: httpx.AsyncClient, services: Services) -> World:
    alice = await register_user(client, "alice")
    bob = await register_user(client, "bob")
    alice_id = uuid.UUID(alice.id)
    command_job = (await say(client, alice, "make me 3 bohemian floral dresses"))["job_id"]
    blazers = await start_job(
        client,
        alice,
        {"garment_type": "blazer", "styles": ["minimalist"], "colors": ["navy"]},
        quantity=3,
    )
    skirts = await start_job(
        client, bob, {"garment_type": "skirt", "styles": ["gothic"]}, quantity=2
    )
    for user, job_id in ((alice, command_job), (alice, blazers["id"]), (bob, skirts["id"])):
        assert (await wait_for_job(client, user, job_id))["status"] == "completed"
    dresses = await _job_designs(services, command_job)
    blazer_ids = await _job_designs(services, blazers["id"])
    skirt_ids = await _job_designs(services, skirts["id"])
    # Another provider's designs, and images that are no designs for analytics.
    remote = await make_images(
        services,
        alice,
        2,
        spec={"garment_type": "dress", "styles": ["bohemian"], "length": "maxi"},
        provider="replicate",
        cost="0.04",
    )
    await make_images(services, alice, 1, type="portfolio", spec={"garment_type": "dress"})
    await make_images(services, alice, 1, status="failed", spec={"garment_type": "dress"})

    await _feedback(client, alice, [dresses[0], dresses[1], blazer_ids[0], remote[0]], "outlier")
    await _feedback(client, alice, [blazer_ids[1], dresses[2]], "favorite")
    await _feedback(client, bob, [skirt_ids[0]], "outlier")
    # A deleted outlier no longer counts.
    resp = await client.delete(f"/api/images/{dresses[1]}", headers=alice.headers)
    assert resp.status_code == 200, resp.text

    now = datetime.now(UTC)
    async with services.sessionmaker() as db:
        # Two designs (one an outlier) made two weeks earlier.
        await db.execute(
            update(Image)
            .where(Image.id.in_([blazer_ids[0], blazer_ids[2]]))
            .values(created_at=now - timedelta(days=15))
        )
        for version, days, top in (
            (1, 20, [("styles", "bohemian", 0.6), ("colors", "rust", 0.4)]),
            (2, 1, [("styles", "minimalist", 0.7), ("garment_type", "blazer", 1.0)]),
        ):
            db.add(
                StyleProfileVersion(
                    user_id=alice_id,
                    version=version,
                    reason="analysed 2 images",
                    summary="A profile",
                    image_count=2,
                    top=[{"attribute": a, "value": v, "weight": w} for a, v, w in top],
                    created_at=now - timedelta(days=days),
                )
            )
        schedule = NightlySchedule(user_id=alice_id, timezone="UTC")
        night = (now - timedelta(days=1)).date()
        nightly = Collection(
            user_id=alice_id, name=f"Nightly — {night}", name_key=f"nightly — {night}"
        )
        db.add_all([schedule, nightly])
        await db.flush()
        db.add(
            NightlyRun(
                schedule_id=schedule.id,
                user_id=alice_id,
                run_date=night,
                status="done",
                collection_id=nightly.id,
                designs=0,
                started_at=now - timedelta(hours=20),
                finished_at=now - timedelta(hours=19),
            )
        )
        db.add(
            AnalysisJob(
                user_id=alice_id,
                kind="portfolio",
                status="done",
                total=2,
                done=2,
                completed_at=now - timedelta(hours=3),
            )
        )
        await db.commit()
    # Costs in another week and long ago (all-time total only).
    await charge(services, alice, "1.50", at=now - timedelta(days=15))
    await charge(services, alice, "2.00", at=now - timedelta(days=400))
    resp = await client.post(
        "/api/collections",
        headers=alice.headers,
        json={"name": "Summer picks", "image_ids": [str(dresses[0])]},
    )
    assert resp.status_code == 201, resp.text
    return World(client, services, alice, bob, command_job)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week(start: str) -> tuple[datetime, datetime]:
    begin = datetime.combine(date.fromisoformat(start), datetime.min.time(), tzinfo=UTC)
    return begin, begin + timedelta(days=7)


def _assert_weeks(starts: list[str], weeks: int) -> None:
    assert len(starts) == weeks
    days = [date.fromisoformat(s) for s in starts]
    assert days[-1] == _monday(datetime.now(UTC).date())
    assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(days))


async def _get(world: World, user: AuthedUser, path: str) -> Any:
    resp = await world.client.get(path, headers=user.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_dashboard_equals_the_tables(world: World, who: str):
    user = getattr(world, who)
    user_id = uuid.UUID(user.id)
    services = world.services
    body = await _get(world, user, "/api/analytics/dashboard?weeks=5")

    designs = await design_count(services, user_id)
    outliers = await design_count(services, user_id, outliers=True)
    favorites = await scalar(
        services,
        select(func.count())
        .select_from(ImageFeedback)
        .join(Image, Image.id == ImageFeedback.image_id)
        .where(ImageFeedback.user_id == user_id, ImageFeedback.is_favorite.is_(True), DESIGN),
    )
    month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    assert body["totals"] == {
        "designs": designs,
        "outliers": outliers,
        "outlier_rate": rate(outliers, designs),
        "favorites": favorites,
        "cost_usd": await ledger_sum(services, user_id),
        "cost_this_month_usd": await ledger_sum(services, user_id, CostEntry.created_at >= month),
    }
    # The data really spans what the figures claim to tell apart.
    if who == "alice":
        assert (designs, outliers, favorites) == (7, 3, 2)
        # 6 designs x 0.25 through the ledger, 1.50 and 2.00 charged directly.
        assert body["totals"]["cost_usd"] == usd("5.00")

    _assert_weeks([w["week_start"] for w in body["weekly"]], 5)
    for week in body["weekly"]:
        begin, end = _week(week["week_start"])
        made = and_(Image.created_at >= begin, Image.created_at < end)
        designs = await design_count(services, user_id, made)
        outliers = await design_count(services, user_id, made, outliers=True)
        spent = await ledger_sum(
            services, user_id, CostEntry.created_at >= begin, CostEntry.created_at < end
        )
        assert week == {
            "week_start": week["week_start"],
            "designs": designs,
            "outliers": outliers,
            "outlier_rate": rate(outliers, designs),
            "cost_usd": spent,
        }
    if who == "alice":
        # Five designs this week, two moved 15 days back (two or three weeks earlier).
        counts = [w["designs"] for w in body["weekly"]]
        assert counts[-1] == 5 and sorted(counts[:-1])[-1] == 2 and sum(counts) == 7

    styles, top = await expected_attributes(services, user_id)
    assert body["favourite_styles"] == styles
    assert body["top_attributes"] == top
    assert styles and top


async def test_style_evolution_equals_the_tables(world: World):
    services, user_id = world.services, uuid.UUID(world.alice.id)
    body = await _get(world, world.alice, "/api/analytics/style-evolution?weeks=4")
    periods = body["periods"]
    _assert_weeks([p["week_start"] for p in periods], 4)
    profiles = 0
    for period in periods:
        begin, end = _week(period["week_start"])
        made = and_(Image.created_at >= begin, Image.created_at < end)
        outliers = await design_count(services, user_id, made, outliers=True)
        assert period["designs"] == await design_count(services, user_id, made)
        assert period["outliers"] == outliers
        expected: dict[str, list[dict[str, Any]]] = {}
        # Every value any outlier of the week shows.
        async with services.sessionmaker() as db:
            rows = (
                await db.execute(
                    select(Image.garment_type, Image.attribute_tags).where(
                        DESIGN, made, Image.user_id == user_id, Image.is_outlier.is_(True)
                    )
                )
            ).all()
        pairs = sorted({("garment_type", g) for g, _ in rows if g} | _tag_pairs(rows))
        for attribute, value in pairs:
            count = await design_count(
                services, user_id, made, has_value(attribute, value), outliers=True
            )
            expected.setdefault(attribute, []).append(
                {"value": value, "count": count, "share": rate(count, outliers)}
            )
        for values in expected.values():
            values.sort(key=lambda v: (-v["count"], v["value"]))
        assert period["outlier_attributes"] == expected
        version = await scalar(
            services,
            select(StyleProfileVersion)
            .where(StyleProfileVersion.user_id == user_id, StyleProfileVersion.created_at < end)
            .order_by(StyleProfileVersion.created_at.desc())
            .limit(1),
        )
        if version is None:
            assert period["profile"] is None
        else:
            profiles += 1
            shares: dict[str, list[dict[str, Any]]] = {}
            for item in version.top:
                shares.setdefault(item["attribute"], []).append(
                    {"value": item["value"], "share": item["weight"]}
                )
            assert period["profile"] == shares
    assert profiles >= 1 and any(p["outlier_attributes"] for p in periods)
    # The profile changed during the window: evolution, not one picture repeated.
    assert len({str(p["profile"]) for p in periods}) >= 2


def _tag_pairs(rows: list[Any]) -> set[tuple[str, str]]:
    from designer_bff.garments.spec import TAG_FAMILIES

    fields = {tag: name for name, tag in TAG_FAMILIES.items()}
    return {
        (fields[t.partition(":")[0]], t.partition(":")[2]) for _, tags in rows for t in tags or []
    }


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_provider_performance_equals_the_tables(world: World, who: str):
    user = getattr(world, who)
    user_id = uuid.UUID(user.id)
    body = await _get(world, user, "/api/analytics/provider-performance")
    async with world.services.sessionmaker() as db:
        rows = (
            await db.execute(
                select(
                    Image.provider,
                    Image.model,
                    func.count(),
                    func.sum(Image.generation_cost),
                )
                .where(DESIGN, Image.user_id == user_id)
                .group_by(Image.provider, Image.model)
            )
        ).all()
    expected = []
    for provider, model, designs, cost in rows:
        outliers = await design_count(
            world.services,
            user_id,
            Image.provider == provider,
            Image.model == model,
            outliers=True,
        )
        total = float(cost or 0)
        expected.append(
            {
                "provider": provider,
                "model": model,
                "designs": designs,
                "outliers": outliers,
                "outlier_rate": rate(outliers, designs),
                "cost_usd": usd(cost),
                "cost_per_design": usd(round(total / designs, 6)),
                "cost_per_outlier": usd(round(total / outliers, 6)) if outliers else None,
            }
        )
    expected.sort(key=lambda e: (-e["designs"], e["provider"], e["model"]))
    assert body["items"] == expected
    if who == "alice":
        assert [i["provider"] for i in body["items"]] == ["local-flats", "replicate"]
    else:
        assert [i["provider"] for i in body["items"]] == ["local-flats"]


async def test_recent_activity_merges_the_tables_newest_first(world: World):
    services, user_id = world.services, uuid.UUID(world.alice.id)
    body = await _get(world, world.alice, "/api/analytics/recent-activity?limit=100")
    items = body["items"]
    async with services.sessionmaker() as db:
        jobs = (
            await db.scalars(select(GenerationJob.id).where(GenerationJob.user_id == user_id))
        ).all()
        events = (
            await db.scalars(
                select(LearningEvent.image_id).where(
                    LearningEvent.user_id == user_id,
                    LearningEvent.kind.in_(("outlier", "favorite")),
                    LearningEvent.value > 0,
                )
            )
        ).all()
        collections = (
            await db.scalars(select(Collection.id).where(Collection.user_id == user_id))
        ).all()
        runs = (await db.scalars(select(NightlyRun).where(NightlyRun.user_id == user_id))).all()
        analyses = (
            await db.scalars(select(AnalysisJob.id).where(AnalysisJob.user_id == user_id))
        ).all()
    expected = sorted(
        [("generation", "job_id", str(i)) for i in jobs]
        + [("feedback", "image_id", str(i)) for i in events]
        + [("collection", "collection_id", str(i)) for i in collections]
        + [("analysis", "job_id", str(i)) for i in analyses]
        + [("nightly", "collection_id", str(r.collection_id)) for r in runs]
    )
    got = sorted((i["type"], *next(iter(i["ref"].items()))) for i in items)
    assert got == expected
    assert len(events) == 6 and len(jobs) == 2
    stamps = [datetime.fromisoformat(i["at"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    texts = {i["text"] for i in items}
    assert "3 designs from “make me 3 bohemian floral dresses”" in texts
    assert "Created the collection “Summer picks”" in texts
    assert "Analysed 2 of 2 portfolio images" in texts
    command = next(i for i in items if i["ref"].get("job_id") == world.command_job)
    assert command["type"] == "generation"

    # A limit keeps the newest.
    first = (await _get(world, world.alice, "/api/analytics/recent-activity?limit=3"))["items"]
    assert [i["at"] for i in first] == [i["at"] for i in items[:3]]


async def test_another_designers_activity_never_appears(world: World):
    bob_id = uuid.UUID(world.bob.id)
    async with world.services.sessionmaker() as db:
        bob_images = {
            str(i) for i in (await db.scalars(select(Image.id).where(Image.user_id == bob_id)))
        }
        bob_jobs = {
            str(i)
            for i in (
                await db.scalars(select(GenerationJob.id).where(GenerationJob.user_id == bob_id))
            )
        }
    items = (await _get(world, world.alice, "/api/analytics/recent-activity?limit=100"))["items"]
    refs = {v for i in items for v in i["ref"].values()}
    assert bob_images and bob_jobs and not refs & (bob_images | bob_jobs)
    bob = await _get(world, world.bob, "/api/analytics/recent-activity?limit=100")
    assert {i["type"] for i in bob["items"]} == {"generation", "feedback"}
    assert {v for i in bob["items"] for v in i["ref"].values()} <= bob_images | bob_jobs
    # Bob's styles are his alone.
    dash = await _get(world, world.bob, "/api/analytics/dashboard")
    bob_styles = {v for a, v in await attribute_pairs(world.services, bob_id) if a == "styles"}
    assert bob_styles and {s["value"] for s in dash["favourite_styles"]} == bob_styles
    assert not bob_styles & {"bohemian", "minimalist"}
    assert len(dash["weekly"]) == 12


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/dashboard?weeks=0",
        "/api/analytics/dashboard?weeks=105",
        "/api/analytics/dashboard?weeks=many",
        "/api/analytics/style-evolution?weeks=-1",
        "/api/analytics/style-evolution?weeks=200",
        "/api/analytics/recent-activity?limit=0",
        "/api/analytics/recent-activity?limit=101",
    ],
)
async def test_out_of_range_inputs_are_refused(
    client: httpx.AsyncClient, user: AuthedUser, path: str
):
    resp = await client.get(path, headers=user.headers)
    assert_error(resp, 422, "validation_error")


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/dashboard",
        "/api/analytics/style-evolution",
        "/api/analytics/provider-performance",
        "/api/analytics/recent-activity",
    ],
)
async def test_analytics_needs_a_token(client: httpx.AsyncClient, path: str):
    assert_error(await client.get(path), 401, "not_authenticated")


async def test_a_new_designer_sees_zeros(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.get("/api/analytics/dashboard?weeks=3", headers=user.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["totals"] == {
        "designs": 0,
        "outliers": 0,
        "outlier_rate": 0.0,
        "favorites": 0,
        "cost_usd": "0.000000",
        "cost_this_month_usd": "0.000000",
    }
    assert [w["designs"] for w in body["weekly"]] == [0, 0, 0]
    assert body["favourite_styles"] == [] and body["top_attributes"] == []
    evolution = (
        await client.get("/api/analytics/style-evolution?weeks=2", headers=user.headers)
    ).json()
    assert [p["profile"] for p in evolution["periods"]] == [None, None]
    for path in ("provider-performance", "recent-activity"):
        resp = await client.get(f"/api/analytics/{path}", headers=user.headers)
        assert resp.json() == {"items": []}
