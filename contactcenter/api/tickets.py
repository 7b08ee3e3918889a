"""Handlers for tickets and their messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from contactcenter import keys, live, logs
from contactcenter.actions import replies, routing, sla
from contactcenter.actions import tickets as actions
from contactcenter.api import uploads
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
    PostIn,
    SenderOut,
    SlaClockOut,
    TicketListQuery,
    TicketOut,
    TicketPatch,
)
from contactcenter.api.schemas_routing import AssignIn, TransferIn
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.fetch import Limits
from contactcenter.media.store import make_store
from contactcenter.models import Message, Ticket, User
from contactcenter.outbound import files as outfiles
from contactcenter.settings import Settings
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


async def post_message(request: web.Request) -> web.Response:
    """A public reply: queued for delivery through the ticket's channel; meets the SLA."""
    return await _post(request, note=False)


async def post_note(request: web.Request) -> web.Response:
    """An internal note: visible to the team only, never sent."""
    return await _post(request, note=True)


async def _post(request: web.Request, *, note: bool) -> web.Response:
    """JSON {text, template}, or multipart/form-data with `text` and `file` parts."""
    ticket_id = path_int(request, "ticket_id", "ticket")
    settings = request.app[keys.SETTINGS]
    template: dict[str, Any] | None = None
    if request.content_type == "multipart/form-data":
        limits = Limits(settings.media_max_bytes, tuple(settings.media_types.split(",")))
        text, files = await uploads.read_post(request, limits)
    else:
        body = await parse_body(request, PostIn)
        text, files = body.text, []
        template = body.template.model_dump(exclude_defaults=False) if body.template else None
    user = request[keys.USER]
    pool = request.app[keys.POOL]
    async with db.connection(pool) as conn:
        ticket = await actions.check_ticket(conn, user, ticket_id)
    if note and template:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "A note cannot carry a template.")
    conversation = ticket.platform_conversation_id or ""
    mimes = [f.mime_type for f in files]
    if not note and (why := outfiles.refusal(ticket.channel, conversation, mimes, text)):
        raise ApiError(ErrorCode.CHANNEL_RULE, why)
    stored = await _store(settings, ticket.brand_id, files)
    async with db.connection(pool) as conn:
        posted = await replies.do_post(
            conn, user, ticket, text, note=note, template=template, files=stored,
            link_days=settings.media_link_days,
        )  # fmt: skip
        found = await conn.fetch(_MEDIA_FOR, [posted.message.id]) if stored else []
    change = actions.TicketChange(events=posted.events, fire_at=posted.fire_at)
    await _after(request, change)
    if not note:
        try:
            await live.schedule_delivery(request.app[keys.REDIS], posted.message.id, 1)
        except Exception:  # the sweep sends it within seconds
            log.warning("tickets.delivery_request_failed", message_id=posted.message.id,
                        exc_info=True)  # fmt: skip
    media = {(r["message_id"], r["position"]): r for r in found}
    return json_response(message_out(posted.message, media), status=201 if note else 202)


async def _store(
    settings: Settings, brand_id: object, files: list[uploads.Upload]
) -> list[replies.StoredFile]:
    """Each file into the media store (before the message's transaction, which names them)."""
    store = make_store(settings)
    stored = []
    for f in files:
        try:
            key = await store.put(brand_id, f.data, f.mime_type)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            raise ApiError(ErrorCode.STORE_UNAVAILABLE,
                           f"The media store did not take {f.name} ({exc}); try again in a "
                           "minute.") from exc  # fmt: skip
        stored.append(replies.StoredFile(f.name, f.mime_type, len(f.data), key))
    return stored


async def update_ticket(request: web.Request) -> web.Response:
    ticket_id = path_int(request, "ticket_id", "ticket")
    patch = await parse_body(request, TicketPatch)
    user = request[keys.USER]
    async with db.connection(request.app[keys.POOL]) as conn:
        ticket = await actions.check_ticket(conn, user, ticket_id)
        change = await actions.do_update_ticket(conn, user, ticket, patch)
        ticket = await actions.check_ticket(conn, user, ticket_id)
        [out] = await tickets_out(conn, [ticket])
    await _after(request, change)
    return json_response(out)


async def _after(request: web.Request, change: actions.TicketChange) -> None:
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
    await _after(request, change)
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
        with_media = [m.id for m in rows if m.attachments]
        found = await conn.fetch(_MEDIA_FOR, with_media) if with_media else []
    media = {(r["message_id"], r["position"]): r for r in found}
    items = [message_out(m, media).model_dump(mode="json") for m in rows]
    more = (
        encode_cursor([rows[-1].sent_at.isoformat(), rows[-1].id])
        if len(rows) == query.limit
        else None
    )
    return json_response({"items": items, "next_cursor": more})
