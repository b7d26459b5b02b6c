"""Cost summaries through the API: correct to the cent for the day, week and month (UTC
calendar periods), a designer's own calls only, and everyone's for admins alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from designer_bff.billing import ledger
from designer_bff.billing.service import usd
from designer_bff.db.base import utcnow
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.billing.helpers import charge, make_admin, put_budget, put_cap
from tests.conftest import AuthedUser, register_user


async def test_my_costs_by_period(services: Services, client: httpx.AsyncClient):
    designer = await register_user(client, "costs")
    now = utcnow()
    starts = {p: ledger.period_start(p, now) for p in ("day", "week", "month")}
    # (amount, calls, provider, model, operation, when): today 3 Imagen 4 designs, 1 GPT
    # Image 1 design and 2 upscales; then the first instants of this week and this month
    # and the last microsecond before this month (a week may hold it: counted there only).
    rows = [
        ("0.040000", 3, "replicate", "google/imagen-4", "generate", None),
        ("0.167000", 1, "openai", "gpt-image-1", "generate", None),
        ("0.002500", 2, "replicate", "nightmareai/real-esrgan", "enhance", None),
        ("0.080000", 1, "stability", "stable-image-ultra", "generate", starts["week"]),
        ("0.030000", 1, "stability", "stable-image-core", "generate", starts["month"]),
        ("9.000000", 1, "replicate", "google/imagen-4", "generate",
         starts["month"] - timedelta(microseconds=1)),
    ]  # fmt: skip
    for amount, times, provider, model, operation, when in rows:
        await charge(
            services, designer, amount, provider=provider, model=model, operation=operation,
            at=when, times=times,
        )  # fmt: skip
    month_total = Decimal(0)
    for period, start in starts.items():
        counted = [r for r in rows if r[5] is None or r[5] >= start]
        total = sum((Decimal(r[0]) * r[1] for r in counted), Decimal(0))
        if period == "month":
            month_total = total
        by_model: dict[tuple[str, str], list[Decimal]] = {}
        for amount, times, provider, model, _, _ in counted:
            tally = by_model.setdefault((provider, model), [Decimal(0), Decimal(0)])
            tally[0] += Decimal(amount) * times
            tally[1] += times
        today = {}
        for amount, times, provider, _, _, when in counted:
            if when is None or when.date() == now.date():
                today[provider] = today.get(provider, Decimal(0)) + Decimal(amount) * times

        resp = await client.get("/api/costs", params={"period": period}, headers=designer.headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["period"] == period
        assert datetime.fromisoformat(body["start"]) == start
        assert datetime.fromisoformat(body["end"]) > now
        assert body["total_usd"] == usd(total), period
        assert body["calls"] == sum(r[1] for r in counted), period
        assert {(p["provider"], p["model"]): [Decimal(p["amount_usd"]), p["calls"]]
                for p in body["by_provider"]} == by_model  # fmt: skip
        amounts = [Decimal(p["amount_usd"]) for p in body["by_provider"]]
        assert amounts == sorted(amounts, reverse=True)
        ops = {o["operation"]: o for o in body["by_operation"]}
        assert ops["enhance"] == {"operation": "enhance", "amount_usd": "0.005000", "calls": 2}
        assert sum(Decimal(o["amount_usd"]) for o in body["by_operation"]) == total
        # Every day from the start through today, summing to the total.
        days = body["by_day"]
        assert days[0]["day"] == start.date().isoformat()
        assert days[-1]["day"] == now.date().isoformat()
        assert len(days) == (now.date() - start.date()).days + 1
        assert sum(Decimal(d["amount_usd"]) for d in days) == total
        assert days[-1]["by_provider"] == {p: usd(a) for p, a in sorted(today.items())}
    # The budget is always this month's.
    body = (await client.get("/api/costs?period=day", headers=designer.headers)).json()
    assert body["budget"]["spent_usd"] == usd(month_total)
    assert body["budget"]["remaining_usd"] is None
    assert Decimal("9") not in {Decimal(d["amount_usd"]) for d in body["by_day"]}


async def test_invalid_period(client: httpx.AsyncClient, user: AuthedUser):
    for period in ("year", "MONTH", "", "1"):
        resp = await client.get("/api/costs", params={"period": period}, headers=user.headers)
        assert_error(resp, 422, "validation_error")
    assert_error(await client.get("/api/costs"), 401, "not_authenticated")
    resp = await client.get("/api/costs", headers=user.headers)
    assert resp.status_code == 200 and resp.json()["period"] == "month"


async def test_nobody_sees_anyone_elses_costs(
    services: Services, client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    await charge(services, alice, "0.040000", times=2)
    await charge(services, bob, "1.234567", provider="openai", model="dall-e-3")
    mine = (await client.get("/api/costs", headers=alice.headers)).json()
    assert mine["total_usd"] == "0.080000" and mine["calls"] == 2
    assert [p["provider"] for p in mine["by_provider"]] == ["replicate"]
    assert mine["budget"]["spent_usd"] == "0.080000"
    theirs = (await client.get("/api/costs", headers=bob.headers)).json()
    assert theirs["total_usd"] == "1.234567"
    assert theirs["by_provider"] == [
        {"provider": "openai", "model": "dall-e-3", "amount_usd": "1.234567", "calls": 1}
    ]
    # Neither reaches the admin view.
    for who in (alice, bob):
        resp = await client.get("/api/admin/costs", headers=who.headers)
        assert_error(resp, 403, "admin_required")
    assert_error(await client.get("/api/admin/costs"), 401, "not_authenticated")


async def test_an_admin_sees_everyone(services: Services, client: httpx.AsyncClient):
    admin = await register_user(client, "admin")
    spender = await register_user(client, "spender")
    saver = await register_user(client, "saver")  # spends nothing, has a budget
    idle = await register_user(client, "idle")  # spends nothing, no budget: not listed
    await make_admin(services, admin)
    await charge(services, spender, "0.040000", times=5)
    await charge(services, spender, "0.250000", provider="openai", model="gpt-image-1")
    await charge(services, spender, "3.000000", at=ledger.period_start("month") - timedelta(1))
    assert (await put_budget(client, saver, "5")).status_code == 200
    assert (await put_cap(client, admin, spender.id, "2.00")).status_code == 200

    resp = await client.get("/api/admin/costs", headers=admin.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"period", "start", "end", "total_usd", "calls", "users", "by_provider"}
    users = {u["user_id"]: u for u in body["users"]}
    assert users[spender.id] == {
        "user_id": spender.id,
        "email": spender.email,
        "name": "Spender",
        "amount_usd": "0.450000",
        "calls": 6,
        "budget": {
            "monthly_budget_usd": None,
            "cap_usd": "2.000000",
            "effective_usd": "2.000000",
            "spent_usd": "0.450000",
            "remaining_usd": "1.550000",
        },
    }
    assert users[saver.id]["amount_usd"] == "0.000000" and users[saver.id]["calls"] == 0
    assert users[saver.id]["budget"]["effective_usd"] == "5.000000"
    assert idle.id not in users
    # Everyone's rows (other tests' designers too) add up to the totals, to the micro-cent.
    amounts = [Decimal(u["amount_usd"]) for u in body["users"]]
    assert amounts == sorted(amounts, reverse=True)
    assert sum(amounts) == Decimal(body["total_usd"])
    assert sum(u["calls"] for u in body["users"]) == body["calls"]
    assert sum(Decimal(p["amount_usd"]) for p in body["by_provider"]) == Decimal(body["total_usd"])
    # Another period: this day's share, budgets still the month's.
    day = (await client.get("/api/admin/costs?period=day", headers=admin.headers)).json()
    assert day["period"] == "day"
    assert datetime.fromisoformat(day["start"]) == ledger.period_start("day")
    day_users = {u["user_id"]: u for u in day["users"]}
    assert day_users[spender.id]["amount_usd"] == "0.450000"
    assert day_users[spender.id]["budget"]["spent_usd"] == "0.450000"
    assert_error(
        await client.get("/api/admin/costs?period=year", headers=admin.headers),
        422,
        "validation_error",
    )


async def test_times_are_utc(services: Services, client: httpx.AsyncClient):
    designer = await register_user(client, "utc")
    # 00:30 UTC today is today, whatever the database session's own time zone.
    today = ledger.period_start("day")
    await charge(services, designer, "0.010000", at=today + timedelta(minutes=30))
    await charge(services, designer, "0.020000", at=today - timedelta(minutes=30))
    body = (await client.get("/api/costs?period=day", headers=designer.headers)).json()
    assert body["total_usd"] == "0.010000"
    assert body["by_day"] == [
        {"day": today.date().isoformat(), "amount_usd": "0.010000", "calls": 1,
         "by_provider": {"replicate": "0.010000"}},
    ]  # fmt: skip
    assert datetime.fromisoformat(body["start"]) == today.astimezone(UTC)
