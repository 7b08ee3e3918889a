"""Each platform's send API (CHANNELS.md, section (e) of each channel): one request per message.

`send` returns a `Result`: sent (with the platform's message id), retry (timeouts, 5xx, 429,
with the platform's Retry-After when it gives one), or failed (a permanent 4xx, with the
platform's own error text, which the agent sees on the message).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import aiohttp
import orjson
from yarl import URL

from contactcenter.outbound.base import Endpoints, Outgoing, Result, wait_asked
from contactcenter.outbound.bots import (
    line_request,
    line_result,
    telegram_request,
    telegram_result,
    viber_request,
    viber_result,
)
from contactcenter.outbound.files import sent_as
from contactcenter.outbound.slack import send_files, slack_request, slack_result
from contactcenter.outbound.social import (
    flickr_request,
    flickr_result,
    linkedin_request,
    linkedin_result,
    review_reply_request,
    review_result,
    x_request,
    x_result,
    x_upload,
    youtube_request,
    youtube_result,
)

__all__ = ["Endpoints", "Outgoing", "Result", "send"]


def whatsapp_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    url = f"{base.rstrip('/')}/{out.credentials['phone_number_id']}/messages"
    headers = {"Authorization": f"Bearer {out.credentials['access_token']}"}
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": out.to,
    }
    if out.template is not None:
        body |= {"type": "template", "template": out.template}
    elif out.files:  # one file; WhatsApp fetches it from the link
        f = out.files[0]
        shown = sent_as("whatsapp", f.mime_type) or "document"
        media: dict[str, str] = {"link": f.url}
        if out.text and shown != "audio":
            media["caption"] = out.text
        if shown == "document":
            media["filename"] = f.name
        body |= {"type": shown, shown: media}
    else:
        body |= {"type": "text", "text": {"preview_url": False, "body": out.text or ""}}
    if out.reply_to:
        body["context"] = {"message_id": out.reply_to}
    return url, headers, body


def comment_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A public reply to the latest comment: Facebook /{comment}/comments, Instagram
    /{comment}/replies (CHANNELS.md §3e, §4e)."""
    base = base.rstrip("/")
    if out.to.startswith("comment:"):  # Instagram
        headers = {"Authorization": f"Bearer {out.credentials['access_token']}"}
        return f"{base}/{out.reply_to}/replies", headers, {"message": out.text or ""}
    token = out.credentials["page_access_token"]
    return f"{base}/{out.reply_to}/comments?access_token={token}", {}, {"message": out.text or ""}


def messaging_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Messenger (Send API on the Page) and Instagram (the IG account's messages edge)."""
    message: dict[str, Any] = {"text": out.text or ""}
    if out.files:  # one file, no text (outbound/files.py refuses both at once)
        f = out.files[0]
        shown = sent_as(out.channel, f.mime_type) or "document"
        payload = {"url": f.url, "is_reusable": False}
        message = {"attachment": {"type": "file" if shown == "document" else shown,
                                  "payload": payload}}  # fmt: skip
    body: dict[str, Any] = {"recipient": {"id": out.to}, "message": message}
    if out.channel == "messenger":
        url = f"{base.rstrip('/')}/{out.credentials['page_id']}/messages"
        url += f"?access_token={out.credentials['page_access_token']}"
        headers: dict[str, str] = {}
        body = {
            "recipient": body["recipient"],
            "messaging_type": "RESPONSE",
            "message": body["message"],
        }
    else:
        url = f"{base.rstrip('/')}/{out.credentials['ig_id']}/messages"
        headers = {"Authorization": f"Bearer {out.credentials['access_token']}"}
    if out.tag:
        body["messaging_type"] = "MESSAGE_TAG"
        body["tag"] = out.tag
    return url, headers, body


def twilio_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """Programmable Messaging: form fields, HTTP Basic auth with the account SID and token."""
    sid, token = out.credentials["account_sid"], out.credentials["auth_token"]
    url = f"{base.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
    auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
    sender = out.credentials["from_number"]
    to = f"whatsapp:{out.to}" if sender.startswith("whatsapp:") else out.to
    form = [("To", to), ("Body", out.text or "")]
    form.append(("MessagingServiceSid", sender) if sender.startswith("MG") else ("From", sender))
    form += [("MediaUrl", f.url) for f in out.files]  # MMS: Twilio fetches each
    if out.status_callback:
        form.append(("StatusCallback", out.status_callback))
    return url, {"Authorization": f"Basic {auth}"}, form


def api_request(out: Outgoing, message_id: str) -> tuple[str, dict[str, str], bytes]:
    """Our own API channel: the reply as signed JSON to the account's callback URL."""
    from contactcenter.channels.api import sign

    files = [{"url": f.url, "name": f.name, "mime_type": f.mime_type, "size": f.size}
             for f in out.files]  # fmt: skip
    body = orjson.dumps({"id": message_id, "conversation_id": out.to, "text": out.text,
                         "reply_to": out.reply_to, "attachments": files})  # fmt: skip
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-CC-Timestamp": stamp,
        "X-CC-Signature": sign(out.credentials["hmac_secret"], stamp, body),
    }
    return out.credentials["callback_url"], headers, body


