"""Configuration records: brands, teams, queues, channel accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.models import Brand, ChannelAccount, Queue, Team
from contactcenter.store.queries import q

_INSERT_BRAND = q("brands.insert_brand")
_LIST_BRANDS = q("brands.list_brands")
_GET_BRAND = q("brands.get_brand")
_INSERT_TEAM = q("brands.insert_team")
_LIST_TEAMS = q("brands.list_teams")
_GET_TEAM = q("brands.get_team")
_INSERT_QUEUE = q("queues.insert_queue")
_UPDATE_QUEUE = q("queues.update_queue")
_GET_QUEUE = q("queues.get_queue")
_LIST_QUEUES = q("queues.list_queues")
_WAITING = q("queues.waiting_count")
_EXISTING_QUEUES = q("queues.existing_queue_ids")
_INSERT_ACCOUNT = q("accounts.insert_account")
_GET_ACCOUNT = q("accounts.get_account")
_LIST_ACCOUNTS = q("accounts.list_accounts")

Keyset = tuple[datetime, UUID] | None  # (created_at, id) of the last row of the previous page


async def insert_brand(conn: asyncpg.Connection, name: str) -> Brand:
    return Brand.model_validate(dict(await conn.fetchrow(_INSERT_BRAND, name)))


async def get_brand(conn: asyncpg.Connection, brand_id: UUID) -> Brand | None:
    row = await conn.fetchrow(_GET_BRAND, brand_id)
    return Brand.model_validate(dict(row)) if row else None


async def list_brands(conn: asyncpg.Connection, after: Keyset, limit: int) -> list[Brand]:
    at, last = after or (None, None)
    return [Brand.model_validate(dict(r)) for r in await conn.fetch(_LIST_BRANDS, at, last, limit)]


async def insert_team(conn: asyncpg.Connection, name: str) -> Team:
    return Team.model_validate(dict(await conn.fetchrow(_INSERT_TEAM, name)))


async def list_teams(conn: asyncpg.Connection) -> list[Team]:
    return [Team.model_validate(dict(r)) for r in await conn.fetch(_LIST_TEAMS)]


async def get_team(conn: asyncpg.Connection, team_id: UUID) -> Team | None:
    row = await conn.fetchrow(_GET_TEAM, team_id)
    return Team.model_validate(dict(row)) if row else None


async def insert_queue(conn: asyncpg.Connection, fields: dict[str, Any]) -> Queue:
    row = await conn.fetchrow(
        _INSERT_QUEUE, fields["brand_id"], fields["name"], fields.get("team_id"),
        fields.get("required_skills", {}), fields.get("strategy", "longest_idle"),
        fields.get("offer_timeout_s", 120), fields.get("max_attempts", 5),
        fields.get("overflow", []), fields.get("after_hours_reply"), fields.get("hours"),
        fields.get("language_required", True), fields.get("escalate_after_s", 600),
        fields.get("sticky_s", 60), fields.get("shift_end_drain_s", 600),
        fields.get("shift_end_policy", "keep"), fields.get("sla_policy_id"),
        fields.get("sl_threshold_s"), fields.get("sl_target", 0.8), fields.get("shrinkage", 0.3),
        fields.get("max_occupancy", 0.85), fields.get("forecast"),
    )  # fmt: skip
    return Queue.model_validate(dict(row))


QUEUE_FIELDS = (
    "name", "team_id", "required_skills", "strategy", "offer_timeout_s", "max_attempts",
    "overflow", "after_hours_reply", "hours", "language_required", "escalate_after_s",
    "sticky_s", "shift_end_drain_s", "shift_end_policy", "sla_policy_id", "sl_threshold_s",
    "sl_target", "shrinkage", "max_occupancy", "forecast",
)  # fmt: skip


async def update_queue(
    conn: asyncpg.Connection, queue_id: UUID, changes: dict[str, Any]
) -> Queue | None:
    """Change the given fields (see QUEUE_FIELDS); None when the queue does not exist."""
    args: list[Any] = [queue_id]
    for name in QUEUE_FIELDS:
        args += [name in changes, changes.get(name)]
    row = await conn.fetchrow(_UPDATE_QUEUE, *args)
    return Queue.model_validate(dict(row)) if row else None


async def get_queue(conn: asyncpg.Connection, queue_id: UUID) -> Queue | None:
    row = await conn.fetchrow(_GET_QUEUE, queue_id)
    return Queue.model_validate(dict(row)) if row else None


async def list_queues(
    conn: asyncpg.Connection, brand_id: UUID | None, after: Keyset, limit: int
) -> list[Queue]:
    at, last = after or (None, None)
    rows = await conn.fetch(_LIST_QUEUES, brand_id, at, last, limit)
    return [Queue.model_validate(dict(r)) for r in rows]


async def waiting_count(conn: asyncpg.Connection, queue_id: UUID) -> int:
    count: int = await conn.fetchval(_WAITING, queue_id)
    return count


async def insert_account(
    conn: asyncpg.Connection,
    brand_id: UUID,
    channel: str,
    name: str,
    queue_id: UUID,
    credentials: dict[str, Any],
) -> ChannelAccount:
    row = await conn.fetchrow(_INSERT_ACCOUNT, brand_id, channel, name, queue_id, credentials)
    return ChannelAccount.model_validate(dict(row))


async def get_account(conn: asyncpg.Connection, account_id: UUID) -> ChannelAccount | None:
    row = await conn.fetchrow(_GET_ACCOUNT, account_id)
    return ChannelAccount.model_validate(dict(row)) if row else None


async def list_accounts(
    conn: asyncpg.Connection, brand_id: UUID | None, after: Keyset, limit: int
) -> list[ChannelAccount]:
    at, last = after or (None, None)
    rows = await conn.fetch(_LIST_ACCOUNTS, brand_id, at, last, limit)
    return [ChannelAccount.model_validate(dict(r)) for r in rows]


async def existing_queue_ids(conn: asyncpg.Connection, queue_ids: list[UUID]) -> set[UUID]:
    return {r["id"] for r in await conn.fetch(_EXISTING_QUEUES, queue_ids)}
