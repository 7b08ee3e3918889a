"""The supervisor board's figures (ANCHORS.md, metric definitions), from the metrics queries.

Reads only: live figures (waiting, longest wait, running SLA clocks, agents) come from partial
indexes; period figures (service level, ASA, abandons, AHT, attainment) from covering indexes
over the period's rows. Ratios are None when their denominator is zero, never a made-up 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.store.queries import q

_QUEUES = q("metrics.queues")
_WAITING = q("metrics.waiting")
_ARRIVALS = q("metrics.arrivals")
_HANDLED = q("metrics.handled")
_SLA_OUTCOMES = q("metrics.sla_outcomes")
_SLA_LIVE = q("metrics.sla_live")
_AGENTS = q("metrics.agents")
_OFFERS = q("metrics.offer_stats")
_PRESENCE = q("metrics.presence_changes")
_BUSY = q("metrics.busy_spans")
_ELIGIBLE = q("metrics.eligible")
_SHIFT_SPANS = q("metrics.shift_spans")
_ARRIVALS_ROLLUP = q("metrics.arrivals_rollup")
_HANDLED_ROLLUP = q("metrics.handled_rollup")
_SLA_ROLLUP = q("metrics.sla_rollup")
_SLA_SNAPSHOT = q("metrics.sla_snapshot")
_ROLLUP_RANGE = q("metrics.rollup_range")
_REFRESH = q("metrics.refresh_board")
_REFRESHED_AT = q("metrics.refreshed_at")
RECENT = timedelta(days=1)  # refreshed every RECENT_EVERY (tickets there still change)
RECENT_EVERY = timedelta(seconds=15)  # 1,000,000 tickets: ~0.25 s of PostgreSQL per refresh
ALL = timedelta(days=94)  # refreshed hourly: the longest period the board shows, and a day
ALL_EVERY = timedelta(hours=1)
BUCKET = timedelta(minutes=15)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def floor15(at: datetime) -> datetime:
    return at - (at - EPOCH) % BUCKET


def ceil15(at: datetime) -> datetime:
    floor = floor15(at)
    return floor if floor == at else floor + BUCKET


@dataclass(frozen=True, slots=True)
class Split:
    """A period cut into whole 15-minute buckets the rollups hold, and raw edges around them."""

    rollup: tuple[datetime, datetime] | None
    raw: list[tuple[datetime, datetime]]


async def refresh(conn: asyncpg.Connection, now: datetime) -> bool:
    """Recompute the last day's buckets and the live snapshot every RECENT_EVERY, and all
    buckets hourly. False when nothing was due or another worker is refreshing right now."""
    last_all = await conn.fetchval(_REFRESHED_AT, "all")
    if last_all is None or now - last_all > ALL_EVERY:
        return bool(await conn.fetchval(_REFRESH, "all", now - ALL))
    last = await conn.fetchval(_REFRESHED_AT, "recent")
    if last is not None and now - last < RECENT_EVERY:
        return False
    return bool(await conn.fetchval(_REFRESH, "recent", now - RECENT))


async def split(conn: asyncpg.Connection, start: datetime, end: datetime) -> Split:
    row = await conn.fetchrow(_ROLLUP_RANGE)
    if row is None or row["covered_until"] is None:
        return Split(None, [(start, end)])
    lo = max(ceil15(start), row["covered_from"])
    hi = min(floor15(end), row["covered_until"])
    if hi <= lo:
        return Split(None, [(start, end)])
    raw = [(a, b) for a, b in ((start, lo), (hi, end)) if b > a]
    return Split((lo, hi), raw)


async def _fetch(
    conn: asyncpg.Connection, parts: Split, raw_sql: str, rollup_sql: str, brand_id: UUID | None,
    *extra: Any,
) -> list[Any]:  # fmt: skip
    """Rows of the rollup for the whole buckets plus rows of the raw query for the edges."""
    rows: list[Any] = []
    if parts.rollup is not None:
        rows += await conn.fetch(rollup_sql, brand_id, *parts.rollup, *extra)
    for a, b in parts.raw:
        rows += await conn.fetch(raw_sql, brand_id, a, b, *extra)
    return rows


TARGETS = ("first_response", "next_response", "resolution")


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _period(rows: Iterable[Any]) -> dict[str, Any]:
    """Service level, ASA and abandon rate over arrival rows (summed)."""
    arrived = answered = in_sl = abandoned = 0
    answer_s = 0.0
    for r in rows:
        arrived += r["arrived"]
        answered += r["answered"]
        in_sl += r["in_sl"]
        abandoned += r["abandoned"]
        answer_s += r["answer_s"]
    return {
        "arrived": arrived, "answered": answered, "answered_in_sl": in_sl,
        "service_level": ratio(in_sl, arrived),
        "asa_s": round(answer_s / answered, 1) if answered else None,
        "abandoned": abandoned, "abandon_rate": ratio(abandoned, arrived),
    }  # fmt: skip


def _handled(rows: Iterable[Any]) -> dict[str, Any]:
    solved = handled = 0
    handle_s = 0.0
    for r in rows:
        solved += r["solved"]
        handled += r["handled"]
        handle_s += r["handle_s"]
    return {"solved": solved, "aht_s": round(handle_s / handled, 1) if handled else None}


async def queues(
    conn: asyncpg.Connection, brand_id: UUID | None, start: datetime, end: datetime,
    interval_s: int, group_by: str, now: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """Per queue (or channel, or brand): live waiting and agents, period figures, intervals."""
    queue_rows = await conn.fetch(_QUEUES, brand_id)
    ids = [r["id"] for r in queue_rows]
    parts = await split(conn, start, end)
    arrivals = await _fetch(conn, parts, _ARRIVALS, _ARRIVALS_ROLLUP, brand_id, interval_s, start)
    handled = await _fetch(conn, parts, _HANDLED, _HANDLED_ROLLUP, brand_id)
    waiting = await conn.fetch(_WAITING, ids)
    brand_of = {r["id"]: r["brand_id"] for r in queue_rows}

    def key(row: Any) -> str:
        if group_by == "channel":
            return str(row["channel"])
        if group_by == "brand":
            return str(brand_of.get(row["queue_id"]))
        return str(row["queue_id"])

    groups: dict[str, dict[str, Any]] = {}
    if group_by == "queue":
        eligible = {r["queue_id"]: r for r in await conn.fetch(_ELIGIBLE, ids)}
        sla_live = _sum_by(await _live_clocks(conn, ids, parts), "queue_id")
        for r in queue_rows:
            e = eligible.get(r["id"])
            groups[str(r["id"])] = {
                "key": str(r["id"]), "name": r["name"], "brand_id": str(r["brand_id"]),
                "agents_eligible": e["eligible"] if e else 0,
                "agents_available": e["available"] if e else 0,
                "sla_running": sla_live[r["id"]]["running"],
                "sla_at_risk": sla_live[r["id"]]["at_risk"],
                "sla_paused": sla_live[r["id"]]["paused"],
            }  # fmt: skip
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in arrivals:
        by_key[key(row)].append(row)
    handled_by: dict[str, list[Any]] = defaultdict(list)
    for row in handled:
        handled_by[key(row)].append(row)
    waiting_by: dict[str, list[Any]] = defaultdict(list)
    for row in waiting:
        waiting_by[key(row)].append(row)
    for k in sorted(set(groups) | set(by_key) | set(handled_by) | set(waiting_by)):
        item = groups.setdefault(k, {"key": k})
        item["live"] = _waiting(waiting_by[k], now)
        item["period"] = _period(by_key[k]) | _handled(handled_by[k])
        if interval_s:
            item["intervals"] = _intervals(by_key[k])
    return list(groups.values())


async def _live_clocks(conn: asyncpg.Connection, queue_ids: list[UUID], parts: Split) -> list[Any]:
    """Running clocks per queue, channel, priority, target: the refresh's snapshot (seconds
    old), or counted now when no worker has refreshed the board yet."""
    if parts.rollup is not None:
        return list(await conn.fetch(_SLA_SNAPSHOT, queue_ids))
    return list(await conn.fetch(_SLA_LIVE, queue_ids))


def _sum_by(rows: Iterable[Any], field: str) -> dict[Any, dict[str, int]]:
    sums: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for name in ("running", "paused", "at_risk", "breached_open"):
            sums[r[field]][name] += r[name]
    return sums


def _waiting(rows: list[Any], now: datetime) -> dict[str, Any]:
    by_channel: dict[str, int] = defaultdict(int)
    by_priority: dict[str, int] = defaultdict(int)
    for r in rows:
        by_channel[r["channel"]] += r["waiting"]
        by_priority[r["priority"]] += r["waiting"]
    oldest = min((r["oldest_created"] for r in rows), default=None)
    oldest_queued = min((r["oldest_queued"] for r in rows), default=None)
    return {
        "waiting": sum(r["waiting"] for r in rows),
        "by_channel": dict(by_channel), "by_priority": dict(by_priority),
        "longest_wait_s": round((now - oldest).total_seconds(), 1) if oldest else None,
        "longest_in_queue_s": (
            round((now - oldest_queued).total_seconds(), 1) if oldest_queued else None
        ),
    }  # fmt: skip


def _intervals(rows: list[Any]) -> list[dict[str, Any]]:
    per: dict[datetime, list[Any]] = defaultdict(list)
    for r in rows:
        per[r["bucket"]].append(r)
    return [{"start": b.isoformat()} | _period(per[b]) for b in sorted(per)]


async def sla(
    conn: asyncpg.Connection, brand_id: UUID | None, start: datetime, end: datetime,
    group_by: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Attainment per target (met ÷ (met + breached)) for the period, and running, at-risk and
    paused clocks now, grouped by queue, channel, priority, brand or agent."""
    queue_rows = await conn.fetch(_QUEUES, brand_id)
    brand_of = {r["id"]: str(r["brand_id"]) for r in queue_rows}
    field = {"queue": "queue_id", "agent": "agent_id"}.get(group_by, group_by)

    def key(row: Any) -> str:
        if group_by == "brand":
            return brand_of.get(row["queue_id"], "")
        return str(row[field])

    groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(
        lambda: {t: {"met": 0, "breached": 0} for t in TARGETS}
    )
    parts = await split(conn, start, end)
    for r in await _fetch(conn, parts, _SLA_OUTCOMES, _SLA_ROLLUP, brand_id):
        target = groups[key(r)][r["target"]]
        target["met"] += r["met"]
        target["breached"] += r["breached"]
    if group_by != "agent":
        for r in await _live_clocks(conn, [r["id"] for r in queue_rows], parts):
            target = groups[key(r)][r["target"]]
            for name in ("running", "at_risk", "paused"):
                target[name] = target.get(name, 0) + r[name]
    items = []
    for k in sorted(groups):
        targets = groups[k]
        for t in targets.values():
            t["attainment"] = ratio(t["met"], t["met"] + t["breached"])
            if group_by != "agent":
                for name in ("running", "at_risk", "paused"):
                    t.setdefault(name, 0)
        items.append({"key": k, "targets": targets})
    return items


