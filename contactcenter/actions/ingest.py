"""Store verified, normalised webhook batches: contacts, identities, tickets, messages, receipts.

`do_ingest` writes any number of webhook requests ("units") at once: all their messages in one
call of the ingest_messages() SQL function, all their delivery receipts in one statement, both
in one transaction. The function locks each customer's identity row before deciding anything
about them, so concurrent copies of a webhook on other connections or processes wait and then
find the message already stored (see sql/migrations/0003_ingest_function.sql).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from contactcenter.channels.base import InboundBatch, InboundMessage, StatusUpdate
from contactcenter.channels.meta_messaging import WATERMARK
from contactcenter.models import ChannelAccount, QueueId
from contactcenter.store import ingest as store

RECEIPT_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}
_REF = re.compile(r"<([^<>]+)>")  # a Message-ID in References
ROUTED_EVENTS = frozenset({"ticket.created", "ticket.reopened"})


@dataclass(slots=True)
class IngestUnit:
    """One webhook request's worth of verified input: all of it is stored, or none."""

    account: ChannelAccount
    batch: InboundBatch


@dataclass(slots=True)
class UnitOutcome:
    stored: int = 0
    duplicates: int = 0
    receipts: int = 0
    ticket_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class AfterCommit:
    """What to announce once the transaction has committed (never before)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    route_queues: set[QueueId] = field(default_factory=set)
    sla: bool = False  # messages were stored: the SLA engine has tickets to recompute
    stored: dict[str, int] = field(default_factory=dict)  # per channel, for /metrics
    duplicates: dict[str, int] = field(default_factory=dict)


async def do_ingest(
    conn: asyncpg.Connection, units: list[IngestUnit], reopen_window_s: int
) -> tuple[list[UnitOutcome], AfterCommit]:
    """Store the units and commit. `conn` must not be inside a transaction."""
    outcomes = [UnitOutcome() for _ in units]
    after = AfterCommit()
    messages = [(i, u.account, m) for i, u in enumerate(units) for m in u.batch.messages]
    receipts = [(i, u.account, s) for i, u in enumerate(units) for s in u.batch.statuses]
    if messages and receipts:
        async with conn.transaction():
            await _store_messages(conn, messages, reopen_window_s, outcomes, after)
            await _apply_receipts(conn, receipts, outcomes, after)
    elif messages and any(_more_than_the_row(m) for _, _, m in messages):
        # e-mail, web chat files, verified identities: the message with its thread, attachment
        # bytes and identity facts, or none of them (a retry must not find it stored alone)
        async with conn.transaction():
            await _store_messages(conn, messages, reopen_window_s, outcomes, after)
    elif messages:  # a single statement is its own transaction: one round trip in all
        await _store_messages(conn, messages, reopen_window_s, outcomes, after)
    elif receipts:
        await _apply_receipts(conn, receipts, outcomes, after)
    return outcomes, after


def _more_than_the_row(m: InboundMessage) -> bool:
    """The message needs rows beside its own (thread, bytes, identity facts)."""
    return bool(m.thread or m.verified_email or any(a.data is not None for a in m.attachments))


async def _store_messages(
    conn: asyncpg.Connection,
    messages: list[tuple[int, ChannelAccount, InboundMessage]],
    reopen_window_s: int,
    outcomes: list[UnitOutcome],
    after: AfterCommit,
) -> None:
    messages = await _join_email_threads(conn, messages)
    cols = store.MessageColumns()
    for _, account, m in messages:
        _append(cols, account, m)
    results = await store.ingest_messages(conn, cols, reopen_window_s)
    threads = [(account.id, m.platform_message_id, *m.thread, m.sender_id)
               for (_, account, m), r in zip(messages, results, strict=True)
               if m.thread is not None and r.message_id is not None]  # fmt: skip
    if threads:  # e-mail only: the subject and references a reply needs
        await store.save_threads(conn, threads)
    inline = [(r.message_id, n, a.data)
              for (_, _, m), r in zip(messages, results, strict=True) if r.message_id is not None
              for n, a in enumerate(m.attachments) if a.data is not None]  # fmt: skip
    if inline:  # e-mail and web chat: the attachments' bytes, for the media worker
        await store.save_inline(conn, inline)
    verified = {(a.brand_id, a.channel, m.sender_id, m.verified_email)
                for _, a, m in messages if m.verified_email}  # fmt: skip
    if verified:  # contacts merge on these (the worker's linker)
        await store.verify_emails(conn, sorted(verified, key=str))
    for (unit, account, _), stored in zip(messages, results, strict=True):
        outcome = outcomes[unit]
        if stored.message_id is None or stored.ticket_id is None:
            outcome.duplicates += 1
            after.duplicates[account.channel] = after.duplicates.get(account.channel, 0) + 1
            continue
        outcome.stored += 1
        after.stored[account.channel] = after.stored.get(account.channel, 0) + 1
        after.sla = True
        outcome.ticket_ids.append(stored.ticket_id)
        brand = str(account.brand_id)
        if stored.event is not None:
            after.events.append(_ticket_event(stored.event, brand, stored.ticket_id, account))
            if stored.event in ROUTED_EVENTS:
                after.route_queues.add(account.queue_id)
        after.events.append({"type": "message.created", "brand_id": brand,
                             "ticket_id": stored.ticket_id, "message_id": stored.message_id,
                             "direction": "inbound"})  # fmt: skip


async def _join_email_threads(
    conn: asyncpg.Connection, messages: list[tuple[int, ChannelAccount, InboundMessage]]
) -> list[tuple[int, ChannelAccount, InboundMessage]]:
    """An e-mail whose In-Reply-To or References name a message we hold (our own reply, or a
    mail whose References were dropped by the client) joins that message's conversation."""
    refs = {id(m): [r for r in [m.reply_to, *reversed(_REF.findall(m.thread[1]))] if r]
            for _, a, m in messages if a.channel == "email" and m.thread}  # fmt: skip
    wanted = sorted({(a.id, r) for _, a, m in messages for r in refs.get(id(m), [])}, key=str)
    if not wanted:
        return messages
    found = await store.conversations_of(conn, wanted)
    joined = []
    for unit, account, m in messages:
        known = [found[(account.id, r)] for r in refs.get(id(m), []) if (account.id, r) in found]
        joined.append((unit, account, replace(m, conversation_id=known[0]) if known else m))
    return joined


