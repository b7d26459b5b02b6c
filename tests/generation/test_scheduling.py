"""Fairness between users, retries of transient provider errors, permanent failures,
lease expiry — through the real engine, queue and database of each backend."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from designer_bff.app import create_app
from designer_bff.billing.pricing import PriceTable
from designer_bff.db.base import utcnow
from designer_bff.designs.models import Image
from designer_bff.generation.providers import (
    DesignRequest,
    GeneratedDesign,
    PermanentProviderError,
    TransientProviderError,
)
from designer_bff.generation.providers.local_flats import LocalFlatsProvider
from designer_bff.services import Services, build_services
from tests.conftest import Backend, make_settings, register_user, running
from tests.generation.helpers import start_job, wait_for_job


class FlakyFlats(LocalFlatsProvider):
    """Fault injection: every design fails transiently on its first try, then works."""

    name = "flaky-flats"

    def __init__(self, prices: PriceTable) -> None:
        super().__init__(prices)
        self.calls: dict[int, int] = {}

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        self.calls[request.seed] = self.calls.get(request.seed, 0) + 1
        if self.calls[request.seed] == 1:
            raise TransientProviderError("upstream busy (injected)", retry_after=0.01)
        return await super().generate(request)


class RefusingFlats(LocalFlatsProvider):
    """Fault injection: the provider rejects every request."""

    name = "refusing-flats"

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        raise PermanentProviderError("content policy rejected the prompt (injected)")


@pytest.fixture
async def tuned(backend: Backend, tmp_path) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """An app on this backend's database with fault-injecting providers and one design at
    a time per provider, so scheduling order is observable."""
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + "tuned:",
        provider_concurrency={"local-flats": 1, "flaky-flats": 1, "refusing-flats": 1},
        generation_retry_base_s=0.01,
        image_size=256,
        speech_provider="none",
    )
    services = build_services(settings)
    services.providers["flaky-flats"] = FlakyFlats(services.prices)
    services.providers["refusing-flats"] = RefusingFlats(services.prices)
    try:
        async with running(create_app(services=services)) as client:
            yield client, services
    finally:
        await services.close()


async def test_a_small_job_is_not_starved_by_a_big_one(tuned):
    client, services = tuned
    alice, bob = await register_user(client, "alice"), await register_user(client, "bob")
    big = await start_job(client, alice, {"garment_type": "dress"}, quantity=40)
    small = await start_job(client, bob, {"garment_type": "skirt"}, quantity=5)
    await wait_for_job(client, bob, small["id"])
    async with services.sessionmaker() as db:
        order = (
            (
                await db.execute(
                    select(Image.job_id)
                    .where(
                        Image.claimed_at.is_not(None),
                        Image.job_id.in_([uuid.UUID(big["id"]), uuid.UUID(small["id"])]),
                    )
                    .order_by(Image.claimed_at, Image.id)
                )
            )
            .scalars()
            .all()
        )
    positions = [i for i, job_id in enumerate(order) if str(job_id) == small["id"]]
    # Round robin: Bob's five designs are claimed among the first dozen, not after Alice's 40.
    assert len(positions) == 5
    assert positions[-1] <= 11, positions
    await client.post(f"/api/generations/{big['id']}/cancel", headers=alice.headers)


async def test_transient_errors_are_retried(tuned):
    client, services = tuned
    user = await register_user(client, "retry")
    job = await start_job(client, user, {"garment_type": "top"}, quantity=3, provider="flaky-flats")
    done = await wait_for_job(client, user, job["id"])
    assert done["status"] == "completed"
    assert done["progress"] == {"done": 3, "failed": 0, "total": 3}
    flaky = services.providers["flaky-flats"]
    assert isinstance(flaky, FlakyFlats)
    assert sorted(flaky.calls.values()) == [2, 2, 2]


async def test_permanent_errors_fail_the_design_and_the_job(tuned):
    client, _ = tuned
    user = await register_user(client, "refused")
    job = await start_job(
        client, user, {"garment_type": "coat"}, quantity=2, provider="refusing-flats"
    )
    done = await wait_for_job(client, user, job["id"])
    assert done["status"] == "failed"
    assert done["progress"] == {"done": 0, "failed": 2, "total": 2}
    assert done["error"]["code"] == "all_designs_failed"
    assert "content policy" in done["error"]["message"]
    assert all(i["status"] == "failed" and "content policy" in i["error"] for i in done["images"])


async def test_expired_lease_goes_back_to_pending_and_completes(tuned):
    client, services = tuned
    user = await register_user(client, "lease")
    # A design claimed by a worker that died: its lease has run out.
    job = await start_job(
        client, user, {"garment_type": "vest"}, quantity=1, provider="local-flats", priority=1
    )
    await services.queue.wait_idle()
    await wait_for_job(client, user, job["id"])
    async with services.sessionmaker() as db:
        image = (
            await db.execute(select(Image).where(Image.job_id == uuid.UUID(job["id"])))
        ).scalar_one()
    assert image.status == "ready"

    second = await start_job(
        client, user, {"garment_type": "vest"}, quantity=2, provider="refusing-flats"
    )
    await wait_for_job(client, user, second["id"])
    async with services.sessionmaker() as db:
        # Simulate a crashed worker on one design of a fresh job.
        await db.execute(
            update(Image)
            .where(Image.job_id == uuid.UUID(second["id"]))
            .values(
                status="claimed",
                claimed_by="dead-worker:1",
                attempts=1,
                lease_expires_at=utcnow() - timedelta(seconds=1),
            )
        )
        from designer_bff.generation.models import GenerationJob

        await db.execute(
            update(GenerationJob)
            .where(GenerationJob.id == uuid.UUID(second["id"]))
            .values(status="running", finished_at=None, error_code=None)
        )
        await db.commit()
    swept = await services.generator.sweep()
    assert swept["released"] == 2
    done = await wait_for_job(client, user, second["id"])
    # Re-run by a live worker (this provider refuses, so they end failed — but not lost).
    assert done["progress"]["failed"] == 2 and done["status"] == "failed"


async def test_cancel_stops_pending_designs(tuned):
    client, _ = tuned
    user = await register_user(client, "cancel")
    job = await start_job(client, user, {"garment_type": "jacket"}, quantity=30)
    await wait_for_job(client, user, job["id"], until=("running",))
    await asyncio.sleep(0.2)
    resp = await client.post(f"/api/generations/{job['id']}/cancel", headers=user.headers)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "cancelled"
    made_at_cancel = sum(1 for i in body["images"] if i["status"] == "ready")
    await asyncio.sleep(1.0)
    after = (await client.get(f"/api/generations/{job['id']}", headers=user.headers)).json()
    ready = [i for i in after["images"] if i["status"] == "ready"]
    assert len(ready) == made_at_cancel  # nothing more was made after the cancel
    assert made_at_cancel < 30
    assert all(i["status"] in ("ready", "cancelled") for i in after["images"])
    for image in ready:  # designs already made stay
        assert (await client.get(image["urls"]["thumb"], headers=user.headers)).status_code == 200
    again = await client.post(f"/api/generations/{job['id']}/cancel", headers=user.headers)
    assert again.json()["status"] == "cancelled"
