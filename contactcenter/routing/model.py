"""The snapshots routing decisions are made from. Plain frozen data; loaded by store/routing.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
KINDS = ("voice", "chat", "social", "email")


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """After `after_s` seconds of waiting: also offer to `queue_id`'s agents, or drop skills."""

    after_s: int
    queue_id: UUID | None = None
    drop_skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QueueRules:
    id: UUID
    required_skills: dict[str, int]
    strategy: str  # longest_idle | least_occupied | round_robin
    offer_timeout_s: int
    overflow: tuple[OverflowStep, ...] = ()
    language_required: bool = True
    escalate_after_s: int = 600
    sticky_s: int = 60
    shift_end_drain_s: int = 600
    is_open: bool = True  # within its hours right now (after-hours replies when closed)
    has_after_hours_reply: bool = False


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    queue_id: UUID
    kind: str  # voice | chat | social | email
    priority: str
    created_at: datetime  # its age: never reset by declines, timeouts or transfers
    queued_at: datetime  # when it entered its current queue: overflow waits count from here
    sla_due_at: datetime | None = None
    language: str | None = None
    last_agent: UUID | None = None  # the customer's last agent, for sticky routing
    excluded: frozenset[UUID] = frozenset()  # declined it, or let an offer of it expire
    after_hours_replied: bool = False


@dataclass(slots=True)
class Agent:
    """An agent who may take work now (available, on shift). `load` changes as a plan fills."""

    id: UUID
    queues: frozenset[UUID]
    skills: dict[str, int]
    languages: frozenset[str]
    capacity: dict[str, int]
    load: dict[str, int] = field(default_factory=dict)
    voice_exclusive: bool = True
    shift_ends_at: datetime | None = None
    last_offer_at: datetime | None = None
    last_assigned_at: datetime | None = None
    available_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A decision: offer `ticket_id` to `agent_id`, found at overflow tier `tier` (0 = home)."""

    ticket_id: int
    agent_id: UUID
    queue_id: UUID
    timeout_s: int
    drain_s: int
    tier: int = 0
    sticky: bool = False