META = ("messenger", "facebook", "instagram")  # the Graph channels with comment threads
PLATFORM = {
    "whatsapp": "WhatsApp",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "facebook": "Facebook",
}


def _graph_result(channel: str, status: int, data: Any) -> Result:
    """Meta Graph answers: WhatsApp's messages[0].id, Messenger's and Instagram's message_id;
    errors as {"error": {"message", "code", "error_data"}} (CHANNELS.md §1-§3)."""
    platform = PLATFORM[channel]
    if status < 300:
        try:
            if channel == "whatsapp":
                pid = data["messages"][0]["id"]
            else:  # a message's message_id, or a comment's id
                pid = data.get("message_id") or data["id"]
            return Result("sent", platform_id=str(pid))
        except (KeyError, IndexError, TypeError):
            return Result("failed", error=f"{platform} accepted the message but returned no id.")
    err = data.get("error", {}) if isinstance(data, dict) else {}
    code = err.get("code")
    details = (err.get("error_data") or {}).get("details")
    text = f"{platform} error {code}: {err.get('message', 'no message')}"
    if details:
        text += f" ({details})"
    if code == 131047:
        text += ". The 24-hour window has closed: send an approved template."
    rate_limited = code in (4, 80007, 130429, 131048, 131056)
    return Result(
        "retry" if status >= 500 or status == 429 or rate_limited else "failed", error=text
    )


def _twilio_result(status: int, data: Any) -> Result:
    if status < 300 and isinstance(data, dict) and data.get("sid"):
        return Result("sent", platform_id=str(data["sid"]))
    err = data if isinstance(data, dict) else {}
    text = f"Twilio error {err.get('code')}: {err.get('message', 'no message')}"
    if err.get("code") == 63016:
        text += ". The WhatsApp 24-hour window has closed: send an approved template."
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)


def _api_result(status: int, data: Any, message_id: str) -> Result:
    if status < 300:
        given = data.get("id") if isinstance(data, dict) else None
        return Result("sent", platform_id=str(given or f"cc-{message_id}"))
    detail = data.get("error") if isinstance(data, dict) else None
    text = f"The callback URL answered HTTP {status}" + (f": {detail}" if detail else "")
    return Result("retry" if status >= 500 or status in (408, 429) else "failed", error=text)


async def send(
    http: aiohttp.ClientSession, ends: Endpoints, out: Outgoing, timeout_s: float
) -> Result:
    """One attempt; a missing credential fails the message with its name (no retry)."""
    try:
        return await _send(http, ends, out, timeout_s)
    except KeyError as exc:
        return Result("failed", error=f"The {out.channel} account lacks the credential {exc}.")


