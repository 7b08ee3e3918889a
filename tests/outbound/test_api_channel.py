"""The signed API channel: a shop posts signed JSON in; replies go back signed to its callback."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.actions.outbound import idempotency_key
from contactcenter.channels.api import sign
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
SECRET = "shop-secret"


async def _post(client: Client, account: str, body: dict[str, Any], *, stamp: int | None = None,
                secret: str = SECRET) -> Any:  # fmt: skip
    raw = orjson.dumps(body)
    ts = str(stamp if stamp is not None else int(time.time()))
    return await client.post(f"/webhooks/api/{account}", data=raw, headers={
        "Content-Type": "application/json", "X-CC-Timestamp": ts,
        "X-CC-Signature": sign(secret, ts, raw),
    })  # fmt: skip


async def test_signed_json_in_and_signed_reply_out(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any]
) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def shop(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.json_response({"id": "shop-msg-77"})

    app = web.Application()
    app.router.add_post("/cc-callback", shop)
    async with TestServer(app) as server:
        callback = str(server.make_url("/cc-callback"))
        resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
            "brand_id": str(world.brand.id), "channel": "api", "name": "Shop",
            "queue_id": str(world.queue.id),
            "credentials": {"hmac_secret": SECRET, "callback_url": callback},
        })  # fmt: skip
        account = (await resp.json())["id"]
        message = {"id": "order-17-q1", "conversation_id": "order-17",
                   "sender": {"id": "customer-9", "name": "Ines"}, "text": "Where is order 17?",
                   "sent_at": "2026-11-30T08:00:00Z", "language": "de-AT"}  # fmt: skip
        ok = await _post(client, account, {"messages": [message]})
        assert ok.status == 200 and (await ok.json())["stored"] == 1
        assert (await (await _post(client, account, {"messages": [message]})).json())[
            "duplicates"
        ] == 1
        for bad in (await _post(client, account, {"messages": [message]}, stamp=int(time.time()) - 600),
                    await _post(client, account, {"messages": [message]}, secret="wrong")):  # fmt: skip
            assert bad.status == 401 and (await bad.json())["error"]["code"] == "bad_signature"
        unknown = await _post(client, account, {"messages": [message | {"colour": "red"}]})
        assert unknown.status == 400  # unknown fields are refused, not dropped silently
        row = await pool.fetchrow(
            "SELECT t.id, c.language FROM tickets t JOIN contacts c ON c.id = t.contact_id"
        )
        assert row["language"] == "de"
        sent = await (await client.post(f"/api/v1/tickets/{row['id']}/messages",
                                        json={"text": "It ships today."},
                                        headers=world.auth("agent"))).json()  # fmt: skip
        await pool.execute("UPDATE tickets SET last_inbound_at = now()")
        assert await deliver(ctx, sent["id"]) == "sent"
    [(headers, raw)] = received
    assert headers["X-CC-Signature"] == sign(SECRET, headers["X-CC-Timestamp"], raw)
    assert orjson.loads(raw) == {"id": idempotency_key(sent["id"]), "conversation_id": "order-17",
                                 "text": "It ships today.", "reply_to": None,
                                 "attachments": []}  # fmt: skip
    pid = await pool.fetchval("SELECT platform_message_id FROM messages WHERE id = $1", sent["id"])
    assert pid == "shop-msg-77"
    receipt = await _post(client, account, {"statuses": [{"id": "shop-msg-77", "status": "read"}]})
    assert (await receipt.json())["statuses"] == 1
    status = await pool.fetchval("SELECT delivery_status FROM messages WHERE id = $1", sent["id"])
    assert status == "read"
