"""Flickr comments (CHANNELS.md §16): no webhook, so the worker polls the recent activity on the
brand's photos (flickr.activity.userPhotos, OAuth 1.0a signed) and keeps other people's
comments; a photo is a public conversation ("photo:<id>"), answered with addComment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from contactcenter.channels.base import InboundMessage, NotByWebhook, clean_text
from contactcenter.oauth1 import oauth1_signature, oauth_fields

USE_POLLING = "Flickr has no comment webhook: this account is polled by the worker."


def signed_params(
    method: str, url: str, params: dict[str, str], creds: Mapping[str, Any]
) -> dict[str, str]:
    """`params` plus the oauth_* fields and their signature, ready to send."""
    out = params | oauth_fields(str(creds["api_key"]), str(creds["oauth_token"]))
    out["oauth_signature"] = oauth1_signature(
        method, url, out, str(creds["api_secret"]), str(creds["oauth_token_secret"])
    )
    return out


class Flickr(NotByWebhook):
    name = "flickr"
    required_credentials: tuple[str, ...] = (
        "api_key",
        "api_secret",
        "user_id",
        "oauth_token",
        "oauth_token_secret",
    )

    refusal = USE_POLLING


def activity_messages(
    data: dict[str, Any], own: str, after: int
) -> tuple[list[InboundMessage], int]:
    """Comments by others newer than `after` (unix s) in a userPhotos answer, and the newest."""
    out, newest = [], after
    for item in (data.get("items") or {}).get("item") or []:
        photo = str(item.get("id"))
        for event in (item.get("activity") or {}).get("event") or []:
            added = int(event.get("dateadded") or 0)
            if event.get("type") != "comment" or event.get("user") == own or added <= after:
                continue
            newest = max(newest, added)
            out.append(
                InboundMessage(
                    platform_message_id=str(event["commentid"]),
                    conversation_id=f"photo:{photo}",
                    sender_id=str(event["user"]),
                    sender_name=str(event.get("username") or ""),
                    sent_at=datetime.fromtimestamp(added, tz=UTC),
                    kind="comment",
                    text=clean_text(str(event.get("_content") or "")),
                )
            )
    return out, newest
