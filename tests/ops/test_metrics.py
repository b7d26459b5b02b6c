"""/metrics for operators: queue depth per user and provider read from the database,
design latency, provider errors and retries, broker reconnects, and the worker role's own
exporter on METRICS_PORT — scraped from the real app, the real engine on each backend
and real processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from designer_bff.app import create_app
from designer_bff.billing.pricing import PriceTable
from designer_bff.core.metrics import Metrics
from designer_bff.db import migrate
from designer_bff.generation.providers import (
    DesignRequest,
    GeneratedDesign,
)
from designer_bff.generation.providers.local_flats import LocalFlatsProvider
from designer_bff.services import Services, build_services
from tests.conftest import (
    Backend,
    create_pg_database,
    delete_redis_prefix,
    drop_pg_database,
    make_settings,
    register_user,
    running,
    wait_until,
)
from tests.generation.helpers import start_job, wait_for_job
from tests.generation.procs import Processes, free_port, service_env
from tests.generation.test_scheduling import FlakyFlats, RefusingFlats

PG_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")

QUEUE = "designer_bff_design_queue_depth"
LATENCY_COUNT = "designer_bff_design_latency_seconds_count"
LATENCY_SUM = "designer_bff_design_latency_seconds_sum"
ERRORS = "designer_bff_provider_errors_total"
RETRIES = "designer_bff_provider_retries_total"
RECONNECTS = "designer_bff_broker_reconnects_total"


class GatedFlats(LocalFlatsProvider):
    """Draws only once the test opens the gate: designs stay queued and in progress for
    as long as the test needs to look at them."""

    name = "gated-flats"

    def __init__(self, prices: PriceTable) -> None:
        super().__init__(prices)
        self.gate = asyncio.Event()

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        await asyncio.wait_for(self.gate.wait(), 30)
        return await super().generate(request)


# -- reading the exposition ----------------------------------------------------------------


Samples = list[tuple[str, dict[str, str], float]]


def parse(text: str) -> Samples:
    return [
        (s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` carrying these labels (absent: 0)."""
    return sum(
        v
        for n, lab, v in samples
        if n == name and all(lab.get(k) == want for k, want in labels.items())
    )


async def scrape(get: Callable[[], Awaitable[httpx.Response]]) -> Samples:
    resp = await get()
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return parse(resp.text)


async def scrape_until(
    get: Callable[[], Awaitable[httpx.Response]],
    check: Callable[[Samples], bool],
    what: str,
    within: float = 20.0,
) -> Samples:
    deadline = time.monotonic() + within
    while True:
        samples = await scrape(get)
        if check(samples):
            return samples
        if time.monotonic() > deadline:
            relevant = [s for s in samples if s[0].startswith("designer_bff_")]
            raise AssertionError(f"{what}: not seen within {within}s; {relevant}")
        await asyncio.sleep(0.05)


# -- an app of the test's own, on each backend ---------------------------------------------


@dataclass
class Instrumented:
    client: httpx.AsyncClient
    services: Services
    gated: GatedFlats

    async def metrics(self) -> httpx.Response:
        return await self.client.get("/metrics")


@pytest.fixture
async def instrumented(backend: Backend, tmp_path: Path) -> AsyncIterator[Instrumented]:
    """An app on this backend's database with fault-injecting providers, one design at a
    time per provider, and queue depth read afresh at every scrape."""
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + "metrics:",
        provider_concurrency={"gated-flats": 1, "flaky-flats": 1, "refusing-flats": 1},
        generation_retry_base_s=0.01,
        image_size=256,
        speech_provider="none",
    )
    services = build_services(settings, Metrics(queue_depth_cache_s=0))
    gated = GatedFlats(services.prices)
    services.providers["gated-flats"] = gated
    services.providers["flaky-flats"] = FlakyFlats(services.prices)
    services.providers["refusing-flats"] = RefusingFlats(services.prices)
    try:
        async with running(create_app(services=services)) as client:
            yield Instrumented(client, services, gated)
    finally:
        gated.gate.set()  # nothing left waiting on the gate at shutdown
        await services.close()


