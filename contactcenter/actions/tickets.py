"""Ticket access and changes made through the API."""

from __future__ import annotations

from typing import Any

import asyncpg

from contactcenter.actions.catalog import check_queue
from contactcenter.api.schemas import TicketPatch
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Role, Ticket, User
from contactcenter.store import tickets as store
from contactcenter.store import users as user_store


def can_see(user: User, ticket: Ticket) -> bool:
    """Supervisors and admins see all; agents their team's queues, teamless queues, their own."""
    if user.at_least(Role.SUPERVISOR):
        return True
    return ticket.team_id is None or ticket.team_id == user.team_id or ticket.assignee_id == user.id


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


async def do_update_ticket(
    conn: asyncpg.Connection, user: User, ticket: Ticket, patch: TicketPatch
) -> list[dict[str, Any]]:
    """Apply a PATCH under the ticket's row lock; record one event per changed field.

    Agents may change status, priority and tags; queue and assignee need a supervisor.
    Returns the events to publish after commit.
    """
    changes = patch.model_dump(exclude_unset=True)
    if {"queue_id", "assignee_id"} & changes.keys() and not user.at_least(Role.SUPERVISOR):
        raise ApiError(ErrorCode.FORBIDDEN, "Only supervisors and admins move or assign tickets.")
    if changes.get("queue_id") is not None:
        await check_queue(conn, patch.queue_id, ticket.brand_id)
    if "queue_id" in changes and changes["queue_id"] is None:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED, "queue_id cannot be null; every ticket sits in a queue."
        )
    if patch.assignee_id is not None:
        assignee = await user_store.get_user(conn, patch.assignee_id)
        if assignee is None:
            raise ApiError(
                ErrorCode.VALIDATION_FAILED, f"assignee_id {patch.assignee_id} is not a user."
            )
    async with conn.transaction():
        current = await store.lock_ticket(conn, ticket.id)
        if current is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No ticket with id {ticket.id}.")
        if current["status"] == "closed" and changes.get("status", "closed") != "closed":
            raise ApiError(
                ErrorCode.CONFLICT,
                "Closed tickets are final; the customer's next message opens a new ticket.",
            )
        new = {
            **current,
            **{k: (v.value if hasattr(v, "value") else v) for k, v in changes.items()},
        }
        changed = {k: (current[k], new[k]) for k in changes if current[k] != new[k]}
        if not changed:
            return []
        await store.update_ticket(conn, ticket.id, new)
        events = []
        for field, (old, value) in changed.items():
            data = {"field": field, "from": _plain(old), "to": _plain(value)}
            await store.insert_event(
                conn, ticket.brand_id, "ticket.updated", ticket.id, user.id, data
            )
            events.append(
                {
                    "type": "ticket.updated",
                    "brand_id": str(ticket.brand_id),
                    "ticket_id": ticket.id,
                    "actor_id": str(user.id),
                    **data,
                }
            )
    return events


def _plain(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(value, str | int | list) else value
