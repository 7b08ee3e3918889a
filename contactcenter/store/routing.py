"""Routing snapshots and state changes (sql/queries/routing.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.routing.model import Agent, Offer, OverflowStep, QueueRules, Ticket
from contactcenter.store.queries import q

_RULES = q("routing.queue_rules")
_WAITING = q("routing.waiting_tickets")
_AGENTS = q("routing.candidate_agents")
_CREATE = q("routing.create_offers")
_ACCEPT = q("routing.accept_offer")
_RELEASE = q("routing.release_offer")
_PRESENCE = q("routing.set_presence")
_PENDING_OF = q("routing.pending_offers_of")
_OFFERS_OF = q("routing.offers_of")
_OVERDUE = q("routing.overdue_offers")
_ASSIGN = q("routing.assign_ticket")
_REQUEUE = q("routing.requeue_ticket")
_QUEUES_WAITING = q("routing.queues_with_waiting")
_QUEUES_OF = q("routing.queues_of_agent")
_PRESENT = q("routing.agents_present")
_SHIFT_ENDED = q("routing.shift_ended_assignments")
_AFTER_HOURS = q("routing.mark_after_hours")


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A queue's routing rules plus what the planner does not need (hours, reply text)."""

    rules: QueueRules
    hours: dict[str, Any] | None
    after_hours_reply: str | None


@dataclass(frozen=True, slots=True)
class Created:
    offer_id: int
    ticket_id: int
    agent_id: UUID
    expires_at: datetime
    attempt: int
    brand_id: UUID


@dataclass(frozen=True, slots=True)
class Released:
    result: str  # declined / expired / cancelled, or why not: not_found, not_due, accepted, ...
    ticket_id: int | None
    queue_id: UUID | None
    brand_id: UUID | None
    escalated: bool
    agent_away: bool
    agent_id: UUID | None = None


async def queue_rows(conn: asyncpg.Connection, queue_ids: Sequence[UUID]) -> dict[UUID, QueueRow]:
    rows = await conn.fetch(_RULES, list(queue_ids))
    return {r["id"]: _queue_row(r) for r in rows}


def _queue_row(r: asyncpg.Record) -> QueueRow:
    steps = tuple(
        OverflowStep(int(s["after_s"]),
                     UUID(s["queue_id"]) if s.get("queue_id") else None,
                     frozenset(s.get("drop_skills") or ()))
        for s in r["overflow"]
    )  # fmt: skip
    rules = QueueRules(
        r["id"], dict(r["required_skills"]), r["strategy"], r["offer_timeout_s"], steps,
        r["language_required"], r["escalate_after_s"], r["sticky_s"], r["shift_end_drain_s"],
        has_after_hours_reply=bool(r["after_hours_reply"]),
    )  # fmt: skip
    return QueueRow(rules, r["hours"], r["after_hours_reply"])


async def waiting_tickets(
    conn: asyncpg.Connection, queue_id: UUID, limit: int, now: datetime, escalate_after_s: int
) -> list[Ticket]:
    """The first `limit` waiting tickets in the planner's order."""
    rows = await conn.fetch(_WAITING, queue_id, limit, now, float(escalate_after_s))
    return [
        Ticket(r["id"], r["queue_id"], r["kind"], r["priority"], r["created_at"], r["queued_at"],
               r["sla_due_at"], r["language"], r["last_agent"], frozenset(r["excluded"]),
               r["after_hours_replied"])
        for r in rows
    ]  # fmt: skip


async def candidate_agents(
    conn: asyncpg.Connection, queue_ids: Sequence[UUID], now: datetime
) -> list[Agent]:
    rows = await conn.fetch(_AGENTS, list(queue_ids), now)
    return [_agent(r) for r in rows]