async def test_queue_depth_and_latency_follow_a_job(instrumented: Instrumented):
    client, metrics = instrumented.client, instrumented.metrics
    user = await register_user(client, "queued")
    job = await start_job(
        client, user, {"garment_type": "dress"}, quantity=3, provider="gated-flats"
    )

    def depth(samples: Samples, state: str) -> float:
        return value(samples, QUEUE, user_id=user.id, provider="gated-flats", state=state)

    # One design at a time: the first is being made (held at the gate), two wait.
    held = await scrape_until(
        metrics,
        lambda s: depth(s, "in_progress") == 1 and depth(s, "waiting") == 2,
        "one design in progress and two waiting",
    )
    assert value(held, LATENCY_COUNT, provider="gated-flats") == 0

    instrumented.gated.gate.set()
    done = await wait_for_job(client, user, job["id"], wait_s=30)
    assert done["status"] == "completed", done["progress"]
    after = await scrape(metrics)
    # Nothing of this user's left in the queue (a drained series reads 0 or is absent).
    assert depth(after, "waiting") == 0 and depth(after, "in_progress") == 0
    # One latency observation per design made, each at least as long as the wait.
    assert value(after, LATENCY_COUNT, provider="gated-flats") == 3
    assert value(after, LATENCY_SUM, provider="gated-flats") > 0
    assert value(after, ERRORS, provider="gated-flats") == 0


async def test_provider_errors_and_retries_are_counted(instrumented: Instrumented):
    client, metrics = instrumented.client, instrumented.metrics
    user = await register_user(client, "faults")
    flaky = await start_job(
        client, user, {"garment_type": "top"}, quantity=2, provider="flaky-flats"
    )
    refused = await start_job(
        client, user, {"garment_type": "coat"}, quantity=2, provider="refusing-flats"
    )
    assert (await wait_for_job(client, user, flaky["id"]))["status"] == "completed"
    assert (await wait_for_job(client, user, refused["id"]))["status"] == "failed"

    samples = await scrape(metrics)
    # Each flaky design failed once, transiently, and was retried once, then made.
    assert value(samples, ERRORS, provider="flaky-flats", code="provider_unavailable") == 2
    assert value(samples, RETRIES, provider="flaky-flats", code="provider_unavailable") == 2
    assert value(samples, LATENCY_COUNT, provider="flaky-flats") == 2
    # A rejection is final: counted as an error, never retried, nothing made.
    assert value(samples, ERRORS, provider="refusing-flats", code="provider_rejected") == 2
    assert value(samples, RETRIES, provider="refusing-flats") == 0
    assert value(samples, LATENCY_COUNT, provider="refusing-flats") == 0


async def test_a_scrape_storm_costs_one_query_per_cache_period(instrumented: Instrumented):
    services = instrumented.services
    metrics = Metrics(queue_depth_cache_s=0.5)
    metrics.watch_queue(services.worker.queue_depth)
    statements: list[str] = []

    def seen(conn, cursor, statement: str, *args: object) -> None:
        if "GROUP BY images.user_id, images.provider" in statement:
            statements.append(statement)

    event.listen(services.engine.sync_engine, "before_cursor_execute", seen)
    try:
        pages = await asyncio.gather(*(metrics.render_async() for _ in range(25)))
        assert len(statements) == 1
        assert all(QUEUE.encode() in page for page in pages)
        await metrics.render_async()
        assert len(statements) == 1  # still within the cache period
        await asyncio.sleep(0.6)
        await metrics.render_async()
        assert len(statements) == 2
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", seen)


async def test_queue_depth_is_left_out_when_the_database_is_unreachable(tmp_path: Path):
    # A database file in a folder that does not exist: every query fails.
    settings = make_settings(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}", speech_provider="none"
    )
    services = build_services(settings)
    try:
        text = (await services.metrics.render_async()).decode()
    finally:
        await services.close()
    assert f"# HELP {QUEUE} " not in text  # no figure rather than a wrong one
    assert "# HELP designer_bff_design_latency_seconds " in text


# -- broker reconnects (a private Redis of the test's own) ---------------------------------


