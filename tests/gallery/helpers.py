"""Designs for gallery tests, made fast: rows inserted through the services' sessionmaker
(status ready) with small objects put into the real object store, as the engine does."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from designer_bff.db.base import utcnow
from designer_bff.designs.models import Image, spec_columns
from designer_bff.garments.spec import GarmentSpec
from designer_bff.learning.models import LearningEvent
from designer_bff.services import Services
from designer_bff.storage import object_key
from tests.conftest import AuthedUser

VARIANTS = {"original": "png", "preview": "webp", "thumb": "webp"}
# Designs made without an explicit start follow every earlier one, whatever their step.
_clock = {"last": utcnow()}


async def make_images(
    services: Services,
    user: AuthedUser,
    count: int = 1,
    *,
    spec: dict[str, Any] | None = None,
    prompt: str | None = None,
    type: str = "generated",
    provider: str = "local-flats",
    status: str = "ready",
    start: datetime | None = None,
    step: timedelta = timedelta(milliseconds=1),
    size: tuple[int, int] = (1024, 1024),
    cost: str = "0",
    job_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """`count` designs, created `step` apart from `start` (default: now, or just after the
    newest design made here) so the last one is the newest. Returns their ids, oldest first."""
    user_id = uuid.UUID(user.id)
    spec = dict(spec or {"garment_type": "dress"})
    if start is None:
        start = max(utcnow(), _clock["last"] + timedelta(microseconds=1))
        _clock["last"] = start + step * max(count - 1, 0)
    ids: list[uuid.UUID] = []
    async with services.sessionmaker() as db:
        for n in range(count):
            image_id = uuid.uuid4()
            created = start + step * n
            keys: dict[str, str] = {}
            if status == "ready":
                for kind, ext in VARIANTS.items():
                    key = object_key(user_id, created, kind, image_id, ext)
                    await services.storage.put(key, f"{kind}:{image_id}".encode(), f"image/{ext}")
                    keys[kind] = key
            db.add(
                Image(
                    id=image_id,
                    user_id=user_id,
                    type=type,
                    status=status,
                    job_id=job_id,
                    spec={**spec, "resolved": spec},
                    prompt=prompt or f"a {spec.get('garment_type', 'design')}",
                    provider=provider,
                    model="test",
                    seed=n,
                    width=size[0],
                    height=size[1],
                    bytes=100,
                    format="png",
                    thumbhash="3OcRJYB4d3h/iIeHeEh3eIhw+j3A",
                    dominant_color="#aabbcc",
                    storage_backend=services.storage.name,
                    variants=keys,
                    generation_cost=Decimal(cost),
                    created_at=created,
                    updated_at=created,
                    completed_at=created if status == "ready" else None,
                    **spec_columns(GarmentSpec.from_stored(spec)),
                )
            )
            ids.append(image_id)
        await db.commit()
    return ids


async def count_rows(services: Services, model: Any, *where: Any) -> int:
    """How many rows of `model` match `where`, read in a session of its own."""
    async with services.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def image_row(services: Services, image_id: uuid.UUID | str) -> Image | None:
    async with services.sessionmaker() as db:
        return await db.get(Image, uuid.UUID(str(image_id)))


async def learning_events(services: Services, image_id: uuid.UUID | str) -> list[LearningEvent]:
    async with services.sessionmaker() as db:
        return list(
            (
                await db.scalars(
                    select(LearningEvent)
                    .where(LearningEvent.image_id == uuid.UUID(str(image_id)))
                    .order_by(LearningEvent.created_at, LearningEvent.kind)
                )
            ).all()
        )


def ids_of(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]
