"""Twilio SMS end to end: a signed form webhook → ticket → reply out as Twilio's form API, and
the status callback of that send back on the same URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import asyncpg
from aiohttp.test_utils import TestClient

from contactcenter.channels.twilio_sms import signature
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
TOKEN = "twilio-auth-token"


async def _post(client: Client, path: str, fields: dict[str, str], token: str = TOKEN) -> Any:
    url = "http://testserver" + path  # CC_PUBLIC_URL + path: what Twilio signed
    return await client.post(path, data=urlencode(fields).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(token, url, list(fields.items())),
    })  # fmt: skip


async def test_sms_in_reply_out_status_back(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "twilio-sms", "name": "SMS",
        "queue_id": str(world.queue.id),
        "credentials": {"account_sid": "AC123", "auth_token": TOKEN, "from_number": "+14155550000"},
    })  # fmt: skip
    account = (await resp.json())["id"]
    path = f"/webhooks/twilio-sms/{account}"
    sms = {"MessageSid": "SMin1", "From": "+14155551234", "To": "+14155550000",
           "Body": "Where is my order?", "NumMedia": "0", "SmsStatus": "received"}  # fmt: skip
    resp = await _post(client, path, sms)
    assert resp.status == 200 and resp.content_type == "text/xml"
    assert await resp.text() == "<Response/>"
    assert (await _post(client, path, sms)).status == 200  # a retry: stored once
    assert await pool.fetchval("SELECT count(*) FROM messages") == 1
    forged = await _post(client, path, sms | {"MessageSid": "SMforged"}, token="wrong")
    assert forged.status == 401 and await pool.fetchval("SELECT count(*) FROM messages") == 1

    tid = await pool.fetchval("SELECT id FROM tickets")
    sent = await (await client.post(f"/api/v1/tickets/{tid}/messages", json={"text": "On its way!"},
                                    headers=world.auth("agent"))).json()  # fmt: skip
    assert await deliver(ctx, sent["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["auth"] == "Basic QUMxMjM6dHdpbGlvLWF1dGgtdG9rZW4="  # AC123:twilio-auth-token
    assert request["body"] == {"To": "+14155551234", "From": "+14155550000", "Body": "On its way!",
                               "StatusCallback": f"http://testserver{path}"}  # fmt: skip
    sid = await pool.fetchval("SELECT platform_message_id FROM messages WHERE id = $1", sent["id"])
    callback = {"MessageSid": sid, "MessageStatus": "delivered", "To": "+14155551234",
                "From": "+14155550000"}  # fmt: skip
    assert (await _post(client, path, callback)).status == 200
    status = await pool.fetchval("SELECT delivery_status FROM messages WHERE id = $1", sent["id"])
    assert status == "delivered"
