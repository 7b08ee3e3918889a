"""X end to end: CRC over HTTP, a signed DM and a mention in, a DM and a public reply out."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.helpers import fixture
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
SECRET = "x-consumer-secret"


async def _post(client: Client, account: str, body: bytes) -> Any:
    sig = (
        "sha256="
        + base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    )
    resp = await client.post(f"/webhooks/x/{account}", data=body,
                             headers={"x-twitter-webhooks-signature": sig})  # fmt: skip
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _account(client: Client, world: World) -> str:
    """The brand's X account (@acme), connected through the API."""
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "x", "name": "@acme",
        "queue_id": str(world.queue.id),
        "credentials": {"consumer_secret": SECRET, "user_id": "2244994945", "access_token": "XTOKEN"},
    })  # fmt: skip
    account: str = (await resp.json())["id"]
    return account


async def test_x_dm_and_mention_in_and_out(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _account(client, world)
    crc = await client.get(f"/webhooks/x/{account}", params={"crc_token": "abc"})
    assert crc.status == 200 and crc.content_type == "application/json"
    assert (await crc.json())["response_token"].startswith("sha256=")

    assert (await _post(client, account, fixture("x/dm.json")))["stored"] == 1
    tid = await pool.fetchval("SELECT id FROM tickets")
    kind = await pool.fetchval("SELECT kind FROM tickets WHERE id = $1", tid)
    assert kind == "social"  # X counts against the agents' social capacity
    dm = await (await client.post(f"/api/v1/tickets/{tid}/messages", json={"text": "Checking!"},
                                  headers=world.auth("agent"))).json()  # fmt: skip
    fake.script.append((201, {"data": {"dm_conversation_id": "c", "dm_event_id": "1799"}}, {}, 0))
    assert await deliver(ctx, dm["id"]) == "sent"
    assert fake.requests[0]["path"] == "/2/dm_conversations/with/3805104374/messages"
    assert (fake.requests[0]["body"], fake.requests[0]["auth"]) == (
        {"text": "Checking!"},
        "Bearer XTOKEN",
    )

    await pool.execute(
        "UPDATE tickets SET status = 'solved', solved_at = now() - interval '5 days'"
    )
    assert (await _post(client, account, fixture("x/mention.json")))["stored"] == 1
    mention_ticket = await pool.fetchval("SELECT max(id) FROM tickets")
    conversation = await pool.fetchval(
        "SELECT platform_conversation_id FROM tickets WHERE id = $1", mention_ticket
    )
    assert conversation == "mention:3805104374"  # a public thread: answered in public
    reply = await (await client.post(f"/api/v1/tickets/{mention_ticket}/messages",
                                     json={"text": "Sorry! DM us your order number."},
                                     headers=world.auth("agent"))).json()  # fmt: skip
    fake.script.append((201, {"data": {"id": "1730000000000000099", "text": "…"}}, {}, 0))
    assert await deliver(ctx, reply["id"]) == "sent"
    assert fake.requests[1]["path"] == "/2/tweets"
    assert fake.requests[1]["body"] == {"text": "@jane_doe Sorry! DM us your order number.",
                                        "reply": {"in_reply_to_tweet_id": "1730000000000000001"}}  # fmt: skip


async def test_a_dm_and_a_mention_of_one_person_are_two_conversations(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    """Jane mentions the brand in public and writes a DM: two tickets, and the answer to her DM
    goes out as a DM (never as a public reply quoting a private message)."""
    account = await _account(client, world)
    assert (await _post(client, account, fixture("x/mention.json")))["stored"] == 1
    assert (await _post(client, account, fixture("x/dm.json")))["stored"] == 1
    rows = await pool.fetch("SELECT id, platform_conversation_id FROM tickets ORDER BY id")
    assert [r["platform_conversation_id"] for r in rows] == ["mention:3805104374", "3805104374"]
    dm = await (await client.post(f"/api/v1/tickets/{rows[1]['id']}/messages",
                                  json={"text": "Your order ships today."},
                                  headers=world.auth("agent"))).json()  # fmt: skip
    fake.script.append((201, {"data": {"dm_conversation_id": "c", "dm_event_id": "1800"}}, {}, 0))
    assert await deliver(ctx, dm["id"]) == "sent"
    assert fake.requests[0]["path"] == "/2/dm_conversations/with/3805104374/messages"


async def test_a_dm_reply_carries_a_picture_a_public_reply_none(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    """The picture is uploaded first (POST /2/media/upload, dm_image, the user's token), then
    the DM names it; a failed upload fails the reply with X's reason, nothing half sent. In a
    public thread, files are refused when the agent posts."""
    from tests.outbound.test_reply_files import PNG, form

    account = await _account(client, world)
    assert (await _post(client, account, fixture("x/mention.json")))["stored"] == 1
    assert (await _post(client, account, fixture("x/dm.json")))["stored"] == 1
    mention, dm = [r["id"] for r in await pool.fetch("SELECT id FROM tickets ORDER BY id")]
    photo = ("label.png", "image/png", PNG)
    sent = await client.post(f"/api/v1/tickets/{dm}/messages", headers=world.auth("agent"),
                             data=form("Is this your label?", photo))  # fmt: skip
    assert sent.status == 202, await sent.text()
    assert await deliver(ctx, (await sent.json())["id"]) == "sent"
    upload, message = fake.requests
    assert (upload["path"], upload["auth"]) == ("/2/media/upload", "Bearer XTOKEN")
    assert upload["body"] == {"media_category": "dm_image", "media_type": "image/png", "media": {
        "filename": "label.png", "content_type": "image/png", "data": PNG}}  # fmt: skip
    assert message["path"] == "/2/dm_conversations/with/3805104374/messages"
    assert message["body"] == {"text": "Is this your label?",
                               "attachments": [{"media_id": "1880028106020500001"}]}  # fmt: skip

    fake.script.append((400, {"title": "Invalid Request",
                              "detail": "One or more parameters to your request was invalid."},
                        {}, 0))  # fmt: skip
    again = await client.post(f"/api/v1/tickets/{dm}/messages", headers=world.auth("agent"),
                              data=form("", photo))  # fmt: skip
    message_id = (await again.json())["id"]
    assert await deliver(ctx, message_id) == "failed"
    error = await pool.fetchval("SELECT delivery_error FROM messages WHERE id = $1", message_id)
    assert error == ("The picture's upload failed: X error 400: One or more parameters to your "
                     "request was invalid.")  # fmt: skip
    assert len(fake.requests) == 3  # the upload only: no DM without its picture

    fake.script.append((403, {"title": "Forbidden", "detail": "Forbidden"}, {}, 0))
    scope = await client.post(f"/api/v1/tickets/{dm}/messages", headers=world.auth("agent"),
                              data=form("", photo))  # fmt: skip
    scope_id = (await scope.json())["id"]
    assert await deliver(ctx, scope_id) == "failed"
    error = await pool.fetchval("SELECT delivery_error FROM messages WHERE id = $1", scope_id)
    assert "needs the media.write scope" in error  # not "the person may not accept DMs"

    alone = await client.post(f"/api/v1/tickets/{dm}/messages", headers=world.auth("agent"),
                              data=form("", photo))  # fmt: skip
    assert await deliver(ctx, (await alone.json())["id"]) == "sent"
    assert fake.requests[-1]["body"] == {"attachments": [{"media_id": "1880028106020500005"}]}

    public = await client.post(f"/api/v1/tickets/{mention}/messages", headers=world.auth("agent"),
                               data=form("Look", photo))  # fmt: skip
    assert public.status == 422
    assert "X public replies cannot carry files" in (await public.json())["error"]["message"]
