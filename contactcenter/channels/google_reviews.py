"""Google Business Profile reviews (CHANNELS.md §15): Pub/Sub pushes a notification, we fetch
the review and answer with the owner's reply. Served by contactcenter/api/google_reviews.py;
this class describes the account and refuses /webhooks/ calls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contactcenter.channels.base import InboundMessage, NotByWebhook, clean_text

USE_PUSH = "Point the Pub/Sub push subscription at /google-reviews/{account_id}/push."
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class GoogleReviews(NotByWebhook):
    name = "google-reviews"
    # access_token (business.manage: fetch and reply); oidc_audience + push_service_account
    # (the push's OIDC token), or push_secret (?token= on the push URL) instead
    required_credentials: tuple[str, ...] = ("access_token",)

    refusal = USE_PUSH


def review_message(name: str, review: dict[str, Any]) -> InboundMessage:
    reviewer = review.get("reviewer") or {}
    stars = STARS.get(str(review.get("starRating", "")), 0)
    updated = str(review.get("updateTime") or review.get("createTime") or "")
    at = datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else datetime.now(UTC)
    text = (
        "★" * stars + "☆" * (5 - stars) + (f" {review['comment']}" if review.get("comment") else "")
    )
    who = "anonymous" if reviewer.get("isAnonymous") else str(reviewer.get("displayName") or "")
    return InboundMessage(
        platform_message_id=f"{name}@{updated}",
        conversation_id=f"review:{name}",
        sender_id=f"review:{name}",
        sender_name=who,
        sent_at=min(at, datetime.now(UTC)),
        kind="review",
        text=clean_text(text.strip()),
    )
