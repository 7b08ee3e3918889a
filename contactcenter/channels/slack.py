"""Slack Events API (CHANNELS.md §12): a brand's Slack app, for customers (or colleagues) who
write to it in a DM or mention it in a shared channel.

Handshake: a signed POST `url_verification`, answered with its challenge. Signature:
X-Slack-Signature = "v0=" + hex HMAC-SHA256(signing_secret, "v0:" + timestamp + ":" + body),
refused more than 5 minutes off our clock. One event per POST; a message is stored by
(channel, ts), so Slack's retries (X-Slack-Retry-Num) are duplicates. Bots, our own app's
messages and edits/deletions (subtypes) are skipped. A DM is one conversation; in a channel the
thread is (`channel:thread_ts`), and the reply goes into that thread.
"""

from __future__ import annotations

import hashlib
import hmac
import time
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

MAX_SKEW_S = 300
USER_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
Id = Annotated[str, Field(min_length=1, max_length=255)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class File(_Model):
    id: Id
    name: str | None = None
    mimetype: str | None = None
    size: int | None = None
    url_private: str | None = None


class Event(_Model):
    type: str
    channel: str | None = None
    channel_type: str | None = None
    user: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    files: list[File] = []


class Authorization(_Model):
    user_id: str | None = None


class Envelope(_Model):
    type: str
    challenge: str | None = None
    team_id: str | None = None
    event_id: str | None = None
    event: Event | None = None
    authorizations: list[Authorization] = []


class Slack:
    name = "slack"
    required_credentials: tuple[str, ...] = ("signing_secret", "bot_token")

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed(
            "Slack verifies with a signed POST: paste this URL as the Request URL under Event "
            "Subscriptions in your Slack app's settings.",
        )

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        stamp, given = headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
        if not stamp or not given:
            raise bad_signature("Missing X-Slack-Request-Timestamp or X-Slack-Signature; Slack "
                                "signs every request.")  # fmt: skip
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_SKEW_S:
            raise bad_signature("X-Slack-Request-Timestamp is more than 5 minutes off (a replay?).")
        if not constant_time_equal(given, signature(str(account.credentials.get(
                "signing_secret", "")), stamp, body)):  # fmt: skip
            raise bad_signature(
                "X-Slack-Signature does not match the body. Check the account's signing_secret "
                "(Slack app → Basic Information → Signing Secret)."
            )

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            hook = Envelope.model_validate_json(without_nul(body))
            batch = InboundBatch()
            if hook.type == "url_verification":
                batch.answer = ("text/plain", hook.challenge or "")
            elif hook.type != "event_callback" or hook.event is None:
                batch.ignored.append(f"type:{hook.type}")
            elif (team := account.credentials.get("team_id")) and hook.team_id != team:
                batch.ignored.append("other_team")
            else:
                _event(hook, hook.event, batch)
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch


def signature(secret: str, stamp: str, body: bytes) -> str:
    base = b"v0:" + stamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _event(hook: Envelope, event: Event, batch: InboundBatch) -> None:
    if event.type != "message" or event.subtype not in USER_SUBTYPES:
        batch.ignored.append(f"event:{event.type}:{event.subtype or ''}")
        return
    ours = {a.user_id for a in hook.authorizations if a.user_id}
    if event.bot_id or event.user in ours:
        batch.echoes += 1  # a bot, or our own reply
        return
    if not (event.channel and event.user and event.ts):
        raise ValueError("a message event without channel, user or ts")
    direct = event.channel_type == "im"
    conversation = event.channel if direct else f"{event.channel}:{event.thread_ts or event.ts}"
    batch.messages.append(InboundMessage(
        platform_message_id=f"{event.channel}:{event.ts}", conversation_id=conversation,
        sender_id=event.user, sender_name="", sent_at=from_unix(event.ts),
        kind="media" if event.files else "text", text=clean_text(event.text),
        attachments=tuple(Attachment(_kind(f.mimetype), f.url_private, f.mimetype, f.name, f.size)
                          for f in event.files if f.url_private),
        reply_to=event.thread_ts if event.thread_ts != event.ts else None,
    ))  # fmt: skip


def _kind(mime: str | None) -> str:
    family = (mime or "").split("/")[0]
    return family if family in ("image", "video", "audio") else "document"