@dataclass
class PrivateRedis:
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
            ],
            check=True,
            capture_output=True,
            timeout=10,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, timeout=5
            ).stdout.strip()
            != b"PONG"
        ):
            if time.monotonic() > deadline:
                raise AssertionError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            timeout=10,
        )


async def test_broker_reconnects_are_counted(tmp_path: Path):
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI")
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis(free_port())
    settings = make_settings(
        tmp_path, redis_url=redis.url, redis_prefix="metrics-test:", speech_provider="none"
    )
    services = build_services(settings)
    metrics = services.metrics
    services.sessions.subscribe(lambda ids: asyncio.sleep(0))

    def reconnects(broker: str) -> float:
        return value(parse(metrics.render().decode()), RECONNECTS, broker=broker)

    try:
        # Redis is down as the process starts: both keep trying in the background.
        await services.queue.startup()
        await services.sessions.start()
        assert reconnects("queue") == 0 and reconnects("session_signal") == 0
        redis.start()
        await wait_until(lambda: reconnects("queue") == 1, "the queue's broker connected")
        # The sessions signal's first subscription is a connection, not a reconnect...
        await asyncio.sleep(1.5)
        assert reconnects("session_signal") == 0
        # ...and subscribing again after Redis went away is one.
        redis.stop()
        await asyncio.sleep(0.5)
        redis.start()
        await wait_until(
            lambda: reconnects("session_signal") == 1, "the sessions signal re-subscribed"
        )
        assert reconnects("queue") == 1  # the broker's startup happened once
    finally:
        await services.close()
        redis.stop()


# -- the worker role's own exporter --------------------------------------------------------


@pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="api and worker processes meet over PostgreSQL + Redis"
)
async def test_worker_role_serves_its_metrics_on_metrics_port(tmp_path: Path):
    db_name, db_url = await create_pg_database()
    prefix = f"dbfftest:{uuid.uuid4().hex[:10]}:"
    procs = Processes(tmp_path)
    metrics_port = free_port()
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=db_url,
        REDIS_URL=str(REDIS_URL),
        REDIS_PREFIX=prefix,
        IMAGE_SIZE="256",
    )
    try:
        await asyncio.to_thread(
            migrate.upgrade, make_settings(tmp_path, database_url=db_url).sqlalchemy_url
        )
        api = procs.start("api", env, name="api")
        worker = procs.start("worker", {**env, "METRICS_PORT": str(metrics_port)}, name="worker")
        await api.wait_ready()
        await worker.wait_ready()
        # A second worker told to use the port the first one holds must refuse to start
        # (it gets there while the job below runs).
        clash = procs.start("worker", {**env, "METRICS_PORT": str(metrics_port)}, name="clash")
        async with (
            httpx.AsyncClient(base_url=api.url, timeout=10) as client,
            httpx.AsyncClient(timeout=10) as exporter,
        ):

            async def worker_metrics() -> httpx.Response:
                return await exporter.get(f"http://127.0.0.1:{metrics_port}/metrics")

            user = await register_user(client, "cluster")
            job = await start_job(client, user, {"garment_type": "dress"}, quantity=3)
            done = await wait_for_job(client, user, job["id"], wait_s=40)
            assert done["status"] == "completed", (done["progress"], procs.logs())

            # The designs were made in the worker: its latency histogram has them...
            samples = await scrape(worker_metrics)
            assert value(samples, LATENCY_COUNT, provider="local-flats") == 3
            # ...and queue depth is there too, read from the shared database.
            page = (await worker_metrics()).text
            assert f"# HELP {QUEUE} " in page
            assert value(samples, QUEUE, user_id=user.id) == 0
            # The API process made none (its /metrics is its own).
            api_samples = await scrape(lambda: client.get("/metrics"))
            assert value(api_samples, LATENCY_COUNT) == 0

        code = await asyncio.to_thread(clash.proc.wait, 60)
        assert code == 2, clash.log_tail()
        assert "METRICS_PORT: cannot listen on 127.0.0.1" in clash.log(), clash.log_tail()
        assert worker.stop() == 0, worker.log_tail()
    finally:
        procs.close()
        await drop_pg_database(db_name)
        await delete_redis_prefix(prefix)
