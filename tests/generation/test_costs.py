"""Costs through the real pipeline: each design made is charged once in the ledger, its
cost is on the design and the job, a job the budget cannot pay for is refused (402)
before it runs, and a running job stops at the budget.

The local renderer costs nothing by default; here a PRICES_FILE prices it (as a
deployment would price any provider), so the real renderer, engine and ledger run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from designer_bff.app import create_app
from designer_bff.billing.models import CostEntry
from designer_bff.designs.models import Image
from designer_bff.services import Services, build_services
from tests.billing.helpers import priced_app, set_budget
from tests.conftest import AuthedUser, Backend, make_settings, register_user, running
from tests.generation.helpers import start_job, wait_for_job

PRICE = Decimal("0.25")


@pytest.fixture
async def priced(
    backend: Backend, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    # One design at a time: the budget check before each design is then exact.
    async with priced_app(
        backend, tmp_path, PRICE, prefix="priced:", provider_concurrency={"local-flats": 1}
    ) as pair:
        yield pair


async def _ledger(services: Services, user: AuthedUser) -> tuple[int, Decimal]:
    async with services.sessionmaker() as db:
        row = (
            await db.execute(
                select(func.count(), func.coalesce(func.sum(CostEntry.amount_usd), 0)).where(
                    CostEntry.user_id == uuid.UUID(user.id)
                )
            )
        ).one()
    return int(row[0]), Decimal(str(row[1]))


async def test_each_design_is_charged_once_and_the_ledger_matches_the_designs(priced):
    client, services = priced
    user = await register_user(client, "costs")
    job = await start_job(
        client, user, {"garment_type": "blazer", "styles": ["minimalist"]}, quantity=4
    )
    done = await wait_for_job(client, user, job["id"])
    assert done["status"] == "completed", done
    assert done["cost_usd"] == "1.000000"
    calls, total = await _ledger(services, user)
    assert (calls, total) == (4, Decimal("1.000000"))
    async with services.sessionmaker() as db:
        designs = (
            await db.scalars(select(Image).where(Image.job_id == uuid.UUID(job["id"])))
        ).all()
        entries = (
            await db.scalars(select(CostEntry).where(CostEntry.job_id == uuid.UUID(job["id"])))
        ).all()
    assert sum(d.generation_cost for d in designs) == total
    assert {e.image_id for e in entries} == {d.id for d in designs}
    assert all(e.operation == "generate" and e.provider == "local-flats" for e in entries)
    assert all(e.unit_price_usd == PRICE and e.amount_usd == PRICE for e in entries)
    # The gallery shows each design's cost.
    page = (await client.get("/api/images", headers=user.headers)).json()
    assert {i["cost_usd"] for i in page["items"]} == {"0.250000"}


async def test_a_job_over_the_budget_is_refused_before_it_runs(priced):
    client, services = priced
    user = await register_user(client, "budget")
    await set_budget(services, user, "0.60")
    body = {"spec": {"garment_type": "dress"}, "quantity": 3}
    estimate = await client.post("/api/generations/estimate", headers=user.headers, json=body)
    assert estimate.status_code == 200, estimate.text
    assert estimate.json() | {"chosen_by": None} == {
        "provider": "local-flats",
        "model": "local-flats-v1",
        "chosen_by": None,
        "fallback": [],
        "options": {},
        "quantity": 3,
        "unit_price_usd": "0.250000",
        "total_usd": "0.750000",
        "remaining_usd": "0.600000",
        "within_budget": False,
    }
    refused = await client.post("/api/generations", headers=user.headers, json=body)
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert error["details"] == {"estimate_usd": "0.750000", "remaining_usd": "0.600000"}
    assert "$0.75" in error["message"] and "$0.60" in error["message"]
    async with services.sessionmaker() as db:  # nothing was queued
        assert (
            await db.scalar(
                select(func.count()).select_from(Image).where(Image.user_id == uuid.UUID(user.id))
            )
            == 0
        )

    job = await start_job(client, user, {"garment_type": "dress"}, quantity=2)
    assert (await wait_for_job(client, user, job["id"]))["status"] == "completed"
    left = await client.post(
        "/api/generations/estimate",
        headers=user.headers,
        json={"spec": {"garment_type": "dress"}, "quantity": 1},
    )
    assert left.json()["remaining_usd"] == "0.100000"
    assert left.json()["within_budget"] is False


async def test_a_running_job_stops_when_the_budget_is_reached(priced):
    client, services = priced
    user = await register_user(client, "stops")
    await set_budget(services, user, "0.60")
    # Each fits what is left when it is asked for; together they do not.
    first = await start_job(client, user, {"garment_type": "skirt"}, quantity=2)
    second = await start_job(client, user, {"garment_type": "skirt"}, quantity=2)
    jobs = [await wait_for_job(client, user, j["id"]) for j in (first, second)]
    made = sum(j["progress"]["done"] for j in jobs)
    assert made == 2
    stopped = [j for j in jobs if j["status"] == "cancelled"]
    assert len(stopped) == 1 and stopped[0]["error"]["code"] == "budget_exceeded"
    assert "monthly budget is reached" in stopped[0]["error"]["message"]
    calls, total = await _ledger(services, user)
    assert (calls, total) == (2, Decimal("0.500000"))
    async with services.sessionmaker() as db:
        statuses = sorted(
            (
                await db.scalars(select(Image.status).where(Image.user_id == uuid.UUID(user.id)))
            ).all()
        )
    assert statuses == ["cancelled", "cancelled", "ready", "ready"]


async def test_a_free_provider_is_never_limited_or_charged(backend: Backend, tmp_path: Path):
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + "free:",
        image_size=256,
        speech_provider="none",
    )
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as client:
            user = await register_user(client, "free")
            await set_budget(services, user, "0")
            job = await start_job(client, user, {"garment_type": "dress"}, quantity=2)
            assert (await wait_for_job(client, user, job["id"]))["status"] == "completed"
            assert await _ledger(services, user) == (0, Decimal(0))
    finally:
        await services.close()
