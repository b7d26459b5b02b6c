"""Nightly batches through the real scheduler, generation pipeline and API, with a
controllable clock: a batch runs at the designer's local time and not before, exactly once
with two schedulers, its designs land in "Nightly — YYYY-MM-DD" with a `nightly.ready`
event; after downtime one catch-up run; daylight-saving nights neither skip nor double."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from designer_bff.collections.models import Collection
from designer_bff.db.session import create_engine, create_sessionmaker
from designer_bff.generation.models import GenerationJob, JobSource
from designer_bff.nightly.service import NightlyService
from designer_bff.services import Services
from tests.conftest import AuthedUser, register_user, say
from tests.generation.helpers import wait_for_job
from tests.nightly.helpers import (
    collection_images,
    disable_all_schedules,
    get_nightly,
    put_nightly,
    recording,
    runs_of,
    utc,
)


@pytest.fixture
async def nightly(services: Services) -> AsyncIterator[NightlyService]:
    """The app's scheduler, alone among enabled schedules, with its clock restored after."""
    await disable_all_schedules(services)
    original = services.nightly.clock
    try:
        yield services.nightly
    finally:
        services.nightly.clock = original
        await disable_all_schedules(services)


def at(service: NightlyService, when: datetime) -> None:
    service.clock = lambda: when


async def test_runs_at_the_designers_local_time_and_lands_in_a_collection(
    client: httpx.AsyncClient, user: AuthedUser, services: Services, nightly: NightlyService
):
    at(nightly, utc(2026, 1, 14, 12))
    body = await put_nightly(client, user, timezone="Europe/Paris", local_time="02:00", quantity=2)
    assert body["configured"] and body["enabled"]
    # 02:00 in Paris in winter is 01:00 UTC.
    assert body["next_run_at"].startswith("2026-01-15T01:00:00")
    assert body["next_run_local"] == "2026-01-15T02:00:00+01:00"
    assert body["last_run"] is None

    assert await nightly.run_due(utc(2026, 1, 15, 0, 59, 59)) == []
    assert await runs_of(services, user) == []

    async with recording(services) as events:
        started = await nightly.run_due(utc(2026, 1, 15, 1, 0))
        assert len(started) == 1
        (run,) = await runs_of(services, user)
        assert run.run_date == date(2026, 1, 15) and run.status == "running"
        assert run.scheduled_for == utc(2026, 1, 15, 1, 0)
        assert run.job_id is not None
        async with services.sessionmaker() as db:
            job = await db.get(GenerationJob, run.job_id)
        assert job is not None and job.source == JobSource.NIGHTLY and job.quantity == 2
        assert job.nightly_run_id == run.id
        await wait_for_job(client, user, str(run.job_id))
        # (The scheduler serves everyone: other tests' runs may finish in the same round.)
        assert run.id in await nightly.finish_runs(utc(2026, 1, 15, 1, 5))
        # A second round finds nothing more to do.
        assert run.id not in await nightly.finish_runs(utc(2026, 1, 15, 1, 6))
        assert await nightly.run_due(utc(2026, 1, 15, 1, 6)) == []

    (run,) = await runs_of(services, user)
    assert run.status == "completed" and run.designs == 2
    assert run.finished_at == utc(2026, 1, 15, 1, 5)
    async with services.sessionmaker() as db:
        collection = await db.get(Collection, run.collection_id)
    assert collection is not None and collection.name == "Nightly — 2026-01-15"
    assert len(await collection_images(services, collection.id)) == 2

    ready = events.of(user, "nightly.ready")
    assert len(ready) == 1
    assert ready[0]["id"] == str(run.id) and ready[0]["status"] == "completed"
    assert ready[0]["designs"] == 2 and ready[0]["collection_name"] == "Nightly — 2026-01-15"

    at(nightly, utc(2026, 1, 15, 8))
    body = await get_nightly(client, user)
    assert body["last_run"]["id"] == str(run.id)
    assert body["next_run_local"] == "2026-01-16T02:00:00+01:00"
    listed = (await client.get("/api/nightly/runs", headers=user.headers)).json()["items"]
    assert [r["id"] for r in listed] == [str(run.id)]
    assert listed[0]["collection_id"] == str(collection.id)
    assert listed[0]["cost_usd"] == "0.000000"  # the local renderer is free


