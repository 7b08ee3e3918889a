"""LINE and Viber end to end: signed webhook → ticket → reply out through the fake APIs."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from contactcenter.actions.outbound import idempotency_key
from tests.helpers import fixture
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]


async def _account(client: Client, world: World, channel: str, creds: dict[str, str]) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": channel, "name": channel,
        "queue_id": str(world.queue.id), "credentials": creds,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    account_id: str = (await resp.json())["id"]
    return account_id


async def _reply_and_deliver(client: Client, world: World, pool: asyncpg.Pool,
                             ctx: dict[str, Any], text: str) -> int:  # fmt: skip
    tid = await pool.fetchval("SELECT id FROM tickets")
    resp = await client.post(f"/api/v1/tickets/{tid}/messages", json={"text": text},
                             headers=world.auth("agent"))  # fmt: skip
    message_id: int = (await resp.json())["id"]
    outcome = await deliver(ctx, message_id)
    error = await pool.fetchval("SELECT delivery_error FROM messages WHERE id = $1", message_id)
    assert outcome == "sent", error
    return message_id


async def test_line_in_and_push_out_with_a_retry_key(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _account(client, world, "line",
                             {"channel_secret": "sec", "channel_access_token": "LTOKEN"})  # fmt: skip
    body = fixture("line/verify.json")
    sig = base64.b64encode(hmac.new(b"sec", body, hashlib.sha256).digest()).decode()
    verify = await client.post(f"/webhooks/line/{account}", data=body,
                               headers={"x-line-signature": sig})  # fmt: skip
    assert verify.status == 200  # the console's Verify button
    body = fixture("line/events.json")
    sig = base64.b64encode(hmac.new(b"sec", body, hashlib.sha256).digest()).decode()
    resp = await client.post(
        f"/webhooks/line/{account}", data=body, headers={"x-line-signature": sig}
    )
    assert (await resp.json())["stored"] == 2  # the standby event is not ours
    await pool.execute("DELETE FROM tickets WHERE platform_conversation_id LIKE 'C%'")
    message_id = await _reply_and_deliver(client, world, pool, ctx, "Hi there")
    [request] = fake.requests
    assert request["path"] == "/v2/bot/message/push" and request["auth"] == "Bearer LTOKEN"
    assert request["retry_key"] == idempotency_key(message_id)
    assert request["body"] == {"to": "U4af4980629abcdef1234567890abcdef",
                               "messages": [{"type": "text", "text": "Hi there"}]}  # fmt: skip


async def test_viber_in_and_out(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _account(client, world, "viber", {"auth_token": "vtok", "sender_name": "Acme"})
    for name in ("viber/webhook_check.json", "viber/message.json"):
        body = fixture(name)
        sig = hmac.new(b"vtok", body, hashlib.sha256).hexdigest()
        resp = await client.post(f"/webhooks/viber/{account}", data=body,
                                 headers={"X-Viber-Content-Signature": sig})  # fmt: skip
        assert resp.status == 200
    message_id = await _reply_and_deliver(client, world, pool, ctx, "We're on it")
    [request] = fake.requests
    assert request["path"] == "/pa/send_message" and request["viber_token"] == "vtok"
    assert request["body"] == {"receiver": "01234567890A=", "min_api_version": 1,
                               "sender": {"name": "Acme"}, "type": "text", "text": "We're on it"}  # fmt: skip
    pid = await pool.fetchval("SELECT platform_message_id FROM messages WHERE id = $1", message_id)
    assert pid == "5098034275300000001"  # the message_token Viber answered
