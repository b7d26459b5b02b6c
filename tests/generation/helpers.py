from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.conftest import AuthedUser


async def start_job(
    client: httpx.AsyncClient, user: AuthedUser, spec: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """POST /api/generations with a spec (and quantity, provider, ...): the queued job."""
    resp = await client.post(
        "/api/generations", headers=user.headers, json={"spec": spec, **fields}
    )
    assert resp.status_code == 202, resp.text
    return resp.json()


async def get_job(client: httpx.AsyncClient, user: AuthedUser, job_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/generations/{job_id}", headers=user.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def wait_for_job(
    client: httpx.AsyncClient,
    user: AuthedUser,
    job_id: str,
    wait_s: float = 60.0,
    until: tuple[str, ...] = ("completed", "failed", "cancelled"),
) -> dict:
    deadline = time.monotonic() + wait_s
    while True:
        job = await get_job(client, user, job_id)
        if job["status"] in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job['status']} after {wait_s}s: {job['progress']}")
        await asyncio.sleep(0.05)
