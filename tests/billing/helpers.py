"""Ledger rows for billing tests, recorded as the engine records them (`ledger.record`),
optionally dated otherwise (the period boundaries), and admins made in the database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from designer_bff.app import create_app
from designer_bff.auth.models import User
from designer_bff.billing import ledger
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import Charge, money
from designer_bff.services import Services, build_services
from tests.conftest import AuthedUser, Backend, make_settings, running


async def charge(
    services: Services,
    user: AuthedUser | uuid.UUID | str,
    amount: str,
    *,
    provider: str = "replicate",
    model: str | None = "google/imagen-4",
    operation: str = "generate",
    at: datetime | None = None,
    key: str | None = None,
    times: int = 1,
) -> list[str]:
    """`times` paid calls of `amount` each; their idempotency keys."""
    user_id = uuid.UUID(user.id if isinstance(user, AuthedUser) else str(user))
    price = money(Decimal(amount))
    keys = []
    async with services.sessionmaker() as db:
        for _ in range(times):
            this_key = key or f"{operation}:{uuid.uuid4()}"
            await ledger.record(
                db,
                user_id=user_id,
                idempotency_key=this_key,
                provider=provider,
                operation=operation,
                model=model,
                charge=Charge(units=Decimal(1), unit_price=price, amount=price),
                image_id=uuid.uuid4(),
                details={"provider_name": f"{provider}-{model}"},
            )
            if at is not None:
                await db.execute(
                    update(CostEntry)
                    .where(CostEntry.idempotency_key == this_key)
                    .values(created_at=at)
                )
            keys.append(this_key)
        await db.commit()
    return keys


async def make_admin(services: Services, user: AuthedUser) -> None:
    async with services.sessionmaker() as db:
        await db.execute(update(User).where(User.email == user.email).values(role="admin"))
        await db.commit()


async def put_budget(client: Any, user: AuthedUser, value: Any) -> Any:
    return await client.put(
        "/api/costs/budget", headers=user.headers, json={"monthly_budget_usd": value}
    )


async def put_cap(client: Any, admin: AuthedUser, user_id: str, value: Any) -> Any:
    return await client.put(
        f"/api/admin/users/{user_id}/budget-cap",
        headers=admin.headers,
        json={"budget_cap_usd": value},
    )


async def set_budget(services: Services, user: AuthedUser, amount: str | None) -> None:
    """The designer's own monthly budget, straight in the database."""
    async with services.sessionmaker() as db:
        await db.execute(
            update(User)
            .where(User.id == uuid.UUID(user.id))
            .values(monthly_budget_usd=None if amount is None else Decimal(amount))
        )
        await db.commit()


@asynccontextmanager
async def priced_app(
    backend: Backend, tmp_path: Path, price: Decimal, *, prefix: str, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """An app whose PRICES_FILE prices the local renderer at `price` a design, so the real
    estimate, engine and ledger run."""
    prices = tmp_path / "prices.yaml"
    prices.write_text(f"providers:\n  local-flats:\n    local-flats-v1: {{generate: {price}}}\n")
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + prefix,
        prices_file=prices,
        image_size=256,
        speech_provider="none",
        **overrides,
    )
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as client:
            yield client, services
    finally:
        await services.close()
