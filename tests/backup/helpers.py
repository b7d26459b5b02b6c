"""Deployments of their own for backup tests (a database and an object store each), a
small world of designers made through the real API, and full comparisons of two
deployments: every row of every table, every object's sha256."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from designer_bff.app import create_app
from designer_bff.backup.service import store_from_settings
from designer_bff.config import Settings
from designer_bff.db import migrate
from designer_bff.services import build_services
from tests.conftest import (
    PG_URL,
    REDIS_URL,
    AuthedUser,
    create_pg_database,
    delete_redis_prefix,
    drop_pg_database,
    make_settings,
    register_user,
    running,
    say,
)
from tests.generation.helpers import start_job, wait_for_job
from tests.generation.procs import BIN, service_env
from tests.storage.conftest import ACCESS_KEY, SECRET_KEY, create_bucket

SPEC = {"garment_type": "dress", "styles": ["bohemian"], "colors": ["terracotta"]}
CLI_TIMEOUT_S = 120


@dataclass
class Deployment:
    """One database and one object store, as an operator configures them."""

    name: str
    settings: Settings
    env: dict[str, str]
    pg_name: str | None = None
    redis_prefix: str | None = None

    async def close(self) -> None:
        if self.pg_name:
            await drop_pg_database(self.pg_name)
        if self.redis_prefix and REDIS_URL:
            await delete_redis_prefix(self.redis_prefix)


async def new_deployment(
    folder: Path, database: str, store: str, s3_endpoint: str | None, *, migrated: bool
) -> Deployment:
    """A blank deployment (database `embedded` or `postgres`, store `local` or `s3`):
    migrated when `migrated`, else not even created (a restore's target)."""
    tag = uuid.uuid4().hex[:8]
    data_dir = folder / f"data-{tag}"
    data_dir.mkdir(parents=True)
    overrides: dict[str, Any] = {}
    env: dict[str, str] = {}
    pg_name = prefix = None
    if database == "postgres":
        assert PG_URL
        pg_name, url = await create_pg_database()
        prefix = f"dbfftest:{tag}:"
        overrides.update(database_url=url, redis_url=REDIS_URL, redis_prefix=prefix)
        env.update(DATABASE_URL=url)
    if store == "s3":
        assert s3_endpoint
        bucket = f"backup-{tag}"
        create_bucket(s3_endpoint, bucket)
        s3 = {
            "r2_endpoint": s3_endpoint,
            "r2_access_key_id": ACCESS_KEY,
            "r2_secret_access_key": SECRET_KEY,
            "r2_bucket_name": bucket,
            "r2_region": "us-east-1",
        }
        overrides.update(s3)
        env.update({k.upper(): v for k, v in s3.items()})
    settings = make_settings(data_dir, **overrides)
    deployment = Deployment(
        f"{database}+{store}", settings, service_env(data_dir, **env), pg_name, prefix
    )
    if migrated:
        await asyncio.to_thread(migrate.upgrade, settings.sqlalchemy_url)
    return deployment


def cli(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    """`designer-bff ARGS` as an operator runs it, configured only by the environment."""
    return subprocess.run(
        [str(BIN), *args],
        cwd=deployment.settings.data_dir,  # no .env there
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


async def acli(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    """`cli` without blocking the event loop (a service in this process keeps serving)."""
    return await asyncio.to_thread(cli, deployment, *args)


@dataclass
class World:
    """What the designers made, as the API showed it to them."""

    users: list[AuthedUser]
    designs: dict[str, list[str]]  # user id -> design ids, newest first (gallery order)
    share_token: str
    shared_ids: list[str]
    thumb_sha256: dict[str, str] = field(default_factory=dict)  # design id -> its thumbnail


async def fetch_file(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bytes:
    """A design's file as a browser gets it: streamed, or through the redirect to a
    presigned S3 URL (fetched directly from the S3 server)."""
    resp = await client.get(url, headers=headers)
    if resp.status_code in (302, 307):
        async with httpx.AsyncClient(timeout=10) as direct:
            resp = await direct.get(resp.headers["location"])
    assert resp.status_code == 200, resp.text
    return resp.content


async def gallery_ids(client: httpx.AsyncClient, user: AuthedUser) -> list[str]:
    resp = await client.get("/api/images", headers=user.headers, params={"limit": 100})
    assert resp.status_code == 200, resp.text
    return [item["id"] for item in resp.json()["items"]]


async def populate(deployment: Deployment, backup_to: Path | None = None) -> World:
    """Three designers, 12 designs from jobs and a spoken command, feedback of each kind,
    collections and a share link: all through the API of a running service; then, while
    it still runs, `designer-bff backup create BACKUP_TO`."""
    services = build_services(deployment.settings)
    try:
        async with running(create_app(services=services)) as client:
            alice = await register_user(client, "alice")
            bob = await register_user(client, "bob")
            carol = await register_user(client, "carol")  # an account with nothing yet
            jobs = [
                (alice, (await start_job(client, alice, SPEC, quantity=6))["id"]),
                (bob, (await start_job(client, bob, SPEC, quantity=4))["id"]),
            ]
            reply = await say(client, alice, "make me 2 red maxi dresses")
            assert reply.get("job_id"), reply
            jobs.append((alice, reply["job_id"]))
            for user, job_id in jobs:
                job = await wait_for_job(client, user, job_id)
                assert job["status"] == "completed", job
            designs = {u.id: await gallery_ids(client, u) for u in (alice, bob, carol)}
            assert len(designs[alice.id]) == 8 and len(designs[bob.id]) == 4

            mine = designs[alice.id]
            for image_id, body in zip(
                mine,
                [
                    {"type": "outlier"},
                    {"type": "like", "rating": 4, "comment": "Love the hem", "tags": ["hem"]},
                    {"type": "dislike"},
                    {"type": "favorite"},
                ],
                strict=False,
            ):
                resp = await client.post(
                    f"/api/images/{image_id}/feedback", headers=alice.headers, json=body
                )
                assert resp.status_code == 200, resp.text
            resp = await client.post(
                f"/api/images/{designs[bob.id][0]}/feedback",
                headers=bob.headers,
                json={"type": "like", "rating": 5},
            )
            assert resp.status_code == 200, resp.text

            shared_ids = mine[:3]
            resp = await client.post(
                "/api/collections",
                headers=alice.headers,
                json={"name": "For the buyer", "description": "AW26", "image_ids": shared_ids},
            )
            assert resp.status_code == 201, resp.text
            collection = resp.json()
            resp = await client.post(
                f"/api/collections/{collection['id']}/share", headers=alice.headers
            )
            assert resp.status_code == 200, resp.text
            token = resp.json()["token"]
            resp = await client.post(
                "/api/collections", headers=bob.headers, json={"name": "Private"}
            )
            assert resp.status_code == 201, resp.text

            world = World([alice, bob, carol], designs, token, shared_ids)
            for user in (alice, bob):
                image_id = designs[user.id][0]
                data = await fetch_file(
                    client, f"/api/images/{image_id}/file?variant=thumb", user.headers
                )
                world.thumb_sha256[image_id] = hashlib.sha256(data).hexdigest()
            if backup_to is not None:
                result = await acli(deployment, "backup", "create", str(backup_to))
                assert result.returncode == 0, result.stdout + result.stderr
                assert "Backup written to" in result.stderr
            return world
    finally:
        await services.close()


def _read_tables(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    metadata = MetaData()
    metadata.reflect(conn)
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name, table in metadata.tables.items():
        order = list(table.primary_key.columns) or list(table.columns)
        out[name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
    return out


async def all_rows(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, each table ordered by its primary key."""
    engine = create_async_engine(settings.sqlalchemy_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_read_tables)
    finally:
        await engine.dispose()


async def object_sums(settings: Settings) -> dict[str, str]:
    """sha256 of every object in the deployment's store, by key."""
    store = store_from_settings(settings)
    try:
        keys = [key async for key in store.list()]
        return {key: hashlib.sha256(await store.get(key)).hexdigest() for key in keys}
    finally:
        await store.aclose()
