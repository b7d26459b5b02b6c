"""The pure parts of billing: amounts as clients send them, budgets, the period
summaries' arithmetic and the cost report's wording, without a server or a database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from designer_bff.billing.actions import cost_reply, describe_period, model_name, window
from designer_bff.billing.service import (
    Budget,
    Line,
    check_amount,
    parse_amount,
    period_window,
    summarize,
    usd,
)
from designer_bff.commands.parser import TimeRange
from designer_bff.core.errors import AppError

ALICE, BOB = uuid.uuid4(), uuid.uuid4()


def line(amount: str, calls: int = 1, *, user=ALICE, day=None, provider="replicate",
         model="google/imagen-4", operation="generate") -> Line:  # fmt: skip
    return Line(user, day, provider, model, operation, Decimal(amount), calls)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        (20, Decimal(20)),
        (20.0, Decimal(20)),
        (0, Decimal(0)),
        ("20.00", Decimal("20.00")),
        ("20.5", Decimal("20.5")),
        ("0", Decimal(0)),
        ("99999999.99", Decimal("99999999.99")),
    ],
)
def test_amounts_accepted(given, expected):
    assert parse_amount(given) == expected


@pytest.mark.parametrize(
    "given",
    [True, False, 20.5, -1, "-1", "20.001", "1e3", " 20", "20 ", "20\n", "20.", ".5", "",
     "NaN", "Infinity", "٢٠", 100_000_000, "123456789", [], {}],
)  # fmt: skip
def test_amounts_refused(given):
    with pytest.raises(ValueError):
        parse_amount(given)


def test_the_service_checks_amounts_itself():
    assert check_amount(Decimal("20.5"), "x") == Decimal("20.50")
    assert check_amount(None, "x") is None
    for bad in (Decimal("-0.01"), Decimal("1.001"), Decimal("NaN"), Decimal("100000000")):
        with pytest.raises(AppError) as err:
            check_amount(bad, "monthly_budget_usd")
        assert err.value.status_code == 422 and err.value.code == "validation_error"


def test_budget_limits_and_remaining():
    none = Budget.of(None, None, Decimal("3.5"))
    assert (none.effective_usd, none.remaining_usd) == (None, None)
    assert none.to_dict() == {
        "monthly_budget_usd": None,
        "cap_usd": None,
        "effective_usd": None,
        "spent_usd": "3.500000",
        "remaining_usd": None,
    }
    own = Budget.of(Decimal(20), None, Decimal("4.2"))
    assert own.effective_usd == 20 and own.remaining_usd == Decimal("15.8")
    capped = Budget.of(Decimal(20), Decimal(10), Decimal("4.2"))
    assert capped.effective_usd == 10 and usd(capped.remaining_usd) == "5.800000"
    cap_only = Budget.of(None, Decimal(10), Decimal(0))
    assert cap_only.effective_usd == 10 and cap_only.remaining_usd == 10
    over = Budget.of(Decimal(1), None, Decimal("1.5"))
    assert over.remaining_usd == 0 and usd(over.remaining_usd) == "0.000000"


def test_period_windows():
    now = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)  # a Thursday
    assert period_window("month", now) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert period_window("week", now) == (
        datetime(2026, 12, 7, tzinfo=UTC),
        datetime(2026, 12, 14, tzinfo=UTC),
    )
    assert period_window("day", now) == (
        datetime(2026, 12, 10, tzinfo=UTC),
        datetime(2026, 12, 11, tzinfo=UTC),
    )
    feb = datetime(2028, 2, 29, 23, 59, tzinfo=UTC)
    assert period_window("month", feb)[1] == datetime(2028, 3, 1, tzinfo=UTC)


def test_summaries_add_up_to_the_cent():
    start, end = datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC)
    lines = [
        line("0.080000", 2, day=date(2026, 12, 7)),
        line("0.167000", 1, day=date(2026, 12, 9), provider="openai", model="gpt-image-1"),
        line("0.040000", 1, day=date(2026, 12, 9)),
        line(
            "0.002500",
            1,
            day=date(2026, 12, 9),
            model="nightmareai/real-esrgan",
            operation="enhance",
        ),
        line("1.000000", 3, user=BOB, day=date(2026, 12, 8)),
    ]
    summary = summarize(lines, "week", start, end, today=date(2026, 12, 10))
    out = summary.to_dict()
    assert out["total_usd"] == "1.289500" and out["calls"] == 8
    assert out["by_provider"] == [
        {"provider": "replicate", "model": "google/imagen-4", "amount_usd": "1.120000",
         "calls": 6},
        {"provider": "openai", "model": "gpt-image-1", "amount_usd": "0.167000", "calls": 1},
        {"provider": "replicate", "model": "nightmareai/real-esrgan", "amount_usd": "0.002500",
         "calls": 1},
    ]  # fmt: skip
    assert out["by_operation"] == [
        {"operation": "generate", "amount_usd": "1.287000", "calls": 7},
        {"operation": "enhance", "amount_usd": "0.002500", "calls": 1},
    ]
    # Every day from Monday through today (Thursday), the empty ones at 0.
    assert [d["day"] for d in out["by_day"]] == [
        "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10"
    ]  # fmt: skip
    assert out["by_day"][2] == {
        "day": "2026-12-09",
        "amount_usd": "0.209500",
        "calls": 3,
        "by_provider": {"openai": "0.167000", "replicate": "0.042500"},
    }
    assert out["by_day"][3] == {
        "day": "2026-12-10", "amount_usd": "0.000000", "calls": 0, "by_provider": {}
    }  # fmt: skip
    assert summary.by_user[ALICE].amount == Decimal("0.2895")
    assert summary.by_user[BOB].calls == 3
    # The parts are exact: they add up to the total.
    assert sum(Decimal(p["amount_usd"]) for p in out["by_provider"]) == Decimal(out["total_usd"])
    assert sum(Decimal(d["amount_usd"]) for d in out["by_day"]) == Decimal(out["total_usd"])


def test_a_past_period_lists_its_days_only():
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    out = summarize([], "month", start, end, today=date(2026, 12, 10)).to_dict()
    assert len(out["by_day"]) == 30 and out["by_day"][-1]["day"] == "2026-11-30"
    assert out["total_usd"] == "0.000000" and out["by_provider"] == []


@pytest.mark.parametrize(
    ("model", "provider", "name"),
    [
        ("google/imagen-4", "replicate", "Imagen 4"),
        ("google/imagen-4-fast", "replicate", "Imagen 4 Fast"),
        ("gpt-image-1", "openai", "GPT Image 1"),
        ("dall-e-3", "openai", "DALL·E 3"),
        ("black-forest-labs/flux-1.1-pro", "replicate", "Flux 1.1 Pro"),
        ("sd3.5-large", "stability", "SD 3.5 Large"),
        ("stable-image-core", "stability", "Stable Image Core"),
        ("local-flats-v1", "local-flats", "Local Flats"),
        (None, "vlt", "vlt"),
    ],
)
def test_model_names(model, provider, name):
    assert model_name(model, provider) == name


def test_periods_heard():
    assert describe_period(None) == "this month"
    assert describe_period(TimeRange(label="this_week")) == "this week"
    assert describe_period(TimeRange(label="all_time")) == "in total"
    assert describe_period(TimeRange(label="last_3_days")) == "in the last 3 days"
    assert describe_period(TimeRange(label="last_1_weeks")) == "in the last week"
    now = datetime(2026, 12, 10, 15, tzinfo=UTC)
    assert window(None, now) == (datetime(2026, 12, 1, tzinfo=UTC), None)
    assert window(TimeRange(label="last_month", start="2026-11-01", end="2026-11-30")) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert window(TimeRange(label="all_time", end="2026-12-10")) == (
        None,
        datetime(2026, 12, 11, tzinfo=UTC),
    )


def test_the_reply_names_the_total_models_and_budget():
    lines = [
        line("1.680000", 42),
        line("2.520000", 10, provider="openai", model="gpt-image-1"),
    ]
    budget = Budget.of(Decimal(20), None, Decimal("4.2"))
    assert cost_reply(lines, "this month", budget) == (
        "You spent $4.20 this month: 42 designs on Imagen 4 ($1.68), 10 on GPT Image 1 "
        "($2.52). You have $15.80 left of your $20.00 monthly budget."
    )
    no_limit = Budget.of(None, None, Decimal(0))
    assert cost_reply([], "this month", no_limit) == "You haven't spent anything this month."
    assert cost_reply([], "in total", no_limit) == "You haven't spent anything yet."
    used_up = Budget.of(Decimal(1), None, Decimal(2))
    assert cost_reply([line("2", 1)], "today", used_up) == (
        "You spent $2.00 today: 1 design on Imagen 4 ($2.00). Your $1.00 monthly budget is used up."
    )


def test_the_reply_rounds_each_figure_once_and_sums_the_rest():
    lines = [
        line("0.001000", 1, model="google/imagen-4"),
        line("0.000000", 12, provider="local-flats", model="local-flats-v1"),
        line("0.007500", 3, model="nightmareai/real-esrgan", operation="enhance"),
        line("0.015000", 5, provider="stability", model="sd3.5-medium"),
        line("0.020000", 1, provider="stability", model="stable-image-core"),
    ]
    reply = cost_reply(lines, "this week", Budget.of(None, None, Decimal(0)))
    # Total 0.0435 -> $0.04; the 5th group and below are summed ("2 more calls").
    assert reply == (
        "You spent $0.04 this week: 12 designs on Local Flats (free), 5 on SD 3.5 Medium "
        "($0.02), 3 enhancements with Real-ESRGAN ($0.01), 2 more calls ($0.02)."
    )
