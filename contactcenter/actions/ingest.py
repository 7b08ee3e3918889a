"""Store verified, normalised webhook batches: contacts, identities, tickets, messages, receipts.

`do_ingest` writes any number of webhook requests ("units") in one transaction with a fixed
number of set-based statements. Concurrency: the first statement upserts the customers'
identity rows in key order, which locks them; every later decision about those customers
(duplicate? which ticket?) is made under that lock, so concurrent copies of a webhook on other
connections or processes wait and then find the message already stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from contactcenter.channels.base import InboundBatch, InboundMessage, StatusUpdate
from contactcenter.models import ChannelAccount, QueueId
from contactcenter.store import ingest as store

_UNSET = UUID(int=0)
RECEIPT_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


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


@dataclass(slots=True)
class _Pending:
    unit: int
    account: ChannelAccount
    msg: InboundMessage
    contact_id: UUID = _UNSET  # set once the identity is resolved
    ticket_id: int = 0  # set once the ticket is resolved


async def do_ingest(
    conn: asyncpg.Connection, units: list[IngestUnit], reopen_window_s: int
) -> tuple[list[UnitOutcome], AfterCommit]:
    """Store the units; the caller holds `conn` inside a transaction and commits after."""
    outcomes = [UnitOutcome() for _ in units]
    after = AfterCommit()
    pending = [_Pending(i, u.account, m) for i, u in enumerate(units) for m in u.batch.messages]
    if pending:
        await _resolve_contacts(conn, pending)
        fresh = await _drop_duplicates(conn, pending, outcomes)
        if fresh:
            await _resolve_tickets(conn, fresh, reopen_window_s, after)
            await _insert_messages(conn, fresh, outcomes, after)
    receipts = [(i, u.account, s) for i, u in enumerate(units) for s in u.batch.statuses]
    if receipts:
        await _apply_receipts(conn, receipts, outcomes, after)
    return outcomes, after


async def _resolve_contacts(conn: asyncpg.Connection, pending: list[_Pending]) -> None:
    """Upsert (and so lock) every sender's identity; create contacts for new ones."""
    rows: dict[store.IdentityKey, tuple[UUID, str, str, str, str | None]] = {}
    language: dict[store.IdentityKey, str | None] = {}
    for p in pending:
        key = (p.account.brand_id, p.account.channel, p.msg.sender_id)
        rows[key] = (*key, p.msg.sender_name, p.msg.sender_username)
        language[key] = p.msg.language
    found = await store.upsert_identities(conn, sorted(rows.values()))
    await store.insert_contacts(
        conn,
        [
            (contact_id, key[0], rows[key][3], language[key])
            for key, (contact_id, created) in found.items()
            if created
        ],
    )
    for p in pending:
        p.contact_id = found[(p.account.brand_id, p.account.channel, p.msg.sender_id)][0]


async def _drop_duplicates(
    conn: asyncpg.Connection, pending: list[_Pending], outcomes: list[UnitOutcome]
) -> list[_Pending]:
    """Keep each platform message once: not already stored, not repeated within this batch."""
    keys = list({(p.account.id, p.msg.platform_message_id) for p in pending})
    seen = await store.existing_messages(conn, keys)
    fresh: list[_Pending] = []
    for p in pending:
        key = (p.account.id, p.msg.platform_message_id)
        if key in seen:
            outcomes[p.unit].duplicates += 1
        else:
            seen.add(key)
            fresh.append(p)
    return fresh


