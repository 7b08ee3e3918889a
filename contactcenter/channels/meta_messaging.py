"""Facebook Messenger (CHANNELS.md §2) and Instagram direct messages (§3).

Both use Meta's Graph webhooks (hub.* handshake, X-Hub-Signature-256) and the same envelope:
{"object": "page" | "instagram", "entry": [{"id", "time", "messaging": [event, ...]}]}, where an
event is a message (text, attachments, reply_to), an echo of our own send (dropped), a postback
(a button the customer pressed), a delivery or read receipt, or an unsend. Times are unix
milliseconds. Events under `standby[]` belong to another app in a handover and are skipped;
Instagram comments (`changes[]`, field `comments`) are stored as public conversations
("comment:<media id>", answered by a public reply to the latest comment); Facebook Page feed
comments (§4, channel `facebook`) likewise ("post:<post id>").
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

Id = Annotated[str, Field(min_length=1, max_length=512)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Party(_Model):
    id: Id | None = None


class Payload(_Model):
    url: str | None = Field(default=None, max_length=4096)
    title: str | None = None


class AttachmentIn(_Model):
    type: str = Field(max_length=64)
    payload: Payload | None = None


class ReplyTo(_Model):
    mid: str | None = None
    story: dict[str, Any] | None = None


class MessageIn(_Model):
    mid: Id
    text: str | None = None
    attachments: list[AttachmentIn] = []
    reply_to: ReplyTo | None = None
    quick_reply: dict[str, Any] | None = None
    is_echo: bool = False
    is_deleted: bool = False


class Postback(_Model):
    mid: str | None = None
    title: str | None = None
    payload: str | None = None


class Receipt(_Model):
    mids: list[str] = []
    mid: str | None = None
    watermark: int | None = None


class Event(_Model):
    sender: Party = Party()
    recipient: Party = Party()
    timestamp: int | str | None = None
    message: MessageIn | None = None
    postback: Postback | None = None
    delivery: Receipt | None = None
    read: Receipt | None = None


class Entry(_Model):
    id: str | None = None
    time: int | None = None
    messaging: list[Event] = []
    standby: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []


class Webhook(_Model):
    object: str
    entry: list[Entry]


def _time(value: int | str | None, fallback: int | None) -> Any:
    """Messaging events carry unix milliseconds; `entry.time` of feed and comment changes is in
    seconds (both seen in real captures), so the magnitude decides. ISO strings are parsed."""
    raw = value if value is not None else fallback
    if isinstance(raw, str) and not raw.isdigit():
        from datetime import datetime

        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if raw is None:
        raise ValueError("event without a timestamp")
    number = int(raw)
    return from_unix(number / 1000 if number > 100_000_000_000 else number)  # > 1973 in ms


class _MetaMessaging:
    name = ""
    object = ""
    required_credentials: tuple[str, ...] = ()
    own_id_credential = ""

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
            if hook.object != self.object:
                batch.ignored.append(f"object:{hook.object}")
                return batch
            own = account.credentials.get(self.own_id_credential)
            for entry in hook.entry:
                if own and entry.id and entry.id != own:
                    batch.ignored.append("other_account")
                    continue
                batch.ignored += ["standby"] * len(entry.standby)
                for change in entry.changes:
                    self.change(change, entry, own, batch)
                for event in entry.messaging:
                    _event(event, entry, batch)
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch

    def change(self, change: dict[str, Any], entry: Entry, own: str | None,
               batch: InboundBatch) -> None:  # fmt: skip
        batch.ignored.append(f"field:{change.get('field')}")


class CommentValue(_Model):
    id: Id | None = None  # Instagram
    comment_id: Id | None = None  # Facebook
    post_id: str | None = None
    parent_id: str | None = None
    text: str | None = None
    message: str | None = None
    item: str | None = None
    verb: str | None = None
    created_time: int | str | None = None
    from_: dict[str, Any] | None = Field(default=None, alias="from")
    media: dict[str, Any] | None = None


# A Messenger read receipt names no message: "watermark:<customer>" stands for every message we
# sent to that conversation up to the watermark (actions/ingest.py applies it so).
WATERMARK = "watermark:"

# A visitor's own post on the Page (not a comment): its post id is the message and the thread.
VISITOR_POSTS = frozenset({"status", "post", "photo", "video"})


def _comment(change: dict[str, Any], entry: Entry, own: str | None, batch: InboundBatch,
             facebook: bool) -> None:  # fmt: skip
    value = CommentValue.model_validate(change.get("value") or {})
    visitor_post = facebook and value.item in VISITOR_POSTS
    if facebook and ((value.item != "comment" and not visitor_post) or value.verb != "add"):
        batch.ignored.append(f"feed:{value.item}:{value.verb}")
        return
    author = value.from_ or {}
    comment_id = (value.post_id if visitor_post else value.comment_id) if facebook else value.id
    if not comment_id or not author.get("id"):
        batch.ignored.append("comment_without_author")
        return
    if own and str(author["id"]) == own:
        batch.echoes += 1  # our own public reply
        return
    if facebook:
        conversation = f"post:{value.post_id}"
        at = from_unix(value.created_time) if value.created_time else _time(None, entry.time)
    else:
        conversation = f"comment:{(value.media or {}).get('id')}"
        at = _time(None, entry.time)
    parent = value.parent_id if value.parent_id and value.parent_id != value.post_id else None
    batch.messages.append(InboundMessage(
        platform_message_id=comment_id, conversation_id=conversation, sender_id=str(author["id"]),
        sender_name=str(author.get("name") or ""), sender_username=author.get("username"),
        sent_at=at, kind="post" if visitor_post else "comment",
        text=clean_text(value.message or value.text), reply_to=parent,
    ))  # fmt: skip


def _event(event: Event, entry: Entry, batch: InboundBatch) -> None:
    at = _time(event.timestamp, entry.time)
    if event.delivery is not None:
        batch.statuses += [StatusUpdate(mid, "delivered", at) for mid in event.delivery.mids]
        return
    if event.read is not None:
        if event.read.mid:  # Instagram names the message; Messenger only a watermark
            batch.statuses.append(StatusUpdate(event.read.mid, "read", at))
        elif event.read.watermark and event.sender.id:  # read all we sent up to then
            read_up_to = _time(event.read.watermark, None)
            batch.statuses.append(StatusUpdate(f"{WATERMARK}{event.sender.id}", "read", read_up_to))
        else:
            batch.ignored.append("read:without_watermark")
        return
    sender = event.sender.id
    if not sender:
        batch.ignored.append("event_without_sender")
        return
    if event.message is not None:
        msg = event.message
        if msg.is_echo:
            batch.echoes += 1
        elif msg.is_deleted:
            batch.ignored.append("unsend")
        else:
            batch.messages.append(_message(msg, sender, at))
        return
    if event.postback is not None:
        pb = event.postback
        mid = pb.mid or f"postback:{sender}:{int(at.timestamp() * 1000)}"
        batch.messages.append(InboundMessage(
            platform_message_id=mid, conversation_id=sender, sender_id=sender, sender_name="",
            sent_at=at, kind="postback", text=clean_text(pb.title or pb.payload),
        ))  # fmt: skip
        return
    batch.ignored.append("event:unknown")


def _message(msg: MessageIn, sender: str, at: Any) -> InboundMessage:
    attachments = tuple(
        Attachment(a.type, a.payload.url)
        for a in msg.attachments
        if a.payload is not None and a.payload.url
    )
    text = msg.text
    if text is None and msg.attachments and msg.attachments[0].payload:
        text = msg.attachments[0].payload.title  # a shared link's title
    reply_to = msg.reply_to.mid if msg.reply_to and msg.reply_to.mid else None
    if msg.reply_to and msg.reply_to.story:
        reply_to = f"story:{msg.reply_to.story.get('id')}"
    kind = "text" if not attachments else attachments[0].kind
    return InboundMessage(
        platform_message_id=msg.mid, conversation_id=sender, sender_id=sender, sender_name="",
        sent_at=at, kind=kind, text=clean_text(text), attachments=attachments, reply_to=reply_to,
    )  # fmt: skip


class Messenger(_MetaMessaging):
    """Page messages; also the Page's feed comments, since Meta sends a Page's `feed` and
    `messages` fields to one callback URL (a comment is answered in public, see senders.py)."""

    name = "messenger"
    object = "page"
    required_credentials: tuple[str, ...] = (
        "app_secret",
        "verify_token",
        "page_access_token",
        "page_id",
    )
    own_id_credential = "page_id"

    def change(self, change: dict[str, Any], entry: Entry, own: str | None,
               batch: InboundBatch) -> None:  # fmt: skip
        if change.get("field") == "feed":
            _comment(change, entry, own, batch, facebook=True)
        else:
            batch.ignored.append(f"field:{change.get('field')}")


class Instagram(_MetaMessaging):
    name = "instagram"
    object = "instagram"
    required_credentials: tuple[str, ...] = ("app_secret", "verify_token", "access_token", "ig_id")
    own_id_credential = "ig_id"

    def change(self, change: dict[str, Any], entry: Entry, own: str | None,
               batch: InboundBatch) -> None:  # fmt: skip
        if change.get("field") == "comments":
            _comment(change, entry, own, batch, facebook=False)
        else:
            batch.ignored.append(f"field:{change.get('field')}")


class Facebook(_MetaMessaging):
    """Comments on the Page's posts (the `feed` field); Messenger is its own channel."""

    name = "facebook"
    object = "page"
    required_credentials: tuple[str, ...] = (
        "app_secret", "verify_token", "page_access_token", "page_id")  # fmt: skip
    own_id_credential = "page_id"

    def change(self, change: dict[str, Any], entry: Entry, own: str | None,
               batch: InboundBatch) -> None:  # fmt: skip
        if change.get("field") == "feed":
            _comment(change, entry, own, batch, facebook=True)
        else:
            batch.ignored.append(f"field:{change.get('field')}")