async def test_exactly_once_with_two_schedulers(
    client: httpx.AsyncClient, user: AuthedUser, services: Services, nightly: NightlyService
):
    at(nightly, utc(2026, 2, 1, 12))
    await put_nightly(client, user, timezone="UTC", local_time="03:00", quantity=1)
    # A second scheduler process: its own engine over the same database.
    engine = create_engine(services.settings.sqlalchemy_url)
    other = NightlyService(
        services.settings,
        create_sessionmaker(engine),
        services.generation,
        services.collections,
        services.events,
    )
    try:
        async with recording(services) as events:
            now = utc(2026, 2, 2, 3, 0, 30)
            first, second = await asyncio.gather(nightly.run_due(now), other.run_due(now))
            assert len(first) + len(second) == 1
            (run,) = await runs_of(services, user)
            assert run.job_id is not None
            await wait_for_job(client, user, str(run.job_id))
            done = await asyncio.gather(
                nightly.finish_runs(utc(2026, 2, 2, 3, 5)), other.finish_runs(utc(2026, 2, 2, 3, 5))
            )
            assert [i for d in done for i in d].count(run.id) == 1
            # Both again, later that night: nothing more.
            again = await asyncio.gather(
                nightly.run_due(utc(2026, 2, 2, 4)), other.run_due(utc(2026, 2, 2, 4))
            )
            assert again == [[], []]
        assert len(await runs_of(services, user)) == 1
        assert len(events.of(user, "nightly.ready")) == 1
        async with services.sessionmaker() as db:
            jobs = (
                await db.scalars(
                    select(GenerationJob).where(
                        GenerationJob.user_id == uuid.UUID(user.id),
                        GenerationJob.source == JobSource.NIGHTLY,
                    )
                )
            ).all()
        assert len(jobs) == 1
    finally:
        await engine.dispose()


async def test_catch_up_after_downtime_is_one_run(
    client: httpx.AsyncClient, user: AuthedUser, services: Services, nightly: NightlyService
):
    at(nightly, utc(2026, 1, 10, 12))
    await put_nightly(client, user, timezone="Europe/Paris", local_time="02:00", quantity=1)
    # Down from the 10th to the 13th at noon: the nights of the 11th, 12th, 13th missed.
    now = utc(2026, 1, 13, 12)
    assert len(await nightly.run_due(now)) == 1
    assert await nightly.run_due(now + timedelta(minutes=1)) == []
    assert await nightly.run_due(utc(2026, 1, 14, 0, 59)) == []
    (run,) = await runs_of(services, user)
    assert run.run_date == date(2026, 1, 13)
    assert run.scheduled_for == utc(2026, 1, 13, 1)
    at(nightly, now)
    assert (await get_nightly(client, user))["next_run_local"] == "2026-01-14T02:00:00+01:00"
    # The next night runs as usual.
    assert len(await nightly.run_due(utc(2026, 1, 14, 1))) == 1
    assert [r.run_date for r in await runs_of(services, user)] == [
        date(2026, 1, 13),
        date(2026, 1, 14),
    ]
    await wait_for_job(client, user, str((await runs_of(services, user))[-1].job_id))


async def _tick_through(
    nightly: NightlyService, start: datetime, end: datetime, step: timedelta
) -> list[datetime]:
    """run_due at every step from start to end; the instants that started a run."""
    starts = []
    now = start
    while now <= end:
        if await nightly.run_due(now):
            starts.append(now)
        now += step
    return starts


async def _wait_all(client: httpx.AsyncClient, user: AuthedUser, services: Services) -> None:
    for run in await runs_of(services, user):
        if run.job_id is not None:
            await wait_for_job(client, user, str(run.job_id))