async def _resolve_tickets(
    conn: asyncpg.Connection, fresh: list[_Pending], reopen_window_s: int, after: AfterCommit
) -> None:
    """Attach each message to the active ticket, a reopened one, or a new one."""
    first: dict[store.PairKey, _Pending] = {}
    for p in fresh:
        first.setdefault((p.account.id, p.contact_id), p)
    current = await store.current_tickets(conn, list(first), reopen_window_s)
    reopen = [tid for tid, status in current.values() if status == "solved"]
    await store.reopen_tickets(conn, reopen)
    missing = [p for key, p in first.items() if key not in current]
    created = await store.create_tickets(
        conn,
        [
            (
                p.account.brand_id,
                p.account.id,
                p.account.channel,
                p.account.queue_id,
                p.contact_id,
                p.msg.conversation_id,
            )
            for p in missing
        ],
    )
    ids = {key: tid for key, (tid, _) in current.items()} | created
    for p in fresh:
        p.ticket_id = ids[(p.account.id, p.contact_id)]
    events: list[tuple[UUID, str, int, dict[str, Any]]] = []
    for key, p in first.items():
        tid, status = current.get(key, (ids[key], "created"))
        kind = {
            "created": "ticket.created",
            "solved": "ticket.reopened",
            "pending": "ticket.status_changed",
        }.get(status)
        if kind is None:
            continue
        data = {"channel": p.account.channel, "queue_id": str(p.account.queue_id)}
        if status == "pending":
            data |= {"from": "pending", "to": "open", "reason": "customer_replied"}
        events.append((p.account.brand_id, kind, tid, data))
        after.events.append(
            {"type": kind, "brand_id": str(p.account.brand_id), "ticket_id": tid, **data}
        )
        if kind != "ticket.status_changed":
            after.route_queues.add(p.account.queue_id)
    await store.insert_events(conn, events)


async def _insert_messages(
    conn: asyncpg.Connection, fresh: list[_Pending], outcomes: list[UnitOutcome], after: AfterCommit
) -> None:
    rows = [_message_row(p) for p in fresh]
    inserted = await store.insert_messages(conn, rows)
    by_key = {(p.ticket_id, p.msg.platform_message_id): p for p in fresh}
    latest: dict[int, datetime] = {}
    for message_id, ticket_id, platform_id in inserted:
        p = by_key.pop((ticket_id, platform_id))
        outcomes[p.unit].stored += 1
        outcomes[p.unit].ticket_ids.append(ticket_id)
        latest[ticket_id] = max(latest.get(ticket_id, p.msg.sent_at), p.msg.sent_at)
        after.events.append(
            {
                "type": "message.created",
                "brand_id": str(p.account.brand_id),
                "ticket_id": ticket_id,
                "message_id": message_id,
                "direction": "inbound",
            }
        )
    for (
        p
    ) in by_key.values():  # lost a race the identity lock should prevent; still not stored twice
        outcomes[p.unit].duplicates += 1
    await store.touch_tickets(conn, latest)


def _message_row(p: _Pending) -> tuple[Any, ...]:
    m = p.msg
    attachments = [
        {
            "kind": a.kind,
            "platform_media_id": a.platform_media_id,
            "mime_type": a.mime_type,
            "name": a.name,
            "size": a.size,
        }
        for a in m.attachments
    ]
    return (
        p.account.brand_id,
        p.ticket_id,
        p.account.id,
        m.kind,
        m.platform_message_id,
        m.text,
        orjson.dumps(attachments).decode(),
        p.contact_id,
        m.reply_to,
        m.sent_at,
    )


async def _apply_receipts(
    conn: asyncpg.Connection,
    receipts: list[tuple[int, ChannelAccount, StatusUpdate]],
    outcomes: list[UnitOutcome],
    after: AfterCommit,
) -> None:
    """Keep the furthest state per message (receipts arrive in any order) and apply it."""
    best: dict[tuple[UUID, str], tuple[UUID, str, str, str | None, datetime]] = {}
    for unit, account, s in receipts:
        outcomes[unit].receipts += 1
        key = (account.id, s.platform_message_id)
        if key not in best or RECEIPT_RANK[s.status] > RECEIPT_RANK[best[key][2]]:
            best[key] = (account.id, s.platform_message_id, s.status, s.error, s.at)
    changed = await store.apply_receipts(conn, sorted(best.values(), key=lambda r: (r[0], r[1])))
    for message_id, ticket_id, brand_id, status in changed:
        after.events.append(
            {
                "type": "message.delivery",
                "brand_id": str(brand_id),
                "ticket_id": ticket_id,
                "message_id": message_id,
                "status": status,
            }
        )
