"""Request and response shapes for routing: agents, shifts, queue hours, presence, offers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import holidays as holiday_tables
from pydantic import Field, field_validator, model_validator

from contactcenter.api.schemas import In, Name, Out, PageQuery, check_timezone
from contactcenter.routing import shifts

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["08:00"])]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Kind = Literal["voice", "chat", "social", "email"]
_COUNTRIES = holiday_tables.list_supported_countries()


class WeeklyIn(In):
    days: list[Day] = Field(min_length=1)
    start: HHMM
    end: HHMM = Field(description="end <= start means the shift ends the next day")


class ExceptionIn(In):
    date: date
    off: bool = False
    start: HHMM | None = None
    end: HHMM | None = None

    @model_validator(mode="after")
    def _off_or_times(self) -> ExceptionIn:
        if self.off == (self.start is not None or self.end is not None) or (
            not self.off and (self.start is None or self.end is None)
        ):
            raise ValueError("give either off: true, or both start and end")
        return self


class LeaveIn(In):
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _ordered(self) -> LeaveIn:
        if self.to < self.from_:
            raise ValueError("leave ends before it starts")
        return self


class HolidaysIn(In):
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. DE")
    region: str | None = Field(default=None, description="subdivision, e.g. BY for Bavaria")

    @model_validator(mode="after")
    def _known(self) -> HolidaysIn:
        regions = _COUNTRIES.get(self.country)
        if regions is None:
            raise ValueError(f"no public-holiday calendar for country {self.country!r}")
        if self.region is not None and self.region not in regions:
            raise ValueError(
                f"unknown region {self.region!r} for {self.country}; use one of {sorted(regions)}"
            )
        return self


class CalendarIn(In):
    """A weekly pattern in a time zone: an agent's shifts, or a queue's opening hours."""

    timezone: str
    weekly: list[WeeklyIn] = Field(default=[], max_length=50)
    exceptions: list[ExceptionIn] = Field(default=[], max_length=500)
    holidays: HolidaysIn | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    def to_plan(self, leave: list[LeaveIn] | None = None) -> shifts.Plan:
        weekly = tuple(
            shifts.WeeklyRule(
                frozenset(shifts.DAYS.index(d) for d in w.days),
                shifts.hm(w.start),
                shifts.hm(w.end),
            )
            for w in self.weekly
        )
        exceptions = tuple(
            shifts.DayException(e.date)
            if e.off
            else shifts.DayException(e.date, shifts.hm(e.start or ""), shifts.hm(e.end or ""))
            for e in self.exceptions
        )
        return shifts.Plan(
            self.timezone,
            weekly,
            exceptions,
            tuple((x.from_, x.to) for x in leave or ()),
            self.holidays.country if self.holidays else None,
            self.holidays.region if self.holidays else None,
        )


class HoursIn(CalendarIn):
    """A queue's opening hours: some time open (null, not an empty week, means always open)."""

    @model_validator(mode="after")
    def _open_some_time(self) -> HoursIn:
        yesterday = datetime.now(UTC).date() - timedelta(days=1)  # any time zone's today
        if not self.weekly and all(e.off or e.date < yesterday for e in self.exceptions):
            raise ValueError(
                "these opening hours are never open (again): add a weekly row (or a coming day "
                "with hours), or send hours: null for always open"
            )
        return self


class ShiftsIn(CalendarIn):
    leave: list[LeaveIn] = Field(default=[], max_length=200)

    def plan(self) -> shifts.Plan:
        return self.to_plan(self.leave)


class ShiftIntervalOut(Out):
    starts_at: datetime
    ends_at: datetime


class ShiftsOut(Out):
    plan: ShiftsIn | None
    upcoming: list[ShiftIntervalOut] = Field(description="materialised shifts, next 14 days")


class PresenceIn(In):
    status: Literal["available", "away", "offline"]


class PresenceOut(Out):
    status: Literal["available", "busy", "away", "offline"]
    since: datetime | None
    on_shift: bool
    load: dict[str, int]
    capacity: dict[str, int]


class OfferOut(Out):
    id: int
    ticket_id: int
    queue_id: UUID
    attempt: int
    status: str
    created_at: datetime
    expires_at: datetime


class AssignIn(In):
    agent_id: UUID
    override: bool = Field(default=False, description="assign even past the agent's capacity")


class TransferIn(In):
    queue_id: UUID


class AgentOut(Out):
    id: UUID
    name: str
    email: str
    team_id: UUID | None
    presence: PresenceOut
    queue_ids: list[UUID]
    skills: dict[str, int]
    languages: list[str]


class OverflowStep(In):
    after_s: int = Field(ge=0, description="seconds a ticket waits before this step applies")
    queue_id: UUID | None = None
    drop_skills: list[str] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> OverflowStep:
        if (self.queue_id is None) == (self.drop_skills is None):
            raise ValueError("give exactly one of queue_id or drop_skills")
        return self


