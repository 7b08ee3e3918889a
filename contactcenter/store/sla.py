"""SLA policies, clocks, the pause ledger, alerts and the sla_work to-do list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.sla.clocks import Clock, Facts
from contactcenter.store.queries import q

_LOCK_FACTS = q("sla.lock_facts")
_OPEN_CLOCKS = q("sla.open_clocks")
_QUEUE_POLICIES = q("sla.queue_policies")
_BRAND_POLICIES = q("sla.brand_policies")
_POLICIES_BY_ID = q("sla.policies_by_id")
_INSERT_CLOCKS = q("sla.insert_clocks")
_UPDATE_CLOCK = q("sla.update_clock")
_INSERT_PAUSE = q("sla.insert_pause")
_END_PAUSE = q("sla.end_pause")
_REFRESH_DUE = q("sla.refresh_due")
_TAKE_WORK = q("sla.take_work")
_ADD_WORK = q("sla.add_work")
_WORK_LEFT = q("sla.work_left")
_DUE = q("sla.due_clocks")
_FIRED = q("sla.fired")
_ALERT = q("sla.insert_alert")
_NEXT_FIRE = q("sla.next_fire")
_TICKET_CLOCKS = q("sla.ticket_clocks")
_TICKET_PAUSES = q("sla.ticket_pauses")
_INSERT_POLICY = q("sla.insert_policy")
_UPDATE_POLICY = q("sla.update_policy")
_GET_POLICY = q("sla.get_policy")
_LIST_POLICIES = q("sla.list_policies")
_WORK_FOR_POLICY = q("sla.work_for_policy")


async def lock_facts(conn: asyncpg.Connection, ticket_ids: Sequence[int]) -> list[Facts]:
    rows = await conn.fetch(_LOCK_FACTS, list(ticket_ids))
    return [Facts(**dict(r)) for r in rows]


async def open_clocks(
    conn: asyncpg.Connection, ticket_ids: Sequence[int]
) -> dict[int, list[Clock]]:
    found: dict[int, list[Clock]] = {}
    for row in await conn.fetch(_OPEN_CLOCKS, list(ticket_ids)):
        found.setdefault(row["ticket_id"], []).append(Clock.from_row(row))
    return found


async def queue_policies(conn: asyncpg.Connection, queue_ids: Sequence[UUID]) -> dict[UUID, UUID]:
    rows = await conn.fetch(_QUEUE_POLICIES, list(queue_ids))
    return {r["id"]: r["sla_policy_id"] for r in rows if r["sla_policy_id"] is not None}


async def brand_policies(
    conn: asyncpg.Connection, brand_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    return list(await conn.fetch(_BRAND_POLICIES, list(brand_ids)))


async def policies_by_id(conn: asyncpg.Connection, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return list(await conn.fetch(_POLICIES_BY_ID, list(ids)))


async def insert_clocks(
    conn: asyncpg.Connection, new: list[tuple[Facts, Clock]]
) -> None:  # fmt: skip
    """Insert new clocks and set their ids (a clock another worker inserted first is skipped)."""
    if not new:
        return
    cols: list[list[Any]] = [[] for _ in range(20)]
    for facts, c in new:
        values = (facts.brand_id, facts.ticket_id, c.target, c.started_at, c.policy_id, c.queue_id,
                  c.channel, c.priority, c.target_s, c.consumed_s, c.resumed_at, c.due_at,
                  c.state, c.stage, c.next_fire_at, c.breached_at, c.met_at, c.met_by,
                  c.stopped_at, c.stop_reason)  # fmt: skip
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    rows = await conn.fetch(_INSERT_CLOCKS, *cols)
    ids = {(r["ticket_id"], r["target"], r["started_at"]): r["id"] for r in rows}
    for facts, c in new:
        c.id = ids.get((facts.ticket_id, c.target, c.started_at))


async def update_clocks(conn: asyncpg.Connection, clocks: list[Clock]) -> None:
    if clocks:
        await conn.executemany(_UPDATE_CLOCK, [
            (c.id, c.policy_id, c.queue_id, c.priority, c.target_s, c.consumed_s, c.resumed_at,
             c.due_at, c.state, c.stage, c.next_fire_at, c.breached_at, c.met_at, c.met_by,
             c.stopped_at, c.stop_reason)
            for c in clocks
        ])  # fmt: skip


async def ledger(
    conn: asyncpg.Connection,
    pauses: list[tuple[int, datetime, str]],
    resumes: list[tuple[int, datetime]],
) -> None:
    if pauses:
        await conn.executemany(_INSERT_PAUSE, pauses)
    if resumes:
        await conn.executemany(_END_PAUSE, resumes)


async def refresh_due(conn: asyncpg.Connection, ticket_ids: Sequence[int]) -> None:
    await conn.execute(_REFRESH_DUE, list(ticket_ids))


async def take_work(conn: asyncpg.Connection, limit: int) -> list[tuple[int, datetime]]:
    return [(r["ticket_id"], r["at"]) for r in await conn.fetch(_TAKE_WORK, limit)]


async def add_work(conn: asyncpg.Connection, ticket_ids: Sequence[int]) -> None:
    await conn.execute(_ADD_WORK, list(ticket_ids))


async def work_left(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval(_WORK_LEFT))


async def due_clocks(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(_DUE, now, limit))


async def fired(
    conn: asyncpg.Connection, clock_id: int, stage: int, breached_at: datetime | None,
    next_fire_at: datetime | None,
) -> None:  # fmt: skip
    await conn.execute(_FIRED, clock_id, stage, breached_at, next_fire_at)


async def insert_alert(
    conn: asyncpg.Connection, clock_id: int, stage: int, brand_id: UUID, ticket_id: int,
    target: str, due_at: datetime,
) -> datetime | None:  # fmt: skip
    """The alert's time if this call recorded it; None if it was recorded before."""
    fired_at: datetime | None = await conn.fetchval(
        _ALERT, clock_id, stage, brand_id, ticket_id, target, due_at
    )
    return fired_at


