"""Real `designer-bff serve` processes, a real S3-protocol server and a real Socket.IO
client for the crash-recovery and cross-process tests.

Everything here binds to 127.0.0.1 on free ports, waits with deadlines, and is torn
down by the caller in `finally` (`Processes.close`)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.conftest import AuthedUser, register_user
from tests.generation.helpers import get_job, start_job

BIN = Path(sys.executable).parent / "designer-bff"

# Settings of the developer's or CI's environment that must not leak into a subprocess:
# each test chooses its own backend, storage and tuning explicitly.
_STRIPPED = (
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_PREFIX",
    "JWT_SECRET",
    "APP_ENV",
    "R2_",
    "MEDIA_DIR",
    "DATA_DIR",
    "PROVIDER_CONCURRENCY",
    "GENERATION_",
    "SPEECH_PROVIDER",
    "DEFAULT_PROVIDER",
    "IMAGE_SIZE",
    "HOST",
    "PORT",
    "LOG_",
    "METRICS_",
    "BACKUP_",
)

# A spec every provider can draw; quantity comes from the test.
SPEC = {"garment_type": "dress", "styles": ["bohemian"], "colors": ["terracotta"]}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED)}
    env.update(
        {
            "DATA_DIR": str(data_dir),
            "APP_ENV": "test",
            "LOG_LEVEL": "INFO",
            "SPEECH_PROVIDER": "none",
        }
    )
    env.update(extra)
    return env


@dataclass
class Service:
    """One `designer-bff serve --role ROLE` process, its output in a log file."""

    role: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def url(self) -> str:
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, chars: int = 4000) -> str:
        return self.log()[-chars:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    async def wait_ready(self, within: float = 60.0) -> None:
        """API roles: /health answers 200. Background roles: "<role> ready" is printed."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if not self.alive():
                    raise AssertionError(
                        f"{self.role} exited with {self.proc.returncode}:\n{self.log_tail()}"
                    )
                if self.port is None:
                    if f"{self.role} ready" in self.log():
                        return
                else:
                    try:
                        if (await client.get(f"{self.url}/health")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.role} not ready after {within}s:\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crashed or OOM-killed pod."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)