def _agent(r: asyncpg.Record) -> Agent:
    return Agent(
        id=r["id"],
        queues=frozenset(r["queues"] or ()),
        skills=dict(r["skills"]),
        languages=frozenset(r["languages"]),
        capacity={k: int(v) for k, v in r["capacity"].items()},
        load={k: int(v) for k, v in r["load"].items()},
        voice_exclusive=r["voice_exclusive"],
        shift_ends_at=r["shift_ends_at"],
        last_offer_at=r["last_offer_at"],
        last_assigned_at=r["last_assigned_at"],
        available_since=r["presence_since"],
    )


async def create_offers(conn: asyncpg.Connection, offers: Sequence[Offer]) -> list[Created]:
    """Create what still holds under lock; lost races are simply absent from the result."""
    if not offers:
        return []
    rows = await conn.fetch(
        _CREATE, [o.ticket_id for o in offers], [o.agent_id for o in offers],
        [o.queue_id for o in offers], [o.timeout_s for o in offers], [o.drain_s for o in offers],
    )  # fmt: skip
    return [Created(*r.values()) for r in rows]


async def accept_offer(
    conn: asyncpg.Connection, offer_id: int, user_id: UUID
) -> tuple[str, int | None, UUID | None]:
    row = await conn.fetchrow(_ACCEPT, offer_id, user_id)
    return row["o_result"], row["o_ticket_id"], row["o_brand_id"]


async def release_offer(
    conn: asyncpg.Connection, offer_id: int, user_id: UUID | None, outcome: str
) -> Released:
    return Released(*(await conn.fetchrow(_RELEASE, offer_id, user_id, outcome)).values())


async def set_presence(conn: asyncpg.Connection, user_id: UUID, presence: str, reason: str) -> str:
    previous: str = await conn.fetchval(_PRESENCE, user_id, presence, reason)
    return previous


async def pending_offer_ids(conn: asyncpg.Connection, user_id: UUID) -> list[int]:
    return [r["id"] for r in await conn.fetch(_PENDING_OF, user_id)]


async def offers_of(conn: asyncpg.Connection, user_id: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(_OFFERS_OF, user_id)]


async def overdue_offer_ids(conn: asyncpg.Connection, limit: int) -> list[int]:
    return [r["id"] for r in await conn.fetch(_OVERDUE, limit)]


async def assign_ticket(
    conn: asyncpg.Connection, ticket_id: int, user_id: UUID, actor: UUID, override: bool
) -> asyncpg.Record:
    return await conn.fetchrow(_ASSIGN, ticket_id, user_id, actor, override)


async def requeue_ticket(
    conn: asyncpg.Connection, ticket_id: int, queue_id: UUID, actor: UUID | None, reason: str
) -> asyncpg.Record:
    return await conn.fetchrow(_REQUEUE, ticket_id, queue_id, actor, reason)


async def queues_with_waiting(conn: asyncpg.Connection) -> list[UUID]:
    return [r["queue_id"] for r in await conn.fetch(_QUEUES_WAITING)]


async def queues_of_agent(conn: asyncpg.Connection, user_id: UUID) -> list[UUID]:
    return [r["queue_id"] for r in await conn.fetch(_QUEUES_OF, user_id)]


async def agents_present(conn: asyncpg.Connection) -> list[UUID]:
    return [r["user_id"] for r in await conn.fetch(_PRESENT)]


async def shift_ended_assignments(conn: asyncpg.Connection) -> list[tuple[int, UUID]]:
    return [(r["id"], r["queue_id"]) for r in await conn.fetch(_SHIFT_ENDED)]


async def mark_after_hours(conn: asyncpg.Connection, ticket_ids: list[int], text: str) -> list[int]:
    """Store the reply (queued for sending) once per ticket; return the tickets that got it."""
    return [r["ticket_id"] for r in await conn.fetch(_AFTER_HOURS, ticket_ids, text)]


_OFFER_WAITS = q("routing.offer_waits")


async def offer_waits(conn: asyncpg.Connection, offer_ids: list[int]) -> list[float]:
    return [r["wait"] for r in await conn.fetch(_OFFER_WAITS, offer_ids)]
