"""LINE Messaging API (CHANNELS.md §14).

No handshake (the console's Verify sends {"events": []}, answered 200). Signature:
x-line-signature = base64(HMAC-SHA256(channel secret, raw body)). Several events per POST;
messages are stored by `message.id`; media is fetched later through the content API by that id.
`mode: standby` means another channel owns the chat: skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    bad_signature,
    clean_text,
    constant_time_equal,
    from_unix,
    malformed,
    not_allowed,
    without_nul,
)
from contactcenter.models import ChannelAccount

MEDIA = frozenset({"image", "video", "audio", "file"})
Id = Annotated[str, Field(min_length=1, max_length=512)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Source(_Model):
    type: str
    userId: str | None = None
    groupId: str | None = None
    roomId: str | None = None


class MessageIn(_Model):
    id: Id
    type: str = Field(max_length=64)
    text: str | None = None
    fileName: str | None = None
    fileSize: int | None = None
    quotedMessageId: str | None = None
    title: str | None = None  # location
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Event(_Model):
    type: str
    mode: str = "active"
    timestamp: int
    source: Source | None = None
    message: MessageIn | None = None
    webhookEventId: str | None = None


class Webhook(_Model):
    destination: str | None = None
    events: list[Event]


class Line:
    name = "line"
    required_credentials: tuple[str, ...] = ("channel_secret", "channel_access_token")

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed(
            "LINE has no GET handshake: set this URL as the Webhook URL in the LINE Developers "
            "console and press Verify (a signed POST).",
        )

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        given = headers.get("x-line-signature")
        if not given:
            raise bad_signature("Missing x-line-signature header; LINE signs every webhook.")
        secret = str(account.credentials.get("channel_secret", "")).encode()
        expected = base64.b64encode(hmac.digest(secret, body, hashlib.sha256)).decode()
        if not constant_time_equal(given.strip(), expected):
            raise bad_signature(
                "x-line-signature does not match the body. Check the account's channel_secret "
                "(LINE Developers console → Basic settings)."
            )

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            hook = Webhook.model_validate_json(without_nul(body))
            batch = InboundBatch()
            for event in hook.events:
                _event(event, batch)
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch


def _event(event: Event, batch: InboundBatch) -> None:
    if event.mode == "standby":
        batch.ignored.append("standby")
        return
    if event.type != "message" or event.message is None or event.source is None:
        batch.ignored.append(f"event:{event.type}")
        return
    src, msg = event.source, event.message
    conversation = src.groupId or src.roomId or src.userId
    if conversation is None:
        batch.ignored.append("message_without_source")
        return
    attachments = (Attachment(msg.type, msg.id, None, msg.fileName, msg.fileSize),) \
        if msg.type in MEDIA else ()  # fmt: skip
    batch.messages.append(InboundMessage(
        platform_message_id=msg.id, conversation_id=conversation,
        sender_id=src.userId or conversation, sender_name="",
        sent_at=from_unix(event.timestamp / 1000),
        kind=msg.type, text=clean_text(msg.text or _readable(msg)), attachments=attachments,
        reply_to=msg.quotedMessageId,
    ))  # fmt: skip


def _readable(msg: MessageIn) -> str | None:
    if msg.type == "location":
        label = " ".join(x for x in (msg.title, msg.address) if x)
        return f"📍 {label} ({msg.latitude}, {msg.longitude})".replace("  ", " ")
    if msg.type == "sticker":
        return "[sticker]"
    return None
