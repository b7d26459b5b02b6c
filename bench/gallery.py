"""Load-test `GET /api/images` against the database `bench/seed_gallery.py` filled.

    .venv/bin/python bench/seed_gallery.py --reuse          # once: 1M images, ~1.5 min
    .venv/bin/python bench/gallery.py [--seconds 15] [--connections 50] [--rate 1000]
        [--users 100] [--scenarios first_page,deep_cursor] [--url http://127.0.0.1:PORT]
        [--client auto|wrk|python] [--name dbff_bench_gallery] [--database-url URL]

Unless `--url` names a running server (on that same database), the real service runs as
`designer-bff serve --role api` on a free 127.0.0.1 port with DATABASE_URL pointing at the
bench database (REDIS_URL passed on when set), LOG_LEVEL=WARNING, SPEECH_PROVIDER=none,
APP_ENV=development, a temporary DATA_DIR. A sample of the seeded users log in (the 10
heaviest plus users spread over the rest; the password comes from the seed).

Each scenario is a list of requests (one per user, or per deep cursor) that the load
generator rotates through, all `limit=50`:
- `c1`: one connection, back to back: the API's own latency, no queueing;
- `c50`: --connections (50) connections, back to back: the most requests/s it serves;
- `@rate`: the same connections paced to --rate requests/s in all (open schedule):
  latency at the target load. (At 50 closed-loop connections latency = 50 / throughput by
  Little's law, so p95 <= 20 ms and 50 busy connections needs >= 2,500 req/s; the paced
  run measures the targets as meant: p95 at 1,000 req/s.)
Beside it, the SQL the API runs for those same requests: the gallery service's own query
builder (GalleryService.list with the same parameters) runs once per request with its SQL
captured, then each captured statement is timed as a prepared statement over asyncpg
(`SQL p50/p95`, all the requests of the scenario, several rounds), and EXPLAIN (ANALYZE,
BUFFERS) of the heaviest, a median and the lightest user shows the indexes used.
Ratios: API c1 p50 / SQL p50 and API @rate p95 / SQL p95 (target <= 2).

Load generator: `wrk` (Debian: `apt-get install -y wrk`) with a Lua script that rotates
the requests (and paces them, via LuaJIT's ffi clock); without wrk, a Python asyncio
client (aiohttp, else httpx) in a separate process, which on 2 cores takes CPU from
the server, so its figures are pessimistic. Missed targets are reported, not fatal
(exit 0); exit 1 when the bench cannot run (no seed, service not starting, errors).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

# The sibling script (bench/ is not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    BenchError,
    Proc,
    group_pids,
    pct,
    pg_urls,
    proc_cpu_s,
    serve_on_free_port,
    service_env,
    stop_proc,
    wait_healthy,
)
from seed_gallery import (
    DEFAULT_NAME,
    read_seed_comment,
    server_url,
    sqlalchemy_url,
)

LIMIT = 50
TARGET_P95_MS = 20.0
TARGET_RPS = 1000.0
TARGET_RATIO = 2.0
START_TIMEOUT_S = 90.0


# -- scenarios -------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    params: dict[str, str]
    deep: bool = False
    what: str = ""


def scenarios(today: datetime) -> list[Scenario]:
    week_from = (today - timedelta(days=30)).date().isoformat()
    week_to = (today - timedelta(days=24)).date().isoformat()
    return [
        Scenario("first_page", {}, what="newest first, no filter"),
        Scenario("outliers", {"is_outlier": "true"}, what="is_outlier=true (~5%)"),
        Scenario("garment_dress", {"garment_type": "dress"}, what="garment_type=dress"),
        Scenario("style_bohemian", {"style": "bohemian"}, what="style=bohemian"),
        Scenario("color_navy", {"color": "navy"}, what="color=navy (rarer colour)"),
        Scenario(
            "date_week",
            {"date_from": week_from, "date_to": week_to},
            what=f"created {week_from} .. {week_to}",
        ),
        Scenario("favorites", {"feedback": "favorite"}, what="my feedback = favorite (~3%)"),
        Scenario("unrated", {"feedback": "unrated"}, what="my feedback = none"),
        Scenario("portfolio", {"type": "portfolio"}, what="type=portfolio (~3%)"),
        Scenario(
            "dress_navy_outlier",
            {"garment_type": "dress", "color": "navy", "is_outlier": "true"},
            what="three filters, very selective",
        ),
        Scenario("prompt_text", {"q": "velvet"}, what="q=velvet (text in the prompt)"),
        Scenario("rating_sort", {"sort": "rating"}, what="sort=rating"),
        Scenario("deep_cursor", {}, deep=True, what="newest, pages 21-25 via next_cursor"),
    ]


# -- small helpers ---------------------------------------------------------------------


def ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


# -- the service -----------------------------------------------------------------------


def start_service(db_url: str, workdir: Path, workers: int) -> tuple[Proc, str]:
    """`serve --role api [--workers N]` on the bench database: the process (the group
    leader of its workers) and its base URL."""
    env = service_env(workdir / "data", {"DATABASE_URL": db_url})
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
        env["REDIS_PREFIX"] = f"dbffbench:{uuid.uuid4().hex[:8]}:"
    extra = ["--workers", str(workers)] if workers > 1 else []
    return serve_on_free_port("api", "api", env, workdir, extra)


# -- users -----------------------------------------------------------------------------


@dataclass
class BenchUser:
    index: int
    email: str
    id: uuid.UUID
    images: int  # ready, not deleted
    token: str = ""


async def pick_users(dsn: str, info: dict[str, Any], sample: int) -> list[BenchUser]:
    """The 10 heaviest users and others spread evenly over the rest (user 0000 is the
    heaviest: the seed gives user i a share ~ 1/(i+5)^0.9)."""
    total = int(info["users"])
    heavy = list(range(min(10, total, sample)))
    rest = max(0, min(sample, total) - len(heavy))
    step = (total - len(heavy)) / rest if rest else 1
    picked = heavy + [len(heavy) + int(k * step) for k in range(rest)]
    emails = [info["email"].format(i) for i in picked]
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT u.id, u.email, (SELECT count(*) FROM images i WHERE i.user_id = u.id "
            "AND i.status = 'ready' AND i.deleted_at IS NULL) AS n "
            "FROM users u WHERE u.email = ANY($1::text[])",
            emails,
        )
    finally:
        await conn.close()
    by_email = {r["email"]: r for r in rows}
    users = []
    for i, email in zip(picked, emails, strict=True):
        r = by_email.get(email)
        if r is None:
            raise BenchError(f"{email} is not in the database: seed it again")
        users.append(BenchUser(i, email, r["id"], int(r["n"])))
    return users


async def login_all(base: str, users: list[BenchUser], password: str) -> None:
    sem = asyncio.Semaphore(4)  # argon2 verification is CPU-bound on the server

    async def one(client: httpx.AsyncClient, user: BenchUser) -> None:
        async with sem:
            resp = await client.post(
                "/api/auth/login", json={"email": user.email, "password": password}
            )
        if resp.status_code != 200:
            raise BenchError(f"login of {user.email}: {resp.status_code} {resp.text[:300]}")
        user.token = resp.json()["access_token"]

    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
        await asyncio.gather(*(one(client, u) for u in users))


# -- requests of a scenario ------------------------------------------------------------


@dataclass
class Target:
    user: BenchUser
    query: dict[str, str]  # the whole query string (limit, filters, sort, cursor)

    @property
    def path(self) -> str:
        return "/api/images?" + urlencode(self.query)


async def build_targets(
    client: httpx.AsyncClient, sc: Scenario, users: list[BenchUser], depth: int
) -> list[Target]:
    base_query = {"limit": str(LIMIT), **sc.params}
    if not sc.deep:
        return [Target(u, base_query) for u in users]
    # Deep cursors: follow next_cursor from page 1 to page depth+5 for users that have
    # that many pages, keeping the cursors of pages depth+1 .. depth+5.
    pages_needed = depth + 5
    deep_users = [u for u in users if u.images > pages_needed * LIMIT][:20]
    if not deep_users:
        raise BenchError(f"no sampled user has {pages_needed * LIMIT} images for deep cursors")

    async def follow(user: BenchUser) -> list[Target]:
        out: list[Target] = []
        cursor = None
        for page in range(1, pages_needed + 1):
            query = dict(base_query)
            if cursor:
                query["cursor"] = cursor
            if page > depth:
                out.append(Target(user, query))
            resp = await client.get(
                "/api/images", params=query, headers={"Authorization": f"Bearer {user.token}"}
            )
            if resp.status_code != 200:
                raise BenchError(f"deep cursor page {page}: {resp.status_code} {resp.text[:300]}")
            cursor = resp.json().get("next_cursor")
            if not cursor:
                break
        return out

    found = await asyncio.gather(*(follow(u) for u in deep_users))
    return [t for group in found for t in group]


async def validate(client: httpx.AsyncClient, targets: list[Target]) -> tuple[float, int]:
    """Every request answers 200 with at most 50 items; (mean items, mean bytes)."""
    sem = asyncio.Semaphore(8)
    items: list[int] = []
    sizes: list[int] = []

    async def one(t: Target) -> None:
        async with sem:
            resp = await client.get(t.path, headers={"Authorization": f"Bearer {t.user.token}"})
        if resp.status_code != 200:
            raise BenchError(f"GET {t.path} as {t.user.email}: {resp.status_code} {resp.text}")
        body = resp.json()
        if len(body["items"]) > LIMIT:
            raise BenchError(f"GET {t.path}: {len(body['items'])} items > {LIMIT}")
        items.append(len(body["items"]))
        sizes.append(len(resp.content))

    await asyncio.gather(*(one(t) for t in targets))
    return sum(items) / len(items), int(sum(sizes) / len(sizes))


# -- raw SQL ---------------------------------------------------------------------------


@dataclass
class SqlResult:
    p50_ms: float
    p95_ms: float
    statements: int  # per request
    plans: list[str] = field(default_factory=list)
    exec_ms: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


async def capture_sql(
    db_url: str, targets: list[Target]
) -> list[list[tuple[str, tuple[Any, ...]]]]:
    """The statements the gallery service runs for each target (its own query builder,
    through SQLAlchemy's asyncpg dialect), captured as they are sent."""
    from sqlalchemy import event, text

    from designer_bff.db.session import create_engine, create_sessionmaker
    from designer_bff.gallery import schemas
    from designer_bff.gallery.service import GalleryService

    # The route's own query model (filters + sort, limit, cursor, layout) when it has one.
    params_model = getattr(schemas, "GalleryParams", None)
    paging = {"limit", "cursor", "sort", "layout"}
    engine = create_engine(db_url)
    captured: list[tuple[str, tuple[Any, ...]]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, tuple(parameters or ())))

    # The page query runs on asyncpg itself (db/fastread.py), past SQLAlchemy's events:
    # record what it hands the driver.
    from designer_bff.db import fastread
    from designer_bff.gallery import service as gallery_service

    async def recording_fetch(db: Any, stmt: Any) -> Any:
        conn = await db.connection()
        driver = fastread.driver_statement(conn.dialect, stmt)
        if driver is not None:
            captured.append((driver[0], tuple(driver[1])))
        return await fastread.fetch_rows(db, stmt)

    original_fetch = gallery_service.fetch_rows
    gallery_service.fetch_rows = recording_fetch  # type: ignore[assignment]
    service = GalleryService(None, grace=timedelta(days=30))  # type: ignore[arg-type]
    out: list[list[tuple[str, tuple[Any, ...]]]] = []
    try:
        async with create_sessionmaker(engine)() as db:
            await db.execute(text("SELECT 1"))  # connect first
            for t in targets:
                query = dict(t.query)
                if params_model is not None:
                    p = params_model(**query)
                else:
                    p = schemas.GalleryFilters(
                        **{k: v for k, v in query.items() if k not in paging}
                    )
                captured.clear()
                await service.page(
                    db,
                    t.user.id,
                    p,
                    sort=query.get("sort", "newest"),
                    limit=int(query["limit"]),
                    cursor=query.get("cursor"),
                )
                out.append(list(captured))
                await db.rollback()
    finally:
        gallery_service.fetch_rows = original_fetch  # type: ignore[assignment]
        await engine.dispose()
    return out


