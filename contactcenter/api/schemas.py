"""Request and response shapes of REST v1. The OpenAPI document is generated from these."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contactcenter import constants
from contactcenter.models import Priority, Role, TicketStatus

T = TypeVar("T")

Name = Annotated[str, Field(min_length=1, max_length=200)]
_TIMEZONES = available_timezones()


class In(BaseModel):
    """Request bodies: unknown fields are refused, so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageQuery(In):
    model_config = ConfigDict(extra="ignore")
    cursor: str | None = None
    limit: int = Field(default=constants.DEFAULT_PAGE, ge=1, le=constants.MAX_PAGE)


class BrandIn(In):
    name: Name


class BrandOut(Out):
    id: UUID
    name: str
    created_at: datetime


class TeamIn(In):
    name: Name


class TeamOut(Out):
    id: UUID
    name: str
    created_at: datetime


class ChannelAccountIn(In):
    brand_id: UUID
    channel: str
    name: Name
    queue_id: UUID
    credentials: dict[str, Annotated[str, Field(max_length=4096)]] = Field(
        description="the platform's secrets; write-only, never returned"
    )


class ChannelAccountOut(Out):
    id: UUID
    brand_id: UUID
    channel: str
    name: str
    queue_id: UUID
    webhook_url: str
    credentials_set: list[str] = Field(description="names of the credentials stored (not values)")
    created_at: datetime


class AccountListQuery(PageQuery):
    brand_id: UUID | None = None


class UserIn(In):
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)]
    name: str = Field(default="", max_length=200)
    role: Role
    timezone: str = "UTC"
    language: Literal["en", "de"] = "en"
    team_id: UUID | None = None
    supervisor_id: UUID | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_timezone(value)


SkillLevel = Annotated[int, Field(ge=1, le=10)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1, e.g. de")]
Kind = Literal["voice", "chat", "social", "email"]


class UserPatch(In):
    name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    timezone: str | None = None
    language: Literal["en", "de"] | None = None
    team_id: UUID | None = None
    supervisor_id: UUID | None = None
    skills: dict[Annotated[str, Field(min_length=1, max_length=64)], SkillLevel] | None = None
    languages: list[LanguageCode] | None = Field(default=None, max_length=20)
    capacity: dict[Kind, Annotated[int, Field(ge=0, le=100)]] | None = Field(
        default=None, description="tickets per channel kind at once, e.g. {chat: 4, voice: 1}"
    )
    voice_exclusive: bool | None = None
    queue_ids: list[UUID] | None = Field(default=None, max_length=200, description="queues served")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class UserOut(Out):
    id: UUID
    email: str
    name: str
    role: Role
    timezone: str
    language: str
    team_id: UUID | None
    supervisor_id: UUID | None
    created_at: datetime
    skills: dict[str, int]
    languages: list[str]
    capacity: dict[str, int]
    voice_exclusive: bool
    queue_ids: list[UUID]


class UserCreated(UserOut):
    token: str = Field(description="API token; shown once, store it now")


class ContactOut(Out):
    id: UUID
    name: str


class TicketOut(Out):
    id: int
    status: TicketStatus
    priority: Priority
    channel: str
    channel_account_id: UUID
    brand_id: UUID
    queue_id: UUID
    assignee_id: UUID | None
    contact: ContactOut
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    last_inbound_at: datetime | None = Field(
        default=None, description="the customer's latest message: reply windows count from it"
    )
    platform_conversation_id: str | None = Field(
        default=None, description="the conversation on the platform (`post:…` etc.: public)"
    )
    sla: dict[str, SlaClockOut] = Field(
        default={}, description="per target: due_at and state (ok, warning, breached, met, paused)"
    )


class SlaClockOut(Out):
    due_at: datetime | None
    state: Literal["ok", "warning", "breached", "met", "paused", "stopped"]
    started_at: datetime


class TemplateLanguage(In):
    code: str = Field(min_length=2, max_length=15, examples=["de"])


class TemplateIn(In):
    """An approved WhatsApp message template (Meta's `template` object)."""

    name: str = Field(min_length=1, max_length=512)
    language: TemplateLanguage
    components: list[dict[str, Any]] = Field(default=[], max_length=20)


class PostIn(In):
    text: str = Field(min_length=1, max_length=4096, description="WhatsApp's limit: 4096")
    template: TemplateIn | None = Field(
        default=None, description="WhatsApp outside the 24-hour window: an approved template"
    )


_STATUSES = {s.value for s in TicketStatus}


class TicketListQuery(PageQuery):
    status: str | None = Field(default=None, description="one status or several, comma-separated")
    sla: Literal["at_risk", "breached"] | None = Field(
        default=None, description="at_risk: a running target past a warning; breached: any"
    )
    queue_id: UUID | None = None
    assignee_id: UUID | None = None
    channel: str | None = None
    brand_id: UUID | None = None

    @field_validator("status")
    @classmethod
    def _statuses(cls, value: str | None) -> str | None:
        if value is not None:
            unknown = set(value.split(",")) - _STATUSES
            if unknown:
                raise ValueError(f"unknown status {sorted(unknown)}; use {sorted(_STATUSES)}")
        return value


Tag = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]


class TicketPatch(In):
    status: TicketStatus | None = None
    priority: Priority | None = None
    queue_id: UUID | None = None
    assignee_id: UUID | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)


class AttachmentOut(Out):
    kind: str
    url: str | None = Field(description="download URL once the media is fetched; null until then")
    mime_type: str | None
    name: str | None


class SenderOut(Out):
    kind: Literal["contact", "agent", "system"]
    id: UUID | None
    name: str | None


class MessageOut(Out):
    id: int
    ticket_id: int
    direction: Literal["inbound", "outbound", "note"]
    kind: str
    text: str | None
    attachments: list[AttachmentOut]
    sender: SenderOut
    platform_message_id: str | None
    reply_to_platform_id: str | None
    sent_at: datetime
    received_at: datetime
    delivery_status: str | None
    delivery_error: str | None


class WebhookAck(Out):
    stored: int
    duplicates: int
    statuses: int
    ignored: int


class Health(Out):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = {}


_TZ_ALIAS = re.compile(r"^(UTC|Etc/UTC|GMT)$")


def check_timezone(value: str) -> str:
    if value in _TIMEZONES or _TZ_ALIAS.match(value):
        return value
    raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin")
