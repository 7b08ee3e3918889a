"""Shift plans: validate, store, materialise into intervals; roll the horizon forward."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from contactcenter import constants
from contactcenter.api.schemas_routing import ShiftsIn
from contactcenter.routing import shifts
from contactcenter.store import agents as store

PLAN_FIELDS = ("timezone", "weekly", "exceptions", "leave", "holidays")


def horizon(now: datetime) -> datetime:
    return now + timedelta(days=constants.SHIFT_HORIZON_DAYS)


def intervals_for(plan: ShiftsIn, now: datetime) -> list[tuple[datetime, datetime]]:
    """The plan's intervals from yesterday (a night shift may still run) to the horizon."""
    today = now.astimezone(ZoneInfo(plan.timezone)).date()
    days = constants.SHIFT_HORIZON_DAYS + 1
    return shifts.materialize(plan.plan(), today - timedelta(days=1), days)


async def do_set_shifts(
    conn: asyncpg.Connection, user_id: UUID, plan: ShiftsIn, now: datetime
) -> None:
    """Replace the agent's plan and its intervals from now on, in one transaction."""
    async with conn.transaction():
        data = plan.model_dump(mode="json", by_alias=True)
        await store.put_plan(conn, user_id, data, intervals_for(plan, now), now)
        await store.set_materialized_until(conn, user_id, horizon(now))


async def do_roll_shifts(conn: asyncpg.Connection, now: datetime) -> int:
    """Extend plans whose materialised horizon is near; the number of agents extended."""
    rows = await store.plans_to_roll(conn, timedelta(seconds=constants.SHIFT_ROLL_S))
    for row in rows:
        async with conn.transaction():
            current = await store.lock_plan(conn, row["user_id"])  # a PUT since the read wins
            if current is None:
                continue
            plan = ShiftsIn.model_validate({k: current[k] for k in PLAN_FIELDS})
            await store.replace_intervals(conn, row["user_id"], intervals_for(plan, now), now)
            await store.set_materialized_until(conn, row["user_id"], horizon(now))
    return len(rows)
