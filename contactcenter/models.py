"""Domain records as the store returns them. API shapes live in `contactcenter/api/schemas.py`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, NewType
from uuid import UUID

from pydantic import BaseModel, ConfigDict

BrandId = NewType("BrandId", UUID)
QueueId = NewType("QueueId", UUID)
AccountId = NewType("AccountId", UUID)
UserId = NewType("UserId", UUID)
TeamId = NewType("TeamId", UUID)
ContactId = NewType("ContactId", UUID)
TicketId = NewType("TicketId", int)
MessageId = NewType("MessageId", int)


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


ROLE_RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


ACTIVE_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class User(Record):
    id: UserId
    email: str
    name: str
    role: Role
    timezone: str
    language: str
    team_id: TeamId | None
    supervisor_id: UserId | None
    created_at: datetime
    skills: dict[str, int] = {}
    languages: list[str] = []
    capacity: dict[str, int] = {}
    voice_exclusive: bool = True
    queue_ids: list[QueueId] = []

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class Brand(Record):
    id: BrandId
    name: str
    created_at: datetime


class Team(Record):
    id: TeamId
    name: str
    created_at: datetime


class Queue(Record):
    id: QueueId
    brand_id: BrandId
    name: str
    team_id: TeamId | None
    required_skills: dict[str, int]
    strategy: str
    offer_timeout_s: int
    max_attempts: int
    overflow: list[dict[str, Any]]
    after_hours_reply: str | None
    hours: dict[str, Any] | None = None
    language_required: bool = True
    escalate_after_s: int = 600
    sticky_s: int = 60
    shift_end_drain_s: int = 600
    shift_end_policy: str = "keep"
    sla_policy_id: UUID | None = None
    sl_threshold_s: int | None = None
    sl_target: float = 0.8
    shrinkage: float = 0.3
    max_occupancy: float = 0.85
    forecast: dict[str, Any] | None = None
    created_at: datetime


class ChannelAccount(Record):
    """A connected page/number/bot. `credentials` never leaves the server."""

    id: AccountId
    brand_id: BrandId
    channel: str
    name: str
    queue_id: QueueId
    credentials: dict[str, Any]
    created_at: datetime
    disabled_at: datetime | None


class ContactRef(Record):
    id: ContactId
    name: str


class Ticket(Record):
    id: TicketId
    brand_id: BrandId
    channel: str
    channel_account_id: AccountId
    queue_id: QueueId
    team_id: TeamId | None
    assignee_id: UserId | None
    contact: ContactRef
    status: TicketStatus
    priority: Priority
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    solved_at: datetime | None
    last_inbound_at: datetime | None = None  # the reply windows (WhatsApp, Messenger) count from it
    platform_conversation_id: str | None = None  # where replies go (public thread or chat)


class Message(Record):
    id: MessageId
    ticket_id: TicketId
    direction: Literal["inbound", "outbound", "note"]
    kind: str
    text: str | None
    attachments: list[dict[str, Any]]
    sender_kind: Literal["contact", "agent", "system"]
    sender_id: UUID | None
    sender_name: str | None
    platform_message_id: str | None
    reply_to_platform_id: str | None
    sent_at: datetime
    received_at: datetime
    delivery_status: str | None
    delivery_error: str | None
