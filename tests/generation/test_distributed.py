"""The distributed deployment as operators run it: `serve --role api` and separate
`serve --role worker` processes over PostgreSQL + Redis, designs stored in a real
S3-protocol server (moto_server) on loopback. A worker is SIGKILLed mid-job and a new
one finishes the job; events made in the worker reach Socket.IO clients of the API.

Runs when DATABASE_URL and REDIS_URL are set; each module run gets its own database,
Redis key prefix and bucket, all removed afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from designer_bff.storage import S3ObjectStore
from tests.conftest import (
    create_pg_database,
    delete_redis_prefix,
    drop_pg_database,
    register_user,
)
from tests.generation.procs import (
    MotoServer,
    Processes,
    Service,
    assert_charged_once,
    assert_made_exactly_once,
    check_live_events,
    create_job,
    image_row_dicts,
    priced_local_renderer,
    service_env,
    start_moto,
    wait_completed,
    wait_mid_job,
)

PG_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="api and worker processes meet over PostgreSQL + Redis"
)

S3_KEY = "test"


@dataclass
class Cluster:
    procs: Processes
    api: Service
    env: dict[str, str]
    db_dsn: str
    moto: MotoServer
    bucket: str

    def start_worker(self, name: str) -> Service:
        return self.procs.start("worker", self.env, name=name)

    def s3(self) -> S3ObjectStore:
        return S3ObjectStore(
            endpoint=self.moto.endpoint,
            bucket=self.bucket,
            access_key_id=S3_KEY,
            secret_access_key=S3_KEY,
            region="us-east-1",
        )

    async def stored_keys(self, user_id: str) -> set[str]:
        store = self.s3()
        try:
            return {key async for key in store.list(user_id)}
        finally:
            await store.aclose()

    async def charges(self, job_id: str) -> list[tuple[Any, Any]]:
        conn = await asyncpg.connect(self.db_dsn)
        try:
            rows = await conn.fetch(
                "SELECT image_id, amount_usd FROM cost_ledger WHERE job_id = $1",
                uuid.UUID(job_id),
            )
        finally:
            await conn.close()
        return [(r["image_id"], r["amount_usd"]) for r in rows]

    async def image_rows(self, job_id: str) -> list[dict[str, Any]]:
        conn = await asyncpg.connect(self.db_dsn)
        try:
            rows = await conn.fetch(
                "SELECT id, seq, status, variants, attempts FROM images WHERE job_id = $1",
                uuid.UUID(job_id),
            )
        finally:
            await conn.close()
        return image_row_dicts(rows)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """moto_server, a fresh database and Redis prefix, and one API process (no worker:
    each test starts and ends its own workers)."""
    workdir = tmp_path_factory.mktemp("cluster")
    db_name, db_url = asyncio.run(create_pg_database())
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    moto: MotoServer | None = None
    procs = Processes(workdir)
    try:
        moto = start_moto(workdir)
        bucket = f"designs-{uuid.uuid4().hex[:8]}"
        moto.create_bucket(bucket)
        env = service_env(
            workdir / "var",
            DATABASE_URL=db_url,
            REDIS_URL=str(REDIS_URL),
            REDIS_PREFIX=prefix,
            R2_ENDPOINT=moto.endpoint,
            R2_ACCESS_KEY_ID=S3_KEY,
            R2_SECRET_ACCESS_KEY=S3_KEY,
            R2_BUCKET_NAME=bucket,
            R2_REGION="us-east-1",
            GENERATION_LEASE_S="3",
            GENERATION_SWEEP_INTERVAL_S="0.5",
            GENERATION_STALL_AFTER_S="1",
            PROVIDER_CONCURRENCY=json.dumps({"local-flats": 1}),
            PRICES_FILE=priced_local_renderer(workdir),
        )
        api = procs.start("api", env, name="api")
        asyncio.run(api.wait_ready())  # migrates the database before any worker starts
        dsn = db_url.replace("postgresql+asyncpg://", "postgresql://")
        yield Cluster(procs, api, env, dsn, moto, bucket)
    finally:
        procs.close()
        if moto is not None:
            moto.close()
        asyncio.run(drop_pg_database(db_name))
        asyncio.run(delete_redis_prefix(prefix))


async def test_worker_sigkill_mid_job_new_worker_completes_exactly_once(cluster: Cluster):
    quantity = 30
    workers: list[Service] = []
    try:
        async with httpx.AsyncClient(base_url=cluster.api.url, timeout=10) as client:
            user = await register_user(client, "crash")
            first = cluster.start_worker("worker-killed")
            workers.append(first)
            await first.wait_ready()
            job = await create_job(client, user, quantity)
            half = await wait_mid_job(client, user, job["id"], cluster.procs.logs)
            assert half["status"] == "running", half["progress"]
            first.kill()
            rows = await cluster.image_rows(job["id"])
            assert sum(r["status"] == "ready" for r in rows) < quantity, "kill must be mid-job"

            second = cluster.start_worker("worker-new")
            workers.append(second)
            await second.wait_ready()
            final = await wait_completed(
                client, user, job["id"], quantity, "job after the kill", cluster.procs.logs
            )
            rows = await cluster.image_rows(job["id"])
            assert_made_exactly_once(rows, await cluster.stored_keys(user.id), quantity)
            assert_charged_once(await cluster.charges(job["id"]), rows)

            # A thumbnail downloads: a redirect to a presigned URL on the S3 server...
            url = final["images"][-1]["urls"]["thumb"]
            redirect = await client.get(url, headers=user.headers)
            assert redirect.status_code == 302, redirect.text
            location = redirect.headers["location"]
            assert urlsplit(location).netloc == urlsplit(cluster.moto.endpoint).netloc
            assert "X-Amz-Signature=" in location
            # ...that httpx follows to the WebP bytes.
            thumb = await client.get(url, headers=user.headers, follow_redirects=True)
            assert thumb.status_code == 200, thumb.text
            assert thumb.content[:4] == b"RIFF" and thumb.content[8:12] == b"WEBP"
    finally:
        for worker in workers:
            worker.stop()


async def test_worker_events_reach_api_clients_and_cancel(cluster: Cluster):
    worker = cluster.start_worker("worker-events")
    try:
        await worker.wait_ready()
        # Made and announced by the worker process, delivered by the API process.
        await check_live_events(cluster.api.url, cluster.stored_keys)
    finally:
        worker.stop()
