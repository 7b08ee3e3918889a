"""The signed API channel: any other system (a shop, a form, a CRM) posts its customers'
messages, and gets our replies back on its callback URL.

Request: POST /webhooks/api/{account_id}, JSON
    {"messages": [{"id", "conversation_id", "sender": {"id", "name"}, "text", "sent_at",
                   "attachments": [{"url", "mime_type", "name"}], "reply_to", "language"}],
     "statuses": [{"id", "status": "delivered" | "read" | "failed", "error"}]}
Signature: X-CC-Timestamp (unix seconds) and X-CC-Signature = "sha256=" + hex HMAC-SHA256(
hmac_secret, timestamp + "." + raw body); a timestamp more than 5 minutes off is refused, so a
captured request cannot be replayed later. Replies are POSTed to the account's callback_url,
signed the same way (see contactcenter/outbound/senders.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    StatusUpdate,
    bad_signature,
    clean_text,
    constant_time_equal,
    malformed,
    not_allowed,
    primary_language,
    without_nul,
)
from contactcenter.models import ChannelAccount

REPLAY_WINDOW_S = 300
Id = Annotated[str, Field(min_length=1, max_length=512)]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.digest(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hex()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sender(_Model):
    id: Id
    name: str = Field(default="", max_length=200)
    # an address your system has verified (a confirmed sign-up): merges contacts across channels
    verified_email: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )


class AttachmentIn(_Model):
    url: str = Field(min_length=1, max_length=4096)
    mime_type: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, max_length=255)


class MessageIn(_Model):
    id: Id
    conversation_id: Id
    sender: Sender
    text: str | None = Field(default=None, max_length=65_536)
    sent_at: datetime | None = None
    attachments: list[AttachmentIn] = Field(default=[], max_length=20)
    reply_to: Id | None = None
    language: str | None = Field(default=None, max_length=35)


class StatusIn(_Model):
    id: Id
    status: Literal["delivered", "read", "failed"]
    error: str | None = Field(default=None, max_length=1000)


class Body(_Model):
    messages: list[MessageIn] = Field(default=[], max_length=500)
    statuses: list[StatusIn] = Field(default=[], max_length=1000)


class Api:
    name = "api"
    required_credentials: tuple[str, ...] = ("hmac_secret", "callback_url")

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed("POST signed JSON to this URL (see README).")

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        stamp, given = headers.get("X-CC-Timestamp"), headers.get("X-CC-Signature")
        if not stamp or not given:
            raise bad_signature(
                "Send X-CC-Timestamp (unix seconds) and X-CC-Signature (sha256= + hex "
                "HMAC-SHA256 of timestamp + '.' + body with the account's hmac_secret)."
            )
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > REPLAY_WINDOW_S:
            raise bad_signature(
                "X-CC-Timestamp is more than 5 minutes from our clock; sign each request "
                "when you send it (and check your clock)."
            )
        expected = sign(str(account.credentials.get("hmac_secret", "")), stamp, body)
        if not constant_time_equal(given.strip().lower(), expected):
            raise bad_signature("X-CC-Signature does not match; check the hmac_secret.")

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            data = Body.model_validate_json(without_nul(body))
        except (ValidationError, ValueError) as exc:
            raise malformed(self.name, exc) from exc
        batch = InboundBatch()
        now = datetime.now(UTC)
        for m in data.messages:
            batch.messages.append(InboundMessage(
                platform_message_id=m.id, conversation_id=m.conversation_id, sender_id=m.sender.id,
                sender_name=m.sender.name, sent_at=(m.sent_at or now).astimezone(UTC),
                kind="text" if not m.attachments else "media", text=clean_text(m.text),
                attachments=tuple(Attachment("file", a.url, a.mime_type, a.name)
                                  for a in m.attachments),
                reply_to=m.reply_to, language=primary_language(m.language),
                verified_email=m.sender.verified_email.lower() if m.sender.verified_email else None,
            ))  # fmt: skip
        for s in data.statuses:
            batch.statuses.append(StatusUpdate(s.id, s.status, now, s.error))
        return batch
