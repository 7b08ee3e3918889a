"""Shift plans and queue hours → concrete UTC intervals. Pure (the holiday tables are data).

A plan is a weekly pattern in a time zone, plus one-off exceptions, leave and public holidays.
Each local day's times are turned into UTC with that day's offset, so an 08:00 shift starts at
08:00 local time on both sides of a DST change, and a night shift across the change is an hour
shorter or longer, as the clock on the wall says. `end <= start` means the shift ends the next
day. A start inside a spring-forward gap begins when the clock jumps (02:30 → 03:00 local).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_tables

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time  # end <= start: the next day


@dataclass(frozen=True, slots=True)
class DayException:
    day: date
    start: time | None = None  # None: the whole day off
    end: time | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    timezone: str
    weekly: tuple[WeeklyRule, ...] = ()
    exceptions: tuple[DayException, ...] = ()
    leave: tuple[tuple[date, date], ...] = ()  # inclusive local dates
    holiday_country: str | None = None
    holiday_region: str | None = None


def materialize(plan: Plan, first_day: date, days: int) -> list[tuple[datetime, datetime]]:
    """Merged UTC intervals of the shifts starting on local days first_day .. first_day+days-1."""
    zone = ZoneInfo(plan.timezone)
    exceptions = {e.day: e for e in plan.exceptions}
    spans: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for start, end in _local_times(plan, day, exceptions):
            spans.append(_to_utc(day, start, end, zone))
    return merge(spans)


def _local_times(
    plan: Plan, day: date, exceptions: dict[date, DayException]
) -> list[tuple[time, time]]:
    if day in exceptions:
        e = exceptions[day]
        return [] if e.start is None or e.end is None else [(e.start, e.end)]
    if any(lo <= day <= hi for lo, hi in plan.leave) or is_holiday(plan, day):
        return []
    return [(r.start, r.end) for r in plan.weekly if day.weekday() in r.days]


def _to_utc(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    end_day = day if end > start else day + timedelta(days=1)
    return _instant(day, start, zone), _instant(end_day, end, zone)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Local wall time → UTC; a time inside a spring-forward gap maps to the end of the gap."""
    local = datetime.combine(day, at, tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return utc
    earliest = min(utc, local.replace(fold=1).astimezone(UTC))
    return _next_offset_change(earliest, zone)


def _next_offset_change(utc: datetime, zone: ZoneInfo) -> datetime:
    """The first whole minute after `utc` at which the zone's UTC offset differs."""
    before = utc.astimezone(zone).utcoffset()
    probe = utc.replace(second=0, microsecond=0)
    for _ in range(3 * 60):  # gaps last an hour (at most two, historically)
        probe += timedelta(minutes=1)
        if probe.astimezone(zone).utcoffset() != before:
            return probe
    return utc


def merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sort and join overlapping or touching intervals."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_holiday(plan: Plan, day: date) -> bool:
    if not plan.holiday_country:
        return False
    return day in _holidays(plan.holiday_country, plan.holiday_region, day.year)


@lru_cache(maxsize=256)
def _holidays(country: str, region: str | None, year: int) -> frozenset[date]:
    table = holiday_tables.country_holidays(country, subdiv=region, years=year)
    return frozenset(table.keys())


def is_within(plan: Plan, at: datetime) -> bool:
    """Whether `at` falls in one of the plan's intervals (queue hours: open now?)."""
    local_day = at.astimezone(ZoneInfo(plan.timezone)).date()
    return any(s <= at < e for s, e in materialize(plan, local_day - timedelta(days=1), 2))


def hm(value: str) -> time:
    """'HH:MM' → time; '24:00' is midnight (the end of the day)."""
    hours, minutes = value.split(":")
    return time(int(hours) % 24, int(minutes))
