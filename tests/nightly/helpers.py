"""A controllable clock for the nightly scheduler, an event recorder, and reading runs."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from designer_bff.collections.models import CollectionImage
from designer_bff.nightly.models import NightlyRun, NightlySchedule
from designer_bff.nightly.service import NightlyService
from designer_bff.realtime.events import EventBus
from designer_bff.services import Services
from tests.conftest import AuthedUser


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@contextlib.contextmanager
def clock_of(nightly: NightlyService, start: datetime) -> Iterator[Clock]:
    clock = Clock(start)
    original = nightly.clock
    nightly.clock = clock
    try:
        yield clock
    finally:
        nightly.clock = original


async def disable_all_schedules(services: Services) -> None:
    """The scheduler serves every designer: tests that move the clock about stop the
    schedules other tests left enabled, so only their own are due."""
    async with services.sessionmaker() as db:
        await db.execute(update(NightlySchedule).values(enabled=False, next_run_at=None))
        await db.commit()


@dataclass
class Recorder(EventBus):
    """Keeps every event (the real sink still delivers them)."""

    inner: EventBus | None
    seen: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def publish(self, user_id: uuid.UUID | str, event: str, data: dict[str, Any]) -> None:
        self.seen.append((str(user_id), event, data))
        if self.inner is not None:
            await self.inner.publish(user_id, event, data)

    def of(self, user: AuthedUser, event: str) -> list[dict[str, Any]]:
        return [d for u, e, d in self.seen if u == user.id and e == event]


@contextlib.asynccontextmanager
async def recording(services: Services) -> AsyncIterator[Recorder]:
    original = services.events.sink
    recorder = Recorder(original)
    services.events.sink = recorder
    try:
        yield recorder
    finally:
        services.events.sink = original


async def put_nightly(client: httpx.AsyncClient, user: AuthedUser, **body: Any) -> dict[str, Any]:
    resp = await client.put("/api/nightly", headers=user.headers, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def get_nightly(client: httpx.AsyncClient, user: AuthedUser) -> dict[str, Any]:
    resp = await client.get("/api/nightly", headers=user.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def runs_of(services: Services, user: AuthedUser) -> list[NightlyRun]:
    async with services.sessionmaker() as db:
        return list(
            (
                await db.scalars(
                    select(NightlyRun)
                    .where(NightlyRun.user_id == uuid.UUID(user.id))
                    .order_by(NightlyRun.run_date)
                )
            ).all()
        )


async def collection_images(services: Services, collection_id: uuid.UUID) -> list[uuid.UUID]:
    async with services.sessionmaker() as db:
        return list(
            (
                await db.scalars(
                    select(CollectionImage.image_id)
                    .where(CollectionImage.collection_id == collection_id)
                    .order_by(CollectionImage.position)
                )
            ).all()
        )
