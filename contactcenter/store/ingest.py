"""Set-based statements of the ingest transaction (sql/queries/ingest.sql).

Each function takes parallel lists (one element per row) and runs one statement, so the round
trips of a group commit do not grow with the number of webhooks in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.store.queries import q

_UPSERT_IDENTITIES = q("ingest.upsert_identities")
_INSERT_CONTACTS = q("ingest.insert_contacts")
_EXISTING = q("ingest.existing_messages")
_CURRENT_TICKETS = q("ingest.current_tickets")
_REOPEN = q("ingest.reopen_tickets")
_CREATE_TICKETS = q("ingest.create_tickets")
_INSERT_MESSAGES = q("ingest.insert_messages")
_TOUCH = q("ingest.touch_tickets")
_EVENTS = q("ingest.insert_events")
_UPSERT_RECEIPTS = q("ingest.upsert_receipts")
_APPLY_RECEIPTS = q("ingest.apply_receipts")

IdentityKey = tuple[UUID, str, str]  # brand_id, channel, external_id
PairKey = tuple[UUID, UUID]  # channel_account_id, contact_id


async def upsert_identities(
    conn: asyncpg.Connection, rows: list[tuple[UUID, str, str, str, str | None]]
) -> dict[IdentityKey, tuple[UUID, bool]]:
    """Lock/create identities; return key → (contact_id, created). Rows must be unique by key."""
    cols = list(zip(*rows, strict=True))
    result = await conn.fetch(_UPSERT_IDENTITIES, *cols)
    return {
        (r["brand_id"], r["channel"], r["external_id"]): (r["contact_id"], r["created"])
        for r in result
    }


async def insert_contacts(
    conn: asyncpg.Connection, rows: list[tuple[UUID, UUID, str, str | None]]
) -> None:
    if rows:
        await conn.execute(_INSERT_CONTACTS, *zip(*rows, strict=True))


async def existing_messages(
    conn: asyncpg.Connection, keys: Sequence[tuple[UUID, str]]
) -> set[tuple[UUID, str]]:
    rows = await conn.fetch(_EXISTING, *zip(*keys, strict=True))
    return {(r["channel_account_id"], r["platform_message_id"]) for r in rows}


async def current_tickets(
    conn: asyncpg.Connection, pairs: list[PairKey], reopen_window_s: int
) -> dict[PairKey, tuple[int, str]]:
    """(account, contact) → (ticket id, status) of the ticket a new message belongs to, if any."""
    accounts, contacts = zip(*pairs, strict=True)
    rows = await conn.fetch(_CURRENT_TICKETS, accounts, contacts, float(reopen_window_s))
    return {(r["channel_account_id"], r["contact_id"]): (r["id"], r["status"]) for r in rows}


async def reopen_tickets(conn: asyncpg.Connection, ticket_ids: list[int]) -> None:
    if ticket_ids:
        await conn.execute(_REOPEN, ticket_ids)


async def create_tickets(
    conn: asyncpg.Connection, rows: list[tuple[UUID, UUID, str, UUID, UUID, str]]
) -> dict[PairKey, int]:
    """Rows: brand, account, channel, queue, contact, conversation id → {(account, contact): id}."""
    if not rows:
        return {}
    result = await conn.fetch(_CREATE_TICKETS, *zip(*rows, strict=True))
    return {(r["channel_account_id"], r["contact_id"]): r["id"] for r in result}


async def insert_messages(
    conn: asyncpg.Connection, rows: list[tuple[Any, ...]]
) -> list[tuple[int, int, str]]:
    """Insert inbound messages, skipping stored ones; return (id, ticket_id, platform id)."""
    result = await conn.fetch(_INSERT_MESSAGES, *zip(*rows, strict=True))
    return [(r["id"], r["ticket_id"], r["platform_message_id"]) for r in result]


async def touch_tickets(conn: asyncpg.Connection, latest: dict[int, datetime]) -> None:
    if latest:
        await conn.execute(_TOUCH, list(latest), list(latest.values()))


async def insert_events(
    conn: asyncpg.Connection, rows: list[tuple[UUID, str, int, dict[str, Any]]]
) -> None:
    if rows:
        await conn.execute(_EVENTS, *zip(*rows, strict=True))


async def apply_receipts(
    conn: asyncpg.Connection, rows: list[tuple[UUID, str, str, str | None, datetime]]
) -> list[tuple[int, int, UUID, str]]:
    """Record receipts, move outbound messages forward; return (id, ticket, brand, status)."""
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    await conn.execute(_UPSERT_RECEIPTS, *cols)
    result = await conn.fetch(_APPLY_RECEIPTS, *cols[:4])
    return [(r["id"], r["ticket_id"], r["brand_id"], r["delivery_status"]) for r in result]
