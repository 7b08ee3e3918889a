"""Signed single-message webhooks of every webhook channel, for bench/ingest_mixed.py: each
signed the way its platform signs (CHANNELS.md), one message each, from many senders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from contactcenter.channels.api import sign as api_sign
from contactcenter.channels.slack import signature as slack_signature
from contactcenter.channels.twilio_sms import signature as twilio_signature

SECRET = "bench-secret"
SENDERS = 5000
CHANNELS = (
    "whatsapp",
    "telegram",
    "messenger",
    "instagram",
    "twilio-sms",
    "line",
    "viber",
    "api",
    "x",
    "facebook",
    "slack",
    "linkedin",
    "email",
)
CREDENTIALS: dict[str, dict[str, str]] = {
    "messenger": {
        "app_secret": SECRET,
        "verify_token": "v",
        "page_id": "1070001",
        "page_access_token": "p",
    },
    "instagram": {
        "app_secret": SECRET,
        "verify_token": "v",
        "ig_id": "1784001",
        "access_token": "i",
    },
    "twilio-sms": {"account_sid": "AC1", "auth_token": SECRET, "from_number": "+14155550000"},
    "line": {"channel_secret": SECRET, "channel_access_token": "l"},
    "viber": {"auth_token": SECRET},
    "api": {"hmac_secret": SECRET, "callback_url": "http://127.0.0.1:9/none"},
    "x": {"consumer_secret": SECRET, "user_id": "2244994945", "access_token": "x"},
    "facebook": {
        "app_secret": SECRET,
        "verify_token": "v",
        "page_id": "1070002",
        "page_access_token": "p",
    },
    "slack": {"signing_secret": SECRET, "bot_token": "xoxb-bench"},
    "linkedin": {
        "client_secret": SECRET,
        "organization": "urn:li:organization:1",
        "access_token": "l",
    },
    "email": {"address": "bench@acme.test", "sendgrid_secret": SECRET},
}


def _hex(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _b64(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def request(
    channel: str, n: int, sender: int, accounts: dict[str, str], public: str
) -> tuple[str, dict[str, str], bytes, str]:
    """(path, headers, body, platform message id) of one signed single-message webhook."""
    path = f"/webhooks/{channel}/{accounts[channel]}"
    text, ms = f"Where is order {n}?", int(time.time() * 1000)
    if channel == "whatsapp":
        from contactcenter.simulate import whatsapp_payload

        pid = f"wamid.mixed.{n}"
        body = whatsapp_payload("106540352242922", [(pid, f"4915{sender:08d}", text, ms // 1000)])
        return (
            path,
            {
                "X-Hub-Signature-256": "sha256="
                + hmac.new(b"demo-app-secret", body, hashlib.sha256).hexdigest()
            },
            body,
            pid,
        )
    if channel == "telegram":
        from contactcenter.simulate import telegram_payload

        body = telegram_payload(n, 700_000 + sender, n, text, f"User {sender}")
        return (
            path,
            {"X-Telegram-Bot-Api-Secret-Token": "demo-secret-token"},
            body,
            f"{700_000 + sender}:{n}",
        )
    if channel in ("messenger", "instagram"):
        own = "1070001" if channel == "messenger" else "1784001"
        pid = f"m_mixed_{n}"
        body = json.dumps(
            {
                "object": "page" if channel == "messenger" else "instagram",
                "entry": [
                    {
                        "id": own,
                        "time": ms,
                        "messaging": [
                            {
                                "sender": {"id": f"66{sender:08d}"},
                                "recipient": {"id": own},
                                "timestamp": ms,
                                "message": {"mid": pid, "text": text},
                            }
                        ],
                    }
                ],
            }
        ).encode()
        return (
            path,
            {"X-Hub-Signature-256": "sha256=" + _hex(body), "Content-Type": "application/json"},
            body,
            pid,
        )
    if channel == "twilio-sms":
        pid = f"SMmixed{n:010d}"
        fields = {
            "MessageSid": pid,
            "From": f"+1415{sender:07d}",
            "To": "+14155550000",
            "Body": text,
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        body = urlencode(fields).encode()
        sig = twilio_signature(SECRET, public + path, list(fields.items()))
        return (
            path,
            {"X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"},
            body,
            pid,
        )
    if channel == "line":
        pid = f"4687{n:012d}"
        body = json.dumps(
            {
                "destination": "Ubench",
                "events": [
                    {
                        "type": "message",
                        "mode": "active",
                        "timestamp": ms,
                        "webhookEventId": f"E{n}",
                        "source": {"type": "user", "userId": f"U{sender:032d}"},
                        "message": {"type": "text", "id": pid, "text": text},
                    }
                ],
            }
        ).encode()
        return path, {"x-line-signature": _b64(body)}, body, pid
    if channel == "viber":
        pid = str(5_000_000_000 + n)
        body = json.dumps(
            {
                "event": "message",
                "timestamp": ms,
                "message_token": int(pid),
                "sender": {"id": f"V{sender:010d}=", "name": f"User {sender}"},
                "message": {"type": "text", "text": text},
            }
        ).encode()
        return path, {"X-Viber-Content-Signature": _hex(body)}, body, pid
    if channel in MORE:
        return MORE[channel](path, n, sender, text, ms)
    pid = f"api-{n}"
    body = json.dumps(
        {
            "messages": [
                {
                    "id": pid,
                    "conversation_id": f"c{sender}",
                    "sender": {"id": f"s{sender}"},
                    "text": text,
                }
            ]
        }
    ).encode()
    stamp = str(int(time.time()))
    return (
        path,
        {
            "X-CC-Timestamp": stamp,
            "X-CC-Signature": api_sign(SECRET, stamp, body),
            "Content-Type": "application/json",
        },
        body,
        pid,
    )


Signed = tuple[str, dict[str, str], bytes, str]  # path, headers, body, platform message id


def _x(path: str, n: int, sender: int, text: str, ms: int) -> Signed:
    pid = str(1_800_000_000_000_000_000 + n)
    event = {
        "type": "message_create",
        "id": pid,
        "created_timestamp": str(ms),
        "message_create": {
            "target": {"recipient_id": "2244994945"},
            "sender_id": f"38{sender:08d}",
            "message_data": {"text": text},
        },
    }
    body = json.dumps({"for_user_id": "2244994945", "direct_message_events": [event]}).encode()
    return path, {"x-twitter-webhooks-signature": "sha256=" + _b64(body)}, body, pid


def _facebook(path: str, n: int, sender: int, text: str, ms: int) -> Signed:
    pid = f"1221_{n}"
    value = {
        "from": {"id": f"24{sender:08d}", "name": f"User {sender}"},
        "post_id": f"1070002_{sender % 50}",
        "comment_id": pid,
        "item": "comment",
        "verb": "add",
        "message": text,
        "created_time": ms // 1000,
    }
    entry = {"id": "1070002", "time": ms // 1000, "changes": [{"field": "feed", "value": value}]}
    body = json.dumps({"object": "page", "entry": [entry]}).encode()
    headers = {"X-Hub-Signature-256": "sha256=" + _hex(body), "Content-Type": "application/json"}
    return path, headers, body, pid


def _slack(path: str, n: int, sender: int, text: str, ms: int) -> Signed:
    ts, channel = f"{ms // 1000}.{n:06d}", f"D{sender:08d}"
    event = {"type": "message", "channel": channel, "channel_type": "im",
             "user": f"U{sender:08d}", "text": text, "ts": ts}  # fmt: skip
    body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"Ev{n}",
                       "event": event}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": slack_signature(SECRET, stamp, body)}  # fmt: skip
    return path, headers, body, f"{channel}:{ts}"


def _linkedin(path: str, n: int, sender: int, text: str, ms: int) -> Signed:
    pid = str(900_000_000 + n)
    comment = {"actor": f"urn:li:person:P{sender}", "text": text}
    notification = {
        "notificationId": int(pid),
        "organizationalEntity": "urn:li:organization:1",
        "action": "COMMENT",
        "sourcePost": f"urn:li:share:{sender % 50}",
        "generatedActivity": f"urn:li:comment:(urn:li:activity:{sender % 50},{n})",
        "decoratedGeneratedActivity": {"comment": comment},
        "lastModifiedAt": ms,
    }
    body = json.dumps({"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
                       "notifications": [notification]}).encode()  # fmt: skip
    sig = hmac.new(SECRET.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()
    return path, {"X-LI-Signature": sig}, body, pid


def _email(path: str, n: int, sender: int, text: str, ms: int) -> Signed:
    pid = f"mixed-{n}@example.org"
    raw = (f"From: user{sender}@example.org\r\nTo: bench@acme.test\r\nSubject: Order {n}\r\n"
           f"Message-ID: <{pid}>\r\n\r\n{text}\r\n")  # fmt: skip
    body = (b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\n' + raw.encode()
            + b"\r\n--B--\r\n")  # fmt: skip
    return f"{path}?key={SECRET}", {"Content-Type": "multipart/form-data; boundary=B"}, body, pid


MORE = {"x": _x, "facebook": _facebook, "slack": _slack, "linkedin": _linkedin, "email": _email}
