"""X (Twitter) Account Activity API: direct messages and mentions (CHANNELS.md §5).

CRC: GET ?crc_token=… answered with {"response_token": "sha256=" + base64(HMAC-SHA256(consumer
secret, crc_token))} (JSON). POSTs carry x-twitter-webhooks-signature, the same HMAC over the
raw body. Our own DMs and posts come back in the stream (sender = for_user_id) and are dropped.
A DM's conversation is the other person's id (replies go to dm_conversations/with/{id}); a
mention's is "mention:<their id>" (replies are public posts answering their latest post).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

import orjson
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
    without_nul,
)
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

Id = Annotated[str, Field(min_length=1, max_length=64)]


def crc_response(consumer_secret: str, value: str) -> str:
    digest = hmac.digest(consumer_secret.encode(), value.encode(), hashlib.sha256)
    return "sha256=" + base64.b64encode(digest).decode()


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Media(_Model):
    type: str = "photo"
    media_url_https: str | None = None


class MessageData(_Model):
    text: str = ""
    attachment: dict[str, Any] | None = None


class MessageCreate(_Model):
    sender_id: Id
    target: dict[str, Any] = {}
    message_data: MessageData = MessageData()


class DmEvent(_Model):
    type: str
    id: Id
    created_timestamp: str | int
    message_create: MessageCreate | None = None


class User(_Model):
    id_str: Id | None = None
    id: Id | int | None = None
    name: str = ""
    screen_name: str | None = None


class Tweet(_Model):
    id_str: Id
    text: str | None = None
    full_text: str | None = None
    extended_tweet: dict[str, Any] | None = None
    user: User
    in_reply_to_status_id_str: str | None = None
    created_at: str | None = None
    timestamp_ms: str | None = None
    extended_entities: dict[str, Any] | None = None
    retweeted_status: dict[str, Any] | None = None


class Hook(_Model):
    for_user_id: Id
    direct_message_events: list[DmEvent] = []
    tweet_create_events: list[Tweet] = []
    users: dict[str, User] = {}


class X:
    name = "x"
    # consumer_secret: the app's API secret (CRC and signatures); user_id: the brand's account;
    # access_token: an OAuth 2.0 user token with dm.write and tweet.write (replies)
    required_credentials: tuple[str, ...] = ("consumer_secret", "user_id", "access_token")
    handshake_content_type = "application/json"

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        token = query.get("crc_token")
        if not token:
            raise ApiError(ErrorCode.BAD_REQUEST,
                           "This URL answers X's CRC check: expected ?crc_token=…")  # fmt: skip
        secret = str(account.credentials.get("consumer_secret", ""))
        return orjson.dumps({"response_token": crc_response(secret, token)}).decode()

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        given = headers.get("x-twitter-webhooks-signature")
        if not given:
            raise bad_signature("Missing x-twitter-webhooks-signature; X signs every event.")
        secret = str(account.credentials.get("consumer_secret", ""))
        digest = hmac.digest(secret.encode(), body, hashlib.sha256)
        if not constant_time_equal(given.strip(), "sha256=" + base64.b64encode(digest).decode()):
            raise bad_signature(
                "x-twitter-webhooks-signature does not match; check the consumer_secret."
            )

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            hook = Hook.model_validate_json(without_nul(body))
            batch = InboundBatch()
            if hook.for_user_id != str(account.credentials.get("user_id", hook.for_user_id)):
                batch.ignored.append("other_account")
                return batch
            for event in hook.direct_message_events:
                _dm(event, hook, batch)
            for tweet in hook.tweet_create_events:
                _mention(tweet, hook, batch)
            known = ("for_user_id", "direct_message_events", "tweet_create_events", "users")
            batch.ignored += [f"event:{k}" for k in orjson.loads(body) if k not in known]
        except (ValidationError, ValueError, OverflowError) as exc:
            raise malformed(self.name, exc) from exc
        return batch


def _dm(event: DmEvent, hook: Hook, batch: InboundBatch) -> None:
    mc = event.message_create
    if event.type != "message_create" or mc is None:
        batch.ignored.append(f"dm:{event.type}")
        return
    if mc.sender_id == hook.for_user_id:
        batch.echoes += 1
        return
    user = hook.users.get(mc.sender_id, User())
    media = (mc.message_data.attachment or {}).get("media") or {}
    attachments = (Attachment(str(media.get("type", "photo")), str(media["media_url_https"])),) \
        if media.get("media_url_https") else ()  # fmt: skip
    batch.messages.append(InboundMessage(
        platform_message_id=event.id, conversation_id=mc.sender_id, sender_id=mc.sender_id,
        sender_name=user.name, sender_username=user.screen_name,
        sent_at=from_unix(int(event.created_timestamp) / 1000), kind="dm",
        text=clean_text(mc.message_data.text), attachments=attachments,
    ))  # fmt: skip


def _mention(tweet: Tweet, hook: Hook, batch: InboundBatch) -> None:
    author = tweet.user.id_str or (str(tweet.user.id) if tweet.user.id is not None else "")
    if not author:
        batch.ignored.append("tweet_without_author")
        return
    if author == hook.for_user_id:
        batch.echoes += 1
        return
    if tweet.retweeted_status is not None:  # someone else's retweet of a post: not addressed to us
        batch.ignored.append("retweet")
        return
    text = (tweet.extended_tweet or {}).get("full_text") or tweet.full_text or tweet.text
    media = (tweet.extended_entities or {}).get("media") or []
    batch.messages.append(InboundMessage(
        platform_message_id=tweet.id_str, conversation_id=f"mention:{author}", sender_id=author,
        sender_name=tweet.user.name, sender_username=tweet.user.screen_name,
        sent_at=_tweet_time(tweet), kind="mention", text=clean_text(text),
        attachments=tuple(Attachment(str(m.get("type", "photo")), str(m["media_url_https"]))
                          for m in media if m.get("media_url_https")),
        reply_to=tweet.in_reply_to_status_id_str,
    ))  # fmt: skip


def _tweet_time(tweet: Tweet) -> datetime:
    if tweet.timestamp_ms:
        return from_unix(int(tweet.timestamp_ms) / 1000)
    if tweet.created_at:
        return parsedate_to_datetime(tweet.created_at)
    raise ValueError("a post without a time")
