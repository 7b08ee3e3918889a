"""Request and response shapes for SLA policies and the ticket's clocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from contactcenter.api.schemas import In, Name, Out, PageQuery, check_timezone
from contactcenter.api.schemas_routing import HHMM, Day, HolidaysIn
from contactcenter.routing import shifts

# Every channel of CHANNELS.md, connected or not yet: a policy may name them ahead of time.
ALL_CHANNELS = frozenset({
    "whatsapp", "messenger", "instagram", "facebook", "x", "telegram", "linkedin", "youtube",
    "flickr", "google-reviews", "twilio-sms", "twilio-voice", "email", "viber", "line",
    "webchat", "api",
})  # fmt: skip
PRIORITIES = ("low", "normal", "high", "urgent")
TARGETS = ("first_response", "next_response", "resolution")


def _check_targets(cls: type, value: dict[str, TargetsIn] | None) -> dict[str, TargetsIn] | None:
    if value is not None and "normal" not in value:
        raise ValueError("give targets for normal priority (others fall back to it)")
    return value


def _check_warn_at(cls: type, value: float | list[float] | None) -> list[float] | None:
    if value is None:
        return None
    stages = [value] if isinstance(value, float | int) else value
    if len(stages) > 5 or any(not 0 < f < 1 for f in stages):
        raise ValueError("warn_at: up to 5 fractions between 0 and 1, e.g. [0.5, 0.8]")
    return sorted(set(stages))


def _check_channels(cls: type, value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = sorted(set(value) - ALL_CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {unknown}; known: {sorted(ALL_CHANNELS)}")
    return sorted(set(value))


class TargetsIn(In):
    """Seconds of business time; null: no clock for that target."""

    first_response_s: int | None = Field(default=None, gt=0, le=366 * 86400)
    next_response_s: int | None = Field(default=None, gt=0, le=366 * 86400)
    resolution_s: int | None = Field(default=None, gt=0, le=366 * 86400)


class SlaCalendarIn(In):
    """Business hours: per weekday a list of [start, end] (end <= start: past midnight),
    holidays as dates and/or a country's public holidays."""

    timezone: str
    hours: dict[Day, list[tuple[HHMM, HHMM]]]
    holidays: list[date] = Field(default=[], max_length=1000)
    public_holidays: HolidaysIn | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _open_some_time(self) -> SlaCalendarIn:
        if not any(self.hours.values()):
            raise ValueError("hours has no working time; give at least one [start, end] interval")
        for intervals in self.hours.values():
            for start, end in intervals:
                if start == end:
                    raise ValueError(f"[{start!r}, {end!r}] is empty; use 00:00-24:00 for all day")
        return self

    def plan(self) -> shifts.Plan:
        rules = tuple(
            shifts.WeeklyRule(frozenset({shifts.DAYS.index(day)}), shifts.hm(s), shifts.hm(e))
            for day, intervals in sorted(self.hours.items())
            for s, e in intervals
        )
        return shifts.Plan(
            self.timezone,
            rules,
            tuple(shifts.DayException(d) for d in sorted(set(self.holidays))),
            (),
            self.public_holidays.country if self.public_holidays else None,
            self.public_holidays.region if self.public_holidays else None,
        )


class SlaPolicyIn(In):
    brand_id: UUID
    name: Name
    targets: dict[Literal["low", "normal", "high", "urgent"], TargetsIn] = Field(
        description="per priority; a priority not listed uses normal's targets"
    )
    calendar: Literal["24/7"] | SlaCalendarIn = "24/7"
    pause_on: list[Literal["new", "open", "pending"]] = Field(default=["pending"])
    warn_at: float | list[float] = Field(
        default=[0.5, 0.8], description="fractions of the target at which to warn"
    )
    channels: list[str] = Field(default=[], description="the brand's policy for these channels")
    is_default: bool = Field(default=False, description="the brand's policy if nothing else is")

    _targets = field_validator("targets")(_check_targets)
    _warn_at = field_validator("warn_at")(_check_warn_at)
    _known = field_validator("channels")(_check_channels)


class SlaPolicyPatch(In):
    name: Name | None = None
    targets: dict[Literal["low", "normal", "high", "urgent"], TargetsIn] | None = None
    calendar: Literal["24/7"] | SlaCalendarIn | None = None
    pause_on: list[Literal["new", "open", "pending"]] | None = None
    warn_at: float | list[float] | None = None
    channels: list[str] | None = None
    is_default: bool | None = None

    _targets = field_validator("targets")(_check_targets)
    _warn_at = field_validator("warn_at")(_check_warn_at)
    _known = field_validator("channels")(_check_channels)


class SlaPolicyOut(Out):
    id: UUID
    brand_id: UUID
    name: str
    targets: dict[str, TargetsIn]
    calendar: Literal["24/7"] | SlaCalendarIn
    pause_on: list[str]
    warn_at: list[float]
    channels: list[str]
    is_default: bool
    created_at: datetime
    updated_at: datetime


class SlaPolicyListQuery(PageQuery):
    brand_id: UUID | None = None


class ClockOut(Out):
    due_at: datetime | None
    state: Literal["ok", "warning", "breached", "met", "paused", "stopped"]
    started_at: datetime
    met_at: datetime | None = None
