"""A nightly batch stops at its max_cost and at the monthly budget: the quantity is cut
to what they pay for, and a night not even one design fits is recorded as skipped. A
PRICES_FILE prices the local renderer, so the real estimate, engine and ledger run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from designer_bff.generation.models import GenerationJob
from designer_bff.services import Services
from tests.billing.helpers import priced_app, set_budget
from tests.conftest import Backend, register_user
from tests.generation.helpers import wait_for_job
from tests.nightly.helpers import (
    clock_of,
    disable_all_schedules,
    put_nightly,
    recording,
    runs_of,
    utc,
)

PRICE = Decimal("0.25")


@pytest.fixture
async def priced(
    backend: Backend, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    async with priced_app(backend, tmp_path, PRICE, prefix="nightly-priced:") as pair:
        services = pair[1]
        await disable_all_schedules(services)
        try:
            yield pair
        finally:
            await disable_all_schedules(services)


async def _job_quantity(services: Services, job_id: uuid.UUID | None) -> int:
    assert job_id is not None
    async with services.sessionmaker() as db:
        job = await db.get(GenerationJob, job_id)
    assert job is not None
    return job.quantity


async def test_max_cost_cuts_the_quantity_and_the_run_records_the_cost(priced):
    client, services = priced
    user = await register_user(client, "night-cost")
    with clock_of(services.nightly, utc(2026, 1, 1, 12)):
        await put_nightly(client, user, timezone="UTC", quantity=5, max_cost="0.60")
    await services.nightly.run_due(utc(2026, 1, 2, 2))
    (run,) = await runs_of(services, user)
    # 0.60 pays for 2 designs at 0.25.
    assert await _job_quantity(services, run.job_id) == 2
    await wait_for_job(client, user, str(run.job_id))
    async with recording(services) as events:
        assert run.id in await services.nightly.finish_runs(utc(2026, 1, 2, 2, 5))
    (run,) = await runs_of(services, user)
    assert run.status == "completed" and run.designs == 2
    assert run.cost_usd == Decimal("0.50")
    (ready,) = events.of(user, "nightly.ready")
    assert ready["cost_usd"] == "0.500000"


async def test_the_monthly_budget_cuts_the_quantity(priced):
    client, services = priced
    user = await register_user(client, "night-budget")
    await set_budget(services, user, "0.30")
    with clock_of(services.nightly, utc(2026, 1, 1, 12)):
        await put_nightly(client, user, timezone="UTC", quantity=5)
    await services.nightly.run_due(utc(2026, 1, 2, 2))
    (run,) = await runs_of(services, user)
    assert run.status == "running"
    assert await _job_quantity(services, run.job_id) == 1
    await wait_for_job(client, user, str(run.job_id))


@pytest.mark.parametrize(
    ("max_cost", "budget", "words"),
    [
        ("0.10", None, "nightly limit of $0.10"),
        (None, "0.20", "$0.20 is left of your monthly budget"),
    ],
)
async def test_a_night_not_one_design_fits_is_skipped(
    priced, max_cost: str | None, budget: str | None, words: str
):
    client, services = priced
    user = await register_user(client, "night-skip")
    await set_budget(services, user, budget)
    with clock_of(services.nightly, utc(2026, 1, 1, 12)):
        await put_nightly(client, user, timezone="UTC", quantity=5, max_cost=max_cost)
    async with recording(services) as events:
        await services.nightly.run_due(utc(2026, 1, 2, 2))
    (run,) = await runs_of(services, user)
    assert run.status == "skipped" and run.job_id is None and run.designs == 0
    assert run.error_message is not None and words in run.error_message
    assert "one design on local-flats costs $0.25" in run.error_message
    (ready,) = events.of(user, "nightly.ready")
    assert ready["status"] == "skipped"
    # The night is over for this schedule: no retry every round.
    assert await services.nightly.run_due(utc(2026, 1, 2, 3)) == []
    listed = (await client.get("/api/nightly/runs", headers=user.headers)).json()["items"]
    assert listed[0]["status"] == "skipped" and listed[0]["error_message"] == run.error_message
