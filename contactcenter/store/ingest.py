"""The ingest statements (sql/queries/ingest.sql).

Both take parallel lists, one element per row, so a group commit of any size is one round trip
for its messages and one for its delivery receipts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.store.queries import q

_INGEST = q("ingest.ingest_messages")
_RECEIPTS = q("ingest.apply_receipts")


@dataclass(slots=True)
class MessageColumns:
    """The arguments of ingest_messages(): column lists of equal length."""

    brand: list[UUID] = field(default_factory=list)
    account: list[UUID] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    queue: list[UUID] = field(default_factory=list)
    sender: list[str] = field(default_factory=list)
    sender_name: list[str] = field(default_factory=list)
    username: list[str | None] = field(default_factory=list)
    language: list[str | None] = field(default_factory=list)
    conversation: list[str] = field(default_factory=list)
    platform_id: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    text: list[str | None] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # JSON arrays, encoded
    reply_to: list[str | None] = field(default_factory=list)
    sent_at: list[datetime] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stored:
    """What happened to one input message: stored (message_id set) or a duplicate (None)."""

    message_id: int | None
    ticket_id: int | None
    event: str | None  # ticket.created / ticket.reopened / ticket.status_changed


async def ingest_messages(
    conn: asyncpg.Connection, cols: MessageColumns, reopen_window_s: int
) -> list[Stored]:
    """Run ingest_messages(); one result per input row, in input order."""
    rows = await conn.fetch(
        _INGEST, cols.brand, cols.account, cols.channel, cols.queue, cols.sender, cols.sender_name,
        cols.username, cols.language, cols.conversation, cols.platform_id, cols.kind, cols.text,
        cols.attachments, cols.reply_to, cols.sent_at, float(reopen_window_s),
    )  # fmt: skip
    return [Stored(r["o_message_id"], r["o_ticket_id"], r["o_event"]) for r in rows]


async def apply_receipts(
    conn: asyncpg.Connection, rows: list[tuple[UUID, str, str, str | None, datetime]]
) -> list[tuple[int, int, UUID, str]]:
    """Record receipts, move outbound messages forward; return (id, ticket, brand, status)."""
    result = await conn.fetch(_RECEIPTS, *zip(*rows, strict=True))
    return [(r["id"], r["ticket_id"], r["brand_id"], r["delivery_status"]) for r in result]


_READ_UP_TO = q("ingest.read_up_to")
_CONVERSATIONS_OF = q("email.conversations_of")


async def conversations_of(
    conn: asyncpg.Connection, pairs: Sequence[tuple[UUID, str]]
) -> dict[tuple[UUID, str], str]:
    """(account, platform message id) → the conversation of the ticket holding that message."""
    rows = await conn.fetch(_CONVERSATIONS_OF, *zip(*pairs, strict=True))
    return {(r["account_id"], r["message_id"]): r["conversation"] for r in rows}


async def read_up_to(
    conn: asyncpg.Connection, account_id: UUID, conversation: str, at: datetime
) -> list[tuple[int, int, UUID, str]]:
    result = await conn.fetch(_READ_UP_TO, account_id, conversation, at)
    return [(r["id"], r["ticket_id"], r["brand_id"], r["delivery_status"]) for r in result]


_SAVE_THREAD = q("email.save_thread")
_SAVE_INLINE = q("email.save_inline")
_VERIFY_EMAIL = q("email.verify_email")


async def verify_emails(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    """(brand id, channel, external id, address) for identities a platform vouched for."""
    await conn.executemany(_VERIFY_EMAIL, rows)


async def save_inline(conn: asyncpg.Connection, rows: list[tuple[int, int, bytes]]) -> None:
    """Attachments carried inside the message: (message id, position, bytes)."""
    await conn.executemany(_SAVE_INLINE, rows)


async def save_threads(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(_SAVE_THREAD, rows)
