"""Slack's send API (CHANNELS.md §12e): chat.postMessage with the bot token, into the DM or
the thread the customer wrote in. Slack answers errors as HTTP 200 with `ok: false`."""

from __future__ import annotations

from typing import Any

from contactcenter.outbound.base import Outgoing, Result

TEMPORARY = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                       "request_timeout"})  # fmt: skip
ADVICE = {
    "not_in_channel": "invite the app to the channel (/invite @app)",
    "channel_not_found": "the app cannot see this channel; invite it or check the bot token",
    "invalid_auth": "the bot_token is wrong or was revoked; reinstall the app",
    "missing_scope": "give the app the chat:write scope and reinstall it",
    "is_archived": "the channel is archived",
}


def slack_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    channel, _, thread = out.to.partition(":")
    body: dict[str, Any] = {"channel": channel, "text": out.text or ""}
    if thread:
        body["thread_ts"] = thread
    headers = {"Authorization": f"Bearer {out.credentials['bot_token']}"}
    return f"{base.rstrip('/')}/api/chat.postMessage", headers, body


def slack_result(status: int, data: Any) -> Result:
    body = data if isinstance(data, dict) else {}
    if status < 300 and body.get("ok") and body.get("ts"):
        return Result("sent", platform_id=f"{body.get('channel')}:{body['ts']}")
    code = str(body.get("error") or f"HTTP {status}")
    text = f"Slack error: {code}" + (f" ({ADVICE[code]})" if code in ADVICE else "")
    temporary = status >= 500 or status == 429 or code in TEMPORARY
    return Result("retry" if temporary else "failed", error=text)
