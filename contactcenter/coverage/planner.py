"""Coverage: agents needed per interval (Erlang C or workload) against agents on shift.

Per interval of a queue (15, 30 or 60 minutes):
- arrivals: the admin's forecast for that local weekday and time, else the average of the
  same weekday and time over the last HISTORY_WEEKS weeks;
- handle time: the forecast's, else the mean accept-to-solve time of the last weeks, divided by
  how many conversations of that kind an agent holds at once (a chat agent with capacity 4
  takes a new chat while three run, so one chat occupies a quarter of an agent); DEFAULT_AHT_S
  when there is no history;
- needed: Erlang C for the queue's service level (sl_threshold_s, sl_target) and maximum
  occupancy; for e-mail and social queues (answers in hours) workload ÷ productive time;
- required: needed ÷ (1 - shrinkage), the agents to schedule;
- scheduled: agents on shift, as the fraction of the interval each one covers (materialised
  shifts, which already exclude leave and holidays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from contactcenter.coverage import erlang
from contactcenter.models import Queue
from contactcenter.store.queries import q

HISTORY_WEEKS = 4
DEFAULT_AHT_S = 300.0
WORKLOAD_KINDS = frozenset({"email", "social"})
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HISTORY = q("metrics.coverage_history")
_AHT = q("metrics.coverage_aht")
_KIND = q("metrics.coverage_kind")
_SHIFTS = q("metrics.coverage_shifts")
_CAPACITY = q("metrics.coverage_capacity")


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    arrivals: float
    needed: int
    required: int
    scheduled: float

    @property
    def gap(self) -> float:
        return round(self.scheduled - self.required, 2)


@dataclass(frozen=True, slots=True)
class Plan:
    queue_id: str
    interval_min: int
    timezone: str
    kind: str
    method: str  # erlang_c or workload
    source: str  # forecast or history
    aht_s: float  # per conversation, as measured or forecast
    effective_aht_s: float  # divided by concurrency
    concurrency: int
    sl_threshold_s: int
    sl_target: float
    intervals: list[Interval]


def timezone_of(queue: Queue) -> str:
    for source in (queue.forecast, queue.hours):
        if source and source.get("timezone"):
            return str(source["timezone"])
    return "UTC"


async def plan(
    conn: asyncpg.Connection, queue: Queue, start: datetime, end: datetime, interval_min: int
) -> Plan:
    forecast = queue.forecast
    if forecast:
        interval_min = int(forecast.get("interval_min", interval_min))
    zone = timezone_of(queue)
    kinds = await conn.fetch(_KIND, queue.id)
    kind = kinds[0]["kind"] if kinds else "chat"
    history_end = min(start, datetime.now(UTC))  # history is the past, whatever `from` is
    aht_s, source = await _aht(conn, queue, history_end)
    shifts = await conn.fetch(_SHIFTS, queue.id, start, end)
    concurrency = _concurrency(await conn.fetch(_CAPACITY, queue.id), kind)
    effective = aht_s / concurrency
    threshold = queue.sl_threshold_s or (20 if kind in ("voice", "chat") else 3600)
    method = "workload" if kind in WORKLOAD_KINDS else "erlang_c"
    arrivals_at = await _arrivals(conn, queue, history_end, zone, interval_min)
    step = timedelta(minutes=interval_min)
    first = _floor(start, zone, interval_min)
    intervals: list[Interval] = []
    at = first
    while at < end:
        arrivals = arrivals_at(at)
        interval_s = step.total_seconds()
        needed = _needed(method, arrivals, interval_s, effective, queue.sl_target, threshold,
                         queue.max_occupancy)  # fmt: skip
        intervals.append(Interval(
            start=at, arrivals=round(arrivals, 2), needed=needed,
            required=erlang.scheduled(needed, queue.shrinkage),
            scheduled=round(_on_shift(shifts, at, at + step), 2),
        ))  # fmt: skip
        at += step
    return Plan(str(queue.id), interval_min, zone, kind, method,
                "forecast" if forecast and forecast.get("weekly") else source,
                round(aht_s, 1), round(effective, 1), concurrency, threshold, queue.sl_target,
                intervals)  # fmt: skip


@lru_cache(maxsize=16_384)
def _needed(
    method: str, arrivals: float, interval_s: float, aht_s: float, target: float,
    threshold_s: float, max_occupancy: float,
) -> int:  # fmt: skip
    """Agents needed for one interval; cached, since a week's pattern repeats (and Erlang C
    for hundreds of erlangs costs a tenth of a millisecond)."""
    if method == "workload":
        return erlang.workload_agents(arrivals, interval_s, aht_s, max_occupancy)
    return erlang.agents_needed(arrivals, interval_s, aht_s, target, threshold_s, max_occupancy)


async def _aht(conn: asyncpg.Connection, queue: Queue, now: datetime) -> tuple[float, str]:
    if queue.forecast and queue.forecast.get("aht_s"):
        return float(queue.forecast["aht_s"]), "forecast"
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = (queue.id, "aht", hour)
    if key not in _AHT_CACHE:
        row = await conn.fetchrow(_AHT, queue.id, 7 * HISTORY_WEEKS, hour)
        if len(_AHT_CACHE) > 1000:
            _AHT_CACHE.clear()
        _AHT_CACHE[key] = float(row["aht_s"]) if row and row["n"] and row["aht_s"] else None
    aht = _AHT_CACHE[key]
    return (aht, "history") if aht is not None else (DEFAULT_AHT_S, "history")


def _concurrency(agents: list[Any], kind: str) -> int:
    """How many conversations of this kind an agent holds at once (median over the queue's
    agents; 1 without any)."""
    caps = [int(r["capacity"].get(kind, 0)) for r in agents]
    caps = [c for c in caps if c > 0]
    return max(1, int(median(caps))) if caps else 1


async def _arrivals(
    conn: asyncpg.Connection, queue: Queue, now: datetime, zone: str, interval_min: int
) -> Any:
    """A function: interval start → expected arrivals."""
    tz = ZoneInfo(zone)
    weekly = (queue.forecast or {}).get("weekly")
    if weekly:

        def from_forecast(at: datetime) -> float:
            local = at.astimezone(tz)
            values = weekly.get(DAYS[local.weekday()]) or []
            slot = (local.hour * 60 + local.minute) // interval_min
            return float(values[slot]) if slot < len(values) else 0.0

        return from_forecast
    table = await _history(conn, queue, zone, now, interval_min)

    def from_history(at: datetime) -> float:
        local = at.astimezone(tz)
        return table.get(
            (local.isoweekday(), (local.hour * 60 + local.minute) // interval_min), 0.0
        )

    return from_history


# History changes slowly: a queue's weekly arrivals and its handle time are computed at most
# once per hour and process (each scans four weeks of tickets).
_HISTORY_CACHE: dict[tuple[Any, ...], dict[tuple[int, int], float]] = {}
_AHT_CACHE: dict[tuple[Any, ...], float | None] = {}


async def _history(
    conn: asyncpg.Connection, queue: Queue, zone: str, now: datetime, interval_min: int
) -> dict[tuple[int, int], float]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = (queue.id, zone, interval_min, hour)
    if key not in _HISTORY_CACHE:
        rows = await conn.fetch(_HISTORY, queue.id, zone, 7 * HISTORY_WEEKS, hour, interval_min)
        if len(_HISTORY_CACHE) > 1000:
            _HISTORY_CACHE.clear()
        _HISTORY_CACHE[key] = {(r["dow"], r["slot"]): r["n"] / HISTORY_WEEKS for r in rows}
    return _HISTORY_CACHE[key]


def _floor(at: datetime, zone: str, interval_min: int) -> datetime:
    """The start of the local interval holding `at`, in UTC."""
    local = at.astimezone(ZoneInfo(zone))
    minutes = (local.hour * 60 + local.minute) // interval_min * interval_min
    floored = local.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
    return floored.astimezone(UTC)


def _on_shift(shifts: list[Any], start: datetime, end: datetime) -> float:
    """Agents on shift in [start, end), each counted by the fraction of it they cover."""
    length = (end - start).total_seconds()
    covered = 0.0
    for r in shifts:
        lo, hi = max(r["starts_at"], start), min(r["ends_at"], end)
        if hi > lo:
            covered += (hi - lo).total_seconds()
    return covered / length if length else 0.0


def summary(p: Plan) -> dict[str, Any]:
    gaps = [i for i in p.intervals if i.gap < 0]
    worst = min(gaps, key=lambda i: i.gap, default=None)
    return {
        "intervals": len(p.intervals),
        "intervals_short": len(gaps),
        "agent_hours_short": round(-sum(i.gap for i in gaps) * p.interval_min / 60, 1),
        "worst": None if worst is None else {"start": worst.start.isoformat(), "gap": worst.gap,
                                             "required": worst.required,
                                             "scheduled": worst.scheduled},
    }  # fmt: skip


def as_json(p: Plan) -> dict[str, Any]:
    return {
        "queue_id": p.queue_id, "interval_min": p.interval_min, "timezone": p.timezone,
        "kind": p.kind, "method": p.method, "source": p.source, "aht_s": p.aht_s,
        "effective_aht_s": p.effective_aht_s, "concurrency": p.concurrency,
        "sl_threshold_s": p.sl_threshold_s, "sl_target": p.sl_target, "summary": summary(p),
        "intervals": [
            {"start": i.start.isoformat(), "arrivals": i.arrivals, "needed": i.needed,
             "required": i.required, "scheduled": i.scheduled, "gap": i.gap}
            for i in p.intervals
        ],
    }  # fmt: skip


def cells(p: Plan) -> list[Any]:
    from contactcenter.coverage.heatmap import Cell

    tz = ZoneInfo(p.timezone)
    return [Cell(i.start.astimezone(tz), i.required, math.floor(i.scheduled + 1e-9))
            for i in p.intervals]  # fmt: skip
