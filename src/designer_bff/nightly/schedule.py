"""When a nightly batch runs (pure time maths, no I/O).

A designer says "02:00 in Europe/Paris"; the scheduler works in UTC instants. Each local
date has exactly one run instant, so a batch is keyed by that date:

- a local time that does not exist that night (the clocks spring forward over it) runs
  at the first instant after the gap: 02:30 in New York on 2026-03-08 -> 03:00 EDT;
- a local time that happens twice (the clocks fall back over it) runs at its first
  occurrence: 01:30 in New York on 2026-11-01 -> 01:30 EDT, never again at 01:30 EST.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def parse_local_time(value: str) -> time:
    """ "02:00" -> time(2, 0); anything but HH:MM from 00:00 to 23:59 raises ValueError."""
    match = _HHMM.fullmatch(value)
    if match is None:
        raise ValueError("must be a time of day written HH:MM, from 00:00 to 23:59")
    return time(int(match.group(1)), int(match.group(2)))


def load_zone(name: str) -> ZoneInfo:
    """An IANA time zone ("Europe/Paris"); an unknown name raises ValueError."""
    # zoneinfo would read a path-like key relative to its data directories.
    if not name or name.startswith(("/", ".")) or ".." in name or "\\" in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC)


def _exists(local: datetime) -> bool:
    """Whether this wall-clock time happens in its zone (not skipped by a gap)."""
    back = _utc(local).astimezone(local.tzinfo).replace(tzinfo=None, fold=0)
    return back == local.replace(tzinfo=None, fold=0)


def run_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `at` on the local date `day` (see the module's DST rules)."""
    first = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    if _exists(first):
        # fold=0 is the earlier of two occurrences when the time happens twice.
        return _utc(first)
    # In a gap: fold=0 reads the wall time with the offset before the change, fold=1 with
    # the one after; the change itself lies between the two instants. Find it to the
    # second (offsets change on whole seconds).
    a, b = sorted((_utc(first), _utc(first.replace(fold=1))))
    before = a.astimezone(zone).utcoffset()
    while b - a > timedelta(seconds=1):
        mid = a + (b - a) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == before:
            a = mid
        else:
            b = mid
    return b


def local_date(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def due_date(now: datetime, at: time, zone: ZoneInfo) -> date:
    """The most recent local date whose run instant is at or before `now`: the one night a
    scheduler that was down for several catches up on."""
    today = local_date(now, zone)
    for back in range(3):
        day = today - timedelta(days=back)
        if run_instant(day, at, zone) <= now:
            return day
    raise AssertionError("a run instant within three local days always exists")


def next_run(now: datetime, at: time, zone: ZoneInfo, after: date | None = None) -> datetime:
    """The first run instant strictly after `now` whose local date is after `after` (the
    last date that ran), so a schedule changed after tonight's batch waits for tomorrow."""
    day = local_date(now, zone) - timedelta(days=1)
    if after is not None and day <= after:
        day = after + timedelta(days=1)
    while True:
        instant = run_instant(day, at, zone)
        if instant > now:
            return instant
        day += timedelta(days=1)


def run_date_of(instant: datetime, zone: ZoneInfo) -> date:
    """The local date a run instant belongs to (a gap's run is still on its own date)."""
    return local_date(instant, zone)
