"""YouTube comments (CHANNELS.md §8): no webhook, so a worker polls commentThreads.list for
the channel (newest first) and stops at the last poll's high-water mark. A thread's top-level
comment and the replies by others are customer messages; the channel's own replies are
echoes. The conversation is the thread: an agent's reply answers under its top-level comment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contactcenter.channels.base import InboundMessage, NotByWebhook, clean_text

USE_POLLING = "YouTube has no comment webhook: this account is polled by the worker."


class YouTube(NotByWebhook):
    name = "youtube"
    # channel_id (UC…); api_key (reading) and access_token (OAuth, youtube.force-ssl: replies)
    required_credentials: tuple[str, ...] = ("channel_id", "access_token")

    refusal = USE_POLLING


def _comment(thread_id: str, comment: dict[str, Any], own: str) -> InboundMessage | None:
    snippet = comment.get("snippet") or {}
    author = (snippet.get("authorChannelId") or {}).get("value")
    if not author or author == own:
        return None
    return InboundMessage(
        platform_message_id=str(comment["id"]),
        conversation_id=f"thread:{thread_id}",
        sender_id=str(author),
        sender_name=str(snippet.get("authorDisplayName") or ""),
        sent_at=datetime.fromisoformat(str(snippet["publishedAt"]).replace("Z", "+00:00")),
        kind="comment",
        text=clean_text(snippet.get("textOriginal") or snippet.get("textDisplay")),
        reply_to=snippet.get("parentId"),
    )


def thread_messages(
    thread: dict[str, Any], own: str
) -> tuple[list[InboundMessage], int, datetime | None]:
    """The customers' comments of one commentThread resource, how many were our own, and the
    thread's latest activity (ours included: the list is ordered by it)."""
    snippet = thread.get("snippet") or {}
    comments = [
        snippet.get("topLevelComment") or {},
        *((thread.get("replies") or {}).get("comments") or []),
    ]
    out, own_count, latest = [], 0, None
    for c in comments:
        if not c.get("id"):
            continue
        published = (c.get("snippet") or {}).get("publishedAt")
        if published:
            at = datetime.fromisoformat(str(published).replace("Z", "+00:00"))
            latest = at if latest is None or at > latest else latest
        m = _comment(str(thread["id"]), c, own)
        if m is None:
            own_count += 1
        else:
            out.append(m)
    return out, own_count, latest