async def _send(
    http: aiohttp.ClientSession, ends: Endpoints, out: Outgoing, timeout_s: float
) -> Result:
    """One attempt. Network errors and timeouts are retried (the platform may not have it)."""
    raw: bytes | None = None  # a body sent as signed bytes (our API channel)
    body: Any
    if out.channel == "whatsapp":
        url, headers, body = whatsapp_request(out, ends.graph)
    elif out.channel in META and out.to.startswith(("post:", "comment:")):  # public thread
        if not out.reply_to:
            return Result("failed", error="No comment to answer on this ticket.")
        url, headers, body = comment_request(out, ends.graph)
    elif out.channel in ("messenger", "instagram"):
        url, headers, body = messaging_request(out, ends.graph)
    elif out.channel == "telegram":
        url, headers, body = telegram_request(out, ends.telegram)
    elif out.channel == "twilio-sms":
        url, headers, body = twilio_request(out, ends.twilio)
    elif out.channel == "line":
        url, headers, body = line_request(out, ends.line)
    elif out.channel == "viber":
        url, headers, body = viber_request(out, ends.viber)
    elif out.channel == "api":
        url, headers, raw = api_request(out, out.idempotency_key or "")
        body = {}
    elif out.channel == "x":
        media_id = await x_upload(http, ends.x, out, timeout_s) if out.files else None
        if isinstance(media_id, Result):
            return media_id
        url, headers, body = x_request(out, ends.x, media_id)
    elif out.channel == "youtube":
        url, headers, body = youtube_request(out, ends.youtube)
    elif out.channel == "linkedin":
        url, headers, body = linkedin_request(out, ends.linkedin)
    elif out.channel == "google-reviews":
        url, headers, body = review_reply_request(out, ends.google_business)
    elif out.channel == "flickr":
        url, headers, body = flickr_request(out, ends.flickr)
    elif out.channel == "slack" and out.files:  # three calls: Slack's external upload
        return await send_files(http, ends.slack, out, timeout_s)
    elif out.channel == "slack":
        url, headers, body = slack_request(out, ends.slack)
    else:
        return Result("failed", error=f"Sending on {out.channel} is not supported yet.")
    # form fields (Twilio, Flickr), an upload (Telegram), signed bytes (API); the others JSON
    as_data = raw is not None or out.channel == "flickr" or not isinstance(body, dict)
    data_out: Any = raw if raw is not None else (body if as_data else None)
    try:
        async with http.request(
            "PUT" if out.channel == "google-reviews" else "POST",
            # LinkedIn wants the URN in the path percent-encoded, which yarl would undo
            URL(url, encoded=True) if out.channel == "linkedin" else url,
            headers=headers,
            json=None if as_data else body,
            data=data_out,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            try:
                data = await resp.json(content_type=None)
            except ValueError:
                data = None
            if resp.status >= 300 and data is None:
                data = {"error": {"message": (await resp.text())[:300]}}
            retry_after = wait_asked(resp.status, resp.headers, data)
            status, answer_headers = resp.status, resp.headers
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Result("retry", error=f"{out.channel} did not answer: {type(exc).__name__}")
    if out.channel == "telegram":
        result = telegram_result(status, data, out.to)
    elif out.channel == "twilio-sms":
        result = _twilio_result(status, data)
    elif out.channel == "line":
        result = line_result(status, data, answer_headers)
    elif out.channel == "viber":
        result = viber_result(status, data)
    elif out.channel == "api":
        result = _api_result(status, data, out.idempotency_key or "")
    elif out.channel == "x":
        result = x_result(status, data)
    elif out.channel == "youtube":
        result = youtube_result(status, data)
    elif out.channel == "linkedin":
        result = linkedin_result(status, data, answer_headers)
    elif out.channel == "google-reviews":
        result = review_result(status, data, out.to)
    elif out.channel == "flickr":
        result = flickr_result(status, data)
    elif out.channel == "slack":
        result = slack_result(status, data)
    else:
        result = _graph_result(out.channel, status, data)
    if result.outcome == "retry" and retry_after is not None:
        return Result("retry", error=result.error, retry_after_s=retry_after)
    return result