async def next_fire(conn: asyncpg.Connection) -> datetime | None:
    at: datetime | None = await conn.fetchval(_NEXT_FIRE)
    return at


async def ticket_clocks(
    conn: asyncpg.Connection, ticket_ids: Sequence[int]
) -> list[asyncpg.Record]:
    return list(await conn.fetch(_TICKET_CLOCKS, list(ticket_ids)))


async def ticket_pauses(conn: asyncpg.Connection, ticket_id: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(_TICKET_PAUSES, ticket_id))


async def insert_policy(conn: asyncpg.Connection, p: dict[str, Any]) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _INSERT_POLICY, p["brand_id"], p["name"], p["targets"], p["calendar"],
        p["pause_on"], p["warn_at"], p["channels"], p["is_default"],
    )  # fmt: skip
    return row


async def update_policy(
    conn: asyncpg.Connection, policy_id: UUID, p: dict[str, Any]
) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        _UPDATE_POLICY, policy_id, p["name"], p["targets"], p["calendar"],
        p["pause_on"], p["warn_at"], p["channels"], p["is_default"],
    )  # fmt: skip
    return row


async def get_policy(conn: asyncpg.Connection, policy_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_GET_POLICY, policy_id)
    return row


async def list_policies(
    conn: asyncpg.Connection, brand_id: UUID | None, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    return list(await conn.fetch(_LIST_POLICIES, brand_id, after, limit))


async def work_for_brand(conn: asyncpg.Connection, brand_id: UUID) -> None:
    await conn.execute(_WORK_FOR_POLICY, brand_id)


_TAKE_TICKET_WORK = q("sla.take_ticket_work")


async def take_ticket_work(conn: asyncpg.Connection, ticket_id: int) -> datetime | None:
    """The earliest pending change of one ticket, taken off sla_work; None when none."""
    rows = await conn.fetch(_TAKE_TICKET_WORK, ticket_id)
    return min((r["at"] for r in rows), default=None)
