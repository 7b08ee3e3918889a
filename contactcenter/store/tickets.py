"""Tickets, their messages and their event history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.models import ContactRef, Message, Ticket, User
from contactcenter.store.queries import q

_LIST = q("tickets.list_tickets")
_GET = q("tickets.get_ticket")
_LOCK = q("tickets.lock_ticket")
_UPDATE = q("tickets.update_ticket")
_CANCEL_OFFERS = q("tickets.cancel_pending_offers")
_EVENT = q("tickets.insert_event")
_EVENTS = q("tickets.list_events")
_MESSAGES = q("messages.list_messages")


@dataclass(frozen=True, slots=True)
class TicketFilter:
    statuses: list[str] | None = None
    queue_id: UUID | None = None
    assignee_id: UUID | None = None
    channel: str | None = None
    brand_id: UUID | None = None
    sla: str | None = None


def ticket_from_row(row: asyncpg.Record) -> Ticket:
    data = dict(row)
    data["contact"] = ContactRef(id=data.pop("contact_id"), name=data.pop("contact_name"))
    return Ticket.model_validate(data)


async def list_tickets(
    conn: asyncpg.Connection, f: TicketFilter, viewer: User, before_id: int | None, limit: int
) -> list[Ticket]:
    restricted = viewer.role == "agent"
    rows = await conn.fetch(
        _LIST,
        f.statuses,
        f.queue_id,
        f.assignee_id,
        f.channel,
        f.brand_id,
        before_id,
        restricted,
        viewer.team_id,
        viewer.id,
        limit,
        f.sla,
    )
    return [ticket_from_row(r) for r in rows]


async def get_ticket(conn: asyncpg.Connection, ticket_id: int) -> Ticket | None:
    row = await conn.fetchrow(_GET, ticket_id)
    return ticket_from_row(row) if row else None


async def lock_ticket(conn: asyncpg.Connection, ticket_id: int) -> dict[str, Any] | None:
    """Row-lock a ticket for an update in the caller's transaction; its mutable fields."""
    row = await conn.fetchrow(_LOCK, ticket_id)
    return dict(row) if row else None


async def update_ticket(conn: asyncpg.Connection, ticket_id: int, fields: dict[str, Any]) -> None:
    await conn.execute(_UPDATE, ticket_id, fields["status"], fields["priority"], fields["tags"])


async def cancel_pending_offers(conn: asyncpg.Connection, ticket_id: int) -> None:
    await conn.execute(_CANCEL_OFFERS, ticket_id)


async def insert_event(
    conn: asyncpg.Connection,
    brand_id: UUID,
    kind: str,
    ticket_id: int | None,
    actor_id: UUID | None,
    data: dict[str, Any],
) -> None:
    await conn.execute(_EVENT, brand_id, kind, ticket_id, actor_id, data)


async def list_events(conn: asyncpg.Connection, ticket_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_EVENTS, ticket_id)]


async def list_messages(
    conn: asyncpg.Connection, ticket_id: int, after: tuple[datetime, int] | None, limit: int
) -> list[Message]:
    at, last = after or (None, None)
    rows = await conn.fetch(_MESSAGES, ticket_id, at, last, limit)
    return [Message.model_validate(dict(r)) for r in rows]


_INSERT_AGENT_MESSAGE = q("messages.insert_agent_message")
_RECORD_REPLY = q("messages.record_reply")


async def insert_agent_message(
    conn: asyncpg.Connection, ticket_id: int, direction: str, text: str, user_id: UUID,
    template: dict[str, Any] | None = None, attachments: list[dict[str, Any]] | None = None,
) -> Message:  # fmt: skip
    row = await conn.fetchrow(_INSERT_AGENT_MESSAGE, ticket_id, direction, text, user_id, template,
                              attachments or [])  # fmt: skip
    return Message.model_validate(dict(row))


async def record_reply(conn: asyncpg.Connection, ticket_id: int, user_id: UUID) -> asyncpg.Record:
    """previous (status), at, channel, last_inbound_at."""
    row: asyncpg.Record = await conn.fetchrow(_RECORD_REPLY, ticket_id, user_id)
    return row
