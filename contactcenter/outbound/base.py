"""What a send is given (Outgoing), where the platforms are (Endpoints) and what a send
returns (Result): shared by every platform's sender."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Conversations in public (comment threads, mentions, reviews): no reply window, no files
PUBLIC_THREADS = ("post:", "comment:", "mention:", "thread:", "review:", "photo:")


@dataclass(frozen=True, slots=True)
class OutFile:
    """One file of a reply, as a sender sees it."""

    media_id: int
    mime_type: str
    size: int
    name: str
    url: str  # where the platform fetches it (an expiring link to us)
    data: bytes | None = None  # the bytes, for the platforms that take an upload


@dataclass(frozen=True, slots=True)
class Outgoing:
    channel: str
    credentials: dict[str, str]
    to: str  # the platform's conversation: a WhatsApp wa_id, a Telegram chat id
    text: str | None
    template: dict[str, Any] | None = None
    reply_to: str | None = None  # the platform id of the message being answered
    tag: str | None = None  # Messenger/Instagram outside 24 h: HUMAN_AGENT
    status_callback: str | None = None  # Twilio: where delivery statuses of this send go
    idempotency_key: str | None = None  # LINE: X-Line-Retry-Key, the same on every attempt
    mention: str | None = None  # X: the @name a public reply starts with
    files: tuple[OutFile, ...] = ()  # files the reply carries (outbound/files.py: which go)


@dataclass(frozen=True, slots=True)
class Result:
    outcome: str  # sent, retry, failed
    platform_id: str | None = None
    error: str | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class Endpoints:
    graph: str  # Meta Graph API base (WhatsApp, Messenger, Instagram), e.g. .../v21.0
    telegram: str  # Bot API base, e.g. https://api.telegram.org
    twilio: str = "https://api.twilio.com"
    line: str = "https://api.line.me"
    x: str = "https://api.x.com"
    youtube: str = "https://www.googleapis.com"
    linkedin: str = "https://api.linkedin.com"
    google_business: str = "https://mybusiness.googleapis.com"
    flickr: str = "https://api.flickr.com"
    viber: str = "https://chatapi.viber.com"
    slack: str = "https://slack.com"
    public_url: str = ""  # ours: status callbacks come back to the account's webhook URL


def wait_asked(status: int, headers: Mapping[str, str], data: Any) -> float | None:
    """How long the platform asked us to wait before trying again, if it said."""
    header = headers.get("Retry-After")
    if header and header.replace(".", "", 1).isdigit():
        return float(header)
    reset = headers.get("x-rate-limit-reset")  # X: when the window resets (epoch s)
    if status == 429 and reset and reset.isdigit():
        return max(float(reset) - time.time(), 1.0)
    params = data.get("parameters") if isinstance(data, dict) else None
    if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
        return float(params["retry_after"])  # Telegram puts it in the body
    return None
