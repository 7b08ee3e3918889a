"""Twilio Programmable Messaging: SMS and MMS (CHANNELS.md §9).

No handshake. Signature: X-Twilio-Signature = base64(HMAC-SHA1(auth token, the full URL as
configured, query string included, + every POST parameter sorted by name as name+value)), so
the receiver needs the public URL (CC_PUBLIC_URL + path). One message per request, form
encoded, no timestamp (receive time is used). The same URL takes the status callbacks of our
own sends (MessageStatus). Twilio expects TwiML back: an empty <Response/>.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    StatusUpdate,
    bad_signature,
    clean_text,
    constant_time_equal,
    not_allowed,
)
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "undelivered": "failed",
          "failed": "failed"}  # fmt: skip
MAX_MEDIA = 10  # Twilio's limit per message


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature (checked against its published vector in the tests)."""
    payload = url + "".join(k + v for k, v in sorted(params, key=lambda kv: kv[0]))
    digest = hmac.digest(auth_token.encode(), payload.encode(), hashlib.sha1)
    return base64.b64encode(digest).decode()


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(
            ErrorCode.BAD_REQUEST,
            "Twilio posts application/x-www-form-urlencoded fields; this body is not that "
            f"({type(exc).__name__}).",
        ) from exc


def _status(fields: dict[str, str], sid: str, status: str, batch: InboundBatch) -> None:
    if status not in STATUS:  # queued, sending, accepted: not news
        batch.ignored.append(f"status:{status}")
        return
    code = fields.get("ErrorCode")
    error = None
    if code:
        error = f"Twilio error {code}"
        if fields.get("ErrorMessage"):
            error += f": {fields['ErrorMessage']}"
    batch.statuses.append(StatusUpdate(sid, STATUS[status], datetime.now(UTC), error))


def _address(value: str) -> str:
    return value.removeprefix("whatsapp:")


class TwilioSms:
    name = "twilio-sms"
    required_credentials: tuple[str, ...] = ("account_sid", "auth_token", "from_number")
    ack = ("text/xml", "<Response/>")

    def handshake(self, account: ChannelAccount, query: Mapping[str, str]) -> str:
        raise not_allowed(
            "Twilio has no verification handshake: configure this URL as the number's "
            "'A message comes in' webhook (HTTP POST).",
        )

    def verify(
        self, account: ChannelAccount, headers: Mapping[str, str], body: bytes, url: str = ""
    ) -> None:
        given = headers.get("X-Twilio-Signature")
        if not given:
            raise bad_signature("Missing X-Twilio-Signature header; Twilio signs every request.")
        expected = signature(str(account.credentials.get("auth_token", "")), url, _form(body))
        if not constant_time_equal(given.strip(), expected):
            raise bad_signature(
                "X-Twilio-Signature does not match. Check the account's auth_token, and that "
                "CC_PUBLIC_URL is the exact base URL configured in Twilio (scheme, host, port)."
            )

    def parse(self, account: ChannelAccount, body: bytes) -> InboundBatch:
        fields = dict(_form(body))
        batch = InboundBatch()
        sid = fields.get("MessageSid") or fields.get("SmsSid")
        if not sid:
            raise ApiError(ErrorCode.INVALID_JSON, "The Twilio request has no MessageSid field.")
        status = fields.get("MessageStatus") or fields.get("SmsStatus") or "received"
        if status != "received":  # a status callback of one of our sends
            _status(fields, sid, status, batch)
            return batch
        sender = _address(fields.get("From", ""))
        own = _address(str(account.credentials.get("from_number", "")))
        if own.startswith("MG"):  # a Messaging Service sends from a pool: any of its numbers
            own = ""
        if not sender:
            batch.ignored.append("message_without_sender")
            return batch
        if own and _address(fields.get("To", "")) not in (own, ""):
            batch.ignored.append("other_number")
            return batch
        count = min(int(fields.get("NumMedia", "0") or 0), MAX_MEDIA)
        media = tuple(
            Attachment("media", fields[f"MediaUrl{i}"], fields.get(f"MediaContentType{i}"))
            for i in range(count)
            if fields.get(f"MediaUrl{i}")
        )
        batch.messages.append(InboundMessage(
            platform_message_id=sid, conversation_id=sender, sender_id=sender,
            sender_name=fields.get("ProfileName", ""), sent_at=datetime.now(UTC),
            kind="text" if not media else "media", text=clean_text(fields.get("Body") or None),
            attachments=media, reply_to=fields.get("OriginalRepliedMessageSid"),
        ))  # fmt: skip
        return batch
