"""Deliver outbound messages: claim, send through the channel, record the outcome.

A message is claimed by one UPDATE (queued → sending), so two workers running the same job
send it once. The platform call happens outside any transaction. Timeouts, 5xx and 429 are
retried with exponential backoff and jitter (the platform's Retry-After wins when it gives one)
up to MAX_ATTEMPTS; anything else is failed with the platform's own error text. WhatsApp's
24-hour window is checked again at send time: it may have closed while the message waited.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import aiohttp
import asyncpg
from arq import ArqRedis

from contactcenter import live, logs
from contactcenter.media.store import MediaStore
from contactcenter.outbound import senders, smtp
from contactcenter.outbound.base import PUBLIC_THREADS, OutFile
from contactcenter.outbound.files import link
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
MAX_ATTEMPTS = 6
MAX_BACKOFF_S = 600.0
WINDOW = timedelta(hours=24)  # WhatsApp, Messenger, Instagram: free replies this long
HUMAN_AGENT_WINDOW = timedelta(days=7)  # Messenger, Instagram: with the HUMAN_AGENT tag
META_MESSAGING = ("messenger", "instagram")

_CLAIM = q("outbound.claim")
_TARGET = q("outbound.target")
_SENT = q("outbound.sent")
_RETRY = q("outbound.retry")
_FAILED = q("outbound.failed")
_DUE = q("outbound.due")
_ABANDONED = q("outbound.abandoned")
_REPLY_THREAD = q("email.reply_thread")
_X_TARGET = q("outbound.x_reply_target")
_FILES = q("media.outgoing")
UPLOADS = ("email", "telegram", "slack", "x")  # they take a file's bytes, not its link


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: int
    outcome: str  # sent, retry, failed, skipped (not due, or another worker has it)
    ticket_id: int | None = None
    brand_id: str | None = None
    status: str | None = None
    next_attempt_at: datetime | None = None
    attempt: int = 0
    error: str | None = None


def backoff_s(attempt: int, base_s: float, retry_after_s: float | None) -> float:
    """Delay before attempt `attempt + 1`: base·2^(attempt-1), jittered to 50-100 %, capped;
    the platform's Retry-After instead when it gave one."""
    if retry_after_s is not None:
        return min(retry_after_s, MAX_BACKOFF_S)
    delay = float(min(base_s * 2.0 ** (attempt - 1), MAX_BACKOFF_S))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


def window_error(
    channel: str, last_inbound: datetime | None, now: datetime, conversation: str = ""
) -> str | None:
    """Why a free-form message may not go out now, or None (public comment threads have no
    window)."""
    if conversation.startswith(PUBLIC_THREADS):
        return None
    age = now - last_inbound if last_inbound is not None else None
    if channel == "whatsapp" and (age is None or age > WINDOW):
        return (
            "WhatsApp allows free-form messages only within 24 hours of the customer's last "
            "message; send an approved template instead."
        )
    if channel in META_MESSAGING and (age is None or age > HUMAN_AGENT_WINDOW):
        name = channel.capitalize()
        return (
            f"{name} allows replies within 24 hours of the customer's last message, or 7 "
            "days with the human-agent tag; this conversation is older. The customer has "
            "to write first."
        )
    return None


def message_tag(channel: str, last_inbound: datetime | None, now: datetime) -> str | None:
    """Messenger and Instagram between 24 hours and 7 days: the HUMAN_AGENT tag."""
    if channel in META_MESSAGING and last_inbound is not None and now - last_inbound > WINDOW:
        return "HUMAN_AGENT"
    return None


async def do_deliver(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    ends: senders.Endpoints,
    message_id: int,
    now: datetime,
    *,
    timeout_s: float,
    base_backoff_s: float,
    redis: ArqRedis | None = None,
    store: MediaStore | None = None,
) -> Delivery:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(_CLAIM, message_id)
        if row is None:
            return Delivery(message_id, "skipped")
        target = await conn.fetchrow(_TARGET, row["ticket_id"])
        stored = await conn.fetch(_FILES, message_id) if row["has_files"] else []
    base = {
        "message_id": message_id,
        "ticket_id": row["ticket_id"],
        "brand_id": str(row["brand_id"]),
        "attempt": row["send_attempts"],
    }
    try:
        files = await _files(stored, ends.public_url, store, target["channel"])
        result = await _attempt(
            pool, http, ends, row, target, message_id, now, timeout_s, redis, files
        )
    except FileNotFoundError:  # deleted from the store: it can never be sent
        error = "A file of this reply is no longer in the media store; send it again."
        result = senders.Result("failed", error=error)
    except StoreError as exc:
        cause = exc.__cause__ or exc
        result = senders.Result("retry", error=f"the media store did not answer: {cause}")
    except Exception as exc:  # anything unforeseen: retried, never left stuck in 'sending'
        log.exception("outbound.attempt_crashed", message_id=message_id)
        error = f"internal error while sending: {type(exc).__name__}"
        result = senders.Result("retry", error=error)
    return await _record(pool, row, message_id, result, now, base_backoff_s, base)


