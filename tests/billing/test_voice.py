"""The cost report command answers from the ledger: the total to the cent, what it went
on, the period heard, and the budget left."""

from __future__ import annotations

from datetime import timedelta

import httpx

from designer_bff.billing import ledger
from designer_bff.services import Services
from tests.billing.helpers import charge, put_budget
from tests.conftest import AuthedUser, register_user, say


async def test_the_cost_report(services: Services, client: httpx.AsyncClient):
    designer = await register_user(client, "report")
    empty = await say(client, designer, "how much did I spend this month?")
    assert empty["intent"] == "cost_report" and empty["error"] is None
    assert empty["reply"] == "You haven't spent anything this month."

    await charge(services, designer, "0.040000", times=42)  # Imagen 4: $1.68
    await charge(services, designer, "0.252000", provider="openai", model="gpt-image-1",
                 times=10)  # fmt: skip
    # Last month's calls are not this month's.
    await charge(services, designer, "5.000000", at=ledger.period_start("month") - timedelta(1))
    body = await say(client, designer, "how much did I spend this month?")
    assert body["error"] is None and body["job_id"] is None
    assert body["reply"] == (
        "You spent $4.20 this month: 42 designs on Imagen 4 ($1.68), 10 on GPT Image 1 ($2.52)."
    )
    assert (await put_budget(client, designer, "20.00")).status_code == 200
    body = await say(client, designer, "how much have I spent this month")
    assert body["reply"].endswith("You have $15.80 left of your $20.00 monthly budget.")
    # Other periods: today (all of it was today), in total (last month's too).
    today = await say(client, designer, "what did I spend today")
    assert today["reply"].startswith("You spent $4.20 today: 42 designs on Imagen 4")
    total = await say(client, designer, "how much have I spent in total")
    assert total["reply"] == (
        "You spent $9.20 in total: 43 designs on Imagen 4 ($6.68), 10 on GPT Image 1 ($2.52). "
        "You have $15.80 left of your $20.00 monthly budget."
    )
    # The figures are kept with the command in history.
    history = (await client.get("/api/voice/history", headers=designer.headers)).json()
    newest = history["items"][0]
    assert newest["intent"] == "cost_report" and newest["reply"] == total["reply"]


async def test_the_report_is_mine_alone(
    services: Services, client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    await charge(services, bob, "0.123456", provider="stability", model="sd3.5-large")
    mine = await say(client, alice, "how much did I spend this month?")
    assert mine["reply"] == "You haven't spent anything this month."
    theirs = await say(client, bob, "how much did I spend this month?")
    assert theirs["reply"] == "You spent $0.12 this month: 1 design on SD 3.5 Large ($0.12)."


async def test_cost_reports_are_advertised(client: httpx.AsyncClient, user: AuthedUser):
    examples = (await client.get("/api/voice/examples", headers=user.headers)).json()
    assert {"command": "how much did I spend this month?", "intent": "cost_report"} in examples[
        "examples"
    ]
    help_reply = (await say(client, user, "help"))["reply"]
    assert 'check costs ("how much did I spend this month?")' in help_reply