def _append(cols: store.MessageColumns, account: ChannelAccount, m: InboundMessage) -> None:
    cols.brand.append(account.brand_id)
    cols.account.append(account.id)
    cols.channel.append(account.channel)
    cols.queue.append(account.queue_id)
    cols.sender.append(m.sender_id)
    cols.sender_name.append(m.sender_name)
    cols.username.append(m.sender_username)
    cols.language.append(m.language)
    cols.conversation.append(m.conversation_id)
    cols.platform_id.append(m.platform_message_id)
    cols.kind.append(m.kind)
    cols.text.append(m.text)
    cols.attachments.append(_attachments(m))
    cols.reply_to.append(m.reply_to)
    cols.sent_at.append(m.sent_at)


def _attachments(m: InboundMessage) -> str:
    if not m.attachments:
        return "[]"
    return orjson.dumps([
        {"kind": a.kind, "platform_media_id": a.platform_media_id, "mime_type": a.mime_type,
         "name": a.name, "size": a.size}
        for a in m.attachments
    ]).decode()  # fmt: skip


def _ticket_event(kind: str, brand: str, ticket_id: int, account: ChannelAccount) -> dict[str, Any]:
    event = {"type": kind, "brand_id": brand, "ticket_id": ticket_id,
             "channel": account.channel, "queue_id": str(account.queue_id)}  # fmt: skip
    if kind == "ticket.status_changed":
        event |= {"from": "pending", "to": "open", "reason": "customer_replied"}
    return event


async def _apply_receipts(
    conn: asyncpg.Connection,
    receipts: list[tuple[int, ChannelAccount, StatusUpdate]],
    outcomes: list[UnitOutcome],
    after: AfterCommit,
) -> None:
    """Keep the furthest state per message (receipts arrive in any order) and apply it."""
    best: dict[tuple[UUID, str], tuple[UUID, str, str, str | None, datetime]] = {}
    changed: list[tuple[int, int, UUID, str]] = []
    for unit, account, s in receipts:
        outcomes[unit].receipts += 1
        if s.platform_message_id.startswith(WATERMARK):
            conversation = s.platform_message_id.removeprefix(WATERMARK)
            changed += await store.read_up_to(conn, account.id, conversation, s.at)
            continue
        key = (account.id, s.platform_message_id)
        if key not in best or RECEIPT_RANK[s.status] > RECEIPT_RANK[best[key][2]]:
            best[key] = (account.id, s.platform_message_id, s.status, s.error, s.at)
    if best:
        changed += await store.apply_receipts(
            conn, sorted(best.values(), key=lambda r: (r[0], r[1]))
        )
    for message_id, ticket_id, brand_id, status in changed:
        after.events.append({"type": "message.delivery", "brand_id": str(brand_id),
                             "ticket_id": ticket_id, "message_id": message_id,
                             "status": status})  # fmt: skip
