"""WhatsApp Business Cloud API receiver (CHANNELS.md §1).

Handshake: GET with hub.mode/hub.verify_token/hub.challenge. Signature: X-Hub-Signature-256 =
"sha256=" + hex HMAC-SHA256(app_secret, raw body). Batches: entry[] x changes[] x messages[] and
statuses[]; every level is walked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactcenter.channels import meta
from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    StatusUpdate,
    clean_text,
    from_unix,
    malformed,
    without_nul,
)
from contactcenter.models import ChannelAccount

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
STATUSES = frozenset({"sent", "delivered", "read", "failed"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Profile(_Model):
    name: str = ""


class Contact(_Model):
    profile: Profile | None = None
    wa_id: str | None = Field(default=None, max_length=512)
    user_id: str | None = Field(default=None, max_length=512)


class Metadata(_Model):
    display_phone_number: str | None = None
    phone_number_id: str | None = None


class Media(_Model):
    id: str
    mime_type: str | None = None
    caption: str | None = None
    filename: str | None = None


class Text(_Model):
    body: str


class Context(_Model):
    id: str | None = None


Id = Annotated[str, Field(min_length=1, max_length=512)]


class Message(_Model):
    id: Id
    timestamp: str | int
    type: str = Field(max_length=64)
    from_: Id | None = Field(default=None, alias="from")
    from_user_id: Id | None = None
    text: Text | None = None
    image: Media | None = None
    video: Media | None = None
    audio: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    context: Context | None = None
    button: dict[str, Any] | None = None
    interactive: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    reaction: dict[str, Any] | None = None


class ErrorDetail(_Model):
    code: int | None = None
    title: str | None = None
    message: str | None = None


class Status(_Model):
    id: str = Field(min_length=1, max_length=512)
    status: str
    timestamp: str | int
    errors: list[ErrorDetail] = []


class Value(_Model):
    """Every change's value is read with this one model (one validation pass per webhook);
    fields that only `messages` changes carry stay empty for the others."""

    metadata: Metadata | None = None
    contacts: list[Contact] = []
    messages: list[Message] = []
    statuses: list[Status] = []
    message_echoes: list[dict[str, Any]] = []


class Change(_Model):
    field: str
    value: Value = Value()


class Entry(_Model):
    id: str | None = None
    changes: list[Change] = []


class Webhook(_Model):
    object: str
    entry: list[Entry]


class WhatsApp:
    name = "whatsapp"
    required_credentials: tuple[str, ...] = (
        "app_secret",
        "verify_token",
        "access_token",
        "phone_number_id",
    )

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        return meta.handshake(account, query)

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        meta.verify(account, headers, body)

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            hook = Webhook.model_validate_json(without_nul(body))
            batch = InboundBatch()
            own_number = account.credentials.get("phone_number_id")
            for entry in hook.entry:
                for change in entry.changes:
                    _walk_change(change, own_number, batch)
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch


def _walk_change(change: Change, own_number: str | None, batch: InboundBatch) -> None:
    value = change.value
    if change.field == "smb_message_echoes":
        batch.echoes += len(value.message_echoes) or 1
        return
    if change.field != "messages":
        batch.ignored.append(f"field:{change.field}")
        return
    metadata = value.metadata or Metadata()
    if own_number and metadata.phone_number_id and metadata.phone_number_id != own_number:
        batch.ignored.append("other_phone_number")
        return
    names = {
        key: (c.profile.name if c.profile else "")
        for c in value.contacts
        for key in (c.wa_id, c.user_id)
        if key
    }
    for msg in value.messages:
        sender = msg.from_ or msg.from_user_id
        if not sender:
            batch.ignored.append("message_without_sender")
        elif sender == metadata.display_phone_number:
            batch.echoes += 1
        else:
            batch.messages.append(_message(msg, sender, names.get(sender, "")))
    for status in value.statuses:
        if status.status not in STATUSES:
            batch.ignored.append(f"status:{status.status}")
            continue
        error = status.errors[0] if status.errors else None
        batch.statuses.append(
            StatusUpdate(
                platform_message_id=status.id,
                status=status.status,
                at=from_unix(status.timestamp),
                error=f"{error.code}: {error.title or error.message}" if error else None,
            )
        )


def _message(msg: Message, sender: str, name: str) -> InboundMessage:
    text = msg.text.body if msg.text else None
    attachments: list[Attachment] = []
    for kind in MEDIA_TYPES:
        media: Media | None = getattr(msg, kind)
        if media is not None:
            attachments.append(Attachment(kind, media.id, media.mime_type, media.filename))
            text = text or media.caption
    text = text or _structured_text(msg)
    return InboundMessage(
        platform_message_id=msg.id,
        conversation_id=sender,
        sender_id=sender,
        sender_name=name,
        sent_at=from_unix(msg.timestamp),
        kind=msg.type,
        text=clean_text(text),
        attachments=tuple(attachments),
        reply_to=(msg.context.id if msg.context else None)
        or (str(msg.reaction.get("message_id")) if msg.reaction else None),
    )


def _structured_text(msg: Message) -> str | None:
    """Readable text for button, list, location and reaction messages."""
    if msg.button:
        return str(msg.button.get("text") or msg.button.get("payload") or "")
    if msg.interactive:
        reply = msg.interactive.get("button_reply") or msg.interactive.get("list_reply") or {}
        return str(reply.get("title") or msg.interactive.get("type") or "")
    if msg.location:
        loc = msg.location
        label = " ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
        return f"📍 {label} ({loc.get('latitude')}, {loc.get('longitude')})".replace("  ", " ")
    if msg.reaction:
        return str(msg.reaction.get("emoji") or "")
    return None
