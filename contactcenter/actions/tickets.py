"""Ticket access and changes made through the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.actions import routing, sla
from contactcenter.actions.catalog import check_queue
from contactcenter.api.schemas import TicketPatch
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Role, Ticket, User
from contactcenter.store import routing as routing_store
from contactcenter.store import tickets as store
from contactcenter.store import users as user_store


def can_see(user: User, ticket: Ticket) -> bool:
    """Supervisors and admins see all; agents their team's queues, teamless queues, their own."""
    return may_see(user, ticket.team_id, ticket.assignee_id)


def may_see(user: User, team_id: UUID | None, assignee_id: UUID | None) -> bool:
    """can_see for a ticket known by its queue's team and its assignee."""
    if user.at_least(Role.SUPERVISOR):
        return True
    return team_id is None or team_id == user.team_id or assignee_id == user.id


async def check_ticket(conn: asyncpg.Connection, user: User, ticket_id: int) -> Ticket:
    ticket = await store.get_ticket(conn, ticket_id)
    if ticket is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No ticket with id {ticket_id}.")
    if not can_see(user, ticket):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"Ticket {ticket_id} belongs to another team's queue; ask a supervisor to transfer it.",
        )
    return ticket


@dataclass(slots=True)
class TicketChange:
    """What to do after commit: events to publish, queues to route (capacity freed, new work)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    route_queues: set[UUID] = field(default_factory=set)
    fire_at: set[datetime] = field(default_factory=set)  # SLA timers to schedule

    def add_sla(self, synced: sla.SlaResult) -> None:
        self.events += synced.events
        self.fire_at |= synced.fire_at


async def do_update_ticket(
    conn: asyncpg.Connection, user: User, ticket: Ticket, patch: TicketPatch
) -> TicketChange:
    """Apply a PATCH: status, priority and tags under the ticket's row lock (agents may), then a
    transfer (queue_id) or an assignment (assignee_id) through the routing functions, which
    respect capacity (supervisors only; null assignee puts it back to waiting)."""
    changes = patch.model_dump(exclude_unset=True)
    nulls = sorted(k for k in ("status", "priority", "tags") if k in changes and changes[k] is None)
    if nulls:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{', '.join(nulls)} cannot be null.")
    moves: dict[str, Any] = {k: changes.pop(k) for k in ("queue_id", "assignee_id") if k in changes}
    if moves and not user.at_least(Role.SUPERVISOR):
        raise ApiError(ErrorCode.FORBIDDEN, "Only supervisors and admins move or assign tickets.")
    if "queue_id" in moves:
        if moves["queue_id"] is None:
            raise ApiError(
                ErrorCode.VALIDATION_FAILED,
                "queue_id cannot be null; every ticket sits in a queue.",
            )
        await check_queue(conn, moves["queue_id"], ticket.brand_id)
    result = TicketChange()
    async with conn.transaction():  # all of the PATCH, or nothing (a refused assignment undoes it)
        await _apply(conn, user, ticket, changes, moves, result)
    return result


async def _apply(
    conn: asyncpg.Connection, user: User, ticket: Ticket, changes: dict[str, Any],
    moves: dict[str, Any], result: TicketChange,
) -> None:  # fmt: skip
    if changes:
        await _update_fields(conn, user, ticket, changes, result)
    if "queue_id" in moves and moves["queue_id"] != ticket.queue_id:
        await do_transfer(conn, user, ticket, moves["queue_id"], result)
    if "assignee_id" in moves:
        target = moves["assignee_id"]
        if target is None:
            await routing.do_requeue(conn, ticket.id, ticket.queue_id, user.id, "unassigned")
            result.route_queues.add(ticket.queue_id)
        else:
            await check_agent(conn, target)
            await routing.do_assign(conn, ticket.id, target, user.id, override=False)
        result.events.append({"type": "ticket.assigned", "brand_id": str(ticket.brand_id),
                              "ticket_id": ticket.id, "assignee_id": _plain(target)})  # fmt: skip
    if ticket.assignee_id is not None and (moves or changes.get("status") in DONE):
        result.route_queues |= set(await routing_store.queues_of_agent(conn, ticket.assignee_id))
    if changes.get("status") in ("new", "open", "pending") and ticket.status in DONE:
        result.route_queues.add(ticket.queue_id)  # reopened by hand: routed again


DONE = ("solved", "closed")


async def check_agent(conn: asyncpg.Connection, user_id: UUID) -> User:
    agent = await user_store.get_user(conn, user_id)
    if agent is None:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{user_id} is not a user.")
    return agent


async def do_transfer(
    conn: asyncpg.Connection, user: User, ticket: Ticket, queue_id: UUID, result: TicketChange
) -> None:
    """Move a ticket to another queue of its brand, waiting there (its age is kept)."""
    await check_queue(conn, queue_id, ticket.brand_id)
    await routing.do_requeue(conn, ticket.id, queue_id, user.id, "transfer")
    result.add_sla(await sla.do_sync(conn, {ticket.id: datetime.now(UTC)}))  # its queue's policy
    result.route_queues.add(queue_id)
    result.events.append({"type": "ticket.transferred", "brand_id": str(ticket.brand_id),
                          "ticket_id": ticket.id, "from_queue": str(ticket.queue_id),
                          "to_queue": str(queue_id)})  # fmt: skip


async def _update_fields(
    conn: asyncpg.Connection,
    user: User,
    ticket: Ticket,
    changes: dict[str, Any],
    result: TicketChange,
) -> None:
    """Status, priority and tags under the row lock; one event per changed field."""
    async with conn.transaction():
        current = await store.lock_ticket(conn, ticket.id)
        if current is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No ticket with id {ticket.id}.")
        if current["status"] == "closed" and changes.get("status", "closed") != "closed":
            raise ApiError(
                ErrorCode.CONFLICT,
                "Closed tickets are final; the customer's next message opens a new ticket.",
            )
        new = {**current, **{k: getattr(v, "value", v) for k, v in changes.items()}}
        changed = {k: (current[k], new[k]) for k in changes if current[k] != new[k]}
        if not changed:
            return
        try:
            await store.update_ticket(conn, ticket.id, new)
        except asyncpg.UniqueViolationError:
            raise ApiError(
                ErrorCode.CONFLICT,
                "This customer has a newer open ticket on this channel account; continue there.",
            ) from None
        if new["status"] in DONE:
            await store.cancel_pending_offers(conn, ticket.id)
        for name, (old, value) in changed.items():
            data = {"field": name, "from": _plain(old), "to": _plain(value)}
            await store.insert_event(
                conn, ticket.brand_id, "ticket.updated", ticket.id, user.id, data
            )
            event = {"type": "ticket.updated", "brand_id": str(ticket.brand_id),
                     "ticket_id": ticket.id, "actor_id": str(user.id)}  # fmt: skip
            result.events.append(event | data)
        if {"status", "priority"} & changed.keys():  # pause, resume, stop or a new target
            result.add_sla(await sla.do_sync(conn, {ticket.id: datetime.now(UTC)}))
    if "priority" in changed:
        result.route_queues.add(ticket.queue_id)  # re-route on change: the order moved


def _plain(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(value, str | int | list) else value
