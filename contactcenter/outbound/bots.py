"""The bot platforms' send APIs: LINE (push), Viber (send_message) and Telegram (sendMessage,
or a file's upload), with their answers turned into a `Result` (CHANNELS.md, section (e))."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from contactcenter.outbound.base import Outgoing, Result
from contactcenter.outbound.files import sent_as


def line_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Push (reply tokens expire within seconds, an agent's answer comes later). The retry key
    makes a repeated attempt of the same message a no-op at LINE."""
    headers = {"Authorization": f"Bearer {out.credentials['channel_access_token']}"}
    if out.idempotency_key:
        headers["X-Line-Retry-Key"] = out.idempotency_key
    messages: list[dict[str, str]] = [
        {"type": "image", "originalContentUrl": f.url, "previewImageUrl": f.url} for f in out.files
    ]
    if out.text or not messages:
        messages.append({"type": "text", "text": out.text or ""})
    body = {"to": out.to, "messages": messages}
    return f"{base.rstrip('/')}/v2/bot/message/push", headers, body


def viber_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    headers = {"X-Viber-Auth-Token": out.credentials["auth_token"]}
    body: dict[str, Any] = {
        "receiver": out.to,
        "min_api_version": 1,
        "sender": {"name": out.credentials.get("sender_name") or "Support"},
        "type": "text",
        "text": out.text or "",
    }
    if out.files:  # one file, fetched by Viber from the link
        f = out.files[0]
        shown = sent_as("viber", f.mime_type) or "document"
        if shown == "image":
            body |= {"type": "picture", "media": f.url}
        else:
            del body["text"]
            body |= {"type": "video" if shown == "video" else "file", "media": f.url,
                     "size": f.size}  # fmt: skip
            if shown != "video":
                body["file_name"] = f.name
    return f"{base.rstrip('/')}/pa/send_message", headers, body


TELEGRAM_METHOD = {
    "image": ("sendPhoto", "photo"),
    "audio": ("sendAudio", "audio"),
    "video": ("sendVideo", "video"),
    "document": ("sendDocument", "document"),
}


def telegram_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], Any]:
    """sendMessage (JSON), or with a file its send method as a multipart upload of the bytes
    (a URL would work only for some types)."""
    base = f"{base.rstrip('/')}/bot{out.credentials['bot_token']}"
    chat: int | str = int(out.to) if out.to.lstrip("-").isdigit() else out.to
    reply = None
    if out.reply_to:  # our Telegram platform ids are "chat:message"
        reply = {
            "message_id": int(out.reply_to.rsplit(":", 1)[-1]),
            "allow_sending_without_reply": True,
        }
    if not out.files:
        body: dict[str, Any] = {"chat_id": chat, "text": out.text or ""}
        if reply:
            body["reply_parameters"] = reply
        return f"{base}/sendMessage", {}, body
    f = out.files[0]
    method, field = TELEGRAM_METHOD[sent_as("telegram", f.mime_type) or "document"]
    form = aiohttp.FormData(quote_fields=False)  # names as written (safe_name cleaned them)
    form.add_field("chat_id", str(chat))
    if out.text:
        form.add_field("caption", out.text)
    if reply:
        form.add_field("reply_parameters", orjson.dumps(reply).decode())
    form.add_field(field, f.data or b"", filename=f.name, content_type=f.mime_type)
    return f"{base}/{method}", {}, form


def line_result(status: int, data: Any, headers: Mapping[str, str]) -> Result:
    if status < 300:
        try:
            return Result("sent", platform_id=str(data["sentMessages"][0]["id"]))
        except (KeyError, IndexError, TypeError):
            return Result("failed", error="LINE accepted the message but returned no id.")
    if status == 409 and headers.get("x-line-accepted-request-id"):
        # an earlier attempt with this retry key was accepted: sent, not twice
        return Result("sent", platform_id=f"request:{headers['x-line-accepted-request-id']}")
    err = data if isinstance(data, dict) else {}
    details = "; ".join(
        str(d.get("message")) for d in err.get("details", []) if isinstance(d, dict)
    )
    text = f"LINE error {status}: {err.get('message', 'no message')}" + (
        f" ({details})" if details else ""
    )
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)


def viber_result(status: int, data: Any) -> Result:
    if status >= 500 or status == 429:
        return Result("retry", error=f"Viber answered HTTP {status}")
    err = data if isinstance(data, dict) else {}
    if status < 300 and err.get("status") == 0 and err.get("message_token") is not None:
        return Result("sent", platform_id=str(err["message_token"]))
    text = f"Viber error {err.get('status')}: {err.get('status_message', 'no message')}"
    if err.get("status") in (5, 6):
        text += ". The customer has not subscribed to the bot; they have to message it first."
    return Result("failed", error=text)


def telegram_result(status: int, data: Any, chat: str) -> Result:
    if status < 300 and isinstance(data, dict) and data.get("ok"):
        return Result("sent", platform_id=f"{chat}:{data['result']['message_id']}")
    description = data.get("description") if isinstance(data, dict) else None
    text = f"Telegram error {status}: {description or 'no description'}"
    if status == 403:
        text += ". The customer blocked the bot or never started it; they cannot be messaged."
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)
