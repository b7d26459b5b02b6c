"""A cluster that survives faults: real processes as operators run them — two
`serve --role api`, two `--role worker`, one `--role scheduler` — on a PostgreSQL, a
Redis and an S3-protocol server (moto_server) of this test's own, on free loopback
ports. Five designers make 200 priced designs at once while a worker is SIGKILLed (and
replaced), Redis is restarted (losing every key) and PostgreSQL is restarted (a crash
stop). Afterwards every job is complete, every design was made, stored and charged
exactly once; the API answered 503 `database_unavailable` (never hung) while PostgreSQL
was away and came back by itself; Socket.IO events resumed within 5 s of Redis coming
back, and a client that was away finds what it missed through the REST API.

Needs initdb/pg_ctl, redis-server and moto_server; skips without them, except under
CI=true, where a missing tool fails the run. Prints its figures (`pytest -s`)."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from designer_bff.storage import S3ObjectStore
from tests.cluster.infra import PrivatePostgres, PrivateRedis, missing_tools
from tests.conftest import AuthedUser, register_user, require
from tests.generation.procs import (
    EventClient,
    MotoServer,
    Processes,
    Service,
    assert_charged_once,
    assert_made_exactly_once,
    create_job,
    image_row_dicts,
    priced_local_renderer,
    service_env,
    start_moto,
)

DESIGNERS = 5
PER_JOB = 40
TOTAL = DESIGNERS * PER_JOB
S3_KEY = "test"
LEASE_S = 3
# A request answers within this, whatever is down: a client never waits on a hung API.
ANSWER_WITHIN_S = 5.0
EVENTS_RESUME_WITHIN_S = 5.0
API_RECOVERS_WITHIN_S = 15.0
PG_DOWN_S = 4.0
REDIS_DOWN_S = 1.5


def _moto_available() -> bool:
    return Path(sys.executable).with_name("moto_server").exists() or bool(
        shutil.which("moto_server")
    )


def _wall() -> float:
    return time.time()


_T0 = time.monotonic()


def say(text: str) -> None:
    """A line of the story, for `pytest -s` (seconds since the module was imported)."""
    print(f"[{time.monotonic() - _T0:6.1f}s] {text}", flush=True)


@dataclass
class Mark:
    """A moment, on the monotonic clock (durations, event receipts) and the wall clock
    (the `completed_at` the workers record)."""

    mono: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=_wall)


@dataclass
class Probe:
    api: str
    sent: float  # monotonic
    elapsed: float
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    code: str | None = None
    retry_after: str | None = None


@dataclass
class Cluster:
    pg: PrivatePostgres
    redis: PrivateRedis
    moto: MotoServer
    bucket: str
    procs: Processes
    env: dict[str, str]
    apis: list[Service]
    workers: list[Service]
    database: str

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.pg.dsn(self.database), timeout=5)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def ready_count(self) -> int:
        rows = await self.fetch("SELECT count(*) AS n FROM images WHERE status = 'ready'")
        return int(rows[0]["n"])

    async def image_rows(self, job_id: str) -> list[dict[str, Any]]:
        rows = await self.fetch(
            "SELECT id, seq, status, variants, attempts, completed_at FROM images "
            "WHERE job_id = $1",
            uuid.UUID(job_id),
        )
        return image_row_dicts(rows)

    async def charges(self, job_id: str) -> list[tuple[Any, Any]]:
        rows = await self.fetch(
            "SELECT image_id, amount_usd FROM cost_ledger WHERE job_id = $1", uuid.UUID(job_id)
        )
        return [(r["image_id"], r["amount_usd"]) for r in rows]

    async def stored_keys(self, user_id: str) -> set[str]:
        store = S3ObjectStore(
            endpoint=self.moto.endpoint,
            bucket=self.bucket,
            access_key_id=S3_KEY,
            secret_access_key=S3_KEY,
            region="us-east-1",
        )
        try:
            return {key async for key in store.list(user_id)}
        finally:
            await store.aclose()

    def diagnostics(self) -> str:
        return (
            f"{self.procs.logs()}\n--- postgres\n{self.pg.log_tail()}"
            if self.procs.started
            else self.pg.log_tail()
        )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    missing = missing_tools() + ([] if _moto_available() else ["moto_server"])
    require(not missing, f"fault tests need {', '.join(missing)}")
    pg, redis = PrivatePostgres(), PrivateRedis()
    moto: MotoServer | None = None
    procs = Processes(tmp_path)
    try:
        pg.init()
        pg.start()
        database = "designer"
        asyncio.run(_create_database(pg, database))
        redis.start()
        moto = start_moto(tmp_path)
        bucket = f"designs-{uuid.uuid4().hex[:8]}"
        moto.create_bucket(bucket)
        env = service_env(
            tmp_path / "var",
            DATABASE_URL=pg.url(database),
            REDIS_URL=redis.url,
            REDIS_PREFIX=f"dbffcluster:{uuid.uuid4().hex[:8]}:",
            JWT_SECRET=secrets.token_urlsafe(48),
            R2_ENDPOINT=moto.endpoint,
            R2_ACCESS_KEY_ID=S3_KEY,
            R2_SECRET_ACCESS_KEY=S3_KEY,
            R2_BUCKET_NAME=bucket,
            R2_REGION="us-east-1",
            GENERATION_LEASE_S=str(LEASE_S),
            GENERATION_SWEEP_INTERVAL_S="0.5",
            GENERATION_STALL_AFTER_S="2",
            # One design at a time per worker: the 200 take long enough for every fault.
            PROVIDER_CONCURRENCY=json.dumps({"local-flats": 1}),
            PRICES_FILE=priced_local_renderer(tmp_path),
            DATABASE_POOL_SIZE="5",
            DATABASE_MAX_OVERFLOW="10",
            REGISTER_MAX_PER_ADDRESS="100",
        )
        first = procs.start("api", env, name="api-1")
        asyncio.run(first.wait_ready(90))  # migrates the database before the others start
        others = [
            procs.start("api", env, name="api-2"),
            procs.start("worker", env, name="worker-1"),
            procs.start("worker", env, name="worker-2"),
            procs.start("scheduler", env, name="scheduler"),
        ]

        async def all_ready() -> None:
            await asyncio.gather(*(s.wait_ready(90) for s in others))

        asyncio.run(all_ready())
        yield Cluster(
            pg, redis, moto, bucket, procs, env, [first, others[0]], others[1:3], database
        )
    finally:
        procs.close()
        if moto is not None:
            moto.close()
        redis.close()
        pg.close()


async def _create_database(pg: PrivatePostgres, name: str) -> None:
    conn = await asyncpg.connect(pg.dsn(), timeout=10)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _until(
    check: Callable[[], Awaitable[bool]],
    within: float,
    what: str,
    diagnostics: Callable[[], str],
    every: float = 0.05,
) -> float:
    """Poll `check` until it holds: the monotonic time it first did."""
    deadline = time.monotonic() + within
    while True:
        try:
            if await check():
                return time.monotonic()
        except (OSError, asyncpg.PostgresError):  # TimeoutError is an OSError
            pass  # the database is restarting: ask again
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within}s\n{diagnostics()[-12000:]}")
        await asyncio.sleep(every)


async def _during_generation(c: Cluster, fault: str) -> None:
    """A fault must meet designs still to make, or it tests nothing."""
    made = await c.ready_count()
    say(f"{made}/{TOTAL} designs made before {fault}")
    assert made <= TOTAL - 20, f"{fault} came too late: {made} of {TOTAL} designs made"


class Prober:
    """Asks both API processes for a job's status every 0.2 s through every fault, and
    records how (and how fast) each answered."""

    def __init__(self, apis: list[Service], user: AuthedUser, job_id: str) -> None:
        self.apis = apis
        self.user = user
        self.path = f"/api/generations/{job_id}"
        self.probes: list[Probe] = []
        self._stop = asyncio.Event()

    async def _ask(self, client: httpx.AsyncClient, api: Service) -> None:
        sent = time.monotonic()
        try:
            resp = await client.get(self.path, headers=self.user.headers)
        except httpx.TransportError:
            self.probes.append(Probe(api.url, sent, time.monotonic() - sent, None))
            return
        code = None
        if resp.status_code != 200:
            code = (resp.json().get("error") or {}).get("code")
        self.probes.append(
            Probe(
                api.url,
                sent,
                time.monotonic() - sent,
                resp.status_code,
                code,
                resp.headers.get("retry-after"),
            )
        )

    async def run(self) -> None:
        clients = [httpx.AsyncClient(base_url=a.url, timeout=15) for a in self.apis]
        try:
            while not self._stop.is_set():
                await asyncio.gather(
                    *(self._ask(c, a) for c, a in zip(clients, self.apis, strict=True))
                )
                await asyncio.sleep(0.2)
        finally:
            for c in clients:
                await c.aclose()

    def stop(self) -> None:
        self._stop.set()

    def between(self, start: float, end: float) -> list[Probe]:
        return [p for p in self.probes if start <= p.sent <= end]


async def _answers_503(client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> float:
    """While PostgreSQL is down: 503 `database_unavailable`, Retry-After, within bounds."""
    sent = time.monotonic()
    resp = await client.request(method, path, **kw)
    elapsed = time.monotonic() - sent
    assert resp.status_code == 503, (method, path, resp.status_code, resp.text)
    error = resp.json()["error"]
    assert error["code"] == "database_unavailable", error
    assert error["message"], error
    assert int(resp.headers["retry-after"]) >= 1
    assert elapsed < ANSWER_WITHIN_S, (method, path, elapsed)
    return elapsed


async def test_cluster_survives_worker_kill_redis_and_postgres_restarts(cluster: Cluster):
    c = cluster
    apis = c.apis
    live: list[EventClient] = []
    away = EventClient()  # user 0's second tab: away across the Redis restart
    back = EventClient()
    prober: Prober | None = None
    prober_task: asyncio.Task[None] | None = None
    http = [httpx.AsyncClient(base_url=a.url, timeout=15) for a in apis]
    try:
        users = [await register_user(http[i % 2], f"designer{i}") for i in range(DESIGNERS)]
        for i, user in enumerate(users):
            listener = EventClient()
            live.append(listener)
            await listener.connect(apis[i % 2].url, user.access_token)
        await away.connect(apis[1].url, users[0].access_token)

        # -- five designers, 40 designs each, at once ------------------------------------
        jobs = await asyncio.gather(
            *(create_job(http[i % 2], u, PER_JOB) for i, u in enumerate(users))
        )
        job_ids = [j["id"] for j in jobs]
        started = Mark()
        say(f"{DESIGNERS} jobs of {PER_JOB} queued")
        prober = Prober(apis, users[1], job_ids[1])
        prober_task = asyncio.create_task(prober.run())

        async def first_made() -> bool:
            return await c.ready_count() >= 6

        await _until(first_made, 60, "first designs", c.diagnostics)

        # -- fault 1: a worker is SIGKILLed mid-design, a new one takes its place -------
        victim = c.workers[0]
        tag = f"-{victim.proc.pid}:"

        async def victim_busy() -> bool:
            # A design it claimed a moment ago is surely still being made (one takes a
            # few hundred ms here): the kill lands mid-design, not between two.
            rows = await c.fetch(
                "SELECT claimed_at FROM images WHERE status = 'claimed' AND claimed_by LIKE $1",
                f"%{tag}%",
            )
            return any(time.time() - r["claimed_at"].timestamp() < 0.05 for r in rows)

        await _until(victim_busy, 30, "the victim starting a design", c.diagnostics, every=0.005)
        victim.kill()
        faults_began = killed = Mark()
        say(f"worker pid {victim.proc.pid} SIGKILLed")
        held = [
            r["id"]
            for r in await c.fetch(
                "SELECT id FROM images WHERE status = 'claimed' AND claimed_by LIKE $1",
                f"%{tag}%",
            )
        ]
        assert held, "the kill must interrupt a design"
        await _during_generation(c, "the worker kill")
        replacement = c.procs.start("worker", c.env, name="worker-3")
        c.workers.append(replacement)
        replacement_ready = asyncio.create_task(replacement.wait_ready(60))

        async def held_made() -> bool:
            rows = await c.fetch(
                "SELECT count(*) AS n FROM images WHERE id = ANY($1) AND status = 'ready'", held
            )
            return int(rows[0]["n"]) == len(held)

        held_done = await _until(held_made, 45, "the killed worker's designs", c.diagnostics)
        replaced_s = held_done - killed.mono
        say(f"its {len(held)} claimed design(s) made {replaced_s:.2f}s after the kill")
        await replacement_ready

        # -- fault 2: Redis restarts, losing every key ----------------------------------
        await _during_generation(c, "the Redis restart")
        await away.close()
        away_since = Mark()
        c.redis.stop()
        redis_stopped = Mark()
        await asyncio.sleep(REDIS_DOWN_S)
        c.redis.start()
        redis_back = Mark()
        say(f"Redis restarted (down {redis_back.mono - redis_stopped.mono:.1f}s)")

        def event_after(t: float) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                return any(r.at > t for listener in live for r in listener.of("image.created"))

            return check

        resumed = await _until(
            event_after(redis_back.mono), 30, "events after Redis came back", c.diagnostics
        )
        events_resumed_s = resumed - redis_back.mono
        say(f"events flowing {events_resumed_s:.2f}s after Redis came back")
        assert events_resumed_s <= EVENTS_RESUME_WITHIN_S, events_resumed_s

        # The tab that was away comes back: the REST API has everything it missed.
        await asyncio.sleep(0.5)
        await back.connect(apis[0].url, users[0].access_token)
        returned = Mark()
        missed = {
            str(r["id"])
            for r in await c.image_rows(job_ids[0])
            if r["status"] == "ready" and r["completed_at"].timestamp() >= away_since.wall
        }
        assert missed, "designs were made while the tab was away"
        status = await http[0].get(f"/api/generations/{job_ids[0]}", headers=users[0].headers)
        assert status.status_code == 200, status.text
        shown = {i["id"] for i in status.json()["images"] if i["status"] == "ready"}
        assert missed <= shown, sorted(missed - shown)
        gallery = await http[0].get(
            "/api/images", params={"job_id": job_ids[0], "limit": 200}, headers=users[0].headers
        )
        assert gallery.status_code == 200, gallery.text
        assert missed <= {i["id"] for i in gallery.json()["items"]}

        # -- fault 3: PostgreSQL crashes (immediate stop) and comes back ----------------
        await _during_generation(c, "the PostgreSQL restart")
        c.pg.stop("immediate")
        say("PostgreSQL stopped (immediate)")
        pg_stopped = Mark()
        await asyncio.sleep(0.5)
        down_answers: list[float] = []
        for api_client in http:
            down_answers.append(
                await _answers_503(
                    api_client, "GET", f"/api/generations/{job_ids[0]}", headers=users[0].headers
                )
            )
            down_answers.append(
                await _answers_503(
                    api_client, "GET", "/api/images", params={"limit": 10}, headers=users[0].headers
                )
            )
            down_answers.append(
                await _answers_503(
                    api_client,
                    "POST",
                    "/api/generations",
                    json={"spec": {"garment_type": "dress"}, "quantity": 1},
                    headers=users[0].headers,
                )
            )
            sent = time.monotonic()
            health = await api_client.get("/health")
            assert time.monotonic() - sent < ANSWER_WITHIN_S
            assert health.status_code == 503, health.text
            assert health.json()["status"] == "degraded"
            assert health.json()["checks"]["database"]["status"] == "down"
        await asyncio.sleep(max(0.0, PG_DOWN_S - (time.monotonic() - pg_stopped.mono)))
        # The outage ends as `start` begins. `start` blocks this loop, so a probe stamped
        # just before it may reach an API only once PostgreSQL is back: the window checked
        # below ends 0.5 s early, as it starts 0.5 s late.
        pg_starting = time.monotonic()
        c.pg.start()
        pg_back = Mark()
        say(f"PostgreSQL restarted (down {pg_back.mono - pg_stopped.mono:.1f}s)")

        async def apis_answer() -> bool:
            for api_client in http:
                resp = await api_client.get(
                    f"/api/generations/{job_ids[1]}", headers=users[1].headers
                )
                if resp.status_code != 200:
                    return False
            return True

        recovered = await _until(
            apis_answer, API_RECOVERS_WITHIN_S, "the API after PostgreSQL came back", c.diagnostics
        )
        api_recovered_s = recovered - pg_back.mono
        say(f"both APIs answer 200 {api_recovered_s:.2f}s after PostgreSQL came back")
        faults_ended = Mark()
        made_in_faults = await c.fetch(
            "SELECT count(*) AS n FROM images WHERE status = 'ready' "
            "AND completed_at >= to_timestamp($1) AND completed_at < to_timestamp($2)",
            faults_began.wall,
            faults_ended.wall,
        )

        # -- every job completes ---------------------------------------------------------
        async def all_done() -> bool:
            rows = await c.fetch(
                "SELECT count(*) AS n FROM generation_jobs WHERE id = ANY($1) "
                "AND status IN ('completed', 'failed', 'cancelled')",
                [uuid.UUID(j) for j in job_ids],
            )
            return int(rows[0]["n"]) == DESIGNERS

        finished = await _until(all_done, 120, "every job finished", c.diagnostics, every=0.2)
        say("every job finished")
        prober.stop()
        await prober_task

        # -- 0 lost, 0 stored twice, 0 charged twice ------------------------------------
        for user, job_id in zip(users, job_ids, strict=True):
            final = (await http[0].get(f"/api/generations/{job_id}", headers=user.headers)).json()
            assert final["status"] == "completed", (final["status"], final["progress"])
            assert final["progress"] == {"done": PER_JOB, "failed": 0, "total": PER_JOB}
            rows = await c.image_rows(job_id)
            assert_made_exactly_once(rows, await c.stored_keys(user.id), PER_JOB)
            assert_charged_once(await c.charges(job_id), rows)

        # -- the API never hung; it said 503 database_unavailable, and only while the
        #    database was away --------------------------------------------------------
        probes = prober.probes
        assert probes
        slowest = max(p.elapsed for p in probes)
        assert slowest < ANSWER_WITHIN_S, [p for p in probes if p.elapsed >= ANSWER_WITHIN_S]
        assert all(p.status is not None for p in probes), [p for p in probes if p.status is None]
        refused = [p for p in probes if p.status != 200]
        assert all(p.status == 503 and p.code == "database_unavailable" for p in refused), refused
        assert all(p.retry_after for p in refused), refused
        # Outside the database's outage (and the first request per process after it,
        # which may meet a connection the restart broke) every answer is 200.
        stray = [p for p in refused if not (pg_stopped.mono - 0.5 <= p.sent <= recovered)]
        assert not stray, stray
        during = prober.between(pg_stopped.mono + 0.5, pg_starting - 0.5)
        assert during and all(p.status == 503 for p in during), during

        # -- events: the connected clients got every design made outside the Redis gap --
        gap = (redis_stopped.wall - 0.5, redis_back.wall + EVENTS_RESUME_WITHIN_S)
        for user, job_id, listener in zip(users, job_ids, live, strict=True):
            announced = {r.data["id"] for r in listener.of("image.created", job_id)}
            rows = await c.image_rows(job_id)
            outside = {
                str(r["id"]) for r in rows if not gap[0] <= r["completed_at"].timestamp() <= gap[1]
            }
            assert outside <= announced, (user.email, sorted(outside - announced))
            assert listener.of("job.completed", job_id), user.email
        # The tab that came back hears about what was made after it reconnected.
        after_return = {
            str(r["id"])
            for r in await c.image_rows(job_ids[0])
            if r["completed_at"].timestamp() > returned.wall + 0.5
        }
        assert after_return <= {r.data["id"] for r in back.of("image.created", job_ids[0])}

        generation_s = finished - started.mono
        window_s = faults_ended.mono - faults_began.mono
        figures = {
            "designs": TOTAL,
            "generation_s": round(generation_s, 1),
            "designs_per_s_overall": round(TOTAL / generation_s, 2),
            "designs_per_s_during_faults": round(int(made_in_faults[0]["n"]) / window_s, 2),
            "fault_window_s": round(window_s, 1),
            "worker_killed_claims": len(held),
            "worker_replaced_to_claims_made_s": round(replaced_s, 2),
            "redis_back_to_events_s": round(events_resumed_s, 2),
            "pg_back_to_api_200_s": round(api_recovered_s, 2),
            "pg_down_503_answers": sum(p.status == 503 for p in probes) + len(down_answers),
            "pg_down_slowest_answer_s": round(max(down_answers), 3),
            "slowest_probe_s": round(slowest, 3),
            "probes": len(probes),
        }
        print("\ncluster fault figures:", json.dumps(figures, indent=2))
    finally:
        if prober is not None:
            prober.stop()
        if prober_task is not None:
            await asyncio.gather(prober_task, return_exceptions=True)
        for listener in [*live, away, back]:
            await listener.close()
        for h in http:
            await h.aclose()
