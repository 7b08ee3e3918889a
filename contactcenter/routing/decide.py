"""Routing decisions: which waiting ticket goes to which agent now. Pure: data in, plan out.

Semantics (DESIGN.md "Routing", ANCHORS.md "Routing semantics we adopt"):
- order: higher effective priority first (priority plus one level per `escalate_after_s` of
  age, so nothing starves), then earliest SLA deadline, then oldest;
- candidates: serve the tier's queue, have its skills at the required levels, speak the
  customer's language (unless the queue does not require it), are on shift for longer than the
  queue's drain time, have room for the ticket's channel kind, and never declined it or let an
  offer of it expire; the snapshot holds only agents who are available right now;
- tiers: the home queue, then each overflow step once the ticket has waited `after_s` in the
  queue (a step drops skills or adds another queue's agents); a tier with nobody who could ever
  take the ticket is skipped at once instead of waited out;
- pick: the customer's last agent if they are a candidate (and, for `sticky_s`, the ticket waits
  for them while they are on duty but full), else the queue's strategy.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from contactcenter.routing.model import KINDS, PRIORITY_RANK, Agent, Offer, QueueRules, Ticket

NEVER = datetime.min.replace(tzinfo=UTC)
FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Tier:
    """Who may take a ticket at one overflow step, and from how long a wait."""

    index: int
    after_s: int
    queue_id: UUID
    skills: dict[str, int]
    language: str | None


@dataclass(slots=True)
class Plan:
    offers: list[Offer] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # waiting for their last agent (sticky)
    after_hours: list[int] = field(default_factory=list)  # closed queue, nobody: reply once


def effective_priority(ticket: Ticket, queue: QueueRules, now: datetime) -> int:
    age_s = (now - ticket.created_at).total_seconds()
    return PRIORITY_RANK.get(ticket.priority, 1) + max(0, int(age_s // queue.escalate_after_s))


def order(tickets: Iterable[Ticket], queue: QueueRules, now: datetime) -> list[Ticket]:
    """Tickets in the order they should be offered."""
    return sorted(
        tickets,
        key=lambda t: (-effective_priority(t, queue, now), t.sla_due_at or FAR, t.created_at, t.id),
    )


def tiers(ticket: Ticket, queue: QueueRules, rules: dict[UUID, QueueRules]) -> list[Tier]:
    """The home tier, then one per overflow step; skill drops accumulate along the chain."""
    dropped: set[str] = set()
    language = ticket.language if queue.language_required else None
    result = [Tier(0, 0, queue.id, dict(queue.required_skills), language)]
    for index, step in enumerate(queue.overflow, start=1):
        dropped |= step.drop_skills
        language = None if "language" in dropped else language
        if step.queue_id is not None:
            target = rules.get(step.queue_id)
            base = target.required_skills if target else {}
            target_id = step.queue_id
        else:
            base, target_id = queue.required_skills, queue.id
        skills = {s: lvl for s, lvl in base.items() if s not in dropped}
        result.append(Tier(index, step.after_s, target_id, skills, language))
    return result


def has_room(agent: Agent, kind: str) -> bool:
    """Capacity for one more ticket of `kind`; voice excludes other work (and vice versa)."""
    if agent.voice_exclusive:
        voice = agent.load.get("voice", 0)
        other = sum(n for k, n in agent.load.items() if k != "voice")
        if (kind == "voice" and other) or (kind != "voice" and voice):
            return False
    return agent.load.get(kind, 0) < agent.capacity.get(kind, 0)


def qualifies(agent: Agent, ticket: Ticket, tier: Tier, now: datetime, drain_s: int) -> bool:
    """Could take this ticket at this tier if they had room: queue, skills, language, shift."""
    if tier.queue_id not in agent.queues or agent.id in ticket.excluded:
        return False
    if agent.shift_ends_at is None or (agent.shift_ends_at - now).total_seconds() <= drain_s:
        return False
    if tier.language is not None and tier.language not in agent.languages:
        return False
    return all(agent.skills.get(skill, 0) >= level for skill, level in tier.skills.items())


def pick(candidates: Sequence[Agent], kind: str, strategy: str) -> Agent:
    """The queue strategy's choice among candidates (ties broken by id, for determinism)."""
    return min(candidates, key=lambda a: _key(a, kind, strategy))


def _idle_since(agent: Agent) -> datetime:
    """Since when the agent has had nothing new: an offer counts (TaskRouter's reservation)."""
    return max(agent.last_assigned_at or NEVER, agent.last_offer_at or NEVER,
               agent.available_since or NEVER)  # fmt: skip


def _key(agent: Agent, kind: str, strategy: str) -> tuple[object, ...]:
    """The strategy's preference: the smallest key is offered first."""
    if strategy == "round_robin":
        return (agent.last_offer_at or NEVER, agent.id)
    if strategy == "least_occupied":
        return (_occupancy(agent, kind), _idle_since(agent), agent.id)
    return (_idle_since(agent), agent.id)


