"""Handlers for presence, offers, agents and shift plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from aiohttp import web

from contactcenter import constants, keys, live
from contactcenter.actions import routing as actions
from contactcenter.actions.shifts import do_set_shifts
from contactcenter.api.http import json_response, parse_body, path_int, path_uuid
from contactcenter.api.schemas_routing import (
    AgentOut,
    OfferOut,
    PresenceIn,
    PresenceOut,
    ShiftIntervalOut,
    ShiftsIn,
    ShiftsOut,
)
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Role
from contactcenter.store import agents as agent_store
from contactcenter.store import db
from contactcenter.store import routing as store
from contactcenter.store import users as user_store


def presence_out(row: dict[str, Any]) -> PresenceOut:
    """`busy` is derived: available, but no room left in any kind the agent takes."""
    status = row["presence"]
    capacity = {k: int(v) for k, v in row["capacity"].items()}
    load = {k: int(v) for k, v in row["load"].items()}
    if status == "available" and all(load.get(k, 0) >= n for k, n in capacity.items() if n > 0):
        status = "busy"
    return PresenceOut(status=status, since=row["presence_since"], on_shift=row["on_shift"],
                       load=load, capacity=capacity)  # fmt: skip


async def _heartbeat(request: web.Request, user_id: UUID) -> None:
    key = constants.HEARTBEAT_KEY.format(user_id=user_id)
    await request.app[keys.REDIS].set(key, "1", ex=request.app[keys.SETTINGS].heartbeat_ttl_s)


async def get_presence(request: web.Request) -> web.Response:
    me = request[keys.USER]
    async with db.connection(request.app[keys.POOL]) as conn:
        [row] = await agent_store.status(conn, me.id)
    return json_response(presence_out(row))


async def put_presence(request: web.Request) -> web.Response:
    """Set available/away/offline; counts as a heartbeat. Becoming available triggers routing."""
    me = request[keys.USER]
    body = await parse_body(request, PresenceIn)
    redis = request.app[keys.REDIS]
    await _heartbeat(request, me.id)
    async with db.connection(request.app[keys.POOL]) as conn:
        previous, cancelled = await actions.do_set_presence(conn, me.id, body.status, "agent")
        queues = await store.queues_of_agent(conn, me.id)
        [row] = await agent_store.status(conn, me.id)
    if previous != body.status:
        event = {
            "type": "presence.changed",
            "user_id": str(me.id),
            "from": previous,
            "to": body.status,
        }
        await live.publish_to(redis, constants.AGENT_EVENTS_CHANNEL, [event])
    for released in cancelled:
        if released.queue_id is not None:
            await live.request_routing(redis, released.queue_id)
    if body.status == "available":
        for queue_id in queues:
            await live.request_routing(redis, queue_id)
    return json_response(presence_out(row))


async def heartbeat(request: web.Request) -> web.Response:
    """The dashboard calls this every ~20 s; without one for CC_HEARTBEAT_TTL_S you go offline."""
    await _heartbeat(request, request[keys.USER].id)
    return json_response({"ttl_s": request.app[keys.SETTINGS].heartbeat_ttl_s})


async def my_offers(request: web.Request) -> web.Response:
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await store.offers_of(conn, request[keys.USER].id)
    items = [OfferOut.model_validate(r).model_dump(mode="json") for r in rows]
    return json_response({"items": items, "next_cursor": None})


async def accept(request: web.Request) -> web.Response:
    offer_id = path_int(request, "offer_id", "offer")
    me = request[keys.USER]
    async with db.connection(request.app[keys.POOL]) as conn:
        ticket_id, brand_id = await actions.do_accept(conn, offer_id, me.id)
    event = {"type": "offer.accepted", "brand_id": str(brand_id), "ticket_id": ticket_id,
             "offer_id": offer_id, "agent_id": str(me.id)}  # fmt: skip
    await live.publish_quietly(request.app[keys.REDIS], [event])
    return json_response({"offer_id": offer_id, "ticket_id": ticket_id, "status": "accepted"})


async def decline(request: web.Request) -> web.Response:
    """Decline: the ticket goes to someone else at once, never back to you."""
    offer_id = path_int(request, "offer_id", "offer")
    me = request[keys.USER]
    async with db.connection(request.app[keys.POOL]) as conn:
        released = await actions.do_release(conn, offer_id, me.id, "declined")
    redis = request.app[keys.REDIS]
    event = {"type": "offer.declined", "brand_id": str(released.brand_id),
             "ticket_id": released.ticket_id, "offer_id": offer_id,
             "escalated": released.escalated, "agent_id": str(me.id)}  # fmt: skip
    await live.publish_quietly(redis, [event])
    if released.queue_id is not None and not released.escalated:
        await live.request_routing(redis, released.queue_id)
    return json_response(
        {"offer_id": offer_id, "ticket_id": released.ticket_id, "status": "declined"}
    )


async def list_agents(request: web.Request) -> web.Response:
    """Every agent with presence (busy derived), shift, load and capacity: the board's roster."""
    raw = request.query.get("queue_id")
    try:
        queue_id = UUID(raw) if raw else None
    except ValueError:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "queue_id must be a UUID.") from None
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await agent_store.status(conn, None, queue_id)
    items = [
        AgentOut(id=r["id"], name=r["name"], email=r["email"], team_id=r["team_id"],
                 presence=presence_out(r), queue_ids=r["queue_ids"], skills=r["skills"],
                 languages=r["languages"]).model_dump(mode="json")
        for r in rows
    ]  # fmt: skip
    return json_response({"items": items, "next_cursor": None})


def _may_read_shifts(request: web.Request, user_id: UUID) -> None:
    me = request[keys.USER]
    if me.id != user_id and not me.at_least(Role.SUPERVISOR):
        raise ApiError(
            ErrorCode.FORBIDDEN, "Agents see their own shifts; supervisors see everyone's."
        )


async def get_shifts(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "user")
    _may_read_shifts(request, user_id)
    now = datetime.now(UTC)
    async with db.connection(request.app[keys.POOL]) as conn:
        plan = await agent_store.get_plan(conn, user_id)
        spans = await agent_store.upcoming(conn, user_id, now, now + timedelta(days=14))
    return json_response(_shifts_out(plan, spans))


def _shifts_out(plan: dict[str, Any] | None, spans: list[tuple[datetime, datetime]]) -> ShiftsOut:
    return ShiftsOut(
        plan=ShiftsIn.model_validate(plan) if plan else None,
        upcoming=[ShiftIntervalOut(starts_at=s, ends_at=e) for s, e in spans],
    )


async def put_shifts(request: web.Request) -> web.Response:
    """Replace an agent's plan; intervals for the next weeks are materialised at once."""
    user_id = path_uuid(request, "user_id", "user")
    body = await parse_body(request, ShiftsIn)
    now = datetime.now(UTC)
    async with db.connection(request.app[keys.POOL]) as conn:
        if await user_store.get_user(conn, user_id) is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No user with id {user_id}.")
        await do_set_shifts(conn, user_id, body, now)
        spans = await agent_store.upcoming(conn, user_id, now, now + timedelta(days=14))
        queues = await store.queues_of_agent(conn, user_id)
    for queue_id in queues:  # a shift may have started just now
        await live.request_routing(request.app[keys.REDIS], queue_id)
    return json_response(_shifts_out(body.model_dump(mode="json", by_alias=True), spans))
