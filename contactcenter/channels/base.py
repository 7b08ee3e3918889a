"""The common inbound model every platform is normalised into, and the `Channel` protocol.

A receiver verifies the raw bytes first, then parses them into an `InboundBatch`: messages to
store, delivery receipts to apply, and the event types it saw but deliberately ignored.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import orjson
from pydantic import ValidationError

from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # image, video, audio, voice, document, sticker
    platform_media_id: str
    mime_type: str | None = None
    name: str | None = None
    size: int | None = None
    data: bytes | None = field(default=None, repr=False, compare=False)  # e-mail: the part itself


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer message, whatever platform it came from."""

    platform_message_id: str
    conversation_id: str  # where replies go: WhatsApp wa_id, Telegram chat id
    sender_id: str  # the platform's stable id for the customer
    sender_name: str
    sent_at: datetime
    kind: str = "text"
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    sender_username: str | None = None
    language: str | None = None
    thread: tuple[str, str] | None = None  # e-mail: (subject, References) for the reply
    verified_email: str | None = None  # an address the platform vouches for (contacts merge)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """The platform's report on one of our outbound messages."""

    platform_message_id: str
    status: str  # sent, delivered, read, failed
    at: datetime
    error: str | None = None


@dataclass(slots=True)
class InboundBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # event types seen and skipped (logged)
    echoes: int = 0  # our own outbound messages reflected back, dropped
    answer: tuple[str, str] | None = None  # (content type, body) a handshake POST wants back


class Channel(Protocol):
    """What every platform module provides. All methods are pure: no I/O."""

    name: str
    required_credentials: tuple[str, ...]

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        """Answer the platform's GET verification; return the body to send, or raise ApiError."""
        ...

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        """Check the signature or secret over the raw body (and, for platforms that sign it,
        the public URL they posted to); raise ApiError(BAD_SIGNATURE)."""
        ...

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        """Turn a verified body into the common model; raise ApiError(INVALID_JSON) if malformed."""
        ...


def bad_signature(message: str) -> ApiError:
    return ApiError(ErrorCode.BAD_SIGNATURE, message)


def not_allowed(message: str) -> ApiError:
    """A webhook call this channel does not take (405); `message` says what it takes instead."""
    return ApiError(ErrorCode.METHOD_NOT_ALLOWED, message)


class NotByWebhook:
    """A channel whose messages do not come through /webhooks/ (polled, or its own endpoints):
    the class describes the account; every webhook call is refused with `refusal`."""

    refusal = ""

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed(self.refusal)

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        raise not_allowed(self.refusal)

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        raise not_allowed(self.refusal)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def malformed(channel: str, exc: Exception) -> ApiError:
    """A 400 that says where the body went wrong, without echoing its content."""
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_input=False)
        if errors and errors[0]["type"] == "json_invalid":
            return ApiError(
                ErrorCode.INVALID_JSON,
                f"The {channel} payload is not valid JSON: {errors[0]['msg']}.",
            )
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        where = where or "body"
        reason = errors[0]["msg"] if errors else "invalid"
        return ApiError(
            ErrorCode.INVALID_JSON,
            f"The {channel} payload is malformed at `{where}`: {reason}. "
            "Send the JSON exactly as the platform documents it.",
        )
    return ApiError(
        ErrorCode.INVALID_JSON,
        f"The {channel} payload has a value the platform never sends ({exc}). "
        "Send the JSON exactly as the platform documents it.",
    )


def from_unix(seconds: int | float | str) -> datetime:
    """Unix seconds → UTC; anything that is not a plausible time raises ValueError (a 400)."""
    value = float(seconds)
    if not 0 < value < 1e11:  # 1970 .. year 5138; also rejects nan and inf
        raise ValueError(f"not a unix timestamp: {seconds!r}")
    return datetime.fromtimestamp(value, tz=UTC)


def primary_language(tag: str | None) -> str | None:
    """'pt-br' → 'pt': routing matches agents' ISO 639-1 codes; anything else is unknown."""
    if not tag:
        return None
    primary = tag.split("-")[0].split("_")[0].lower()
    return primary if len(primary) == 2 and primary.isalpha() else None


def without_nul(body: bytes) -> bytes:
    """PostgreSQL text cannot hold NUL: drop it from every string of a (verified) JSON body."""
    if b"\\u0000" not in body:
        return body
    return orjson.dumps(_strip(orjson.loads(body)))


def _strip(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {_strip(k): _strip(v) for k, v in value.items()}
    return value


def clean_text(text: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; platforms occasionally send it. Drop it, keep the rest."""
    if text is None:
        return None
    return text.replace("\x00", "") if "\x00" in text else text