class _Pools:
    """Each queue's agents in the order its strategy prefers, kept sorted as offers are made,
    so a ticket's candidate is the first agent that fits, not the minimum of a full scan."""

    def __init__(
        self, agents: Sequence[Agent], rules: dict[UUID, QueueRules], home: QueueRules
    ) -> None:
        self._members: dict[UUID, list[Agent]] = {}
        for agent in agents:
            for queue_id in agent.queues:
                self._members.setdefault(queue_id, []).append(agent)
        self._rules, self._home = rules, home
        self._sorted: dict[tuple[UUID, str], list[tuple[tuple[object, ...], Agent]]] = {}

    def strategy(self, queue_id: UUID) -> str:
        return self._rules.get(queue_id, self._home).strategy

    def ordered(self, queue_id: UUID, kind: str) -> list[tuple[tuple[object, ...], Agent]]:
        entry = (queue_id, kind)
        if entry not in self._sorted:
            strategy = self.strategy(queue_id)
            members = self._members.get(queue_id, [])
            self._sorted[entry] = sorted(((_key(a, kind, strategy), a) for a in members),
                                         key=lambda pair: pair[0])  # fmt: skip
        return self._sorted[entry]

    def moved(self, agent: Agent) -> None:
        """Re-sort `agent` after an offer changed its load and last offer."""
        for (queue_id, kind), entries in self._sorted.items():
            if queue_id not in agent.queues:
                continue
            index = next(i for i, (_, a) in enumerate(entries) if a is agent)
            del entries[index]
            key = _key(agent, kind, self.strategy(queue_id))
            bisect.insort(entries, (key, agent), key=lambda pair: pair[0])


def _occupancy(agent: Agent, kind: str) -> float:
    capacity = agent.capacity.get(kind, 0)
    return agent.load.get(kind, 0) / capacity if capacity else 1.0


def plan(
    queue: QueueRules,
    rules: dict[UUID, QueueRules],
    tickets: Iterable[Ticket],
    agents: Sequence[Agent],
    now: datetime,
) -> Plan:
    """Offers for as many waiting tickets as can be placed now, in ticket order.

    Each offer adds to the chosen agent's load in `agents` (so a plan never overfills anyone)
    and stamps their last_offer_at (so longest idle and round robin rotate within one plan).
    """
    result = Plan()
    pools = _Pools(agents, rules, queue)
    by_id = {a.id: a for a in agents}
    free = {kind: sum(has_room(a, kind) for a in agents) for kind in KINDS}
    may_reply = not queue.is_open and queue.has_after_hours_reply
    for ticket in order(tickets, queue, now):
        if not free.get(ticket.kind) and not (may_reply and not ticket.after_hours_replied):
            continue  # nobody in the snapshot has room for this kind: no need to look
        offer, hold = _place(ticket, queue, rules, pools, by_id, now)
        if offer is not None:
            agent = by_id[offer.agent_id]
            before = {kind: has_room(agent, kind) for kind in KINDS}
            agent.load[ticket.kind] = agent.load.get(ticket.kind, 0) + 1
            # Strictly later for each offer of the plan, so ties rotate instead of falling
            # back to the agent id.
            agent.last_offer_at = now + timedelta(microseconds=len(result.offers) + 1)
            pools.moved(agent)
            for kind in KINDS:
                free[kind] -= before[kind] and not has_room(agent, kind)
            result.offers.append(offer)
        elif hold:
            result.held.append(ticket.id)
        elif not queue.is_open and queue.has_after_hours_reply and not ticket.after_hours_replied:
            result.after_hours.append(ticket.id)
    return result


def _place(
    ticket: Ticket,
    queue: QueueRules,
    rules: dict[UUID, QueueRules],
    pools: _Pools,
    by_id: dict[UUID, Agent],
    now: datetime,
) -> tuple[Offer | None, bool]:
    """(offer, held): an offer for the ticket, or whether it waits for its last agent."""
    waited = (now - ticket.queued_at).total_seconds()
    chain = tiers(ticket, queue, rules)
    last = by_id.get(ticket.last_agent) if ticket.last_agent else None
    if last is not None:
        reached = [t for t in chain if t.after_s <= waited]
        tier = next((t for t in reached if _qualifies(last, ticket, t, queue, now)), None)
        if tier is not None:
            if has_room(last, ticket.kind):
                return _offer(ticket, last, queue, tier, sticky=True), False
            if waited < queue.sticky_s:
                return None, True
    open_next = False
    for tier in chain:
        if tier.after_s > waited and not open_next:
            break
        staffed = False
        for _, agent in pools.ordered(tier.queue_id, ticket.kind):
            if _qualifies(agent, ticket, tier, queue, now):
                staffed = True
                if has_room(agent, ticket.kind):
                    return _offer(ticket, agent, queue, tier, sticky=False), False
        open_next = not staffed
    return None, False


def _qualifies(agent: Agent, ticket: Ticket, tier: Tier, queue: QueueRules, now: datetime) -> bool:
    return qualifies(agent, ticket, tier, now, queue.shift_end_drain_s)


def _offer(ticket: Ticket, agent: Agent, queue: QueueRules, tier: Tier, *, sticky: bool) -> Offer:
    return Offer(ticket.id, agent.id, queue.id, queue.offer_timeout_s, queue.shift_end_drain_s,
                 tier.index, sticky)  # fmt: skip
