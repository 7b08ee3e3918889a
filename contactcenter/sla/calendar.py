"""Business time: add working seconds to an instant, or count them between two instants.

A calendar is 24/7 (`None` plan) or a weekly pattern in a time zone with holidays, the same
`Plan` the shift planner uses (contactcenter/routing/shifts.py): each local day's hours become
UTC intervals with that day's offset, so DST changes and intervals crossing midnight are exact.
Intervals are materialised a week at a time and cached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from contactcenter.routing import shifts

# How far `add` looks for working time before it calls the calendar empty: a year of business
# time at four hours a week takes 44 years, so 60 years bounds only a pathological calendar.
SEARCH_WEEKS = 60 * 52
CHUNK_WEEKS = 26
WEEK = 7


class EmptyCalendarError(ValueError):
    """The calendar has no working time in the next SEARCH_WEEKS weeks."""


@lru_cache(maxsize=4096)
def _week(plan: shifts.Plan, monday: date) -> tuple[tuple[datetime, datetime], ...]:
    """UTC intervals of the shifts starting on local days monday-1 .. monday+6 (a day of
    overlap so an interval from Sunday night into Monday is seen from either week)."""
    return tuple(shifts.materialize(plan, monday - timedelta(days=1), WEEK + 1))


def _monday(plan: shifts.Plan, at: datetime) -> date:
    local = at.astimezone(ZoneInfo(plan.timezone)).date()
    return local - timedelta(days=local.weekday())


def _intervals_from(plan: shifts.Plan, at: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """Merged working intervals that end after `at`, over the next `weeks` weeks."""
    first = _monday(plan, at)
    spans = [s for w in range(-1, weeks) for s in _week(plan, first + timedelta(days=WEEK * w))]
    return [(s, e) for s, e in shifts.merge(spans) if e > at]


def add(plan: shifts.Plan | None, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of working time have passed since `start`."""
    if plan is None:
        return start + timedelta(seconds=seconds)
    left = max(seconds, 0.0)
    at = start
    for weeks in (2, 8, *([CHUNK_WEEKS] * (SEARCH_WEEKS // CHUNK_WEEKS))):
        spans = _intervals_from(plan, at, weeks)
        for lo, hi in spans:
            lo = max(lo, at)
            span = (hi - lo).total_seconds()
            if left <= span:
                return lo + timedelta(seconds=left)
            left -= span
            at = hi
        if not spans:  # nothing in these weeks (they covered at least weeks - 1 past `at`)
            at += timedelta(weeks=weeks - 1)
    raise EmptyCalendarError("the calendar has too few working hours for this target")


def between(plan: shifts.Plan | None, a: datetime, b: datetime) -> float:
    """Working seconds in [a, b); 0 when b <= a."""
    if b <= a:
        return 0.0
    if plan is None:
        return (b - a).total_seconds()
    weeks = (b - a).days // WEEK + 2
    total = 0.0
    for lo, hi in _intervals_from(plan, a, weeks):
        if lo >= b:
            break
        total += (min(hi, b) - max(lo, a)).total_seconds()
    return total


def is_working(plan: shifts.Plan | None, at: datetime) -> bool:
    if plan is None:
        return True
    return any(lo <= at < hi for lo, hi in _intervals_from(plan, at, 1))


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