def plan_summary(plan: dict[str, Any]) -> tuple[str, list[str]]:
    """One line per interesting node (index scans, seq scans, sorts, joins), and warnings."""
    lines: list[str] = []
    warnings: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        kind = node.get("Node Type", "?")
        rel = node.get("Relation Name")
        index = node.get("Index Name")
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        text = kind
        if node.get("Scan Direction") == "Backward":
            text += " Backward"
        if index:
            text += f" using {index}"
        if rel:
            text += f" on {rel}"
        extra = []
        if node.get("Index Cond"):
            extra.append(f"cond {node['Index Cond']}")
        if node.get("Filter"):
            extra.append(f"filter {node['Filter']}")
        if node.get("Rows Removed by Filter"):
            extra.append(f"removed {node['Rows Removed by Filter'] * node.get('Actual Loops', 1)}")
        if node.get("Sort Method"):
            extra.append(f"{node['Sort Method']} {node.get('Sort Space Used', '?')} kB")
        if node.get("Presorted Key"):
            extra.append(f"presorted {','.join(node['Presorted Key'])}")
        if kind not in ("Limit",):
            lines.append(
                "  " * depth
                + f"{text}  rows={rows:g}"
                + (f"  [{'; '.join(extra)}]" if extra else "")
            )
        if kind == "Seq Scan" and rel == "images":
            warnings.append("sequential scan of images")
        removed = node.get("Rows Removed by Join Filter", 0) * node.get("Actual Loops", 1)
        if removed > 5000:
            extra.append(f"join filter removed {removed:g}")
            warnings.append(f"{kind} join filter discards {removed:g} rows")
        if kind == "Sort" and rows > 2000:
            warnings.append(f"sorts {rows:g} rows")
        for child in node.get("Plans", []):
            walk(child, depth + 1)

    walk(plan["Plan"], 0)
    if plan.get("JIT"):
        warnings.append(f"JIT compiled ({plan['JIT'].get('Timing', {}).get('Total', '?')} ms)")
    return "\n".join(lines), warnings


