"""Every webhook channel over HTTP, signed as the platform signs: two messages of one
conversation arriving newest first are shown in the platform's order, and a redelivery of
either stores nothing (invariant 1 and 6, per channel)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.channels.api import sign as api_sign
from contactcenter.channels.slack import signature as slack_signature
from contactcenter.channels.twilio_sms import signature as twilio_signature
from tests.helpers import tg_headers, wa_hook, wa_text
from tests.world import TG_SECRET, World

Client = TestClient[Any, Any]
SECRET = "channel-secret-1"
PAGE, IG, US = "107000000000001", "17841400000000000", "2244994945"


def _hex(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _b64(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _meta(body: bytes, _: str) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + _hex(body), "Content-Type": "application/json"}


@dataclass(frozen=True)
class Case:
    channel: str
    credentials: dict[str, str]
    payload: Callable[[str, int, str], bytes | dict[str, str]]  # (id, unix s, text)
    headers: Callable[[bytes, str], dict[str, str]]  # (body, url) → signed headers
    timed: bool = True  # the platform says when it was written (Twilio does not)
    query: str = ""


def _messenger(mid: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"object": "page", "entry": [{"id": PAGE, "time": ts * 1000, "messaging": [
        {"sender": {"id": "6650000000000001"}, "recipient": {"id": PAGE}, "timestamp": ts * 1000,
         "message": {"mid": mid, "text": text}}]}]})  # fmt: skip


def _instagram(mid: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"object": "instagram", "entry": [{"id": IG, "time": ts * 1000, "messaging": [
        {"sender": {"id": "1790000000000001"}, "recipient": {"id": IG}, "timestamp": ts * 1000,
         "message": {"mid": mid, "text": text}}]}]})  # fmt: skip


def _facebook(cid: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"object": "page", "entry": [{"id": PAGE, "time": ts, "changes": [
        {"field": "feed", "value": {"from": {"id": "24083121234567890", "name": "Jane"},
         "post_id": f"{PAGE}_1221", "comment_id": cid, "parent_id": f"{PAGE}_1221",
         "item": "comment", "verb": "add", "message": text, "created_time": ts}}]}]})  # fmt: skip


def _x(dm_id: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"for_user_id": US, "direct_message_events": [
        {"type": "message_create", "id": dm_id, "created_timestamp": str(ts * 1000),
         "message_create": {"target": {"recipient_id": US}, "sender_id": "3805104374",
                            "message_data": {"text": text}}}],
        "users": {"3805104374": {"id": "3805104374", "name": "Jane", "screen_name": "jane"}}})  # fmt: skip


def _line(mid: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"destination": "Uacme", "events": [
        {"type": "message", "mode": "active", "timestamp": ts * 1000, "webhookEventId": f"ev{mid}",
         "source": {"type": "user", "userId": "U4af4980629abcdef1234567890abcdef"},
         "message": {"id": mid, "type": "text", "text": text}}]})  # fmt: skip


def _viber(token: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"event": "message", "timestamp": ts * 1000, "message_token": int(token),
                         "sender": {"id": "01234567890A=", "name": "John"},
                         "message": {"type": "text", "text": text}})  # fmt: skip


def _telegram(n: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"update_id": int(n), "message": {
        "message_id": int(n), "date": ts, "chat": {"id": 4242, "type": "private"},
        "from": {"id": 4242, "is_bot": False, "first_name": "Tom"}, "text": text}})  # fmt: skip


def _api(mid: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"messages": [{
        "id": mid, "conversation_id": "order-1", "sender": {"id": "customer-1"}, "text": text,
        "sent_at": datetime.fromtimestamp(ts, UTC).isoformat()}]})  # fmt: skip


def _slack(ts_id: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"Ev{ts_id}",
                         "authorizations": [{"user_id": "UBOT"}],
                         "event": {"type": "message", "channel": "D1", "channel_type": "im",
                                   "user": "U1", "text": text, "ts": f"{ts}.{ts_id}"}})  # fmt: skip


def _linkedin(nid: str, ts: int, text: str) -> bytes:
    return orjson.dumps({"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{
        "notificationId": int(nid), "organizationalEntity": "urn:li:organization:1",
        "action": "COMMENT", "sourcePost": "urn:li:share:1",
        "generatedActivity": f"urn:li:comment:(urn:li:activity:1,{nid})",
        "decoratedGeneratedActivity": {"comment": {"actor": "urn:li:person:A", "text": text}},
        "lastModifiedAt": ts * 1000, "subscriber": "urn:li:person:Admin"}]})  # fmt: skip


def _email(mid: str, ts: int, text: str) -> dict[str, str]:
    date = datetime.fromtimestamp(ts, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    refs = "" if mid == "1" else "References: <1@example.org>\r\n"
    raw = (f"From: ines@example.org\r\nTo: help@acme.test\r\nSubject: Order\r\nDate: {date}\r\n"
           f"Message-ID: <{mid}@example.org>\r\n{refs}\r\n{text}\r\n")  # fmt: skip
    return {"email": raw}


def _twilio(sid: str, ts: int, text: str) -> dict[str, str]:
    return {"MessageSid": f"SM{sid}", "From": "+4915100000001", "To": "+14155550000", "Body": text}


# fmt: off
CASES = [
    Case("whatsapp", {"app_secret": SECRET, "verify_token": "v", "access_token": "t",
                      "phone_number_id": "106540352242922"},
         lambda mid, ts, text: wa_hook(wa_text(f"wamid.{mid}", "4915100000001", text, ts)),
         _meta),
    Case(
        "messenger",
        {"app_secret": SECRET, "verify_token": "v", "page_id": PAGE, "page_access_token": "t"},
        _messenger,
        _meta,
    ),
    Case(
        "instagram",
        {"app_secret": SECRET, "verify_token": "v", "ig_id": IG, "access_token": "t"},
        _instagram,
        _meta,
    ),
    Case(
        "facebook",
        {"app_secret": SECRET, "verify_token": "v", "page_id": PAGE, "page_access_token": "t"},
        _facebook,
        _meta,
    ),
    Case(
        "x",
        {"consumer_secret": SECRET, "user_id": US, "access_token": "t"},
        _x,
        lambda b, _: {"x-twitter-webhooks-signature": "sha256=" + _b64(b)},
    ),
    Case(
        "line",
        {"channel_secret": SECRET, "channel_access_token": "t"},
        _line,
        lambda b, _: {"x-line-signature": _b64(b)},
    ),
    Case(
        "viber", {"auth_token": SECRET}, _viber, lambda b, _: {"X-Viber-Content-Signature": _hex(b)}
    ),
    Case(
        "telegram",
        {"bot_token": "7000000099:AAx", "secret_token": TG_SECRET},
        _telegram,
        lambda b, _: tg_headers(),
    ),
    Case(
        "api",
        {"hmac_secret": SECRET, "callback_url": "http://127.0.0.1:9/cb"},
        _api,
        lambda b, _: {
            "X-CC-Timestamp": (t := str(int(time.time()))),
            "X-CC-Signature": api_sign(SECRET, t, b),
            "Content-Type": "application/json",
        },
    ),
    Case(
        "slack",
        {"signing_secret": SECRET, "bot_token": "xoxb"},
        _slack,
        lambda b, _: {
            "X-Slack-Request-Timestamp": (t := str(int(time.time()))),
            "X-Slack-Signature": slack_signature(SECRET, t, b),
        },
    ),
    Case(
        "linkedin",
        {"client_secret": SECRET, "organization": "urn:li:organization:1", "access_token": "t"},
        _linkedin,
        lambda b, _: {
            "X-LI-Signature": hmac.new(
                SECRET.encode(), b"hmacsha256=" + b, hashlib.sha256
            ).hexdigest()
        },
    ),
    Case(
        "email",
        {"address": "help@acme.test", "sendgrid_secret": SECRET},
        _email,
        lambda b, _: {},
        query=f"?key={SECRET}",
    ),
    Case(
        "twilio-sms",
        {"account_sid": "AC1", "auth_token": SECRET, "from_number": "+14155550000"},
        _twilio,
        lambda b, url: {},
        timed=False,
    ),
]
# fmt: on


async def _post(client: Client, case: Case, account: str, made: bytes | dict[str, str]) -> Any:
    path = f"/webhooks/{case.channel}/{account}{case.query}"
    if isinstance(made, dict):  # a form: urlencoded (Twilio) or multipart (SendGrid)
        if case.channel == "twilio-sms":
            body = urlencode(made).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Twilio-Signature": twilio_signature(
                           SECRET, "http://testserver" + path, list(made.items()))}  # fmt: skip
        else:
            body = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                            .encode() for k, v in made.items()) + b"--B--\r\n"  # fmt: skip
            headers = {"Content-Type": "multipart/form-data; boundary=B"}
    else:
        body, headers = made, case.headers(made, path)
    resp = await client.post(path, data=body, headers=headers)
    assert resp.status == 200, (case.channel, resp.status, await resp.text())
    return (await resp.json()) if resp.content_type == "application/json" else {}


@pytest.mark.parametrize("case", CASES, ids=[c.channel for c in CASES])
async def test_order_and_redelivery(
    client: Client, world: World, pool: asyncpg.Pool, case: Case
) -> None:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": case.channel, "name": f"{case.channel} 2",
        "queue_id": str(world.queue.id), "credentials": case.credentials,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    account = (await resp.json())["id"]
    now = int(time.time()) - 120
    older, newer = case.payload("1", now, "first"), case.payload("2", now + 60, "second")
    await _post(client, case, account, newer)  # the later message arrives first
    await _post(client, case, account, older)
    again = await _post(client, case, account, older)  # a redelivery
    if again:
        assert again["stored"] == 0 and again["duplicates"] == 1, (case.channel, again)
    rows = await pool.fetch(
        "SELECT ticket_id, text FROM messages WHERE channel_account_id = $1 ORDER BY sent_at, id",
        account,
    )
    assert len(rows) == 2 and len({r["ticket_id"] for r in rows}) == 1, (case.channel, rows)
    shown = await (await client.get(f"/api/v1/tickets/{rows[0]['ticket_id']}/messages",
                                    headers=world.auth("agent"))).json()  # fmt: skip
    texts = [m["text"].split("\n")[-1] for m in shown["items"]]  # e-mail: subject line first
    assert texts == (["first", "second"] if case.timed else ["second", "first"]), case.channel
