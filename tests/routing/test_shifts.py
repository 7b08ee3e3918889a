"""Shift materialisation: DST in Berlin and New York, overnight shifts, exceptions, leave, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from contactcenter.api.schemas_routing import CalendarIn, ShiftsIn
from contactcenter.routing.shifts import (
    DayException,
    Plan,
    WeeklyRule,
    is_within,
    materialize,
)

EVERY_DAY = frozenset(range(7))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "first_day", "expected"),
    [
        # Europe/Berlin springs forward on 2026-03-29 02:00 → 03:00 and falls back on 2026-10-25.
        (
            "Europe/Berlin",
            date(2026, 3, 28),
            [
                (utc(2026, 3, 28, 7), utc(2026, 3, 28, 15)),
                (utc(2026, 3, 29, 6), utc(2026, 3, 29, 14)),
            ],
        ),
        (
            "Europe/Berlin",
            date(2026, 10, 24),
            [
                (utc(2026, 10, 24, 6), utc(2026, 10, 24, 14)),
                (utc(2026, 10, 25, 7), utc(2026, 10, 25, 15)),
            ],
        ),
        # America/New_York springs forward on 2026-03-08 and falls back on 2026-11-01.
        (
            "America/New_York",
            date(2026, 3, 7),
            [
                (utc(2026, 3, 7, 13), utc(2026, 3, 7, 21)),
                (utc(2026, 3, 8, 12), utc(2026, 3, 8, 20)),
            ],
        ),
        (
            "America/New_York",
            date(2026, 10, 31),
            [
                (utc(2026, 10, 31, 12), utc(2026, 10, 31, 20)),
                (utc(2026, 11, 1, 13), utc(2026, 11, 1, 21)),
            ],
        ),
    ],
)
def test_day_shift_keeps_local_times_across_dst(
    zone: str, first_day: date, expected: list[tuple[datetime, datetime]]
) -> None:
    """08:00-16:00 local is 08:00-16:00 on both sides of the change; the UTC times move."""
    plan = Plan(zone, (WeeklyRule(EVERY_DAY, time(8), time(16)),))
    assert materialize(plan, first_day, 2) == expected


@pytest.mark.parametrize(
    ("zone", "night", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 28), 7),  # the night the clocks jump forward
        ("Europe/Berlin", date(2026, 10, 24), 9),  # ... and back
        ("America/New_York", date(2026, 3, 7), 7),
        ("America/New_York", date(2026, 10, 31), 9),
        ("Europe/Berlin", date(2026, 6, 10), 8),  # an ordinary night
    ],
)
def test_overnight_shift_is_as_long_as_the_wall_clock_says(
    zone: str, night: date, hours: int
) -> None:
    """22:00-06:00 ends the next morning; across a DST change it is 7 or 9 real hours."""
    plan = Plan(zone, (WeeklyRule(EVERY_DAY, time(22), time(6)),))
    [(start, end)] = materialize(plan, night, 1)
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(plan_zone(zone)).time() == time(22)
    assert end.astimezone(plan_zone(zone)).time() == time(6)


def plan_zone(zone: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(zone)


def test_start_inside_the_spring_gap_begins_when_the_clock_jumps() -> None:
    """02:30 does not exist in Berlin on 2026-03-29: the shift starts at 03:00 CEST (01:00 UTC)."""
    plan = Plan("Europe/Berlin", (WeeklyRule(frozenset({6}), time(2, 30), time(6)),))
    assert materialize(plan, date(2026, 3, 29), 1) == [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 4))]


def test_exceptions_leave_and_holidays() -> None:
    """An exception wins over everything; leave and the region's public holidays are days off."""
    plan = Plan(
        "Europe/Berlin",
        (WeeklyRule(frozenset({0, 1, 2, 3, 4}), time(9), time(17)),),
        exceptions=(
            DayException(date(2026, 12, 24)),
            DayException(date(2026, 1, 6), time(10), time(12)),
        ),
        leave=((date(2026, 12, 28), date(2026, 12, 30)),),
        holiday_country="DE",
        holiday_region="BY",
    )
    days = {s.date() for s, _ in materialize(plan, date(2026, 12, 21), 14)}
    assert date(2026, 12, 24) not in days  # exception: off
    assert date(2026, 12, 25) not in days  # Christmas Day (holiday)
    assert not {date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30)} & days  # leave
    assert {date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 31)} <= days
    # 6 January (Epiphany) is a holiday in Bavaria, but the exception makes it a short day.
    assert materialize(plan, date(2026, 1, 6), 1) == [(utc(2026, 1, 6, 9), utc(2026, 1, 6, 11))]
    berlin = Plan("Europe/Berlin", plan.weekly, holiday_country="DE", holiday_region="BE")
    assert materialize(berlin, date(2026, 1, 6), 1) == [(utc(2026, 1, 6, 8), utc(2026, 1, 6, 16))]


def test_parse_plan_and_queue_hours_across_midnight() -> None:
    """The API's JSON form parses; a queue open 20:00-02:00 is open at 01:00 and closed at 03:00."""
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    plan = CalendarIn.model_validate(
        {
            "timezone": "Europe/Berlin",
            "weekly": [{"days": every_day, "start": "20:00", "end": "02:00"}],
            "exceptions": [{"date": "2026-07-04", "off": True}],
            "holidays": {"country": "DE"},
        }
    ).to_plan()
    assert is_within(plan, utc(2026, 7, 1, 23))  # 01:00 local, from the shift that began at 20:00
    assert not is_within(plan, utc(2026, 7, 2, 1))  # 03:00 local
    assert not is_within(plan, utc(2026, 7, 4, 19))  # 21:00 local on the day off
    assert not is_within(plan, utc(2026, 7, 4, 23))  # 01:00 on the 5th belongs to the 4th: off
    leave = ShiftsIn.model_validate(
        {"timezone": "UTC", "leave": [{"from": "2026-08-01", "to": "2026-08-02"}]}
    )
    assert leave.plan().leave == ((date(2026, 8, 1), date(2026, 8, 2)),)
    with pytest.raises(ValueError, match="leave ends before it starts"):
        ShiftsIn.model_validate(
            {"timezone": "UTC", "leave": [{"from": "2026-08-02", "to": "2026-08-01"}]}
        )
    with pytest.raises(ValueError, match="unknown region"):
        CalendarIn.model_validate(
            {"timezone": "UTC", "holidays": {"country": "DE", "region": "XX"}}
        )
    with pytest.raises(ValueError, match="either off"):
        CalendarIn.model_validate(
            {"timezone": "UTC", "exceptions": [{"date": "2026-01-01", "start": "09:00"}]}
        )