def sql_literal(value: Any) -> str:
    """A parameter value as an SQL literal (for EXECUTE of a prepared statement)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


async def time_sql(
    dsn: str,
    per_target: list[list[tuple[str, tuple[Any, ...]]]],
    targets: list[Target],
    rounds: int,
) -> SqlResult:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        prepared: dict[str, Any] = {}
        for stmts in per_target:
            for sql, _ in stmts:
                if sql not in prepared:
                    prepared[sql] = await conn.prepare(sql)
        times: list[float] = []
        # Round 0 warms the cache (as the API's runs before it did); not counted.
        for r in range(rounds + 1):
            for stmts in per_target:
                t0 = time.perf_counter()
                for sql, params in stmts:
                    await prepared[sql].fetch(*params)
                if r:
                    times.append((time.perf_counter() - t0) * 1000)
        result = SqlResult(pct(times, 50), pct(times, 95), len(per_target[0]))
        # EXPLAIN of the heaviest, a median and the lightest user of the scenario.
        order = sorted(range(len(targets)), key=lambda i: -targets[i].user.images)
        picks = dict.fromkeys([order[0], order[len(order) // 2], order[-1]])
        # Both plans: "custom" (planned for these values, as the first 5 executions of a
        # prepared statement are) and "generic" (what PostgreSQL may switch to afterwards,
        # per connection, for SQLAlchemy's cached asyncpg prepared statements).
        for mode in ("force_custom_plan", "force_generic_plan"):
            await conn.execute(f"SET plan_cache_mode = {mode}")
            for i in picks:
                sql, params = per_target[i][-1]
                # PREPARE + EXPLAIN EXECUTE: the parameter values stay parameters there.
                name = f"bench_q_{mode[6]}{i}"
                await conn.execute(f"PREPARE {name} AS {sql}")
                args_sql = ", ".join(sql_literal(v) for v in params)
                raw = await conn.fetchval(
                    f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE {name}"
                    + (f"({args_sql})" if params else ""),
                    timeout=60,
                )
                await conn.execute(f"DEALLOCATE {name}")
                plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
                text, warnings = plan_summary(plan)
                u = targets[i].user
                kind = mode.split("_")[1]
                result.exec_ms.append(plan.get("Execution Time", float("nan")))
                result.plans.append(
                    f"[{kind}] user {u.index:04d} ({u.images:,} images): execution "
                    f"{plan.get('Execution Time', float('nan')):.2f} ms, planning "
                    f"{plan.get('Planning Time', float('nan')):.2f} ms\n{text}"
                )
                result.warnings.extend(f"[{kind}] user {u.index:04d}: {w}" for w in warnings)
        await conn.execute("RESET plan_cache_mode")
        n = len(picks)
        for k, i in enumerate(picks):
            custom, generic = result.exec_ms[k], result.exec_ms[n + k]
            if generic > 2.0 and generic > 3 * custom:
                result.warnings.append(
                    f"user {targets[i].user.index:04d}: generic plan {generic:.1f} ms vs "
                    f"custom {custom:.1f} ms ({generic / max(custom, 1e-3):.0f}x)"
                )
        return result
    finally:
        await conn.close()


# -- load generators -------------------------------------------------------------------

WRK_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } dbff_timespec;
int clock_gettime(int clk, dbff_timespec *tp);
]]
local ts = ffi.new("dbff_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local interval = __INTERVAL__ -- ms between two requests of this thread; 0: no pacing
local reqs, n, i, next_t = {}, 0, 0, nil
local threads, count = {}, 0

function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines("__FILE__") do
    local path, token = line:match("^([^\t]+)\t([^\t]+)$")
    if path then
      n = n + 1
      reqs[n] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
    end
  end
  i = ((tid or 1) * 7919) % n
end

function request()
  i = i % n + 1
  return reqs[i]
end

if interval > 0 then
  -- An open schedule: each request takes the thread's next slot; a late one goes at once.
  function delay()
    local t = now_ms()
    if next_t == nil or next_t < t then next_t = t end
    local d = next_t - t
    next_t = next_t + interval
    return d
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class LoadResult:
    requests: int
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    label: str
    # CPU per request (ms) of the API process and of the bench database's backends.
    api_cpu_ms: float | None = None
    pg_cpu_ms: float | None = None


@dataclass
class CpuMeter:
    """CPU the API process and the bench database's PostgreSQL backends spend (local
    server only: read from /proc)."""

    api_pid: int | None
    dsn: str
    db_name: str

    async def snapshot(self) -> dict[str, float]:
        snap: dict[str, float] = {}
        if self.api_pid:
            # The server and its worker processes (one process group).
            cpus = [proc_cpu_s(pid) for pid in group_pids(self.api_pid)]
            if cpus:
                snap["api"] = sum(c for c in cpus if c is not None)
        if not self.dsn:  # the embedded run: no PostgreSQL to count
            return snap
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            conn = await asyncpg.connect(self.dsn, timeout=5)
            try:
                pids = await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1 "
                    "AND pid <> pg_backend_pid()",
                    self.db_name,
                )
            finally:
                await conn.close()
            for r in pids:
                cpu = proc_cpu_s(r["pid"])
                if cpu is not None:
                    snap[f"pg{r['pid']}"] = cpu
        return snap

    @staticmethod
    def per_request(
        before: dict[str, float], after: dict[str, float], requests: int
    ) -> tuple[float | None, float | None]:
        if not requests:
            return None, None
        api = after["api"] - before["api"] if "api" in after and "api" in before else None
        pg_keys = [k for k in after if k.startswith("pg")]
        pg = sum(after[k] - before.get(k, 0.0) for k in pg_keys) if pg_keys else None
        return (
            api * 1000 / requests if api is not None else None,
            pg * 1000 / requests if pg is not None else None,
        )


def run_wrk(
    base: str, req_file: Path, conns: int, seconds: float, rate: float | None, label: str
) -> LoadResult:
    threads = 1 if conns <= 64 else 2
    interval = (1000.0 * threads / rate) if rate else 0
    script = req_file.with_suffix(f".{label}.lua")
    script.write_text(
        WRK_LUA.replace("__INTERVAL__", f"{interval:.6f}").replace("__FILE__", str(req_file))
    )
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base + "/api/images",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    d = json.loads(line[len("WRK_JSON ") :])
    errors = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
    return LoadResult(
        d["requests"],
        d["requests"] / (d["duration_us"] / 1e6),
        d["p50"] / 1000,
        d["p95"] / 1000,
        d["p99"] / 1000,
        errors,
        label,
    )


def _python_client(
    base: str, reqs: list[tuple[str, str]], conns: int, seconds: float, rate: float | None
) -> dict[str, Any]:
    """Runs in its own process: `conns` workers, each request rotating over `reqs`."""

    async def main() -> dict[str, Any]:
        lat: list[float] = []
        errors = 0
        stop_at = time.perf_counter() + seconds
        interval = 1.0 / rate if rate else 0.0
        state = {"next": time.perf_counter(), "i": random.randrange(len(reqs))}

        async def fetch_aiohttp(session: Any, path: str, token: str) -> int:
            async with session.get(base + path, headers={"Authorization": f"Bearer {token}"}) as r:
                await r.read()
                return r.status

        async def fetch_httpx(session: Any, path: str, token: str) -> int:
            r = await session.get(base + path, headers={"Authorization": f"Bearer {token}"})
            return r.status_code

        async def worker(session: Any, fetch: Any) -> None:
            nonlocal errors
            while True:
                if interval:
                    slot = max(state["next"], time.perf_counter())
                    state["next"] = slot + interval
                    wait = slot - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                if time.perf_counter() >= stop_at:
                    return
                state["i"] = (state["i"] + 1) % len(reqs)
                path, token = reqs[state["i"]]
                t0 = time.perf_counter()
                try:
                    status = await fetch(session, path, token)
                except Exception:
                    status = 0
                lat.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    errors += 1

        t0 = time.perf_counter()
        try:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=conns)
            async with aiohttp.ClientSession(connector=connector) as session:
                await asyncio.gather(*(worker(session, fetch_aiohttp) for _ in range(conns)))
        except ImportError:
            limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
            async with httpx.AsyncClient(limits=limits, timeout=10.0) as session:
                await asyncio.gather(*(worker(session, fetch_httpx) for _ in range(conns)))
        elapsed = time.perf_counter() - t0
        return {"lat": lat, "errors": errors, "elapsed": elapsed}

    return asyncio.run(main())


def run_python(
    base: str,
    reqs: list[tuple[str, str]],
    conns: int,
    seconds: float,
    rate: float | None,
    label: str,
) -> LoadResult:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        d = pool.apply(_python_client, (base, reqs, conns, seconds, rate))
    lat = d["lat"]
    return LoadResult(
        len(lat),
        len(lat) / d["elapsed"],
        pct(lat, 50),
        pct(lat, 95),
        pct(lat, 99),
        d["errors"],
        label,
    )


# -- main ------------------------------------------------------------------------------


@dataclass
class Row:
    sc: Scenario
    n_targets: int
    items: float
    size: int
    c1: LoadResult | None
    c50: LoadResult | None
    paced: LoadResult | None
    sql: SqlResult | None


async def load(args: argparse.Namespace, meter: CpuMeter, base: str, req_file: Path,
               reqs: list[tuple[str, str]], conns: int, seconds: float, rate: float | None,
               label: str) -> LoadResult:  # fmt: skip
    before = await meter.snapshot()
    if args.client == "wrk":
        result = await asyncio.to_thread(run_wrk, base, req_file, conns, seconds, rate, label)
    else:
        result = await asyncio.to_thread(run_python, base, reqs, conns, seconds, rate, label)
    after = await meter.snapshot()
    result.api_cpu_ms, result.pg_cpu_ms = CpuMeter.per_request(before, after, result.requests)
    return result


def fmt_load(r: LoadResult | None) -> str:
    if r is None:
        return "-"
    err = f", {r.errors} errors" if r.errors else ""
    cpu = []
    if r.api_cpu_ms is not None:
        cpu.append(f"API {r.api_cpu_ms:.2f}")
    if r.pg_cpu_ms is not None:
        cpu.append(f"PG {r.pg_cpu_ms:.2f}")
    cpu_text = f"; CPU ms/req {' + '.join(cpu)}" if cpu else ""
    return (
        f"{r.rps:7.0f} req/s  p50 {r.p50:6.2f}  p95 {r.p95:6.2f}  p99 {r.p99:6.2f} ms"
        f"  ({r.requests:,} requests{err}{cpu_text})"
    )


async def run_scenario(
    args: argparse.Namespace,
    sc: Scenario,
    base: str,
    users: list[BenchUser],
    db_url: str,
    dsn: str,
    workdir: Path,
    api: bool,
    meter: CpuMeter,
) -> Row:
    load1, load5, _ = os.getloadavg()
    print(f"\n== {sc.name}: {sc.what}  (load average {load1:.2f} / {load5:.2f})", flush=True)
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
        targets = (
            await build_targets(client, sc, users, args.depth)
            if api
            else [Target(u, {"limit": str(LIMIT), **sc.params}) for u in users]
        )
        items, size = (await validate(client, targets)) if api else (float("nan"), 0)
    if api:
        print(f"  {len(targets)} distinct requests, {items:.1f} items and {size:,} bytes a page")
    sql = None
    if not args.no_sql:
        if sc.deep and not api:
            print("  (deep cursors need the API to make them: SQL skipped)")
        else:
            per_target = await capture_sql(db_url, targets)
            sql = await time_sql(dsn, per_target, targets, args.sql_rounds)
            print(
                f"  SQL        p50 {sql.p50_ms:6.2f}  p95 {sql.p95_ms:6.2f} ms"
                f"  ({sql.statements} statement(s) a request, prepared, one connection)"
            )
    c1 = c50 = paced = None
    if api and not args.no_load:
        rng = random.Random(7)
        reqs = [(t.path, t.user.token) for t in targets]
        rng.shuffle(reqs)
        req_file = workdir / f"{sc.name}.tsv"
        req_file.write_text("".join(f"{p}\t{tok}\n" for p, tok in reqs))
        c1 = await load(args, meter, base, req_file, reqs, 1, min(5.0, args.seconds), None, "c1")
        print(f"  API c1     {fmt_load(c1)}", flush=True)
        c50 = await load(
            args, meter, base, req_file, reqs, args.connections, args.seconds, None, "c50"
        )
        print(f"  API c{args.connections:<3}   {fmt_load(c50)}", flush=True)
        if args.rate:
            paced = await load(
                args, meter, base, req_file, reqs, args.connections, args.seconds, args.rate,
                "paced",
            )  # fmt: skip
            print(f"  API @{args.rate:<5.0f} {fmt_load(paced)}", flush=True)
    if sql:
        if c1 and paced:
            print(
                f"  ratio      c1 p50 / SQL p50 = {c1.p50 / sql.p50_ms:.2f}x;"
                f"  @{args.rate:.0f} p95 / SQL p95 = {paced.p95 / sql.p95_ms:.2f}x"
            )
        for plan in sql.plans:
            print("  EXPLAIN " + plan.replace("\n", "\n    "))
        for w in sql.warnings:
            print(f"  ! {w}")
    return Row(sc, len(targets), items, size, c1, c50, paced, sql)


def summary(args: argparse.Namespace, rows: list[Row]) -> None:
    print(
        "\n== Summary (ms; targets: p95 <= 20 ms at the paced rate, >= 1,000 req/s at "
        f"{args.connections} connections, one-connection p50 <= 2x SQL p50)"
    )
    head = (
        f"{'scenario':<19} {'c1 p50':>7} {'c50 req/s':>9} {'c50 p95':>8} "
        f"{'@' + format(args.rate, '.0f') + ' req/s':>10} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'SQL p50':>8} {'SQL p95':>8} {'c1/SQL':>6} {'p95/SQL':>7}  verdict"
    )
    print(head)
    for r in rows:
        c1, c50, pa, sql = r.c1, r.c50, r.paced, r.sql

        def f(v: float | None, w: int, d: int = 2) -> str:
            return f"{v:>{w}.{d}f}" if v is not None and not math.isnan(v) else f"{'-':>{w}}"

        ratio1 = c1.p50 / sql.p50_ms if c1 and sql else None
        ratio95 = pa.p95 / sql.p95_ms if pa and sql else None
        verdict = []
        if pa:
            verdict.append(f"p95 {ok(pa.p95 <= TARGET_P95_MS)}")
            verdict.append(f"rate {ok(pa.rps >= TARGET_RPS * 0.97 and pa.errors == 0)}")
        if c50:
            verdict.append(f"max {ok(c50.rps >= TARGET_RPS)}")
        if ratio1 is not None:
            verdict.append(f"ratio {ok(ratio1 <= TARGET_RATIO)}")
        if sql and sql.warnings:
            verdict.append("plan!")
        print(
            f"{r.sc.name:<19} {f(c1.p50 if c1 else None, 7)} {f(c50.rps if c50 else None, 9, 0)} "
            f"{f(c50.p95 if c50 else None, 8)} {f(pa.rps if pa else None, 10, 0)} "
            f"{f(pa.p50 if pa else None, 6)} {f(pa.p95 if pa else None, 6)} "
            f"{f(pa.p99 if pa else None, 6)} {f(sql.p50_ms if sql else None, 8)} "
            f"{f(sql.p95_ms if sql else None, 8)} {f(ratio1, 6)} {f(ratio95, 7)}  "
            + ", ".join(verdict)
        )


async def api_available(base: str, user: BenchUser) -> tuple[bool, str]:
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
        resp = await client.get(
            "/api/images", params={"limit": "1"}, headers={"Authorization": f"Bearer {user.token}"}
        )
    if resp.status_code == 200 and "items" in resp.json():
        return True, ""
    return False, f"GET /api/images answered {resp.status_code}: {resp.text[:200]}"


async def main_async(args: argparse.Namespace) -> int:
    server = server_url(args.database_url)
    admin_dsn, dsn = pg_urls(server, args.name)
    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            args.name,
        )
    finally:
        await conn.close()
    info = read_seed_comment(comment)
    if info is None:
        raise BenchError(
            f"database {args.name} is missing or not fully seeded: "
            "run .venv/bin/python bench/seed_gallery.py first"
        )
    db_url = sqlalchemy_url(dsn)
    if args.plan_cache_mode:
        await set_plan_cache_mode(admin_dsn, args.name, args.plan_cache_mode)
        print(f"plan_cache_mode = {args.plan_cache_mode} for {args.name} during this run")
    try:
        return await run_all(args, info, dsn, db_url)
    finally:
        if args.plan_cache_mode:
            await set_plan_cache_mode(admin_dsn, args.name, None)


async def set_plan_cache_mode(admin_dsn: str, name: str, mode: str | None) -> None:
    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        if mode:
            await conn.execute(f'ALTER DATABASE "{name}" SET plan_cache_mode = {mode}')
        else:
            await conn.execute(f'ALTER DATABASE "{name}" RESET plan_cache_mode')
    finally:
        await conn.close()


async def run_all(args: argparse.Namespace, info: dict[str, Any], dsn: str, db_url: str) -> int:
    print(
        f"Database {args.name}: {info['images']:,} images over {info['users']:,} users "
        f"(seeded in {info['seed_s']} s); {os.cpu_count()} CPUs"
    )
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
        if args.client == "python":
            print(
                "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk): falling back "
                "to the Python asyncio client, which shares the CPUs with the server; "
                "its figures are pessimistic"
            )
    elif args.client == "wrk" and not shutil.which("wrk"):
        raise BenchError("--client wrk: wrk is not installed (apt-get install -y wrk)")
    print(f"Load generator: {args.client}")

    users = await pick_users(dsn, info, args.users)
    counts = sorted(u.images for u in users)
    print(
        f"Users: {len(users)} sampled (images each: max {counts[-1]:,}, "
        f"median {counts[len(counts) // 2]:,}, min {counts[0]:,})"
    )
    with tempfile.TemporaryDirectory(prefix="dbff-bench-gallery-") as tmp:
        workdir = Path(tmp)
        service = None
        try:
            if args.url:
                base = args.url.rstrip("/")
            else:
                service, base = start_service(dsn, workdir, args.workers)
                t0 = time.perf_counter()
                # 503 counts: the API answers, only one of its dependencies is down.
                await wait_healthy(service, base, START_TIMEOUT_S, healthy=(200, 503))
                print(f"API: designer-bff serve --role api --workers {args.workers} at {base} "
                      f"(up in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
            t0 = time.perf_counter()
            await login_all(base, users, info["password"])
            print(f"Logged in {len(users)} users in {time.perf_counter() - t0:.1f} s")
            api, why = await api_available(base, users[0])
            if not api:
                print(f"\nThe gallery API is not available ({why}): SQL figures only.")
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            chosen = scenarios(today)
            if args.scenarios:
                wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
                unknown = set(wanted) - {s.name for s in chosen}
                if unknown:
                    raise BenchError(f"unknown scenarios: {', '.join(sorted(unknown))}")
                chosen = [s for s in chosen if s.name in wanted]
            meter = CpuMeter(service.popen.pid if service else None, dsn, args.name)
            load1, load5, load15 = os.getloadavg()
            print(f"Load average before the runs: {load1:.2f} {load5:.2f} {load15:.2f}")
            if load1 > (os.cpu_count() or 1) * 0.5:
                print(
                    "  ! other work is using this machine's CPUs: the figures below are "
                    "pessimistic (see the CPU ms per request, which depend less on it)"
                )
            rows = []
            for sc in chosen:
                rows.append(
                    await run_scenario(args, sc, base, users, db_url, dsn, workdir, api, meter)
                )
                if service and service.popen.poll() is not None:
                    raise BenchError(f"the API exited:\n{service.log_tail()}")
            summary(args, rows)
            if api and not args.no_load and args.profile > 0 and service is not None:
                await profile_api(args, service, base, users, workdir)
            if api and not args.no_load and args.embedded_users > 0:
                await embedded_figures(args, info, dsn, users[: args.embedded_users], workdir)
        finally:
            if service:
                stop_proc(service)
    return 0


# -- where the API's time goes (py-spy) -------------------------------------------------

PROFILE_BUCKETS = (
    ("our code", ("designer_bff/",)),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("asyncpg", ("asyncpg/",)),
    ("FastAPI / Starlette", ("fastapi/", "starlette/")),
    ("pydantic", ("pydantic",)),
    ("uvicorn, event loop, sockets", ("uvicorn/", "uvloop", "asyncio/", "runners.py")),
    ("JSON", ("json/", "orjson")),
    ("logging", ("structlog/", "logging/")),
    ("JWT", ("jwt/",)),
)


def bucket_of(frame: str) -> str:
    for name, needles in PROFILE_BUCKETS:
        if any(n in frame for n in needles):
            return name
    return "other"


def summarise_profile(raw: Path, top: int = 12) -> list[str]:
    """py-spy's raw (collapsed) stacks: time by library of the innermost frame, and the
    functions of ours with the most time under them."""
    by_bucket: dict[str, int] = {}
    ours: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = frames[-1]
        by_bucket[bucket_of(leaf)] = by_bucket.get(bucket_of(leaf), 0) + n
        seen = set()
        for f in frames:
            if "designer_bff/" in f:
                name = f.split(" (")[0]
                if name not in seen:
                    seen.add(name)
                    ours[name] = ours.get(name, 0) + n
    if not total:
        return ["  (no samples)"]
    out = ["  self time by library (innermost frame):"]
    for name, n in sorted(by_bucket.items(), key=lambda kv: -kv[1]):
        out.append(f"    {100 * n / total:5.1f}%  {name}")
    out.append("  our functions, time spent under them (inclusive):")
    for name, n in sorted(ours.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"    {100 * n / total:5.1f}%  {name}")
    return out


async def profile_api(
    args: argparse.Namespace,
    service: Proc,
    base: str,
    users: list[BenchUser],
    workdir: Path,
) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(spy):  # noqa: ASYNC240 - one stat before the run
        print("\n(py-spy not installed: no profile)")
        return
    reqs = [(f"/api/images?limit={LIMIT}", u.token) for u in users]
    req_file = workdir / "profile.tsv"
    req_file.write_text("".join(f"{p}\t{tok}\n" for p, tok in reqs))
    raw = workdir / "profile.raw"
    seconds = args.profile
    spy_proc = subprocess.Popen(  # noqa: ASYNC220 - runs beside the load, waited in a thread
        [spy, "record", "--pid", str(service.popen.pid), "--subprocesses", "--nonblocking",
         "-r", "200", "-d", str(max(1, round(seconds))), "-f", "raw", "-o", str(raw)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.sleep(0.5)
        meter = CpuMeter(service.popen.pid, "", "")
        if args.client == "wrk":
            await asyncio.to_thread(
                run_wrk, base, req_file, args.connections, seconds + 1, None, "profile"
            )
        else:
            await load(args, meter, base, req_file, reqs, args.connections, seconds + 1, None,
                       "profile")  # fmt: skip
        await asyncio.to_thread(spy_proc.wait, 30)
    finally:
        if spy_proc.poll() is None:
            spy_proc.kill()
    print(f"\n== Profile: first_page at {args.connections} connections, {seconds:.0f} s of "
          "py-spy samples over the API processes")  # fmt: skip
    if raw.exists():
        print("\n".join(summarise_profile(raw)))
    else:
        print("  (py-spy wrote nothing: it needs ptrace permission)")


# -- the embedded default: the same API on SQLite --------------------------------------

EMBEDDED_TABLES = ("users", "images", "image_feedback")


async def copy_to_sqlite(dsn: str, users: list[BenchUser], sqlite_file: Path) -> dict[str, int]:
    """Those users with their designs and feedback, from the PostgreSQL seed into a
    freshly migrated SQLite database (SQLAlchemy's column types convert the values)."""
    import sqlalchemy as sa

    from designer_bff.db import migrate
    from designer_bff.db.base import Base

    url = f"sqlite+aiosqlite:///{sqlite_file}"
    await asyncio.to_thread(migrate.upgrade, url)
    ids = [u.id for u in users]
    where = {
        "users": "id = ANY($1::uuid[])",
        "images": "user_id = ANY($1::uuid[])",
        "image_feedback": "user_id = ANY($1::uuid[])",
    }
    conn = await asyncpg.connect(dsn, timeout=10)
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    engine = sa.create_engine(f"sqlite:///{sqlite_file}")
    counts: dict[str, int] = {}
    try:
        for name in EMBEDDED_TABLES:
            table = Base.metadata.tables[name]
            columns = [c.name for c in table.columns]
            sql = f"SELECT {', '.join(columns)} FROM {name} WHERE {where[name]}"
            counts[name] = 0
            async with conn.transaction():
                cursor = conn.cursor(sql, ids, prefetch=5000)
                batch: list[dict[str, Any]] = []
                async for record in cursor:
                    batch.append(dict(record))
                    if len(batch) >= 5000:
                        await asyncio.to_thread(_insert, engine, table, batch)
                        counts[name] += len(batch)
                        batch = []
                if batch:
                    await asyncio.to_thread(_insert, engine, table, batch)
                    counts[name] += len(batch)
    finally:
        await conn.close()
        engine.dispose()
    return counts


def _insert(engine: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)


async def embedded_figures(
    args: argparse.Namespace,
    info: dict[str, Any],
    dsn: str,
    users: list[BenchUser],
    workdir: Path,
) -> None:
    print(f"\n== Embedded default (SQLite, serve --role all, one process): first_page for "
          f"{len(users)} users")  # fmt: skip
    data = workdir / "embedded"
    t0 = time.perf_counter()
    counts = await copy_to_sqlite(dsn, users, data / "designer_bff.db")
    print(f"  copied {', '.join(f'{n:,} {t}' for t, n in counts.items())} into SQLite in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    env = service_env(data, {})
    service, base = serve_on_free_port("embedded", "all", env, workdir)
    try:
        await wait_healthy(service, base, START_TIMEOUT_S, healthy=(200, 503))
        embedded_users = [BenchUser(u.index, u.email, u.id, u.images) for u in users]
        await login_all(base, embedded_users, info["password"])
        reqs = [(f"/api/images?limit={LIMIT}", u.token) for u in embedded_users]
        req_file = workdir / "embedded.tsv"
        req_file.write_text("".join(f"{p}\t{tok}\n" for p, tok in reqs))
        meter = CpuMeter(service.popen.pid, "", "")
        c1 = await load(args, meter, base, req_file, reqs, 1, min(5.0, args.seconds), None, "e1")
        print(f"  API c1     {fmt_load(c1)}", flush=True)
        c50 = await load(
            args, meter, base, req_file, reqs, args.connections, args.seconds, None, "e50"
        )
        print(f"  API c{args.connections:<3}   {fmt_load(c50)}", flush=True)
        if args.rate:
            paced = await load(args, meter, base, req_file, reqs, args.connections,
                               args.seconds, args.rate, "epaced")  # fmt: skip
            print(f"  API @{args.rate:<5.0f} {fmt_load(paced)}", flush=True)
    finally:
        stop_proc(service)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--name", default=DEFAULT_NAME, help="bench database (default %(default)s)")
    p.add_argument("--database-url", help="server URL (default DATABASE_URL or the local one)")
    p.add_argument("--url", help="a running server on that database (default: start one)")
    p.add_argument("--seconds", type=float, default=15.0, help="per load run (default 15)")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--rate", type=float, default=1000.0, help="paced run, req/s (0: none)")
    p.add_argument("--users", type=int, default=100, help="users logged in (default 100)")
    p.add_argument("--depth", type=int, default=20, help="deep cursors start after this page")
    p.add_argument("--sql-rounds", type=int, default=3, help="timed passes over the requests")
    p.add_argument("--scenarios", help="comma-separated subset (default: all)")
    p.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument(
        "--plan-cache-mode",
        choices=("auto", "force_custom_plan", "force_generic_plan"),
        help="set for the bench database during the run (ALTER DATABASE ... SET; reset "
        "afterwards): measures the API and SQL with that PostgreSQL plan_cache_mode",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="API processes (serve --workers; needs REDIS_URL; default: one per CPU)",
    )
    p.add_argument(
        "--profile",
        type=float,
        default=8.0,
        help="seconds of py-spy sampling of the API under first_page load, summarised "
        "(0: none; needs py-spy, a dev dependency)",
    )
    p.add_argument(
        "--embedded-users",
        type=int,
        default=10,
        help="the embedded default (SQLite, `serve --role all`): this many of the sampled "
        "users (the heaviest first) are copied into a SQLite database and first_page is "
        "load-tested there too (0: skip)",
    )
    p.add_argument("--no-sql", action="store_true", help="skip the raw SQL timing")
    p.add_argument("--no-load", action="store_true", help="skip the load runs")
    args = p.parse_args(argv)
    if args.workers > 1 and not os.environ.get("REDIS_URL"):
        print("--workers > 1 needs REDIS_URL (the processes share events over it): one worker")
        args.workers = 1
    if not 1 <= args.connections <= 1000 or not 1 <= args.seconds <= 600:
        p.error("--connections 1..1000 and --seconds 1..600")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except BenchError as exc:
        print(f"\nbench/gallery: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
