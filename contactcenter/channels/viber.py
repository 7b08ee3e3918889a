"""Viber REST Bot API (CHANNELS.md §13).

Setup: set_webhook makes Viber POST {"event": "webhook"} at once, answered 200. Signature:
X-Viber-Content-Signature = lowercase hex HMAC-SHA256(bot auth token, raw body). One event per
request: message (dedup by message_token), delivered / seen / failed of our sends, and
subscription events (not stored). Times are unix milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    StatusUpdate,
    bad_signature,
    clean_text,
    constant_time_equal,
    from_unix,
    malformed,
    not_allowed,
    primary_language,
    without_nul,
)
from contactcenter.models import ChannelAccount

STATUS = {"delivered": "delivered", "seen": "read", "failed": "failed"}
MEDIA = frozenset({"picture", "video", "file"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Sender(_Model):
    id: str = Field(min_length=1, max_length=512)
    name: str = ""
    language: str | None = None


class Location(_Model):
    lat: float
    lon: float


class MessageIn(_Model):
    type: str = Field(max_length=64)
    text: str | None = None
    media: str | None = Field(default=None, max_length=4096)
    file_name: str | None = None
    size: int | None = None
    location: Location | None = None


class Event(_Model):
    event: str
    timestamp: int
    message_token: int | str | None = None
    sender: Sender | None = None
    message: MessageIn | None = None
    desc: str | None = None


class Viber:
    name = "viber"
    required_credentials: tuple[str, ...] = ("auth_token",)

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed(
            "Viber has no GET handshake: register this URL with set_webhook; Viber then POSTs "
            "a signed webhook-check event.",
        )

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        given = headers.get("X-Viber-Content-Signature")
        if not given:
            raise bad_signature("Missing X-Viber-Content-Signature; Viber signs every callback.")
        secret = str(account.credentials.get("auth_token", "")).encode()
        expected = hmac.digest(secret, body, hashlib.sha256).hex()
        if not constant_time_equal(given.strip().lower(), expected):
            raise bad_signature(
                "X-Viber-Content-Signature does not match the body. Check the account's "
                "auth_token (the bot's token from the Viber admin panel)."
            )

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            event = Event.model_validate_json(without_nul(body))
            batch = InboundBatch()
            _event(event, batch)
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch


def _event(event: Event, batch: InboundBatch) -> None:
    at = from_unix(event.timestamp / 1000)
    token = str(event.message_token) if event.message_token is not None else None
    if event.event in STATUS and token:
        batch.statuses.append(StatusUpdate(token, STATUS[event.event], at, event.desc))
        return
    if event.event != "message" or event.message is None or event.sender is None or not token:
        batch.ignored.append(f"event:{event.event}")
        return
    msg, sender = event.message, event.sender
    attachments = (Attachment(msg.type, msg.media, None, msg.file_name, msg.size),) \
        if msg.type in MEDIA and msg.media else ()  # fmt: skip
    text = msg.text
    if msg.location is not None:
        text = f"📍 ({msg.location.lat}, {msg.location.lon})"
    batch.messages.append(InboundMessage(
        platform_message_id=token, conversation_id=sender.id, sender_id=sender.id,
        sender_name=sender.name, sent_at=at, kind=msg.type, text=clean_text(text),
        attachments=attachments, language=primary_language(sender.language),
    ))  # fmt: skip
