"""A collection deleted while another request renames it.

SQLite has no row locks: the delete lands mid-request, and the rename answers 404 (what
its path names is gone), not a 500. PostgreSQL's row lock (the rename reads the row FOR
UPDATE) makes the delete wait until the rename commits: the rename answers 200 and the
delete then removes the row. Either way no request fails and nothing is half-written."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select

from designer_bff.collections.models import Collection
from designer_bff.collections.service import CollectionService
from designer_bff.services import Services
from tests.conftest import AuthedUser, Backend


async def _delete(services: Services, collection_id: uuid.UUID) -> None:
    async with services.sessionmaker() as other:
        await other.execute(delete(Collection).where(Collection.id == collection_id))
        await other.commit()


async def test_a_rename_of_a_collection_deleted_meanwhile_is_a_404(
    client: httpx.AsyncClient,
    services: Services,
    backend: Backend,
    user: AuthedUser,
    monkeypatch: pytest.MonkeyPatch,
):
    made = await client.post("/api/collections", headers=user.headers, json={"name": "Gone"})
    collection_id = uuid.UUID(made.json()["id"])
    check_name = CollectionService._ensure_name_free
    pending: list[asyncio.Task[None]] = []

    async def deleted_meanwhile(self: CollectionService, *args: Any, **kwargs: Any) -> None:
        await check_name(self, *args, **kwargs)
        if backend.name == "embedded":
            await _delete(services, collection_id)
        else:
            # Awaiting here would wait on the row lock this very request holds.
            pending.append(asyncio.create_task(_delete(services, collection_id)))
            await asyncio.sleep(0.2)  # the delete is now queued on the lock

    monkeypatch.setattr(CollectionService, "_ensure_name_free", deleted_meanwhile)
    resp = await client.patch(
        f"/api/collections/{collection_id}", headers=user.headers, json={"name": "Renamed"}
    )
    if backend.name == "embedded":
        assert resp.status_code == 404, resp.text
        assert resp.json()["error"]["code"] == "not_found"
        return
    assert resp.status_code == 200, resp.text
    assert resp.json()["name"] == "Renamed"
    await asyncio.wait_for(pending[0], timeout=10)
    async with services.sessionmaker() as db:
        left = await db.scalar(select(Collection.id).where(Collection.id == collection_id))
    assert left is None
