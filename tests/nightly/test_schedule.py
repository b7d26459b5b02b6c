"""The nightly schedule's time maths (pure): local times to UTC instants, catch-up and
daylight-saving nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from designer_bff.nightly.schedule import (
    due_date,
    load_zone,
    next_run,
    parse_local_time,
    run_instant,
)

NY = load_zone("America/New_York")
PARIS = load_zone("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_local_time_is_the_designers_clock():
    assert run_instant(date(2026, 1, 15), time(2), PARIS) == utc(2026, 1, 15, 1)
    assert run_instant(date(2026, 7, 15), time(2), PARIS) == utc(2026, 7, 15, 0)
    assert run_instant(date(2026, 1, 15), time(23, 30), NY) == utc(2026, 1, 16, 4, 30)


def test_spring_forward_runs_at_the_first_instant_after_the_gap():
    # 02:30 does not exist in New York on 2026-03-08: the clocks go from 02:00 to 03:00.
    assert run_instant(date(2026, 3, 7), time(2, 30), NY) == utc(2026, 3, 7, 7, 30)
    assert run_instant(date(2026, 3, 8), time(2, 30), NY) == utc(2026, 3, 8, 7, 0)
    assert run_instant(date(2026, 3, 9), time(2, 30), NY) == utc(2026, 3, 9, 6, 30)


def test_fall_back_runs_at_the_first_occurrence():
    # 01:30 happens twice in New York on 2026-11-01 (EDT, then EST an hour later).
    assert run_instant(date(2026, 11, 1), time(1, 30), NY) == utc(2026, 11, 1, 5, 30)
    assert run_instant(date(2026, 11, 2), time(1, 30), NY) == utc(2026, 11, 2, 6, 30)
    # At the second 01:30 the night is still 2026-11-01, which has its run already.
    assert due_date(utc(2026, 11, 1, 6, 30), time(1, 30), NY) == date(2026, 11, 1)
    assert next_run(utc(2026, 11, 1, 5, 30), time(1, 30), NY, date(2026, 11, 1)) == utc(
        2026, 11, 2, 6, 30
    )


def test_due_date_is_the_latest_night_whose_time_passed():
    at = time(2)
    assert due_date(utc(2026, 1, 15, 0, 59), at, PARIS) == date(2026, 1, 14)
    assert due_date(utc(2026, 1, 15, 1, 0), at, PARIS) == date(2026, 1, 15)
    # Three nights missed: only the latest is due.
    assert due_date(utc(2026, 1, 18, 12), at, PARIS) == date(2026, 1, 18)


def test_next_run_skips_tonight_when_it_already_ran():
    at = time(3)
    now = utc(2026, 1, 15, 1, 30)  # 02:30 in Paris
    assert next_run(now, at, PARIS) == utc(2026, 1, 15, 2)
    assert next_run(now, at, PARIS, after=date(2026, 1, 15)) == utc(2026, 1, 16, 2)


def test_every_night_of_a_year_has_exactly_one_run():
    for zone in (NY, PARIS, load_zone("Australia/Lord_Howe"), load_zone("UTC")):
        for at in (time(0), time(1, 30), time(2, 30), time(23, 59)):
            instants = [
                run_instant(date(2026, 1, 1) + timedelta(days=d), at, zone) for d in range(366)
            ]
            assert instants == sorted(set(instants))
            # Consecutive nights are 23 to 25 hours apart (Lord Howe shifts by 30 min).
            gaps = {b - a for a, b in pairwise(instants)}
            assert all(timedelta(hours=23) <= g <= timedelta(hours=25) for g in gaps)


@pytest.mark.parametrize("value", ["24:00", "2:00", "02:60", "0200", "", "02:00 ", "ab:cd"])
def test_bad_local_times(value: str):
    with pytest.raises(ValueError):
        parse_local_time(value)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "", "/etc/localtime"])
def test_bad_zones(name: str):
    with pytest.raises(ValueError):
        load_zone(name)