async def agents(
    conn: asyncpg.Connection, brand_id: UUID | None, start: datetime, end: datetime,
    now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Each agent's state, load, free slots and utilisation now; offers, handled tickets, AHT,
    occupancy and adherence (time available within their shifts ÷ shift time) in the period;
    and the counts by state."""
    rows = await conn.fetch(_AGENTS, brand_id)
    ids = [r["id"] for r in rows]
    offers = {r["user_id"]: r for r in await conn.fetch(_OFFERS, ids, start, end)}
    solved = defaultdict(list)
    parts = await split(conn, start, end)
    for r in await _fetch(conn, parts, _HANDLED, _HANDLED_ROLLUP, brand_id):
        solved[r["assignee_id"]].append(r)
    presence = defaultdict(list)
    for r in await conn.fetch(_PRESENCE, ids, start, end):
        presence[r["user_id"]].append((r["created_at"], r["presence"]))
    until = min(end, now)
    available = {
        r["id"]: _spans(presence[r["id"]], start, until, r["presence"], r["presence_since"])
        for r in rows
    }
    busy = defaultdict(list)  # only where there is available time to be busy in
    if present := [a for a, spans in available.items() if spans]:
        for r in await conn.fetch(_BUSY, present, start, end):
            busy[r["user_id"]].append((r["assigned_at"], r["ended_at"] or now))
    shifts = defaultdict(list)
    for r in await conn.fetch(_SHIFT_SPANS, ids, start, until):
        shifts[r["user_id"]].append((r["starts_at"], r["ends_at"]))
    states: dict[str, int] = defaultdict(int)
    items = []
    for r in rows:
        state = _state(r)
        states[state] += 1
        states["on_shift"] += r["on_shift"]
        busy_s = _overlap(_merge(busy[r["id"]]), available[r["id"]])
        available_s = sum((b - a).total_seconds() for a, b in available[r["id"]])
        scheduled_s = sum((b - a).total_seconds() for a, b in shifts[r["id"]])
        adherent_s = _overlap(shifts[r["id"]], available[r["id"]])
        o = offers.get(r["id"])
        items.append({
            "id": str(r["id"]), "name": r["name"], "state": state, "since": r["presence_since"],
            "on_shift": r["on_shift"], "load": r["load"], "capacity": r["capacity"],
            "free": _free(r),
            "offers": _offers(o),
            **_handled(solved[r["id"]]),
            "available_s": round(available_s), "busy_s": round(busy_s),
            "occupancy": ratio(busy_s, available_s),
            "utilisation": _utilisation(r),
            "scheduled_s": round(scheduled_s), "adherence": ratio(adherent_s, scheduled_s),
        })  # fmt: skip
    for name in ("available", "busy", "away", "offline", "on_shift"):
        states.setdefault(name, 0)
    return {"states": dict(states), "items": items}


def _utilisation(row: Any) -> float | None:
    """Capacity used now ÷ capacity, over the kinds the agent takes."""
    capacity = sum(int(n) for n in row["capacity"].values() if int(n) > 0)
    used = sum(int(n) for k, n in row["load"].items() if int(row["capacity"].get(k, 0)) > 0)
    return ratio(used, capacity)


def _free(row: Any) -> dict[str, int]:
    return {k: max(int(n) - int(row["load"].get(k, 0)), 0) for k, n in row["capacity"].items()}


def _state(row: Any) -> str:
    status: str = row["presence"]
    capacity = {k: int(v) for k, v in row["capacity"].items()}
    load = {k: int(v) for k, v in row["load"].items()}
    if status == "available" and all(load.get(k, 0) >= n for k, n in capacity.items() if n > 0):
        return "busy"
    return status


def _offers(row: Any) -> dict[str, Any]:
    if row is None:
        return {"offered": 0, "accepted": 0, "declined": 0, "expired": 0,
                "acceptance_rate": None, "accept_s": None}  # fmt: skip
    return {
        "offered": row["offered"], "accepted": row["accepted"], "declined": row["declined"],
        "expired": row["expired"], "acceptance_rate": ratio(row["accepted"], row["offered"]),
        "accept_s": round(row["accept_s"], 1) if row["accept_s"] is not None else None,
    }  # fmt: skip


Span = tuple[datetime, datetime]


def _spans(
    changes: list[tuple[datetime, str]], start: datetime, end: datetime, current: str,
    since: datetime | None,
) -> list[Span]:  # fmt: skip
    """When the agent was `available` within [start, end), from their presence changes (the
    last one before start gives the state at start; none at all: the current state)."""
    if not changes:
        changes = [(since or start, current)]
    spans: list[Span] = []
    for (at, state), nxt in zip(changes, [*changes[1:], (end, "")], strict=True):
        lo, hi = max(at, start), min(nxt[0], end)
        if state == "available" and hi > lo:
            spans.append((lo, hi))
    return spans


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _overlap(xs: list[Span], ys: list[Span]) -> float:
    total = 0.0
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if hi > lo:
                total += (hi - lo).total_seconds()
    return total
