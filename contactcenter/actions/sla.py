"""The SLA engine's writes: recompute clocks from ticket facts, fire warnings and breaches.

`do_sync` runs inside the caller's transaction (an agent's reply or a status change recomputes
at once); `do_drain` takes tickets from sla_work (ingest appends there) and recomputes them;
`do_fire_due` records every warning and breach that is due, once: clocks are row-locked with
SKIP LOCKED and sla_alerts has a primary key per (clock, stage), so two workers racing record
each alert once. Each returns what to do after commit: events to publish, timers to schedule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter import logs
from contactcenter.api.schemas_sla import SlaCalendarIn
from contactcenter.sla import clocks as sla
from contactcenter.sla.calendar import EmptyCalendarError
from contactcenter.store import sla as store
from contactcenter.store import tickets as ticket_store

log = logs.get_logger(__name__)
DRAIN_BATCH = 500
calendar_errors = (EmptyCalendarError, OverflowError)
FIRE_BATCH = 1000


@dataclass(slots=True)
class SlaResult:
    """After commit: live events, and the instants at which a timer must run."""

    events: list[dict[str, Any]] = field(default_factory=list)
    fire_at: set[datetime] = field(default_factory=set)
    tickets: int = 0


def policy_from_row(row: Any) -> sla.Policy:
    calendar = row["calendar"]
    plan = None if calendar in (None, "24/7") else SlaCalendarIn.model_validate(calendar).plan()
    return sla.Policy(
        id=row["id"],
        targets=row["targets"],
        plan=plan,
        pause_on=frozenset(row["pause_on"]),
        warn_at=tuple(sorted(row["warn_at"])),
    )


_POLICIES: dict[tuple[UUID, datetime], sla.Policy] = {}


def _policy(row: Any) -> sla.Policy:
    """Parsed policies, cached by (id, updated_at): a changed policy is parsed again."""
    key = (row["id"], row["updated_at"])
    if key not in _POLICIES:
        if len(_POLICIES) > 1000:
            _POLICIES.clear()
        _POLICIES[key] = policy_from_row(row)
    return _POLICIES[key]


async def _policies_for(
    conn: asyncpg.Connection, facts: list[sla.Facts]
) -> dict[int, sla.Policy | None]:
    """Each ticket's policy: its queue's, else its brand's for its channel, else the brand's
    default, else none (no clocks)."""
    by_queue = await store.queue_policies(conn, list({f.queue_id for f in facts}))
    rows = await store.brand_policies(conn, list({f.brand_id for f in facts}))
    by_id = {r["id"]: _policy(r) for r in rows}
    chosen: dict[int, sla.Policy | None] = {}
    for f in facts:
        pid = by_queue.get(f.queue_id)
        if pid is None:
            brand = [r for r in rows if r["brand_id"] == f.brand_id]
            match = [r for r in brand if f.channel in r["channels"]] or [
                r for r in brand if r["is_default"]
            ]
            pid = match[0]["id"] if match else None
        chosen[f.ticket_id] = by_id.get(pid) if pid is not None else None
    return chosen


async def do_sync(conn: asyncpg.Connection, work: dict[int, datetime]) -> SlaResult:
    """Recompute the clocks of these tickets as of their change time. Call in a transaction."""
    result = SlaResult()
    facts = await store.lock_facts(conn, sorted(work))
    if not facts:
        return result
    existing = await store.open_clocks(conn, [f.ticket_id for f in facts])
    policies = await _policies_for(conn, facts)
    new: list[tuple[sla.Facts, sla.Clock]] = []
    changed: list[sla.Clock] = []
    pauses: list[tuple[sla.Clock, datetime, str]] = []
    resumes: list[tuple[sla.Clock, datetime]] = []
    breaches: list[tuple[sla.Facts, sla.Clock]] = []
    moved: set[int] = set()  # tickets whose clocks changed: the dashboards redraw them
    for f in facts:
        clocks, policy = existing.get(f.ticket_id, []), policies[f.ticket_id]
        try:
            changes = sla.reconcile(f, clocks, policy, work[f.ticket_id])
        except calendar_errors as exc:  # one ticket's calendar must not block the others
            log.error("sla.reconcile_failed", ticket_id=f.ticket_id, error=str(exc))
            continue
        if changes.clocks or changes.pauses or changes.resumes or changes.breaches:
            moved.add(f.ticket_id)
        new += [(f, c) for c in changes.clocks if c.id is None]
        changed += [c for c in changes.clocks if c.id is not None]
        pauses += changes.pauses
        resumes += changes.resumes
        breaches += [(f, clock) for clock in changes.breaches]
    await store.insert_clocks(conn, new)
    await store.update_clocks(conn, changed)
    for f, clock in breaches:  # after the writes: a new clock has its id now
        await _record(conn, f.brand_id, f.ticket_id, clock, sla.BREACH_STAGE, f, result)
    await store.ledger(
        conn,
        [(c.id, at, why) for c, at, why in pauses if c.id is not None],
        [(c.id, at) for c, at in resumes if c.id is not None],
    )
    await store.refresh_due(conn, [f.ticket_id for f in facts])
    result.fire_at |= {c.next_fire_at for _, c in new if c.next_fire_at is not None}
    result.fire_at |= {c.next_fire_at for c in changed if c.next_fire_at is not None}
    result.tickets = len(facts)
    result.events += [
        {"type": "sla.updated", "brand_id": str(f.brand_id), "ticket_id": f.ticket_id}
        for f in facts
        if f.ticket_id in moved
    ]  # fmt: skip  (live clocks)
    return result


async def do_drain(conn: asyncpg.Connection, limit: int = DRAIN_BATCH) -> SlaResult:
    """Recompute up to `limit` tickets from sla_work, in one transaction."""
    async with conn.transaction():
        taken = await store.take_work(conn, limit)
        work: dict[int, datetime] = {}
        for ticket_id, at in taken:
            work[ticket_id] = min(at, work.get(ticket_id, at))
        return await do_sync(conn, work) if work else SlaResult()


async def do_fire_due(
    conn: asyncpg.Connection, now: datetime, limit: int = FIRE_BATCH
) -> SlaResult:
    """Record the warnings and breaches due at `now` (one transaction, up to `limit` clocks)."""
    result = SlaResult()
    async with conn.transaction():
        rows = await store.due_clocks(conn, now, limit)
        if not rows:
            return result
        policies = {r["id"]: _policy(r) for r in await store.policies_by_id(
            conn, list({r["policy_id"] for r in rows}))}  # fmt: skip
        for row in rows:
            clock = sla.Clock.from_row(row)
            policy = policies.get(clock.policy_id)
            if policy is None or clock.state != "running":
                await store.fired(conn, row["id"], clock.stage, clock.breached_at, None)
                continue
            passed, breached = sla.stages_passed(clock, policy, now)
            for stage in range(clock.stage + 1, passed + 1):  # each warning, even if late
                at = sla.stage_instant(clock, policy, stage)
                await _record(
                    conn, row["brand_id"], row["ticket_id"], clock, stage, row, result, at
                )
            if breached and clock.due_at is not None:
                clock.breached_at = clock.due_at
                await _record(conn, row["brand_id"], row["ticket_id"], clock, 0, row, result)
            clock.stage = passed
            clock.next_fire_at = sla.next_fire(clock, policy)
            if clock.next_fire_at is not None and clock.next_fire_at <= now and not breached:
                clock.next_fire_at = None  # rounding: never loop on an instant already passed
            await store.fired(conn, row["id"], clock.stage, clock.breached_at, clock.next_fire_at)
            if clock.next_fire_at is not None:
                result.fire_at.add(clock.next_fire_at)
        result.tickets = len(rows)
    return result


async def _record(
    conn: asyncpg.Connection, brand_id: UUID, ticket_id: int, clock: sla.Clock, stage: int,
    who: Any, result: SlaResult, instant: datetime | None = None,
) -> None:  # fmt: skip
    """Store one warning (stage ≥ 1, at `instant`) or breach (stage 0) with its event, unless
    it was recorded before."""
    if clock.id is None:
        return
    breach = stage == sla.BREACH_STAGE
    due = clock.due_at if breach else instant
    if due is None:
        return
    fired_at = await store.insert_alert(
        conn, clock.id, stage, brand_id, ticket_id, clock.target, due
    )
    if fired_at is None:
        return
    assignee = _get(who, "assignee_id")
    data = {
        "target": clock.target,
        "stage": stage,
        "due_at": (clock.due_at or due).isoformat(),
        "queue_id": str(clock.queue_id),
        "priority": clock.priority,
        "assignee_id": str(assignee) if assignee else None,
        "reason": _why(clock, assignee, _get(who, "routing")),
    }
    kind = "sla.breached" if breach else "sla.warning"
    await ticket_store.insert_event(conn, brand_id, kind, ticket_id, None, data)
    result.events.append({"type": kind, "brand_id": str(brand_id), "ticket_id": ticket_id,
                          "fired_at": fired_at.isoformat()} | data)  # fmt: skip


def _get(source: Any, name: str) -> Any:
    try:
        return source[name] if not isinstance(source, sla.Facts) else getattr(source, name, None)
    except (KeyError, IndexError):
        return None


def _why(clock: sla.Clock, assignee: UUID | None, routing: str | None) -> str:
    what = {"first_response": "first reply", "next_response": "reply",
            "resolution": "resolution"}[clock.target]  # fmt: skip
    if assignee is None:
        where = "waiting in queue, offered" if routing == "offered" else "waiting in queue"
        return f"no {what} yet: {where}, no agent assigned"
    return f"no {what} yet from the assigned agent"


def clock_state(row: Any) -> str:
    """The API's state of a stored clock row."""
    clock = sla.Clock(target=row["target"], started_at=row["started_at"], policy_id=UUID(int=0),
                      queue_id=UUID(int=0), channel="", priority="", target_s=1,
                      state=row["state"], stage=row["stage"], breached_at=row["breached_at"],
                      met_at=row["met_at"])  # fmt: skip
    return clock.public_state()


def fire_instants(results: Iterable[SlaResult]) -> set[datetime]:
    return {at for r in results for at in r.fire_at}
