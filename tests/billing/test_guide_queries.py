"""The setup guide's "Common Queries", run verbatim on PostgreSQL against the schema the
migrations build: the per-designer totals (designs, outliers, cost), the top styles of
global learning, and a designer's recent jobs with the designs each made."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from designer_bff.auth.models import User
from designer_bff.db import migrate
from designer_bff.designs.models import Image
from designer_bff.generation.models import GenerationJob
from designer_bff.learning.models import GlobalLearning
from tests.conftest import PG_URL, create_pg_database, drop_pg_database

pytestmark = pytest.mark.skipif(not PG_URL, reason="DATABASE_URL not set: PostgreSQL run skipped")

USERS_QUERY = (
    "SELECT u.name, COUNT(DISTINCT i.id) as total_images, COUNT(DISTINCT i.id) FILTER "
    "(WHERE i.is_outlier = true) as outliers, SUM(i.generation_cost + i.enhancement_cost) "
    "as total_cost FROM users u LEFT JOIN images i ON u.id = i.user_id GROUP BY u.id, u.name;"
)
STYLES_QUERY = (
    "SELECT attribute_value, success_rate, user_count FROM global_learning WHERE "
    "attribute_type = 'style' ORDER BY success_rate DESC LIMIT 10;"
)
JOBS_QUERY = (
    "SELECT gj.id, gj.status, gj.quantity, gj.model_provider, COUNT(i.id) as images_generated "
    "FROM generation_jobs gj LEFT JOIN images i ON gj.id = i.job_id WHERE gj.user_id = "
    "'{user_id}' GROUP BY gj.id ORDER BY gj.created_at DESC LIMIT 10;"
)
BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[AsyncEngine]:
    """A database of its own, migrated from empty: the queries read whole tables."""
    name, url = await create_pg_database()
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        built = create_async_engine(url)
        try:
            yield built
        finally:
            await built.dispose()
    finally:
        await drop_pg_database(name)


def _user(name: str) -> User:
    return User(
        id=uuid.uuid4(),
        email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com",
        password_hash="x",
        name=name,
    )


def _image(user: User, job: GenerationJob | None, seq: int, gen: str, enh: str = "0",
           outlier: bool = False) -> Image:  # fmt: skip
    return Image(
        user_id=user.id,
        job_id=job.id if job else None,
        seq=seq,
        status="ready",
        generation_cost=Decimal(gen),
        enhancement_cost=Decimal(enh),
        is_outlier=outlier,
    )


def _job(user: User, minute: int, status: str, quantity: int, provider: str) -> GenerationJob:
    at = BASE + timedelta(minutes=minute)
    return GenerationJob(
        id=uuid.uuid4(),
        user_id=user.id,
        status=status,
        quantity=quantity,
        provider=provider,
        created_at=at,
        updated_at=at,
    )


async def test_the_setup_guides_queries(engine: AsyncEngine):
    ada, ben, cy = _user("Ada"), _user("Ben"), _user("Cy")
    # Ada's jobs: nine queued ones first, then two that made designs (the newest).
    older = [_job(ada, n, "queued", 1, "local-flats") for n in range(9)]
    first = _job(ada, 20, "completed", 2, "replicate-imagen-4")
    second = _job(ada, 30, "running", 3, "openai-gpt-image-1")
    bens = _job(ben, 25, "completed", 1, "stability-core")
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as db:
        db.add_all([ada, ben, cy])
        await db.flush()
        db.add_all([*older, first, second, bens])
        await db.flush()
        db.add_all(
            [
                _image(ada, first, 0, "0.040000"),
                _image(ada, first, 1, "0.040000", "0.002500", outlier=True),
                _image(ada, second, 0, "0.167000"),
                _image(ben, bens, 0, "0.011000", outlier=True),
            ]
        )
        # Styles (and a colour with a higher rate, which the query leaves out).
        for n in range(12):
            db.add(
                GlobalLearning(
                    attribute_type="style",
                    attribute_value=f"style-{n:02d}",
                    success_count=n,
                    total_count=12,
                    success_rate=n / 12,
                    user_count=n + 1,
                )
            )
        db.add(
            GlobalLearning(
                attribute_type="color",
                attribute_value="navy",
                success_count=12,
                total_count=12,
                success_rate=1.0,
                user_count=5,
            )
        )
        await db.commit()

    async with engine.connect() as conn:
        users = (await conn.execute(text(USERS_QUERY))).all()
        styles = (await conn.execute(text(STYLES_QUERY))).all()
        jobs = (await conn.execute(text(JOBS_QUERY.format(user_id=ada.id)))).all()

    assert sorted(tuple(row) for row in users) == [
        ("Ada", 3, 1, Decimal("0.249500")),
        ("Ben", 1, 1, Decimal("0.011000")),
        ("Cy", 0, 0, None),  # no designs: nothing summed
    ]
    assert [tuple(row) for row in styles] == [
        (f"style-{n:02d}", pytest.approx(n / 12), n + 1) for n in range(11, 1, -1)
    ]
    assert [tuple(row) for row in jobs] == [
        (second.id, "running", 3, "openai-gpt-image-1", 1),
        (first.id, "completed", 2, "replicate-imagen-4", 2),
        *[(job.id, "queued", 1, "local-flats", 0) for job in reversed(older[1:])],
    ]