async def test_spring_forward_neither_skips_nor_doubles(
    client: httpx.AsyncClient, user: AuthedUser, services: Services, nightly: NightlyService
):
    at(nightly, utc(2026, 3, 6, 12))
    await put_nightly(client, user, timezone="America/New_York", local_time="02:30", quantity=1)
    starts = await _tick_through(
        nightly, utc(2026, 3, 6, 12), utc(2026, 3, 9, 12), timedelta(minutes=10)
    )
    runs = await runs_of(services, user)
    assert [r.run_date for r in runs] == [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]
    # 02:30 EST; on the 8th 02:30 does not exist: 03:00 EDT, the end of the gap; 02:30 EDT.
    assert [r.scheduled_for for r in runs] == [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 8, 7, 0),
        utc(2026, 3, 9, 6, 30),
    ]
    assert starts == [r.scheduled_for for r in runs]
    await _wait_all(client, user, services)


async def test_fall_back_neither_skips_nor_doubles(
    client: httpx.AsyncClient, user: AuthedUser, services: Services, nightly: NightlyService
):
    at(nightly, utc(2026, 10, 31, 12))
    await put_nightly(client, user, timezone="America/New_York", local_time="01:30", quantity=1)
    starts = await _tick_through(
        nightly, utc(2026, 10, 31, 12), utc(2026, 11, 2, 12), timedelta(minutes=5)
    )
    runs = await runs_of(services, user)
    assert [r.run_date for r in runs] == [date(2026, 11, 1), date(2026, 11, 2)]
    # The first 01:30 (EDT); the second 01:30 that night (EST, 06:30 UTC) does not run.
    assert starts == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    await _wait_all(client, user, services)


async def test_a_schedule_set_after_tonights_time_waits_for_tomorrow(
    client: httpx.AsyncClient, user: AuthedUser, services: Services, nightly: NightlyService
):
    at(nightly, utc(2026, 4, 1, 15))
    body = await put_nightly(client, user, timezone="UTC", local_time="02:00", quantity=1)
    assert body["next_run_at"].startswith("2026-04-02T02:00:00")
    assert await nightly.run_due(utc(2026, 4, 1, 23, 59)) == []
    # Turned off: nothing runs, and no next run is shown.
    off = await put_nightly(client, user, enabled=False)
    assert off["enabled"] is False and off["next_run_at"] is None
    assert off["next_run_local"] is None
    assert await nightly.run_due(utc(2026, 4, 2, 3)) == []
    assert await runs_of(services, user) == []


# -- the API ---------------------------------------------------------------------------


