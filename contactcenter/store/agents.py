"""Agents' routing attributes, queue memberships, shift plans and their intervals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.store.queries import q

_GET_PLAN = q("routing.get_shift_plan")
_LOCK_PLAN = q("routing.lock_shift_plan")
_PUT_PLAN = q("routing.put_shift_plan")
_DELETE_AFTER = q("routing.delete_intervals_after")
_INSERT_INTERVALS = q("routing.insert_intervals")
_UPCOMING = q("routing.upcoming_intervals")
_MATERIALIZED = q("routing.set_materialized_until")
_TO_ROLL = q("routing.plans_to_roll")
_STATUS = q("routing.agent_status")
_UPDATE = q("routing.update_agent")
_DELETE_QUEUES = q("routing.delete_agent_queues")
_INSERT_QUEUES = q("routing.insert_agent_queues")


async def get_plan(conn: asyncpg.Connection, user_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(_GET_PLAN, user_id)
    return dict(row) if row else None


async def lock_plan(conn: asyncpg.Connection, user_id: UUID) -> dict[str, Any] | None:
    """The current plan under its row lock (inside the caller's transaction)."""
    row = await conn.fetchrow(_LOCK_PLAN, user_id)
    return dict(row) if row else None


async def put_plan(
    conn: asyncpg.Connection,
    user_id: UUID,
    plan: dict[str, Any],
    intervals: list[tuple[datetime, datetime]],
    now: datetime,
) -> None:
    """Store the plan and replace its intervals from now on; the caller holds a transaction."""
    await conn.execute(
        _PUT_PLAN, user_id, plan["timezone"], plan["weekly"], plan["exceptions"],
        plan.get("leave", []), plan.get("holidays"),
    )  # fmt: skip
    await replace_intervals(conn, user_id, intervals, now)


async def replace_intervals(
    conn: asyncpg.Connection,
    user_id: UUID,
    intervals: list[tuple[datetime, datetime]],
    now: datetime,
) -> None:
    await conn.execute(_DELETE_AFTER, user_id, now)
    await conn.execute(
        _INSERT_INTERVALS, user_id, now, [s for s, _ in intervals], [e for _, e in intervals]
    )


async def set_materialized_until(conn: asyncpg.Connection, user_id: UUID, until: datetime) -> None:
    await conn.execute(_MATERIALIZED, user_id, until)


async def upcoming(
    conn: asyncpg.Connection, user_id: UUID, now: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    return [
        (r["starts_at"], r["ends_at"]) for r in await conn.fetch(_UPCOMING, user_id, now, until)
    ]


async def plans_to_roll(conn: asyncpg.Connection, horizon: timedelta) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_TO_ROLL, horizon)]


async def status(
    conn: asyncpg.Connection, user_id: UUID | None = None, queue_id: UUID | None = None
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_STATUS, user_id, queue_id)]


async def update_agent(conn: asyncpg.Connection, user_id: UUID, changes: dict[str, Any]) -> None:
    """Change skills, languages, capacity, voice_exclusive (those present) and queue_ids."""
    args: list[Any] = [user_id]
    for column in ("skills", "languages", "capacity", "voice_exclusive"):
        args += [column in changes, changes.get(column)]
    await conn.execute(_UPDATE, *args)
    if "queue_ids" in changes:
        await conn.execute(_DELETE_QUEUES, user_id)
        await conn.execute(_INSERT_QUEUES, user_id, changes["queue_ids"])