async def _attempt(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    ends: senders.Endpoints,
    row: Any,
    target: Any,
    message_id: int,
    now: datetime,
    timeout_s: float,
    redis: ArqRedis | None,
    files: tuple[OutFile, ...] = (),
) -> senders.Result:
    conversation = target["platform_conversation_id"]
    refused = (
        None
        if row["template"]
        else window_error(target["channel"], target["last_inbound_at"], now, conversation)
    )
    if refused:
        result = senders.Result("failed", error=refused)
    elif target["channel"] == "email":
        async with pool.acquire() as conn:
            thread = await conn.fetchrow(_REPLY_THREAD, row["ticket_id"])
        to = thread["from_address"] if thread else None
        if not to:  # never a thread's Message-ID taken for an address
            return senders.Result("failed", error="No customer address on this e-mail ticket.")
        msg = smtp.build(
            target["credentials"],
            to,
            row["text"] or "",
            (thread["message_id"], thread["subject"], thread["refs"]) if thread else None,
            idempotency_key(message_id),
            files,
        )
        result = await smtp.send(target["credentials"], msg, timeout_s)
    elif target["channel"] == "webchat":
        if redis is None:
            result = senders.Result("retry", error="no Redis to reach the widget")
        else:  # live push; a widget opened later reads it from the history
            visitor = target["platform_conversation_id"]
            account = row["channel_account_id"]
            shared = [{"url": f.url, "name": f.name, "mime_type": f.mime_type} for f in files]
            await live.push_webchat(redis, account, visitor, message_id, row["text"], shared)
            result = senders.Result("sent", platform_id=f"webchat:{message_id}")
    else:
        channel, last_inbound = target["channel"], target["last_inbound_at"]
        reply_to, mention = row["reply_to_platform_id"], None
        public = channel == "x" or conversation.startswith(("post:", "comment:", "thread:"))
        if public:  # a public reply answers their latest post or comment (X: with @name)
            async with pool.acquire() as conn:
                latest = await conn.fetchrow(_X_TARGET, row["ticket_id"])
            if latest is not None:  # LinkedIn answers the activity the notification named
                target_id = latest["reply_to_platform_id"] if channel == "linkedin" else None
                reply_to = reply_to or target_id or latest["platform_message_id"]
                mention = latest["username"]
        out = senders.Outgoing(
            channel,
            target["credentials"],
            target["platform_conversation_id"],
            row["text"],
            row["template"],
            reply_to,
            message_tag(channel, last_inbound, now),
            _callback(ends, channel, row["channel_account_id"]),
            idempotency_key(message_id),
            mention,
            files,
        )
        result = await senders.send(http, ends, out, timeout_s)
    return result


async def _record(
    pool: asyncpg.Pool,
    row: Any,
    message_id: int,
    result: senders.Result,
    now: datetime,
    base_backoff_s: float,
    base: dict[str, Any],
) -> Delivery:
    """Store the attempt's outcome: sent, queued again with a backoff, or failed."""
    async with pool.acquire() as conn:
        if result.outcome == "sent":
            status = await conn.fetchval(
                _SENT, message_id, result.platform_id, row["channel_account_id"]
            )
            return Delivery(outcome="sent", status=status, **base)
        if result.outcome == "retry" and row["send_attempts"] < MAX_ATTEMPTS:
            delay = backoff_s(row["send_attempts"], base_backoff_s, result.retry_after_s)
            at = now + timedelta(seconds=delay)
            await conn.execute(_RETRY, message_id, at, f"retrying: {result.error}")
            return Delivery(
                outcome="retry", status="queued", next_attempt_at=at, error=result.error, **base
            )
        error = result.error or "failed"
        if result.outcome == "retry":
            error += f" (gave up after {row['send_attempts']} attempts)"
        await conn.execute(_FAILED, message_id, error)
        return Delivery(outcome="failed", status="failed", error=error, **base)


class StoreError(Exception):
    """The media store did not give a reply's file (it may later)."""


async def _files(
    stored: list[Any], public_url: str, store: MediaStore | None, channel: str
) -> tuple[OutFile, ...]:
    """A reply's files with their links; with the bytes for the channels that upload them."""
    files = []
    for r in stored:
        data = None
        if channel in UPLOADS:
            if store is None:
                raise StoreError("no media store given to the sender")
            try:
                data = await store.get(r["storage_key"])
            except FileNotFoundError:
                raise
            except (OSError, aiohttp.ClientError, TimeoutError) as exc:
                raise StoreError from exc
        url = link(public_url, r["id"], r["link_token"] or "", r["name"], r["mime_type"])
        files.append(OutFile(r["id"], r["mime_type"], r["size"], r["name"], url, data))
    return tuple(files)


def idempotency_key(message_id: int) -> str:
    """The same on every attempt of one message (LINE's X-Line-Retry-Key is a UUID)."""
    return str(uuid5(NAMESPACE_URL, f"contactcenter:message:{message_id}"))


def _callback(ends: senders.Endpoints, channel: str, account_id: object) -> str | None:
    """Twilio reports delivery to a URL per send: the account's own webhook URL."""
    if channel != "twilio-sms" or not ends.public_url:
        return None
    return f"{ends.public_url.rstrip('/')}/webhooks/{channel}/{account_id}"


async def due_ids(conn: asyncpg.Connection, limit: int) -> list[int]:
    return [r["id"] for r in await conn.fetch(_DUE, limit)]


async def fail_abandoned(conn: asyncpg.Connection, older_than_s: float) -> list[asyncpg.Record]:
    return list(await conn.fetch(_ABANDONED, older_than_s))
