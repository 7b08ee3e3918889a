"""Contacts, their platform identities, merges and splits."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contactcenter.store.queries import q

_GET = q("contacts.get_contact")
_IDENTITIES = q("contacts.identities")
_TICKETS = q("contacts.tickets")
_MERGES = q("contacts.merges")
_MERGE = q("contacts.merge")
_NEW = {"phone": q("contacts.new_phone_identities"), "email": q("contacts.new_email_identities")}
_SAME = {"phone": q("contacts.same_phone"), "email": q("contacts.same_email")}
_GET_MARK = q("contacts.get_mark")
_SET_MARK = q("contacts.set_mark")
_SPLIT = q("contacts.split")
_TIMELINE = q("contacts.timeline")


async def get_contact(conn: asyncpg.Connection, contact_id: UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(_GET, contact_id)
    return row


async def identities(conn: asyncpg.Connection, contact_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(_IDENTITIES, contact_id))


async def tickets(conn: asyncpg.Connection, contact_id: UUID, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(_TICKETS, contact_id, limit))


async def merges(conn: asyncpg.Connection, contact_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(_MERGES, contact_id))


async def merge(
    conn: asyncpg.Connection, into: UUID, other: UUID, reason: str, actor: UUID | None
) -> int | None:
    """The merge's id; None when there was nothing to merge. Raises on an open-ticket conflict."""
    merged: int | None = await conn.fetchval(_MERGE, into, other, reason, actor)
    return merged


async def split(
    conn: asyncpg.Connection, contact_id: UUID, channel: str, external_id: str, actor: UUID
) -> UUID | None:
    new: UUID | None = await conn.fetchval(_SPLIT, contact_id, channel, external_id, actor)
    return new


async def newly_verified(
    conn: asyncpg.Connection, kind: str, after: datetime, limit: int
) -> list[asyncpg.Record]:
    """Identities whose phone or e-mail was verified after `after`: brand_id, contact_id,
    value, at."""
    return list(await conn.fetch(_NEW[kind], after, limit))


async def same_verified(
    conn: asyncpg.Connection, kind: str, brand_id: UUID, value: str
) -> list[asyncpg.Record]:
    return list(await conn.fetch(_SAME[kind], brand_id, value))


async def get_mark(conn: asyncpg.Connection, name: str) -> datetime | None:
    at: datetime | None = await conn.fetchval(_GET_MARK, name)
    return at


async def set_mark(conn: asyncpg.Connection, name: str, at: datetime) -> None:
    await conn.execute(_SET_MARK, name, at)


async def timeline(conn: asyncpg.Connection, contact_id: UUID, limit: int) -> list[asyncpg.Record]:
    """The contact's latest messages across their tickets, newest first (with team, assignee)."""
    return list(await conn.fetch(_TIMELINE, contact_id, limit))
