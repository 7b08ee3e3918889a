"""Handlers for tickets and their messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web

from contactcenter import keys, live, logs
from contactcenter.actions import routing, sla
from contactcenter.actions import tickets as actions
from contactcenter.api.http import (
    decode_cursor,
    encode_cursor,
    json_response,
    parse_body,
    parse_query,
    path_int,
)
from contactcenter.api.schemas import (
    AttachmentOut,
    MessageOut,
    PageQuery,
    SenderOut,
    SlaClockOut,
    TicketListQuery,
    TicketOut,
    TicketPatch,
)
from contactcenter.api.schemas_routing import AssignIn, TransferIn
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Message, Ticket, User
from contactcenter.store import db
from contactcenter.store import routing as routing_store
from contactcenter.store import sla as sla_store
from contactcenter.store import tickets as store
from contactcenter.store.queries import q

log = logs.get_logger(__name__)


def _bad_cursor() -> ApiError:
    return ApiError(ErrorCode.INVALID_CURSOR, "The cursor is not one this API issued.")


async def list_tickets(request: web.Request) -> web.Response:
    query = parse_query(request, TicketListQuery)
    cursor = decode_cursor(query.cursor)
    if cursor is not None and not (len(cursor) == 1 and isinstance(cursor[0], int)):
        raise _bad_cursor()
    filters = store.TicketFilter(
        statuses=query.status.split(",") if query.status else None,
        queue_id=query.queue_id,
        assignee_id=query.assignee_id,
        channel=query.channel,
        brand_id=query.brand_id,
        sla=query.sla,
    )
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await store.list_tickets(
            conn, filters, request[keys.USER], cursor[0] if cursor else None, query.limit
        )
        items = [t.model_dump(mode="json") for t in await tickets_out(conn, rows)]
    more = encode_cursor([rows[-1].id]) if len(rows) == query.limit else None
    return json_response({"items": items, "next_cursor": more})


async def get_ticket(request: web.Request) -> web.Response:
    ticket_id = path_int(request, "ticket_id", "ticket")
    async with db.connection(request.app[keys.POOL]) as conn:
        ticket = await actions.check_ticket(conn, request[keys.USER], ticket_id)
        [out] = await tickets_out(conn, [ticket])
    return json_response(out)


async def tickets_out(conn: asyncpg.Connection, tickets: list[Ticket]) -> list[TicketOut]:
    """Tickets with their SLA clocks (the latest per target)."""
    clocks: dict[int, dict[str, SlaClockOut]] = {}
    for row in await sla_store.ticket_clocks(conn, [t.id for t in tickets]):
        clocks.setdefault(row["ticket_id"], {})[row["target"]] = SlaClockOut(
            due_at=row["due_at"], state=sla.clock_state(row), started_at=row["started_at"]
        )
    return [
        TicketOut.model_validate(t).model_copy(update={"sla": clocks.get(t.id, {})})
        for t in tickets
    ]


async def update_ticket(request: web.Request) -> web.Response:
    ticket_id = path_int(request, "ticket_id", "ticket")
    patch = await parse_body(request, TicketPatch)
    user = request[keys.USER]
    async with db.connection(request.app[keys.POOL]) as conn:
        ticket = await actions.check_ticket(conn, user, ticket_id)
        change = await actions.do_update_ticket(conn, user, ticket, patch)
        ticket = await actions.check_ticket(conn, user, ticket_id)
        [out] = await tickets_out(conn, [ticket])
    await after_commit(request, change)
    return json_response(out)


async def after_commit(request: web.Request, change: actions.TicketChange) -> None:
    """After commit: publish, and route the queues whose waiting work or capacity changed."""
    redis = request.app[keys.REDIS]
    if change.events:
        await live.publish_quietly(redis, change.events)
    if change.fire_at:
        await live.schedule_sla_quietly(redis, change.fire_at)
    for queue_id in change.route_queues:
        try:
            await live.request_routing(redis, queue_id)
        except Exception:  # the sweep routes it within seconds; the change itself stands
            log.warning("tickets.route_request_failed", queue_id=str(queue_id), exc_info=True)


Move = Callable[[asyncpg.Connection, User, Ticket, actions.TicketChange], Awaitable[None]]


async def _supervisor_move(request: web.Request, move: Move) -> web.Response:
    """Load the ticket, apply `move`, re-route what freed up, answer with the ticket now."""
    ticket_id = path_int(request, "ticket_id", "ticket")
    user = request[keys.USER]
    change = actions.TicketChange()
    async with db.connection(request.app[keys.POOL]) as conn:
        ticket = await actions.check_ticket(conn, user, ticket_id)
        await move(conn, user, ticket, change)
        if ticket.assignee_id is not None:  # the previous holder has room again
            change.route_queues |= set(
                await routing_store.queues_of_agent(conn, ticket.assignee_id)
            )
        ticket = await actions.check_ticket(conn, user, ticket_id)
    await after_commit(request, change)
    return json_response(TicketOut.model_validate(ticket))


async def assign(request: web.Request) -> web.Response:
    """Assign or reassign to an agent; capacity is respected unless `override` is true."""
    body = await parse_body(request, AssignIn)

    async def move(
        conn: asyncpg.Connection, user: User, ticket: Ticket, change: actions.TicketChange
    ) -> None:
        await actions.check_agent(conn, body.agent_id)
        await routing.do_assign(conn, ticket.id, body.agent_id, user.id, body.override)
        change.events.append({"type": "ticket.assigned", "brand_id": str(ticket.brand_id),
                              "ticket_id": ticket.id, "assignee_id": str(body.agent_id),
                              "override": body.override})  # fmt: skip

    return await _supervisor_move(request, move)


async def transfer(request: web.Request) -> web.Response:
    """Move to another queue of the brand; it waits there (unassigned), keeping its age."""
    body = await parse_body(request, TransferIn)

    async def move(
        conn: asyncpg.Connection, user: User, ticket: Ticket, change: actions.TicketChange
    ) -> None:
        await actions.do_transfer(conn, user, ticket, body.queue_id, change)

    return await _supervisor_move(request, move)


async def requeue(request: web.Request) -> web.Response:
    """Unassign and put back to waiting in its queue (keeps its age and its time waiting)."""

    async def move(
        conn: asyncpg.Connection, user: User, ticket: Ticket, change: actions.TicketChange
    ) -> None:
        await routing.do_requeue(conn, ticket.id, ticket.queue_id, user.id, "supervisor")
        change.route_queues.add(ticket.queue_id)

    return await _supervisor_move(request, move)


_MEDIA_FOR = q("media.for_messages")


async def media_of(conn: asyncpg.Connection, messages: list[Message]) -> dict[tuple[int, int], Any]:
    """(message id, attachment index) → its media row, for the messages with attachments."""
    ids = [m.id for m in messages if m.attachments]
    found = await conn.fetch(_MEDIA_FOR, ids) if ids else []
    return {(r["message_id"], r["position"]): r for r in found}


def message_out(m: Message, media: dict[tuple[int, int], Any] | None = None) -> MessageOut:
    """`media`: (message id, attachment index) → its media row, for the download URL."""
    media = media or {}

    def url(i: int, a: dict[str, Any]) -> str | None:
        row = media.get((m.id, i))
        if row is not None and row["status"] == "stored":
            return f"/api/v1/media/{row['id']}"
        return a.get("url")

    return MessageOut(
        id=m.id,
        ticket_id=m.ticket_id,
        direction=m.direction,
        kind=m.kind,
        text=m.text,
        attachments=[
            AttachmentOut(
                kind=a["kind"], url=url(i, a), mime_type=a.get("mime_type"), name=a.get("name")
            )
            for i, a in enumerate(m.attachments)
        ],
        sender=SenderOut(kind=m.sender_kind, id=m.sender_id, name=m.sender_name),
        platform_message_id=m.platform_message_id,
        reply_to_platform_id=m.reply_to_platform_id,
        sent_at=m.sent_at,
        received_at=m.received_at,
        delivery_status=m.delivery_status,
        delivery_error=m.delivery_error,
    )


async def list_messages(request: web.Request) -> web.Response:
    ticket_id = path_int(request, "ticket_id", "ticket")
    query = parse_query(request, PageQuery)
    cursor = decode_cursor(query.cursor)
    try:
        after = (datetime.fromisoformat(cursor[0]), int(cursor[1])) if cursor else None
    except (IndexError, TypeError, ValueError):
        raise _bad_cursor() from None
    async with db.connection(request.app[keys.POOL]) as conn:
        await actions.check_ticket(conn, request[keys.USER], ticket_id)
        rows = await store.list_messages(conn, ticket_id, after, query.limit)
        media = await media_of(conn, rows)
    items = [message_out(m, media).model_dump(mode="json") for m in rows]
    more = (
        encode_cursor([rows[-1].sent_at.isoformat(), rows[-1].id])
        if len(rows) == query.limit
        else None
    )
    return json_response({"items": items, "next_cursor": more})
