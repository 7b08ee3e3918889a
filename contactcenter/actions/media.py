"""Fetch the attachments of new inbound messages into the media store (the worker's job)."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg

from contactcenter import logs
from contactcenter.media.fetch import Limits, Refused, download, locate
from contactcenter.media.outside import Outside
from contactcenter.media.store import MediaStore
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
DISCOVER_BATCH = 500
OVERLAP = 1000  # message ids looked at again on each pass
MAX_ATTEMPTS = 5
_DISCOVER = q("media.discover")
_NEWEST = q("media.newest")
_CLAIM = q("media.claim")
_STORED = q("media.stored")
_GIVE_UP = q("media.give_up")
_RETRY = q("media.retry_later")
_DROP_INLINE = q("media.drop_inline")


async def do_discover(conn: asyncpg.Connection) -> None:
    """A media row for each attachment of inbound messages newer than the newest seen, minus an
    overlap: ingest transactions on several processes commit ids out of order."""
    newest = await conn.fetchval(_NEWEST)
    await conn.fetchval(_DISCOVER, max(newest - OVERLAP, 0), DISCOVER_BATCH)


async def do_fetch_one(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, store: MediaStore, limits: Limits,
    ends: dict[str, str], outside: Outside,
) -> str | None:  # fmt: skip
    """Fetch one pending attachment: stored, refused, failed (retried later), or None. No
    database connection is held while the platform and the store are talked to. URLs that
    came in a payload go through `outside`."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(_CLAIM)
    if row is None:
        return None
    result = await _fetch(http, outside, row, limits, ends)
    key = None
    if result[0] == "stored":
        try:
            key = await store.put(row["brand_id"], result[1], result[2])
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            result = ("failed", b"", None, f"could not write to the media store: {exc}")
    lease = row["lease"]  # our claim: once it has run out, another worker's result counts
    async with pool.acquire() as conn, conn.transaction():
        if key is not None:
            done = await conn.execute(_STORED, row["id"], key, len(result[1]), result[2], lease)
        elif result[0] == "refused" or row["attempts"] + 1 >= MAX_ATTEMPTS:
            status = "refused" if result[0] == "refused" else "failed"
            done = await conn.execute(_GIVE_UP, row["id"], status, result[3], lease)
        else:
            await conn.execute(_RETRY, row["id"], result[3], lease)
            return str(result[0])
        if done == "UPDATE 0":
            log.warning("media.lease_lost", media_id=row["id"])  # the other worker's counts
            return "lease_lost"
        if row["inline"] is not None:
            await conn.execute(_DROP_INLINE, row["id"])
    return str(result[0])


async def _fetch(http: aiohttp.ClientSession, outside: Outside, row: Any, limits: Limits,
                 ends: dict[str, str]) -> tuple[str, bytes, str | None, str | None]:  # fmt: skip
    attachment = row["attachment"] or {}
    if row["inline"] is not None:  # e-mail: the bytes came with the message
        return _check_inline(bytes(row["inline"]), attachment.get("mime_type"), limits)
    try:
        url, headers = await locate(
            http, row["channel"], row["credentials"], attachment, ends, outside
        )
    except Refused as exc:
        return "refused", b"", None, str(exc)
    except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
        return "failed", b"", None, f"could not locate the media: {type(exc).__name__}"
    from_payload = row["channel"] in ("messenger", "instagram", "facebook", "viber", "api") or (
        row["channel"] == "x" and "Authorization" not in headers
    )
    got = await download(http, url, headers, limits, attachment.get("mime_type"),
                         outside=outside if from_payload else None)  # fmt: skip
    return got.outcome, got.data, got.mime_type, got.reason


def _check_inline(data: bytes, mime: str | None, limits: Limits) -> tuple[str, bytes, str | None,
                                                                        str | None]:  # fmt: skip
    if not limits.allows(mime):
        return "refused", b"", None, f"type {mime or 'unknown'} is not allowed"
    if len(data) > limits.max_bytes:
        return "refused", b"", None, f"larger than {limits.max_bytes} bytes"
    return "stored", data, mime, None