class ForecastIn(In):
    """Expected arrivals per interval of each weekday (in the time zone given), and optionally
    the handle time; the coverage planner uses it instead of history."""

    timezone: str = "UTC"
    interval_min: Literal[15, 30, 60] = 30
    weekly: dict[Day, list[Annotated[float, Field(ge=0, le=100_000)]]]
    aht_s: float | None = Field(default=None, gt=0, le=86400)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _lengths(self) -> ForecastIn:
        per_day = 1440 // self.interval_min
        wrong = sorted(d for d, v in self.weekly.items() if len(v) != per_day)
        if wrong:
            raise ValueError(
                f"weekly {wrong}: give {per_day} numbers per day "
                f"({self.interval_min}-minute intervals)"
            )
        return self


class QueueIn(In):
    brand_id: UUID
    name: Name
    team_id: UUID | None = None
    required_skills: dict[str, Annotated[int, Field(ge=1, le=10)]] = {}
    strategy: Literal["longest_idle", "least_occupied", "round_robin"] = "longest_idle"
    offer_timeout_s: int = Field(default=120, ge=5, le=3600)
    max_attempts: int = Field(default=5, ge=1, le=100)
    overflow: list[OverflowStep] = []
    after_hours_reply: str | None = Field(
        default=None, max_length=4096, description="sent once per ticket while the queue is closed"
    )
    sla_policy_id: UUID | None = None
    hours: HoursIn | None = Field(default=None, description="opening hours; null: always open")
    language_required: bool = Field(
        default=True, description="offer only to agents speaking the customer's language"
    )
    escalate_after_s: int = Field(
        default=600, ge=10, le=86400, description="each wait this long adds a priority level"
    )
    sticky_s: int = Field(
        default=60, ge=0, le=3600, description="wait this long for the customer's last agent"
    )
    shift_end_drain_s: int = Field(
        default=600, ge=0, le=7200, description="no new offers this close to a shift's end"
    )
    shift_end_policy: Literal["keep", "requeue"] = Field(
        default="keep", description="an agent's open tickets at shift end"
    )
    sl_threshold_s: int | None = Field(
        default=None,
        gt=0,
        le=7 * 86400,
        description="service level: answered within this many seconds (null: 20 s for voice "
        "and chat, 3600 s for social and e-mail)",
    )
    sl_target: float = Field(default=0.8, gt=0, lt=1, description="service level goal")
    shrinkage: float = Field(default=0.3, ge=0, lt=1, description="coverage: time off the queue")
    max_occupancy: float = Field(default=0.85, gt=0, le=1, description="coverage: busy ceiling")
    forecast: ForecastIn | None = Field(
        default=None, description="expected arrivals per interval; null: learned from history"
    )


class QueueOut(Out):
    id: UUID
    brand_id: UUID
    name: str
    team_id: UUID | None
    required_skills: dict[str, int]
    strategy: str
    offer_timeout_s: int
    max_attempts: int
    overflow: list[dict[str, Any]]
    after_hours_reply: str | None
    hours: dict[str, Any] | None
    language_required: bool
    escalate_after_s: int
    sticky_s: int
    shift_end_drain_s: int
    shift_end_policy: str
    sla_policy_id: UUID | None
    sl_threshold_s: int | None
    sl_target: float
    shrinkage: float
    max_occupancy: float
    forecast: dict[str, Any] | None
    created_at: datetime


class QueuePatch(In):
    """Change routing settings; every field is optional. Waiting tickets are re-routed."""

    name: Name | None = None
    team_id: UUID | None = None
    required_skills: dict[str, Annotated[int, Field(ge=1, le=10)]] | None = None
    strategy: Literal["longest_idle", "least_occupied", "round_robin"] | None = None
    offer_timeout_s: int | None = Field(default=None, ge=5, le=3600)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    overflow: list[OverflowStep] | None = None
    after_hours_reply: str | None = Field(default=None, max_length=4096)
    hours: HoursIn | None = None
    language_required: bool | None = None
    escalate_after_s: int | None = Field(default=None, ge=10, le=86400)
    sticky_s: int | None = Field(default=None, ge=0, le=3600)
    shift_end_drain_s: int | None = Field(default=None, ge=0, le=7200)
    shift_end_policy: Literal["keep", "requeue"] | None = None
    sla_policy_id: UUID | None = None
    sl_threshold_s: int | None = Field(default=None, gt=0, le=7 * 86400)
    sl_target: float | None = Field(default=None, gt=0, lt=1)
    shrinkage: float | None = Field(default=None, ge=0, lt=1)
    max_occupancy: float | None = Field(default=None, gt=0, le=1)
    forecast: ForecastIn | None = None


class QueueListQuery(PageQuery):
    brand_id: UUID | None = None
