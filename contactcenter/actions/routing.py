"""Routing state changes: route a queue, answer offers, presence, supervisor moves.

Every change is one call of a SQL function that re-checks its guards under row locks
(sql/migrations/0004_routing_functions.sql); these functions translate outcomes into results
or `ApiError`s. Nothing here publishes or enqueues: callers do that after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

import asyncpg

from contactcenter import constants
from contactcenter.api.schemas_routing import CalendarIn
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.routing import decide, shifts
from contactcenter.routing.model import Agent, QueueRules
from contactcenter.store import routing as store

OFFER_GONE = {
    "accepted": "This offer was already accepted.",
    "declined": "This offer was declined.",
    "expired": "This offer expired; the ticket went back to its queue.",
    "cancelled": "This offer was withdrawn (the ticket moved or you left `available`).",
}


@dataclass(slots=True)
class RoutePass:
    created: list[store.Created] = field(default_factory=list)
    after_hours: list[int] = field(default_factory=list)
    planned: int = 0
    waiting: int = 0  # tickets read this pass
    more: bool = False  # the read stopped at its limit: more may be waiting


async def do_route_queue(conn: asyncpg.Connection, queue_id: UUID, now: datetime) -> RoutePass:
    """One routing pass over a queue: snapshot, plan (pure), create offers under lock."""
    rows = await store.queue_rows(conn, [queue_id])
    if queue_id not in rows:
        return RoutePass()
    home = rows[queue_id]
    extra = [s.queue_id for s in home.rules.overflow if s.queue_id is not None]
    if extra:
        rows |= await store.queue_rows(conn, extra)
    queue = replace(home.rules, is_open=is_open(home.hours, now))
    agents = await store.candidate_agents(conn, [queue_id, *extra], now)
    limit = _ticket_limit(agents, queue)
    if limit == 0:
        return RoutePass()
    rules = {q: r.rules for q, r in rows.items()}
    while True:
        tickets = await store.waiting_tickets(conn, queue_id, limit, now, queue.escalate_after_s)
        plan = decide.plan(queue, rules, tickets, agents, now)
        if plan.offers or len(tickets) < limit or limit >= constants.ROUTE_BATCH:
            break
        # Nobody free can take the first tickets (skills, language, declined): look further
        # back, so they do not hide the ones behind them.
        limit = min(constants.ROUTE_BATCH, limit * 4)  # (no offer made: `agents` is unchanged)
    created = await store.create_offers(conn, plan.offers)
    replied: list[int] = []
    if plan.after_hours and home.after_hours_reply:
        replied = await store.mark_after_hours(conn, plan.after_hours, home.after_hours_reply)
    return RoutePass(created, replied, len(plan.offers), len(tickets), len(tickets) >= limit)


def _ticket_limit(agents: list[Agent], queue: QueueRules) -> int:
    """How many waiting tickets are worth reading: room for a few times the free slots (some
    will not match skills or language). Nobody with room: none, unless after-hours replies
    may be due (they need the tickets, not agents)."""
    free = sum(
        max(0, cap - a.load.get(kind, 0)) for a in agents for kind, cap in a.capacity.items()
    )
    if free == 0:
        return constants.ROUTE_BATCH if not queue.is_open and queue.has_after_hours_reply else 0
    return min(constants.ROUTE_BATCH, 4 * free + 20)


def is_open(hours: dict[str, object] | None, now: datetime) -> bool:
    """A queue without hours is always open."""
    return hours is None or shifts.is_within(CalendarIn.model_validate(hours).to_plan(), now)


async def do_accept(conn: asyncpg.Connection, offer_id: int, user_id: UUID) -> tuple[int, UUID]:
    """Accept an offer of the signed-in agent; (ticket id, brand id)."""
    result, ticket_id, brand_id = await store.accept_offer(conn, offer_id, user_id)
    if result == "not_found" or ticket_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No offer {offer_id} for you.")
    if result != "accepted" or brand_id is None:
        raise ApiError(ErrorCode.CONFLICT, OFFER_GONE.get(result, f"The offer is {result}."))
    return ticket_id, brand_id


async def do_release(
    conn: asyncpg.Connection, offer_id: int, user_id: UUID | None, outcome: str
) -> store.Released:
    """Decline (the agent), expire (the timer) or cancel an offer; see release_offer()."""
    released = await store.release_offer(conn, offer_id, user_id, outcome)
    if user_id is not None and released.result == "not_found":
        raise ApiError(ErrorCode.NOT_FOUND, f"No offer {offer_id} for you.")
    if user_id is not None and released.result != outcome:
        raise ApiError(ErrorCode.CONFLICT, OFFER_GONE.get(released.result, "The offer is gone."))
    return released


async def do_set_presence(
    conn: asyncpg.Connection, user_id: UUID, presence: str, reason: str
) -> tuple[str, list[store.Released]]:
    """Set presence; leaving `available` withdraws the agent's pending offers at once."""
    previous = await store.set_presence(conn, user_id, presence, reason)
    cancelled: list[store.Released] = []
    if presence != "available":
        for offer_id in await store.pending_offer_ids(conn, user_id):
            released = await store.release_offer(conn, offer_id, None, "cancelled")
            if released.result == "cancelled":
                cancelled.append(released)
    return previous, cancelled


async def do_assign(
    conn: asyncpg.Connection, ticket_id: int, agent_id: UUID, actor: UUID, override: bool
) -> UUID:
    """Assign (or reassign) a ticket; capacity is respected unless `override`. Brand id back."""
    try:
        row = await store.assign_ticket(conn, ticket_id, agent_id, actor, override)
    except asyncpg.RaiseError as exc:
        if "no_capacity" not in str(exc):
            raise
        raise ApiError(
            ErrorCode.CONFLICT,
            "That agent has no room for another ticket of this kind. Pick another agent, or "
            'send "override": true to assign anyway.',
        ) from None
    except asyncpg.ForeignKeyViolationError:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"agent_id {agent_id} is not a user.") from None
    if row["o_result"] == "not_found":
        raise ApiError(ErrorCode.NOT_FOUND, f"No ticket with id {ticket_id}.")
    if row["o_result"] == "not_active":
        raise ApiError(ErrorCode.CONFLICT, "Solved and closed tickets are not assigned.")
    brand: UUID = row["o_brand_id"]
    return brand


async def do_requeue(
    conn: asyncpg.Connection, ticket_id: int, queue_id: UUID, actor: UUID | None, reason: str
) -> tuple[UUID, UUID]:
    """Back to waiting in `queue_id` (a transfer when it differs); (brand, old queue)."""
    row = await store.requeue_ticket(conn, ticket_id, queue_id, actor, reason)
    if row["o_result"] == "not_found":
        raise ApiError(ErrorCode.NOT_FOUND, f"No ticket with id {ticket_id}.")
    if row["o_result"] == "not_active":
        raise ApiError(ErrorCode.CONFLICT, "Solved and closed tickets do not wait in queues.")
    return row["o_brand_id"], row["o_from_queue"]
