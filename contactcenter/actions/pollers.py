"""Polled channels: fetch what is new since the cursor, store it like a webhook, move on.

YouTube: commentThreads.list for the channel, newest first, 100 per page; paging stops at the
first thread whose newest comment is older than the high-water mark (`after`), so a poll costs
one quota unit when nothing happened. Quota and rate errors (403 quotaExceeded, 429) block the
account until the next Pacific midnight (quota) or for the Retry-After; other errors are
recorded on the cursor and retried on the next poll. Duplicates are ignored by ingest's key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from contactcenter import logs
from contactcenter.actions.ingest import AfterCommit, IngestUnit, do_ingest
from contactcenter.channels.base import InboundBatch
from contactcenter.channels.flickr import activity_messages, signed_params
from contactcenter.channels.google_reviews import review_message
from contactcenter.channels.youtube import thread_messages
from contactcenter.models import ChannelAccount
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
MAX_PAGES = 5
_DUE = q("pollers.due_accounts")
_SAVE = q("pollers.save")


@dataclass(slots=True)
class PollResult:
    stored: int = 0
    accounts: int = 0
    errors: list[str] = field(default_factory=list)
    after: list[AfterCommit] = field(default_factory=list)


async def do_poll_youtube(
    conn: asyncpg.Connection,
    http: aiohttp.ClientSession,
    base: str,
    reopen_window_s: int,
    now: datetime,
) -> PollResult:
    result = PollResult()
    async with conn.transaction():  # the row locks keep other workers off these accounts
        for row in await conn.fetch(_DUE, "youtube"):
            account = _account(row)
            cursor = dict(row["cursor"])
            try:
                batch, newest, blocked, error = await _fetch(http, base, account, cursor, now)
            except Exception as exc:  # one account's trouble never stops the others
                log.exception("poll.youtube_failed", account_id=str(account.id))
                batch, newest, blocked = InboundBatch(), None, None
                error = f"YouTube poll failed: {type(exc).__name__}"
            try:
                async with conn.transaction():  # a savepoint per account
                    if batch.messages:
                        outcomes, after = await do_ingest(
                            conn, [IngestUnit(account, batch)], reopen_window_s
                        )
                        result.stored += outcomes[0].stored
                        result.after.append(after)
                    if newest is not None:
                        cursor["after"] = newest.isoformat()
                    await conn.execute(_SAVE, account.id, cursor, blocked, error)
            except asyncpg.PostgresError as exc:
                result.errors.append(f"YouTube account {account.id}: {type(exc).__name__}")
                continue
            result.accounts += 1
            if error:
                result.errors.append(error)
    return result


async def do_poll_flickr(
    conn: asyncpg.Connection,
    http: aiohttp.ClientSession,
    base: str,
    reopen_window_s: int,
    now: datetime,
) -> PollResult:
    """Recent activity on the brand's photos (the last hour), comments by others newer than the
    cursor. Flickr answers errors with HTTP 200 and stat=fail; code 9 (too fast) waits a while."""
    result = PollResult()
    async with conn.transaction():
        for row in await conn.fetch(_DUE, "flickr"):
            account = _account(row)
            cursor = dict(row["cursor"])
            url = f"{base.rstrip('/')}/services/rest/"
            params = signed_params(
                "GET",
                url,
                {
                    "method": "flickr.activity.userPhotos",
                    "timeframe": flickr_timeframe(int(cursor.get("after", 0)), now),
                    "format": "json",
                    "nojsoncallback": "1",
                    "per_page": "50",
                },
                account.credentials,
            )
            blocked, error = None, None
            try:
                async with http.get(url, params=params) as resp:
                    data = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                data, error = {}, f"Flickr could not be reached: {type(exc).__name__}"
            if data.get("stat") == "fail":
                error = f"Flickr error {data.get('code')}: {data.get('message')}"
                if data.get("code") == 9:
                    blocked = now + timedelta(minutes=10)
            elif data:
                messages, newest = activity_messages(
                    data, str(account.credentials["user_id"]), int(cursor.get("after", 0))
                )
                if messages:
                    outcomes, after = await do_ingest(
                        conn,
                        [IngestUnit(account, InboundBatch(messages=messages))],
                        reopen_window_s,
                    )
                    result.stored += outcomes[0].stored
                    result.after.append(after)
                cursor["after"] = newest
            await conn.execute(_SAVE, account.id, cursor, blocked, error)
            result.accounts += 1
            if error:
                result.errors.append(error)
    return result


def flickr_timeframe(after: int, now: datetime) -> str:
    """The activity window to ask for: the last hour normally; after an outage, back to the
    cursor (in days, at most Flickr's 30), so nothing written meanwhile is missed."""
    gap_s = now.timestamp() - after if after else 0
    if gap_s <= 3300:  # within the hour, with 5 minutes to spare
        return "1h"
    return f"{min(30, int(gap_s // 86400) + 1)}d"


async def do_poll_reviews(
    conn: asyncpg.Connection,
    http: aiohttp.ClientSession,
    base: str,
    reopen_window_s: int,
    now: datetime,
) -> PollResult:
    """The backstop to Pub/Sub: each location's reviews, newest update first, down to the
    cursor (reviews missed while pushes were off come in; those pushed are duplicates)."""
    result = PollResult()
    async with conn.transaction():
        for row in await conn.fetch(_DUE, "google-reviews"):
            account = _account(row)
            location = account.credentials.get("location_name")
            if not location:
                continue  # push only
            cursor = dict(row["cursor"])
            after = str(cursor.get("after", ""))
            headers = {"Authorization": f"Bearer {account.credentials['access_token']}"}
            url = f"{base.rstrip('/')}/v4/{location}/reviews"
            batch, newest, error = InboundBatch(), after, None
            try:
                async with http.get(
                    url, headers=headers, params={"orderBy": "updateTime desc", "pageSize": "50"}
                ) as resp:
                    data = await resp.json(content_type=None) if resp.status < 400 else None
                    if resp.status >= 400:
                        error = f"Google answered HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                data, error = None, f"Google could not be reached: {type(exc).__name__}"
            for review in (data or {}).get("reviews", []):
                updated = str(review.get("updateTime") or review.get("createTime") or "")
                if after and updated <= after:  # RFC 3339 in UTC: compares as text
                    break
                batch.messages.append(review_message(str(review["name"]), review))
                newest = max(newest, updated)
            async with conn.transaction():
                if batch.messages:
                    outcomes, announce = await do_ingest(
                        conn, [IngestUnit(account, batch)], reopen_window_s
                    )
                    result.stored += outcomes[0].stored
                    result.after.append(announce)
                if error is None:
                    cursor["after"] = newest
                await conn.execute(_SAVE, account.id, cursor, None, error)
            result.accounts += 1
            if error:
                result.errors.append(error)
    return result


def _account(row: Any) -> ChannelAccount:
    return ChannelAccount.model_validate(
        {
            k: row[k]
            for k in (
                "id",
                "brand_id",
                "channel",
                "name",
                "queue_id",
                "credentials",
                "created_at",
                "disabled_at",
            )
        }
    )


async def _fetch(
    http: aiohttp.ClientSession,
    base: str,
    account: ChannelAccount,
    cursor: dict[str, Any],
    now: datetime,
) -> tuple[InboundBatch, datetime | None, datetime | None, str | None]:
    creds = account.credentials
    after = datetime.fromisoformat(cursor["after"]) if cursor.get("after") else None
    params = {
        "part": "snippet,replies",
        "allThreadsRelatedToChannelId": creds["channel_id"],
        "order": "time",
        "maxResults": "100",
    }
    headers = {"Authorization": f"Bearer {creds['access_token']}"}
    batch, newest = InboundBatch(), after
    for _ in range(MAX_PAGES):
        async with http.get(
            f"{base.rstrip('/')}/youtube/v3/commentThreads", params=params, headers=headers
        ) as resp:
            try:
                data = await resp.json(content_type=None)
            except ValueError:  # an HTML error page from a proxy
                data = None
            # on any error the cursor stays: what was read is stored, the rest is read next time
            if resp.status in (403, 429) and _quota(data):
                return batch, None, _next_pacific_midnight(now), "YouTube quota exceeded"
            if resp.status == 429:
                retry = resp.headers.get("Retry-After", "60")
                wait = float(retry) if retry.isdigit() else 60.0
                return batch, None, now + timedelta(seconds=wait), "YouTube rate limit"
            if resp.status >= 400 or not isinstance(data, dict):
                message = (
                    ((data or {}).get("error") or {}).get("message", f"HTTP {resp.status}")
                    if isinstance(data, dict)
                    else f"HTTP {resp.status}"
                )
                return batch, None, None, f"YouTube error: {message}"
        done = False
        for thread in data.get("items", []):
            thread = await _with_all_replies(http, base, headers, thread)
            messages, own, latest = thread_messages(thread, str(creds["channel_id"]))
            batch.echoes += own
            if after is not None and (latest is None or latest <= after):
                done = True  # ordered by latest activity: everything further down is older
                break
            batch.messages += [m for m in messages if after is None or m.sent_at > after]
            if latest is not None and (newest is None or latest > newest):
                newest = latest
        token = data.get("nextPageToken")
        if done or not token:
            return batch, newest, None, None  # complete: the cursor may move
        params["pageToken"] = token
    # more pages than one poll reads: keep what was found, but not the cursor (next time
    # starts from the top again; duplicates are ignored)
    return batch, None, None, "more than 5 pages of new comments"


async def _with_all_replies(
    http: aiohttp.ClientSession, base: str, headers: dict[str, str], thread: dict[str, Any]
) -> dict[str, Any]:
    """commentThreads embeds only some replies (CHANNELS.md §8): when the thread has more, read
    them all with comments.list?parentId= (1 quota unit per page). Errors keep what we have."""
    embedded = (thread.get("replies") or {}).get("comments") or []
    total = int((thread.get("snippet") or {}).get("totalReplyCount") or 0)
    if total <= len(embedded):
        return thread
    replies: list[dict[str, Any]] = []
    params = {"part": "snippet", "parentId": str(thread["id"]), "maxResults": "100"}
    for _ in range(MAX_PAGES):
        async with http.get(f"{base.rstrip('/')}/youtube/v3/comments", params=params,
                            headers=headers) as resp:  # fmt: skip
            if resp.status >= 400:
                return thread
            data = await resp.json(content_type=None)
        replies += data.get("items") or []
        if not data.get("nextPageToken"):
            break
        params["pageToken"] = str(data["nextPageToken"])
    return thread | {"replies": {"comments": replies}}


def _quota(data: Any) -> bool:
    errors = ((data or {}).get("error") or {}).get("errors") or []
    return any(
        e.get("reason") in ("quotaExceeded", "rateLimitExceeded", "dailyLimitExceeded")
        for e in errors
    )


def _next_pacific_midnight(now: datetime) -> datetime:
    """YouTube's daily quota resets at midnight Pacific time."""
    from zoneinfo import ZoneInfo

    pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    tomorrow = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return tomorrow.astimezone(UTC)
