"""LinkedIn Organization Social Action Notifications (CHANNELS.md §7): comments and mentions
on the brand's organization page.

Validation: GET ?challengeCode=… → JSON {"challengeCode", "challengeResponse": hex
HMAC-SHA256(client secret, challengeCode)}. Signature: X-LI-Signature; LinkedIn's text is
ambiguous and receivers disagree, so both readings are accepted: hex HMAC(secret, "hmacsha256="
+ body), and "hmacsha256=" + hex HMAC(secret, body); which one matched is logged. The payload
usually carries no comment text: the worker fetches it from the socialActions API
(workers/enrich.py); mentions say who mentioned the brand where. A post's comments are one
public conversation ("post:<urn>").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contactcenter import logs
from contactcenter.channels.base import (
    InboundBatch,
    InboundMessage,
    bad_signature,
    constant_time_equal,
    from_unix,
    malformed,
    without_nul,
)
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

log = logs.get_logger(__name__)
STORED = {"COMMENT": "commented", "SHARE_MENTION": "mentioned you"}


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    notificationId: int | str
    action: str = Field(max_length=64)
    organizationalEntity: str | None = None
    sourcePost: str | None = None
    generatedActivity: str | None = None
    decoratedGeneratedActivity: dict[str, Any] | None = None
    lastModifiedAt: int
    subscriber: str | None = None


class Hook(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = ""
    notifications: list[Notification] = []


def challenge_response(secret: str, code: str) -> str:
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()


class LinkedIn:
    name = "linkedin"
    # client_secret (validation and signatures), organization (urn:li:organization:…), and
    # access_token (w_organization_social: replies)
    required_credentials: tuple[str, ...] = ("client_secret", "organization", "access_token")
    handshake_content_type = "application/json"

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        code = query.get("challengeCode")
        if not code:
            raise ApiError(
                ErrorCode.BAD_REQUEST,
                "This URL answers LinkedIn's validation: expected ?challengeCode=…",
            )
        secret = str(account.credentials.get("client_secret", ""))
        return orjson.dumps(
            {"challengeCode": code, "challengeResponse": challenge_response(secret, code)}
        ).decode()

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        given = (headers.get("X-LI-Signature") or "").strip().lower()
        if not given:
            raise bad_signature("Missing X-LI-Signature; LinkedIn signs every notification.")
        secret = str(account.credentials.get("client_secret", "")).encode()
        prefixed_body = hmac.new(secret, b"hmacsha256=" + body, hashlib.sha256).hexdigest()
        prefixed_header = "hmacsha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        for form, expected in (
            ("prefixed_body", prefixed_body),
            ("prefixed_header", prefixed_header),
        ):
            if constant_time_equal(given, expected):
                log.debug("linkedin.signature_form", form=form)
                return
        raise bad_signature("X-LI-Signature does not match; check the app's client_secret.")

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        try:
            hook = Hook.model_validate_json(without_nul(body))
        except (ValidationError, ValueError) as exc:
            raise malformed(self.name, exc) from exc
        batch = InboundBatch()
        own = str(account.credentials.get("organization", ""))
        for n in hook.notifications:
            verb = STORED.get(n.action)
            if n.action == "ADMIN_COMMENT":  # our organization's own comment: our reply
                batch.echoes += 1
                continue
            if verb is None:
                batch.ignored.append(f"action:{n.action}")
                continue
            if own and n.organizationalEntity and n.organizationalEntity != own:
                batch.ignored.append("other_organization")
                continue
            who = _author(n)
            text = _text(n)
            if text is None and not _is_comment(n.generatedActivity):
                name = who if who.startswith("urn:li:") else "Someone"
                text = f"{name} {verb} on {n.sourcePost} ({n.generatedActivity})"
            # a comment without its text: the worker fetches it (workers/enrich.py)
            batch.messages.append(
                InboundMessage(
                    platform_message_id=str(n.notificationId),
                    conversation_id=f"post:{n.sourcePost}",
                    sender_id=who,
                    sender_name="",
                    sent_at=from_unix(n.lastModifiedAt / 1000),
                    kind=n.action.lower(),
                    text=text,
                    reply_to=n.generatedActivity,
                )
            )
        return batch


def _is_comment(urn: str | None) -> bool:
    return bool(urn and urn.startswith("urn:li:comment:("))


def comment_parts(urn: str) -> tuple[str, str] | None:
    """urn:li:comment:(urn:li:activity:7012…,7012…) → (the activity URN, the comment id)."""
    inner = urn.removeprefix("urn:li:comment:(").removesuffix(")")
    target, _, comment_id = inner.rpartition(",")
    return (target, comment_id) if target and comment_id else None


def _author(n: Notification) -> str:
    """Who wrote it. Not `subscriber`: that is the page admin whose subscription delivers every
    notification. The decorated comment names its actor when LinkedIn includes it; otherwise
    each activity stands for its own (unknown) author, so different people never become one
    contact."""
    comment = (n.decoratedGeneratedActivity or {}).get("comment") or {}
    for key in ("actor", "owner", "author"):
        if isinstance(comment.get(key), str) and comment[key].startswith("urn:li:"):
            return str(comment[key])
    return f"unknown:{n.generatedActivity or n.notificationId}"


def _text(n: Notification) -> str | None:
    """The comment's text when LinkedIn decorated the notification with it."""
    comment = (n.decoratedGeneratedActivity or {}).get("comment") or {}
    text = comment.get("text") or (comment.get("message") or {}).get("text")
    return str(text) if text else None
