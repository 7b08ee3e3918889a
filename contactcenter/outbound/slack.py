"""Slack's send API (CHANNELS.md §12e): chat.postMessage with the bot token, into the DM or
the thread the customer wrote in. Slack answers errors as HTTP 200 with `ok: false`.

Files go by Slack's external upload: files.getUploadURLExternal per file (its name and length),
the bytes POSTed to the URL Slack gives, then one files.completeUploadExternal that shares them
in the conversation, with the text as the message (scope files:write)."""

from __future__ import annotations

from typing import Any

import aiohttp

from contactcenter.outbound.base import Outgoing, Result

TEMPORARY = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                       "request_timeout"})  # fmt: skip
ADVICE = {
    "not_in_channel": "invite the app to the channel (/invite @app)",
    "channel_not_found": "the app cannot see this channel; invite it or check the bot token",
    "invalid_auth": "the bot_token is wrong or was revoked; reinstall the app",
    "missing_scope": "give the app the chat:write and files:write scopes and reinstall it",
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


async def send_files(
    http: aiohttp.ClientSession, base: str, out: Outgoing, timeout_s: float
) -> Result:
    """The reply's files (and its text) shared in the DM or thread; one attempt."""
    base = base.rstrip("/")
    auth = {"Authorization": f"Bearer {out.credentials['bot_token']}"}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    channel, _, thread = out.to.partition(":")
    uploaded = []
    try:
        for f in out.files:
            form = {"filename": f.name, "length": str(len(f.data or b""))}
            async with http.post(f"{base}/api/files.getUploadURLExternal", data=form,
                                 headers=auth, timeout=timeout) as resp:  # fmt: skip
                got = await resp.json(content_type=None)
                if resp.status >= 300 or not (isinstance(got, dict) and got.get("ok")):
                    return slack_result(resp.status, got)
            # the bytes get time for their size too: at least 256 KB/s
            slow = aiohttp.ClientTimeout(total=timeout_s + len(f.data or b"") / (256 * 1024))
            async with http.post(got["upload_url"], data=f.data or b"", timeout=slow) as resp:
                if resp.status >= 300:
                    return slack_result(resp.status, {"error": f"upload answered {resp.status}"})
            uploaded.append({"id": got["file_id"], "title": f.name})
        body: dict[str, Any] = {"files": uploaded, "channel_id": channel}
        if thread:
            body["thread_ts"] = thread
        if out.text:
            body["initial_comment"] = out.text
        async with http.post(f"{base}/api/files.completeUploadExternal", json=body,
                             headers=auth, timeout=timeout) as resp:  # fmt: skip
            done = await resp.json(content_type=None)
            if resp.status >= 300 or not (isinstance(done, dict) and done.get("ok")):
                return slack_result(resp.status, done)
    except (TimeoutError, aiohttp.ClientError, ValueError, KeyError) as exc:
        return Result("retry", error=f"slack did not answer: {type(exc).__name__}")
    return Result("sent", platform_id=f"{channel}:file:{uploaded[0]['id']}")
