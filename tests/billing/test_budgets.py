"""Budgets through the API: a designer's own, an admin's cap over it, the refusal above
the cap, what remains this month (last month's calls never count) and the ledger's
idempotency."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from designer_bff.billing import ledger
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import Charge
from designer_bff.billing.service import BillingService
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.billing.helpers import charge, make_admin, put_budget, put_cap
from tests.conftest import AuthedUser, register_user

NO_LIMIT = {
    "monthly_budget_usd": None,
    "cap_usd": None,
    "effective_usd": None,
    "spent_usd": "0.000000",
    "remaining_usd": None,
}


async def test_a_new_designer_has_no_limit(client: httpx.AsyncClient, user: AuthedUser):
    resp = await client.get("/api/costs/budget", headers=user.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == NO_LIMIT


@pytest.mark.parametrize(
    ("given", "stored"),
    [("20.00", "20.000000"), (20, "20.000000"), (20.0, "20.000000"), ("7.5", "7.500000"),
     ("0", "0.000000")],
)  # fmt: skip
async def test_set_my_budget(client: httpx.AsyncClient, user: AuthedUser, given: Any, stored: str):
    resp = await put_budget(client, user, given)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "monthly_budget_usd": stored,
        "cap_usd": None,
        "effective_usd": stored,
        "spent_usd": "0.000000",
        "remaining_usd": stored,
    }
    assert (await client.get("/api/costs/budget", headers=user.headers)).json() == resp.json()
    cleared = await put_budget(client, user, None)
    assert cleared.status_code == 200 and cleared.json() == NO_LIMIT


@pytest.mark.parametrize(
    "body",
    [
        {"monthly_budget_usd": -1},
        {"monthly_budget_usd": "-1"},
        {"monthly_budget_usd": "20.001"},
        {"monthly_budget_usd": 20.5},
        {"monthly_budget_usd": True},
        {"monthly_budget_usd": "1e3"},
        {"monthly_budget_usd": " 20"},
        {"monthly_budget_usd": "twenty"},
        {"monthly_budget_usd": 100_000_000},
        {"monthly_budget_usd": [20]},
        {},
        {"monthly_budget_usd": 20, "currency": "USD"},
    ],
)
async def test_budgets_are_strict(
    client: httpx.AsyncClient, user: AuthedUser, body: dict[str, Any]
):
    resp = await client.put("/api/costs/budget", headers=user.headers, json=body)
    assert_error(resp, 422, "validation_error")
    assert (await client.get("/api/costs/budget", headers=user.headers)).json() == NO_LIMIT


async def test_an_admin_caps_a_budget(
    services: Services, client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    admin, designer = two_users
    await make_admin(services, admin)
    assert (await put_budget(client, designer, "20.00")).status_code == 200

    capped = await put_cap(client, admin, designer.id, "10.00")
    assert capped.status_code == 200, capped.text
    assert capped.json() == {
        "monthly_budget_usd": "20.000000",
        "cap_usd": "10.000000",
        "effective_usd": "10.000000",  # the lower applies
        "spent_usd": "0.000000",
        "remaining_usd": "10.000000",
    }
    # Above the cap: refused, saying what the cap is; the budget stays as it was.
    above = await put_budget(client, designer, "10.01")
    body = assert_error(above, 422, "budget_above_cap")
    assert body["error"]["details"] == {"cap_usd": "10.000000"}
    assert "$10.00" in body["error"]["message"]
    mine = (await client.get("/api/costs/budget", headers=designer.headers)).json()
    assert mine["monthly_budget_usd"] == "20.000000"
    # At the cap, below it, or none of my own (the cap still applies).
    assert (await put_budget(client, designer, 10)).json()["effective_usd"] == "10.000000"
    assert (await put_budget(client, designer, "4.50")).json()["effective_usd"] == "4.500000"
    none = (await put_budget(client, designer, None)).json()
    assert none["monthly_budget_usd"] is None and none["effective_usd"] == "10.000000"
    # The cap lifted: any budget again.
    lifted = await put_cap(client, admin, designer.id, None)
    assert lifted.status_code == 200 and lifted.json() == NO_LIMIT
    assert (await put_budget(client, designer, "500")).status_code == 200


async def test_only_admins_cap_budgets(
    services: Services, client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    # A designer cannot cap anyone, themselves included.
    for target in (bob.id, alice.id):
        assert_error(await put_cap(client, alice, target, "1.00"), 403, "admin_required")
    assert (await client.get("/api/costs/budget", headers=bob.headers)).json() == NO_LIMIT
    await make_admin(services, alice)
    assert_error(await put_cap(client, alice, str(uuid.uuid4()), "1.00"), 404, "not_found")
    assert_error(await put_cap(client, alice, bob.id, "1.001"), 422, "validation_error")
    assert_error(await put_cap(client, alice, bob.id, -5), 422, "validation_error")
    resp = await client.put(f"/api/admin/users/{bob.id}/budget-cap", json={"budget_cap_usd": 1})
    assert_error(resp, 401, "not_authenticated")


async def test_remaining_counts_this_month_only(
    services: Services, client: httpx.AsyncClient, user: AuthedUser
):
    billing = BillingService()
    user_id = uuid.UUID(user.id)
    async with services.sessionmaker() as db:
        assert await billing.remaining(db, user_id) is None  # no limit
    assert (await put_budget(client, user, "1.00")).status_code == 200
    month = ledger.period_start("month")
    # The last microsecond of last month, and the month's first: only the second counts.
    await charge(services, user, "0.500000", at=month - timedelta(microseconds=1))
    await charge(services, user, "0.250000", at=month)
    await charge(services, user, "0.150000")
    async with services.sessionmaker() as db:
        assert await billing.remaining(db, user_id) == Decimal("0.600000")
    budget = (await client.get("/api/costs/budget", headers=user.headers)).json()
    assert budget["spent_usd"] == "0.400000" and budget["remaining_usd"] == "0.600000"
    # Spent past the budget: nothing left, never a negative amount.
    await charge(services, user, "0.700000")
    async with services.sessionmaker() as db:
        assert await billing.remaining(db, user_id) == 0
    budget = (await client.get("/api/costs/budget", headers=user.headers)).json()
    assert budget["spent_usd"] == "1.100000" and budget["remaining_usd"] == "0.000000"


async def test_the_same_call_is_recorded_once(services: Services, client: httpx.AsyncClient):
    designer = await register_user(client, "once")
    key = f"generate:{uuid.uuid4()}"
    price = Decimal("0.040000")
    added = []
    for _ in range(2):
        async with services.sessionmaker() as db:
            added.append(
                await ledger.record(
                    db,
                    user_id=uuid.UUID(designer.id),
                    idempotency_key=key,
                    provider="replicate",
                    operation="generate",
                    model="google/imagen-4",
                    charge=Charge(units=Decimal(1), unit_price=price, amount=price),
                )
            )
            await db.commit()
    assert added == [True, False]
    async with services.sessionmaker() as db:
        rows = await db.scalar(
            select(func.count()).select_from(CostEntry).where(CostEntry.idempotency_key == key)
        )
    assert rows == 1
    costs = (await client.get("/api/costs", headers=designer.headers)).json()
    assert costs["total_usd"] == "0.040000" and costs["calls"] == 1
