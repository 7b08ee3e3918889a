"""Business time: `add` and `between` over 24/7 and Berlin business calendars, holidays, DST,
night intervals past midnight, and `between` as the inverse of `add`.

Every expected instant is worked out by hand in UTC: Berlin is UTC+1 in winter (CET) and UTC+2
in summer (CEST); it springs forward on Sunday 2026-03-29 and falls back on Sunday 2026-10-25.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from contactcenter.api.schemas_sla import SlaCalendarIn
from contactcenter.routing.shifts import Plan
from contactcenter.sla.calendar import add, between

HOUR = 3600
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WEEKDAYS, "sat", "sun")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(
    days: tuple[str, ...] = WEEKDAYS,
    start: str = "09:00",
    end: str = "17:00",
    holidays: list[date] | None = None,
    country: str | None = None,
    region: str | None = None,
) -> Plan:
    """A Europe/Berlin calendar open start-end on `days`, built through the API schema."""
    public = {"country": country, "region": region} if country else None
    return SlaCalendarIn.model_validate({
        "timezone": "Europe/Berlin",
        "hours": {day: [[start, end]] for day in days},
        "holidays": holidays or [],
        "public_holidays": public,
    }).plan()  # fmt: skip


OFFICE = berlin()  # Mon-Fri 09:00-17:00
ALL_DAY = berlin(EVERY_DAY, "00:00", "24:00")  # 24/7, but as local days in Berlin
NIGHTS = berlin(EVERY_DAY, "22:00", "06:00")


def test_schema_turns_hours_into_weekly_rules() -> None:
    """'24:00' ends the day at midnight, so 00:00-24:00 is a whole day (end <= start: next day)."""
    (rule,) = berlin(("tue",), "00:00", "24:00").weekly
    assert rule.days == frozenset({1}) and rule.start == time(0) and rule.end == time(0)


def test_twenty_four_seven_is_plain_arithmetic() -> None:
    """Without a plan every second counts, across midnight and the DST night alike."""
    start = utc(2026, 3, 28, 23, 30)
    assert add(None, start, HOUR) == utc(2026, 3, 29, 0, 30)
    assert add(None, start, 0.25) == utc(2026, 3, 28, 23, 30, 0, 250000)
    assert between(None, start, utc(2026, 3, 30, 0, 30)) == 25 * HOUR


def test_friday_afternoon_rolls_over_the_weekend() -> None:
    """Fri 15:00 CET + 4 h: two hours on Friday, the other two on Monday morning."""
    friday = utc(2026, 1, 16, 14)  # Fri 15:00 CET
    assert add(OFFICE, friday, 4 * HOUR) == utc(2026, 1, 19, 10)  # Mon 11:00 CET
    assert between(OFFICE, friday, utc(2026, 1, 19, 10)) == 4 * HOUR


def test_work_ending_at_closing_time_stays_on_that_day() -> None:
    """Using up the last working second lands at 17:00, not at the next opening."""
    assert add(OFFICE, utc(2026, 6, 12, 14), HOUR) == utc(2026, 6, 12, 15)  # Fri 17:00 CEST


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (utc(2026, 6, 8, 5), HOUR, utc(2026, 6, 8, 8)),  # Mon 07:00 CEST → 09:00 + 1 h
        (utc(2026, 6, 8, 15), HOUR, utc(2026, 6, 9, 8)),  # Mon 17:00 (closing) → Tue 10:00
        (utc(2026, 6, 13, 10), 1800, utc(2026, 6, 15, 7, 30)),  # Sat noon → Mon 09:30
        (utc(2026, 6, 8, 20), 0, utc(2026, 6, 9, 7)),  # Mon 22:00 → Tue 09:00
    ],
)
def test_start_in_closed_hours_begins_at_next_opening(
    start: datetime, seconds: float, expected: datetime
) -> None:
    """Time outside business hours is not counted: the clock starts when the office opens."""
    assert add(OFFICE, start, seconds) == expected
    assert between(OFFICE, start, expected) == seconds


def test_holiday_date_is_skipped() -> None:
    """Wed 2026-06-10 listed as a holiday: Tue 16:00 CEST + 2 h ends Thu 10:00, not Wed 10:00."""
    start = utc(2026, 6, 9, 14)  # Tue 16:00 CEST
    assert add(OFFICE, start, 2 * HOUR) == utc(2026, 6, 10, 8)  # without the holiday: Wed 10:00
    closed = berlin(holidays=[date(2026, 6, 10)])
    assert add(closed, start, 2 * HOUR) == utc(2026, 6, 11, 8)  # Thu 10:00 CEST
    # Tue 16-17 and all of Thu 09-17 (07:00-15:00 UTC); Wed counts nothing.
    assert between(closed, start, utc(2026, 6, 11, 15)) == 9 * HOUR


def test_public_holidays_are_skipped() -> None:
    """DE: 2026-12-25 (Fri) and 12-26 (Sat) are closed even in a seven-day calendar."""
    plan = berlin(EVERY_DAY, country="DE")
    start = utc(2026, 12, 24, 15)  # Thu 16:00 CET; Christmas Eve is a working day
    assert add(plan, start, 2 * HOUR) == utc(2026, 12, 27, 9)  # Sun 10:00 CET
    # Thu 16-17, then all of Sunday 09-17; Friday and Saturday count nothing.
    assert between(plan, start, utc(2026, 12, 28, 8)) == 9 * HOUR
    assert between(plan, utc(2026, 12, 24, 23), utc(2026, 12, 26, 23)) == 0


def test_public_holidays_follow_the_region() -> None:
    """Epiphany (Tue 2026-01-06) is a holiday in Bavaria but not in Germany as a whole."""
    start = utc(2026, 1, 5, 15)  # Mon 16:00 CET
    assert add(berlin(country="DE"), start, 2 * HOUR) == utc(2026, 1, 6, 9)  # Tue 10:00 CET
    assert add(berlin(country="DE", region="BY"), start, 2 * HOUR) == utc(2026, 1, 7, 9)


@pytest.mark.parametrize(
    ("start", "expected", "friday_open", "monday_open"),
    [
        # Fri 16:00 CET + 2 h → Mon 10:00 CEST: 15:00 UTC → 08:00 UTC.
        (utc(2026, 3, 27, 15), utc(2026, 3, 30, 8), utc(2026, 3, 27, 8), utc(2026, 3, 30, 7)),
        # Fri 16:00 CEST + 2 h → Mon 10:00 CET: 14:00 UTC → 09:00 UTC.
        (utc(2026, 10, 23, 14), utc(2026, 10, 26, 9), utc(2026, 10, 23, 7), utc(2026, 10, 26, 8)),
    ],
)
def test_business_days_across_dst_keep_local_hours(
    start: datetime, expected: datetime, friday_open: datetime, monday_open: datetime
) -> None:
    """09:00 stays 09:00 on the wall across the change; only the UTC instant moves."""
    assert add(OFFICE, start, 2 * HOUR) == expected
    # Friday 09:00 to Monday 09:00 is exactly one working day, whatever the offsets did.
    assert between(OFFICE, friday_open, monday_open) == 8 * HOUR


def test_business_hours_on_the_change_day_itself() -> None:
    """Sun 2026-03-29 09:00-17:00 CEST is 07:00-15:00 UTC; the day before was 08:00-16:00 UTC."""
    plan = berlin(EVERY_DAY)
    assert add(plan, utc(2026, 3, 28, 15), 2 * HOUR) == utc(2026, 3, 29, 8)  # Sun 10:00 CEST
    assert add(plan, utc(2026, 3, 29, 0), 0) == utc(2026, 3, 29, 7)
    assert between(plan, utc(2026, 3, 29, 0), utc(2026, 3, 30, 0)) == 8 * HOUR
    assert add(plan, utc(2026, 10, 25, 0), 0) == utc(2026, 10, 25, 8)  # Sun 09:00 CET


@pytest.mark.parametrize(
    ("midnight", "next_midnight", "hours"),
    [
        (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23),  # 29 Mar: 00:00 CET → 00:00 CEST
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25),  # 25 Oct: 00:00 CEST → 00:00 CET
        (utc(2026, 6, 9, 22), utc(2026, 6, 10, 22), 24),  # an ordinary day
    ],
)
def test_all_day_local_calendar_counts_wall_clock_days(
    midnight: datetime, next_midnight: datetime, hours: int
) -> None:
    """00:00-24:00 every day in Berlin: the change days hold 23 h and 25 h of working time."""
    assert between(ALL_DAY, midnight, next_midnight) == hours * HOUR
    assert add(ALL_DAY, midnight, hours * HOUR) == next_midnight
    assert add(ALL_DAY, midnight, 24 * HOUR) == next_midnight + timedelta(hours=24 - hours)


def test_all_day_local_calendar_is_continuous_over_weeks() -> None:
    """A month of 00:00-24:00 days has no seams at week or cache boundaries."""
    start = utc(2026, 3, 1, 12)
    assert add(ALL_DAY, start, 30 * 24 * HOUR) == utc(2026, 3, 31, 12)
    assert between(ALL_DAY, start, utc(2026, 3, 31, 12)) == 30 * 24 * HOUR
    # Mon 23 Mar 00:00 CET to Mon 30 Mar 00:00 CEST: a week one hour short.
    assert between(ALL_DAY, utc(2026, 3, 22, 23), utc(2026, 3, 29, 22)) == 167 * HOUR


def test_night_interval_adds_time_past_midnight() -> None:
    """22:00-06:00: Wed 23:00 CEST + 3 h is Thu 02:00; Thu 05:00 + 2 h is Thu 23:00."""
    assert add(NIGHTS, utc(2026, 6, 10, 21), 3 * HOUR) == utc(2026, 6, 11, 0)
    assert add(NIGHTS, utc(2026, 6, 11, 3), 2 * HOUR) == utc(2026, 6, 11, 21)
    assert between(NIGHTS, utc(2026, 6, 10, 12), utc(2026, 6, 11, 12)) == 8 * HOUR


def test_single_night_shift_rolls_to_next_week() -> None:
    """Only Friday 22:00-06:00: Fri 23:00 + 8 h uses 7 h that night and 1 h the next Friday."""
    fridays = berlin(("fri",), "22:00", "06:00")
    assert add(fridays, utc(2026, 6, 12, 21), 8 * HOUR) == utc(2026, 6, 19, 21)
    assert add(fridays, utc(2026, 6, 13, 1), HOUR) == utc(2026, 6, 13, 2)  # Sat 03:00 → 04:00


def test_sunday_night_is_seen_from_monday() -> None:
    """A Sunday 22:00-06:00 interval still counts on Monday morning (the next local week)."""
    sundays = berlin(("sun",), "22:00", "06:00")
    assert add(sundays, utc(2026, 6, 15, 0), HOUR) == utc(2026, 6, 15, 1)  # Mon 02:00 → 03:00
    assert between(sundays, utc(2026, 6, 15, 0), utc(2026, 6, 15, 12)) == 4 * HOUR


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (utc(2026, 3, 28, 21), utc(2026, 3, 29, 4), 7),  # Sat 22:00 CET → Sun 06:00 CEST
        (utc(2026, 10, 24, 20), utc(2026, 10, 25, 5), 9),  # Sat 22:00 CEST → Sun 06:00 CET
    ],
)
def test_night_across_dst_is_as_long_as_the_wall_clock_says(
    start: datetime, end: datetime, hours: int
) -> None:
    """The night the clocks change holds 7 h or 9 h of work, ending at 06:00 local."""
    assert between(NIGHTS, start - timedelta(hours=3), end + timedelta(hours=3)) == hours * HOUR
    assert add(NIGHTS, start, hours * HOUR) == end


PLANS = {
    "24/7": None,
    "office": OFFICE,
    "seven days with DE holidays": berlin(EVERY_DAY, country="DE"),
    "nights": NIGHTS,
    "all day in Berlin": ALL_DAY,
}
STARTS = [
    utc(2026, 1, 16, 14, 17),  # Fri afternoon, winter
    utc(2026, 3, 27, 23, 59, 59),  # the night before spring forward
    utc(2026, 6, 13, 10),  # Sat noon (closed for the office)
    utc(2026, 10, 24, 22, 30),  # the night clocks fall back
    utc(2026, 12, 23, 16, 5),  # just before Christmas
]
SECONDS = [0, 1, 1234.5678, 8 * HOUR, 3 * 24 * HOUR + 17, 40 * 24 * HOUR]


@pytest.mark.parametrize("name", PLANS)
def test_between_inverts_add(name: str) -> None:
    """For every start and duration, the working time from start to add(start, s) is s."""
    plan = PLANS[name]
    for start in STARTS:
        for seconds in SECONDS:
            end = add(plan, start, seconds)
            assert end >= start
            assert abs(between(plan, start, end) - seconds) < 1e-6, (start, seconds, end)


@pytest.mark.parametrize("name", PLANS)
def test_between_is_zero_when_b_is_not_after_a(name: str) -> None:
    """An empty or reversed range holds no working time."""
    a = utc(2026, 6, 10, 10)
    assert between(PLANS[name], a, a) == 0
    assert between(PLANS[name], a, a - timedelta(days=3)) == 0
