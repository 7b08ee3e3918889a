"""Agents' replies and internal notes on a ticket.

A reply is stored as an outbound message with delivery_status `queued` (a worker delivers it
through the ticket's channel) and answers the customer: the ticket's response clock is met in
the same transaction. A note is internal: no delivery, no SLA effect. Either may carry files,
already in the media store: their media rows are written with the message; a reply's files get
an expiring link the platforms fetch them from.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from contactcenter.actions import outbound, sla
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Message, Ticket, User
from contactcenter.outbound.files import kind
from contactcenter.store import sla as sla_store
from contactcenter.store import tickets as store
from contactcenter.store.queries import q

_ATTACH = q("media.attach")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file of a reply or note, in the media store under `key`."""

    name: str
    mime_type: str
    size: int
    key: str


@dataclass(slots=True)
class Posted:
    message: Message
    events: list[dict[str, Any]] = field(default_factory=list)
    fire_at: set[datetime] = field(default_factory=set)


async def do_post(
    conn: asyncpg.Connection, user: User, ticket: Ticket, text: str, *, note: bool,
    template: dict[str, Any] | None = None, files: Sequence[StoredFile] = (),
    link_days: int = 7,
) -> Posted:  # fmt: skip
    if ticket.status == "closed" and not note:
        raise _closed(ticket.id)
    async with conn.transaction():
        brand = str(ticket.brand_id)
        events: list[dict[str, Any]] = []
        fire_at: set[datetime] = set()
        if not note:
            # ingest may have started a wait the worker has not turned into a clock yet: do it
            # now, so this reply meets that clock instead of skipping it
            pending = await sla_store.take_ticket_work(conn, ticket.id)
            if pending is not None:
                earlier = await sla.do_sync(conn, {ticket.id: pending})
                events += earlier.events
                fire_at |= earlier.fire_at
            replied = await store.record_reply(conn, ticket.id, user.id)
            previous, at = replied["previous"], replied["at"]
            _check_channel_rules(replied["channel"], replied["last_inbound_at"], at, template,
                                 replied["platform_conversation_id"])  # fmt: skip
            if previous == "new":
                data = {"field": "status", "from": "new", "to": "open", "reason": "agent_replied"}
                await store.insert_event(conn, ticket.brand_id, "ticket.updated", ticket.id,
                                         user.id, data)  # fmt: skip
                event = {"type": "ticket.updated", "brand_id": brand, "ticket_id": ticket.id,
                         "actor_id": str(user.id)}  # fmt: skip
                events.append(event | data)
            synced = await sla.do_sync(conn, {ticket.id: at})
            events += synced.events
            fire_at |= synced.fire_at
        attachments = [{"kind": kind(f.mime_type), "mime_type": f.mime_type, "name": f.name,
                        "size": f.size} for f in files]  # fmt: skip
        message = await store.insert_agent_message(
            conn, ticket.id, "note" if note else "outbound", text, user.id, template, attachments
        )
        if files:
            tokens = [None if note else secrets.token_urlsafe(24) for _ in files]
            until = message.sent_at + timedelta(days=link_days)
            columns = ([f.mime_type for f in files], [f.size for f in files],
                       [f.name for f in files], [f.key for f in files])  # fmt: skip
            await conn.execute(_ATTACH, ticket.brand_id, message.id, *columns, tokens, until)
    events.append({"type": "message.created", "brand_id": brand, "ticket_id": ticket.id,
                   "message_id": message.id, "direction": message.direction})  # fmt: skip
    return Posted(message, events, fire_at)


def precheck(ticket: Ticket, *, note: bool, template: dict[str, Any] | None,
             now: datetime) -> None:  # fmt: skip
    """What do_post would refuse, checked before a reply's files are stored (do_post checks
    again, under the ticket's lock)."""
    if note:
        return
    if ticket.status == "closed":
        raise _closed(ticket.id)
    _check_channel_rules(ticket.channel, ticket.last_inbound_at, now, template,
                         ticket.platform_conversation_id or "")  # fmt: skip


def _closed(ticket_id: int) -> ApiError:
    return ApiError(
        ErrorCode.CONFLICT,
        f"Ticket {ticket_id} is closed; the customer's next message opens a new ticket.",
    )


def _check_channel_rules(
    channel: str, last_inbound: datetime | None, now: datetime, template: dict[str, Any] | None,
    conversation: str,
) -> None:  # fmt: skip
    """Refuse what the platform would refuse: a template off WhatsApp, free-form text outside
    WhatsApp's 24-hour window."""
    if template is not None and channel != "whatsapp":
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"Templates are a WhatsApp feature; this ticket is on {channel}. Send text only.",
        )
    if template is None and (
        why := outbound.window_error(channel, last_inbound, now, conversation)
    ):
        raise ApiError(ErrorCode.WINDOW_CLOSED, why + ' Add "template": {"name", "language"}.')