@dataclass
class Processes:
    """Every process a test starts, so `close()` in `finally` ends them all."""

    workdir: Path
    started: list[Service] = field(default_factory=list)
    _logs: list[Any] = field(default_factory=list)

    def start(
        self, role: str, env: dict[str, str], *, port: int | None = None, name: str | None = None
    ) -> Service:
        tag = name or f"{role}-{len(self.started)}"
        log_path = self.workdir / f"{tag}.log"
        log = log_path.open("wb")
        self._logs.append(log)
        args = [str(BIN), "serve", "--role", role]
        if role in ("all", "api"):
            port = port or free_port()
            args += ["--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(  # cwd without a .env: only `env` configures it
            args, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        service = Service(role, proc, log_path, port if role in ("all", "api") else None)
        self.started.append(service)
        return service

    def close(self) -> None:
        for service in reversed(self.started):
            try:
                service.stop(timeout=10)
            except Exception:  # best effort: the next one must still stop
                if service.alive():
                    service.proc.kill()
        for log in self._logs:
            log.close()

    def logs(self) -> str:
        return "\n".join(f"--- {s.log_path.name}\n{s.log_tail(3000)}" for s in self.started)


# -- S3-protocol server ------------------------------------------------------------------


@dataclass
class MotoServer:
    proc: subprocess.Popen[bytes]
    endpoint: str
    log: Any

    def create_bucket(self, bucket: str) -> None:
        # obstore cannot create buckets; moto accepts an unsigned CreateBucket.
        httpx.put(f"{self.endpoint}/{bucket}", timeout=5.0).raise_for_status()

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


def start_moto(workdir: Path, env: dict[str, str] | None = None) -> MotoServer:
    """`moto_server` as a separate process, once it answers; its log in `workdir`."""
    exe = Path(sys.executable).with_name("moto_server")
    found = str(exe) if exe.exists() else shutil.which("moto_server")
    if not found:
        pytest.skip("moto_server is not installed (dev dependency moto[server])")
    port = free_port()
    log = (workdir / "moto.log").open("wb")
    proc = subprocess.Popen(
        [found, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    server = MotoServer(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            log.close()
            raise RuntimeError(f"moto_server exited with {proc.returncode}")
        try:
            httpx.get(f"{server.endpoint}/moto-api/", timeout=1.0)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline:
                server.close()
                raise RuntimeError("moto_server did not start within 30 s") from None
            time.sleep(0.1)


# -- HTTP --------------------------------------------------------------------------------


async def create_job(client: httpx.AsyncClient, user: AuthedUser, quantity: int) -> dict[str, Any]:
    return await start_job(client, user, SPEC, quantity=quantity)


async def poll_job(
    client: httpx.AsyncClient,
    user: AuthedUser,
    job_id: str,
    until: Callable[[dict[str, Any]], bool],
    within: float,
    what: str,
    diagnostics: Callable[[], str] = lambda: "",
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        job = await get_job(client, user, job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: not reached within {within}s; job {job['status']} "
                f"{job['progress']}\n{diagnostics()}"
            )
        await asyncio.sleep(0.03)


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("completed", "failed", "cancelled")


async def wait_mid_job(
    client: httpx.AsyncClient, user: AuthedUser, job_id: str, diagnostics: Callable[[], str]
) -> dict[str, Any]:
    """The job once a few designs are made (or it ended): the moment to kill its maker."""
    return await poll_job(
        client,
        user,
        job_id,
        lambda j: j["progress"]["done"] >= 4 or finished(j),
        within=30,
        what="first designs",
        diagnostics=diagnostics,
    )


async def wait_completed(
    client: httpx.AsyncClient,
    user: AuthedUser,
    job_id: str,
    quantity: int,
    what: str,
    diagnostics: Callable[[], str],
) -> dict[str, Any]:
    """The job once finished, which must be with all `quantity` designs made."""
    final = await poll_job(
        client, user, job_id, finished, within=40, what=what, diagnostics=diagnostics
    )
    assert final["status"] == "completed", final
    assert final["progress"] == {"done": quantity, "failed": 0, "total": quantity}
    return final


# A price for the local renderer (it is free by default), so crash tests see the ledger.
DESIGN_PRICE = "0.01"


def priced_local_renderer(folder: Path) -> str:
    """A PRICES_FILE pricing each local design at DESIGN_PRICE; its path."""
    path = folder / "prices.yaml"
    path.write_text(
        f"providers:\n  local-flats:\n    local-flats-v1: {{generate: {DESIGN_PRICE}}}\n"
    )
    return str(path)


def assert_charged_once(charges: list[tuple[Any, Any]], rows: list[dict[str, Any]]) -> None:
    """One ledger row per design made (image id, amount), whatever crashed meanwhile."""
    charged = sorted(uuid.UUID(str(image_id)) for image_id, _ in charges)
    assert charged == sorted(uuid.UUID(str(r["id"])) for r in rows)
    assert {Decimal(str(amount)) for _, amount in charges} == {Decimal(DESIGN_PRICE)}


def assert_made_exactly_once(rows: list[dict[str, Any]], stored: set[str], quantity: int) -> None:
    """The record of truth after a crash: one row per design, each seq once, every one
    ready; storage holds exactly one set of objects per design, nothing stored twice and
    nothing orphaned by the design the crash interrupted."""
    assert len(rows) == quantity
    assert sorted(r["seq"] for r in rows) == list(range(quantity))
    assert {r["status"] for r in rows} == {"ready"}
    expected = expected_objects(rows)
    assert len(objects_by_image(expected)) == quantity
    assert stored == expected, (sorted(stored - expected), sorted(expected - stored))


# -- Socket.IO ---------------------------------------------------------------------------


@dataclass
class Received:
    at: float  # time.monotonic() when the client got it
    event: str
    data: Any


class EventClient:
    """A real python-socketio client that records every event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[Received] = []

        @self.sio.on("*")
        async def _any(event: str, data: Any = None) -> None:
            self.events.append(Received(time.monotonic(), event, data))

    async def connect(self, url: str, token: str | None) -> None:
        await self.sio.connect(
            url,
            auth={"token": token} if token is not None else None,
            transports=["websocket"],
            wait_timeout=10,
        )

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    def of(self, event: str, job_id: str | None = None) -> list[Received]:
        return [
            r for r in self.events if r.event == event and (job_id is None or _job_of(r) == job_id)
        ]

    def for_job(self, job_id: str) -> list[Received]:
        return [r for r in self.events if _job_of(r) == job_id]

    async def wait_for(
        self, predicate: Callable[[EventClient], bool], within: float, what: str
    ) -> None:
        deadline = time.monotonic() + within
        while not predicate(self):
            if time.monotonic() > deadline:
                seen = [(r.event, _job_of(r)) for r in self.events][-20:]
                raise AssertionError(f"{what}: not seen within {within}s; last events {seen}")
            await asyncio.sleep(0.02)


def _job_of(received: Received) -> str | None:
    data = received.data
    return data.get("job_id") if isinstance(data, dict) else None


async def assert_refused(url: str, token: str | None) -> None:
    client = EventClient()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(url, token)
        assert not client.sio.connected
    finally:
        await client.close()


def assert_job_events(client: EventClient, job_id: str, total: int) -> None:
    """The full story of a finished job, as one user's client saw it."""
    queued = client.of("job.queued", job_id)
    assert len(queued) == 1, [r.event for r in client.for_job(job_id)]
    assert queued[0].data["total"] == total

    created = client.of("image.created", job_id)
    assert len(created) == total
    assert len({r.data["id"] for r in created}) == total  # no design announced twice
    assert sorted(r.data["seq"] for r in created) == list(range(total))
    for r in created:
        image = r.data
        assert image["thumbnail_url"] == f"/api/images/{image['id']}/file?variant=thumb"
        assert isinstance(image["width"], int) and image["width"] > 0
        assert isinstance(image["height"], int) and image["height"] > 0
        assert isinstance(image["thumbhash"], str) and image["thumbhash"]

    progress = client.of("job.progress", job_id)
    assert len(progress) >= total  # one per design made (at least)
    assert all(p.data["total"] == total for p in progress)
    done = [p.data["done"] for p in progress]
    assert max(done) == total
    assert sorted(done) == list(range(1, total + 1))  # every step once: 1..total

    completed = client.of("job.completed", job_id)
    assert len(completed) == 1
    assert completed[0].data["done"] == total and completed[0].data["total"] == total
    # Order as a client relies on it: queued first, completed after the last design.
    assert queued[0].at <= min(r.at for r in created)
    assert completed[0].at >= max(r.at for r in created)
    assert not client.of("job.failed", job_id) and not client.of("job.cancelled", job_id)


async def check_live_events(url: str, stored_keys: Callable[[str], Awaitable[set[str]]]) -> None:
    """Two users' Socket.IO clients on the API at `url`: no connection without a valid
    token, each sees its own job's full story and nothing of the other's, then a cancel
    mid-job (`cancel_mid_job`). A process making designs must already be running."""
    alice_sio, bob_sio = EventClient(), EventClient()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            alice = await register_user(client, "alice")
            bob = await register_user(client, "bob")
            await assert_refused(url, None)
            await assert_refused(url, "not-a-token")
            await alice_sio.connect(url, alice.access_token)
            await bob_sio.connect(url, bob.access_token)

            job = await create_job(client, alice, 5)
            bobs = await create_job(client, bob, 1)
            for sio, job_id in ((alice_sio, job["id"]), (bob_sio, bobs["id"])):
                await sio.wait_for(
                    lambda c, j=job_id: bool(c.of("job.completed", j)), 30, "job.completed"
                )
            assert_job_events(alice_sio, job["id"], 5)
            assert_job_events(bob_sio, bobs["id"], 1)
            # Each user's room carries only their own events.
            assert {r.data.get("job_id") for r in bob_sio.events} == {bobs["id"]}
            assert {r.data.get("job_id") for r in alice_sio.events} == {job["id"]}

            await cancel_mid_job(client, alice, alice_sio, 40, stored_keys)
            assert {r.data.get("job_id") for r in bob_sio.events} == {bobs["id"]}
    finally:
        await alice_sio.close()
        await bob_sio.close()


async def cancel_mid_job(
    client: httpx.AsyncClient,
    user: AuthedUser,
    sio: EventClient,
    quantity: int,
    stored_keys: Callable[[str], Awaitable[set[str]]],
) -> None:
    """Cancel a job of `quantity` (made one design at a time) once a few designs are out:
    a `job.cancelled` event, nothing new announced within 1 s but the design already in
    flight, designs made stay and download, the rest are cancelled and left no objects."""
    job = await create_job(client, user, quantity)
    job_id = job["id"]
    await sio.wait_for(lambda c: len(c.of("image.created", job_id)) >= 3, 30, "first designs")
    resp = await client.post(f"/api/generations/{job_id}/cancel", headers=user.headers)
    cancelled_at = time.monotonic()
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled"
    await sio.wait_for(lambda c: bool(c.of("job.cancelled", job_id)), 5, "job.cancelled")
    await asyncio.sleep(1.0)

    created = sio.of("image.created", job_id)
    late = [r for r in created if r.at > cancelled_at]
    # With one design at a time, at most the one already in flight may still land.
    assert len(late) <= 1, f"{len(late)} designs announced after the cancel"
    assert len(created) < quantity
    assert not sio.of("job.completed", job_id)

    after = await get_job(client, user, job_id)
    assert after["status"] == "cancelled"
    statuses = [i["status"] for i in after["images"]]
    ready = [i for i in after["images"] if i["status"] == "ready"]
    assert set(statuses) <= {"ready", "cancelled"}, statuses
    assert statuses.count("cancelled") == quantity - len(ready) > 0
    # Every design the client was told about is in the gallery, and nothing more.
    assert {i["id"] for i in ready} == {r.data["id"] for r in created}
    assert after["progress"]["done"] == len(ready)
    for image in ready:  # designs already made stay, and download (stream or redirect)
        thumb = await client.get(
            image["urls"]["thumb"], headers=user.headers, follow_redirects=True
        )
        assert thumb.status_code == 200, thumb.text
        assert thumb.content[8:12] == b"WEBP"
    cancelled_id = next(i["id"] for i in after["images"] if i["status"] == "cancelled")
    gone = await client.get(f"/api/images/{cancelled_id}/file?variant=thumb", headers=user.headers)
    assert gone.status_code == 404
    # Nothing of the cancelled designs is in storage: the in-flight one's objects, if it
    # got that far, were removed when its claim turned out to be cancelled.
    await asyncio.sleep(0.5)
    assert len(sio.of("image.created", job_id)) == len(created)
    by_image = objects_by_image(await stored_keys(user.id))
    assert set(by_image) & {i["id"] for i in after["images"]} == {i["id"] for i in ready}
    for image in ready:
        kinds = [k.split("/")[2] for k in by_image[image["id"]]]
        assert {"preview", "thumb"} <= set(kinds) and len(kinds) == len(set(kinds)), kinds


def objects_by_image(keys: set[str]) -> dict[str, list[str]]:
    """Keys `{user}/{day}/{kind}/{image}.{ext}` grouped by image id."""
    out: dict[str, list[str]] = {}
    for key in keys:
        out.setdefault(key.rsplit("/", 1)[-1].split(".")[0], []).append(key)
    return out


def expected_objects(rows: list[dict[str, Any]]) -> set[str]:
    """The objects the ready designs' rows point at, checked for shape on the way: every
    design has an original, a preview and a thumbnail, each filed under its own id and
    kind, one object per kind (an alias such as original = the SVG shares one object)."""
    expected: set[str] = set()
    for row in rows:
        variants = row["variants"]
        assert {"original", "preview", "thumb"} <= set(variants), row
        image_id = str(uuid.UUID(str(row["id"])))
        distinct = set(variants.values())
        kinds = [k.split("/")[2] for k in distinct]
        assert len(kinds) == len(set(kinds)), variants  # one object per kind folder
        for kind, key in variants.items():
            assert key.rsplit("/", 1)[-1].split(".")[0] == image_id, (kind, key)
        expected |= distinct
    return expected


def image_row_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """Rows of `images` read with plain asyncpg (variants JSON may come back as text)."""
    out = []
    for r in rows:
        variants = r["variants"]
        if isinstance(variants, str):
            variants = json.loads(variants)
        out.append({**dict(r), "variants": variants})
    return out
