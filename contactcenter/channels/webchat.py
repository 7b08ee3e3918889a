"""Web chat: our own widget on the brand's site (CHANNELS.md table; no platform webhook).

The widget talks to /chat/{account_id}/... (contactcenter/api/webchat.py), not to
/webhooks/...: this class only describes the account (credentials) and refuses webhook calls.
"""

from __future__ import annotations

from contactcenter.channels.base import NotByWebhook
from contactcenter.models import ChannelAccount

USE_CHAT = (
    "Web chat accounts have no webhook: embed the widget (GET /chat/widget.js) or call "
    "/chat/{account_id}/conversations and /messages."
)


class Webchat(NotByWebhook):
    name = "webchat"
    # allowed_origins: comma-separated origins of the brand's site, e.g. https://shop.example.com
    # hmac_secret (optional): verify signed-in users (user_hash = hex HMAC-SHA256(secret, user_id))
    required_credentials: tuple[str, ...] = ("allowed_origins",)

    refusal = USE_CHAT


def origins(account: ChannelAccount) -> set[str]:
    raw = str(account.credentials.get("allowed_origins", ""))
    return {o.strip().rstrip("/") for o in raw.split(",") if o.strip()}