async def test_defaults_when_not_configured(client: httpx.AsyncClient, user: AuthedUser):
    body = await get_nightly(client, user)
    assert body == {
        "configured": False,
        "enabled": False,
        "local_time": "02:00",
        "timezone": "UTC",
        "quantity": 20,
        "provider": None,
        "max_cost": None,
        "spec": None,
        "next_run_at": None,
        "next_run_local": None,
        "last_run": None,
    }
    runs = await client.get("/api/nightly/runs", headers=user.headers)
    assert runs.status_code == 200 and runs.json() == {"items": []}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "invalid_timezone"),
        ({"timezone": "../../etc/passwd"}, "invalid_timezone"),
        ({"local_time": "24:00"}, "invalid_local_time"),
        ({"local_time": "2am"}, "invalid_local_time"),
        ({"quantity": 0}, "validation_error"),
        ({"quantity": 101}, "quantity_too_large"),
        ({"quantity": "5"}, "validation_error"),
        ({"provider": "no-such-provider"}, "unknown_provider"),
        ({"max_cost": -1}, "validation_error"),
        ({"max_cost": "1.234"}, "validation_error"),
        ({"spec": {"garment_type": "spaceship"}}, "invalid_spec"),
        ({"enabled": None}, "validation_error"),
        ({"enabled": 0}, "validation_error"),
        ({"enabled": "yes"}, "validation_error"),
        ({"colour": "red"}, "validation_error"),
    ],
)
async def test_invalid_settings_are_refused_and_leave_nothing(
    client: httpx.AsyncClient, user: AuthedUser, body: dict, code: str
):
    resp = await client.put("/api/nightly", headers=user.headers, json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == code
    assert (await get_nightly(client, user))["configured"] is False


async def test_settings_round_trip(
    client: httpx.AsyncClient, user: AuthedUser, nightly: NightlyService
):
    at(nightly, utc(2026, 6, 1, 12))
    body = await put_nightly(
        client,
        user,
        enabled=True,
        local_time="23:45",
        timezone="Asia/Tokyo",
        quantity=7,
        provider="local-flats",
        max_cost="5",
        spec={"garment_type": "dresses", "styles": ["boho"]},
    )
    assert body["max_cost"] == "5.00" and body["provider"] == "local-flats"
    assert body["spec"]["garment_type"] == "dress"  # canonical taxonomy values
    assert body["next_run_local"] == "2026-06-01T23:45:00+09:00"
    # Partial: only what is given changes; null clears the optional ones.
    body = await put_nightly(client, user, max_cost=None, provider=None, spec=None)
    assert body["max_cost"] is None and body["provider"] is None and body["spec"] is None
    assert body["quantity"] == 7 and body["timezone"] == "Asia/Tokyo"
    assert (await client.get("/api/nightly")).status_code == 401


async def test_another_designers_runs_are_invisible(
    client: httpx.AsyncClient,
    two_users: tuple[AuthedUser, AuthedUser],
    services: Services,
    nightly: NightlyService,
):
    alice, bob = two_users
    at(nightly, utc(2026, 5, 1, 12))
    await put_nightly(client, alice, timezone="UTC", local_time="02:00", quantity=1)
    assert len(await nightly.run_due(utc(2026, 5, 2, 2))) == 1
    (run,) = await runs_of(services, alice)
    assert run.job_id is not None
    await wait_for_job(client, alice, str(run.job_id))
    await nightly.finish_runs(utc(2026, 5, 2, 2, 5))
    mine = (await client.get("/api/nightly/runs", headers=alice.headers)).json()["items"]
    assert [r["id"] for r in mine] == [str(run.id)]
    theirs = (await client.get("/api/nightly/runs", headers=bob.headers)).json()["items"]
    assert theirs == []
    bob_view = await get_nightly(client, bob)
    assert bob_view["configured"] is False and bob_view["last_run"] is None
    # Bob's schedule is his own, and does not touch Alice's.
    await put_nightly(client, bob, quantity=3)
    assert (await get_nightly(client, alice))["quantity"] == 1
    collection = await client.get(f"/api/collections/{run.collection_id}", headers=bob.headers)
    assert collection.status_code == 404


# -- the voice intent ------------------------------------------------------------------


async def test_voice_sets_moves_and_stops_the_batch(
    client: httpx.AsyncClient, services: Services, nightly: NightlyService
):
    user = await register_user(client, "night-voice")
    at(nightly, utc(2026, 9, 1, 12))
    reply = await say(client, user, "every night make me 20 minimalist tops")
    assert reply["error"] is None, reply
    assert reply["intent"] == "schedule_nightly"
    assert reply["reply"] == (
        "Nightly batch set: 20 minimalist tops every night at 02:00 (UTC). "
        "The next one runs Wed 2 Sep at 02:00 (UTC)."
    )
    body = await get_nightly(client, user)
    assert body["enabled"] and body["quantity"] == 20
    assert body["spec"]["garment_type"] == "top" and body["spec"]["styles"] == ["minimalist"]

    reply = await say(client, user, "move the nightly batch to 3am")
    assert reply["error"] is None, reply
    assert "03:00 (UTC)" in reply["reply"] and "20 minimalist tops" in reply["reply"]
    body = await get_nightly(client, user)
    assert body["local_time"] == "03:00" and body["quantity"] == 20
    assert body["next_run_at"].startswith("2026-09-02T03:00:00")

    reply = await say(client, user, "stop the nightly batch")
    assert reply["error"] is None, reply
    assert "stopped" in reply["reply"]
    body = await get_nightly(client, user)
    assert body["enabled"] is False and body["next_run_at"] is None
    # Stopped means stopped: the night passes without a run.
    assert await nightly.run_due(utc(2026, 9, 2, 4)) == []
    assert await runs_of(services, user) == []


async def test_voice_update_without_a_batch_says_so(client: httpx.AsyncClient):
    user = await register_user(client, "night-none")
    reply = await say(client, user, "move the nightly batch to 3am")
    assert "don't have a nightly batch yet" in reply["reply"]
    assert (await get_nightly(client, user))["configured"] is False
