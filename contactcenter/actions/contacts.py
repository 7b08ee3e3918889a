"""One person, many platforms: automatic merges on a verified phone number or e-mail address,
manual merge and split, and a contact's history across channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter.actions.tickets import may_see
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import User
from contactcenter.store import contacts as store

MARKS = {"phone": "contacts.phone", "email": "contacts.email"}
LINK_BATCH = 500
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
OVERLAP = timedelta(minutes=5)


async def do_link_verified(conn: asyncpg.Connection) -> int:
    """Merge contacts on verified phone numbers, then on verified e-mail addresses."""
    return await do_link(conn, "phone") + await do_link(conn, "email")


async def do_link(conn: asyncpg.Connection, kind: str) -> int:
    """Merge contacts that share a verified phone number or e-mail address (`kind`; the oldest
    contact keeps them all), for identities verified since the last pass minus an overlap
    (ingest transactions commit out of order; merging twice is a no-op); contacts split by hand
    are left alone. A conflict (both have an open ticket on one account) is skipped and retried
    on later passes."""
    mark = await store.get_mark(conn, MARKS[kind]) or EPOCH
    merged = 0
    rows = await store.newly_verified(conn, kind, mark - OVERLAP, LINK_BATCH)
    for row in rows:
        same = await store.same_verified(conn, kind, row["brand_id"], row["value"])
        keep = [c for c in same if not c["no_auto_merge"]]
        for other in keep[1:]:
            try:
                async with conn.transaction():
                    merged += (
                        await store.merge(conn, keep[0]["id"], other["id"], kind, None) is not None
                    )
            except asyncpg.RaiseError:
                continue  # both busy on one account: a later pass tries again (the overlap)
    if rows and len(rows) < LINK_BATCH:
        await store.set_mark(conn, MARKS[kind], rows[-1]["at"])
    elif rows:  # a full batch: move on past it, the overlap looks back
        await store.set_mark(conn, MARKS[kind], rows[-1]["at"] + OVERLAP)
    return merged


async def check_contact(conn: asyncpg.Connection, contact_id: UUID) -> asyncpg.Record:
    row = await store.get_contact(conn, contact_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No contact with id {contact_id}.")
    if row["merged_into"] is not None:
        raise ApiError(
            ErrorCode.CONFLICT,
            f"Contact {contact_id} was merged into {row['merged_into']}; use that contact.",
        )
    return row


async def contact_view(conn: asyncpg.Connection, user: User, contact_id: UUID) -> dict[str, Any]:
    """The contact, its identities on every platform, its merges, and the tickets `user` may
    open (newest first; others are counted, not shown)."""
    row = await store.get_contact(conn, contact_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No contact with id {contact_id}.")
    if row["merged_into"] is not None:
        return await contact_view(conn, user, row["merged_into"])
    tickets = await store.tickets(conn, contact_id, 200)
    visible = [t for t in tickets if may_see(user, t["team_id"], t["assignee_id"])]
    return {
        "id": str(row["id"]), "brand_id": str(row["brand_id"]), "name": row["name"],
        "language": row["language"], "created_at": row["created_at"].isoformat(),
        "identities": [
            {"channel": i["channel"], "external_id": i["external_id"],
             "display_name": i["display_name"], "username": i["username"],
             "verified_phone": i["phone"], "verified_email": i["verified_email"],
             "last_seen_at": i["last_seen_at"].isoformat()}
            for i in await store.identities(conn, contact_id)
        ],
        "tickets": [
            {"id": t["id"], "channel": t["channel"], "status": t["status"],
             "priority": t["priority"], "queue_id": str(t["queue_id"]),
             "assignee_id": str(t["assignee_id"]) if t["assignee_id"] else None,
             "created_at": t["created_at"].isoformat(),
             "last_message_at": t["last_message_at"].isoformat()}
            for t in visible
        ],
        "tickets_hidden": len(tickets) - len(visible),
        "merges": [
            {"id": m["id"], "into": str(m["into_id"]), "from": str(m["from_id"]),
             "reason": m["reason"], "identities": m["identities"],
             "ticket_ids": list(m["ticket_ids"]), "at": m["created_at"].isoformat()}
            for m in await store.merges(conn, contact_id)
        ],
    }  # fmt: skip


async def do_merge(conn: asyncpg.Connection, user: User, into: UUID, other: UUID) -> int:
    if into == other:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "A contact cannot be merged into itself.")
    a, b = await check_contact(conn, into), await check_contact(conn, other)
    if a["brand_id"] != b["brand_id"]:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "Contacts of different brands stay apart.")
    try:
        async with conn.transaction():
            merged = await store.merge(conn, into, other, "manual", user.id)
    except asyncpg.RaiseError:
        raise ApiError(
            ErrorCode.CONFLICT,
            "Both contacts have an open ticket on the same channel account; solve or close one "
            "of them first, then merge.",
        ) from None
    if merged is None:
        raise ApiError(ErrorCode.CONFLICT, "Nothing to merge: one of them was merged meanwhile.")
    return merged


async def do_split(
    conn: asyncpg.Connection, user: User, contact_id: UUID, channel: str, external_id: str
) -> UUID:
    await check_contact(conn, contact_id)
    async with conn.transaction():
        new = await store.split(conn, contact_id, channel, external_id, user.id)
    if new is None:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"Contact {contact_id} has no {channel} identity {external_id!r} to split off, or "
            "it is the contact's only identity.",
        )
    return new


async def contact_timeline(
    conn: asyncpg.Connection, user: User, contact_id: UUID, limit: int
) -> list[dict[str, Any]]:
    """The person's conversation across every channel, oldest first: the latest `limit`
    messages of the tickets `user` may open (a merged contact answers for its survivor)."""
    row = await store.get_contact(conn, contact_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No contact with id {contact_id}.")
    if row["merged_into"] is not None:
        return await contact_timeline(conn, user, row["merged_into"], limit)
    rows = await store.timeline(conn, contact_id, limit)
    return [
        {"id": r["id"], "ticket_id": r["ticket_id"], "channel": r["channel"],
         "direction": r["direction"], "kind": r["kind"], "text": r["text"],
         "sender_name": r["sender_name"], "sent_at": r["sent_at"].isoformat()}
        for r in reversed(rows) if may_see(user, r["team_id"], r["assignee_id"])
    ]  # fmt: skip
