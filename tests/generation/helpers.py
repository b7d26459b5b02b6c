from __future__ import annotations

import asyncio
import time

import httpx

from tests.conftest import AuthedUser


async def wait_for_job(
    client: httpx.AsyncClient,
    user: AuthedUser,
    job_id: str,
    wait_s: float = 60.0,
    until: tuple[str, ...] = ("completed", "failed", "cancelled"),
) -> dict:
    deadline = time.monotonic() + wait_s
    while True:
        resp = await client.get(f"/api/generations/{job_id}", headers=user.headers)
        assert resp.status_code == 200, resp.text
        job = resp.json()
        if job["status"] in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job['status']} after {wait_s}s: {job['progress']}")
        await asyncio.sleep(0.05)
