"""Messenger and Instagram end to end: signed webhook → ticket → reply out through the fake
Graph API, with the 24-hour / 7-day window rules."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.helpers import fixture
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
SECRET = "fb-app-secret"


async def _connect(client: Client, world: World, channel: str) -> str:
    creds = (  # Instagram's id under CHANNELS.md's name (ig_user_id)
        {"page_id": "107000000000001", "page_access_token": "EAAPtoken"}
        if channel in ("messenger", "facebook")
        else {"ig_user_id": "17841400000000000", "access_token": "IGQtoken"}
    )
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": channel, "name": channel,
        "queue_id": str(world.queue.id),
        "credentials": {"app_secret": SECRET, "verify_token": "vt"} | creds,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    account_id: str = (await resp.json())["id"]
    return account_id


async def _post(client: Client, channel: str, account_id: str, body: bytes) -> Any:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    resp = await client.post(f"/webhooks/{channel}/{account_id}", data=body,
                             headers={"X-Hub-Signature-256": signature,
                                      "Content-Type": "application/json"})  # fmt: skip
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _reply(client: Client, world: World, text: str) -> Any:
    tid = await _ticket_id(client, world)
    return await client.post(f"/api/v1/tickets/{tid}/messages", json={"text": text},
                             headers=world.auth("agent"))  # fmt: skip


async def _ticket_id(client: Client, world: World) -> int:
    page = await (await client.get("/api/v1/tickets", headers=world.auth("agent"))).json()
    ticket_id: int = page["items"][0]["id"]
    return ticket_id


async def test_messenger_in_and_out(
    client: Client,
    world: World,
    pool: asyncpg.Pool,
    fake: Fake,
    ctx: dict[str, Any],
) -> None:
    account = await _connect(client, world, "messenger")
    body = fixture("messenger/text.json")
    assert (await _post(client, "messenger", account, body))["stored"] == 1
    assert (await _post(client, "messenger", account, body))["duplicates"] == 1  # redelivery
    await pool.execute("UPDATE tickets SET last_inbound_at = now() - interval '1 hour'")
    sent = await (await _reply(client, world, "Ja, es ist unterwegs.")).json()
    assert await deliver(ctx, sent["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/v21.0/107000000000001/messages"
    assert request["query"] == {"access_token": "EAAPtoken"}  # the Page token, as Meta wants it
    assert request["body"] == {"recipient": {"id": "6650000000000001"},
                               "messaging_type": "RESPONSE",
                               "message": {"text": "Ja, es ist unterwegs."}}  # fmt: skip
    row = await pool.fetchrow("SELECT * FROM messages WHERE id = $1", sent["id"])
    assert (row["delivery_status"], row["platform_message_id"]) == ("sent", "m_graph-1")
    later = await (await _reply(client, world, "Noch etwas?")).json()
    assert await deliver(ctx, later["id"]) == "sent"
    sent_at = await pool.fetchval("SELECT sent_at FROM messages WHERE id = $1", sent["id"])
    watermark = int(sent_at.timestamp() * 1000) + 1  # read up to the first reply, not the second
    await pool.execute("UPDATE messages SET sent_at = sent_at + interval '1 minute' WHERE id = $1",
                       later["id"])  # fmt: skip
    read = orjson.dumps({"object": "page", "entry": [{
        "id": "107000000000001", "time": watermark, "messaging": [{
            "sender": {"id": "6650000000000001"}, "recipient": {"id": "107000000000001"},
            "timestamp": watermark, "read": {"watermark": watermark}}]}]})  # fmt: skip
    assert (await _post(client, "messenger", account, read))["statuses"] == 1
    states = await pool.fetch("SELECT id, delivery_status FROM messages WHERE id = ANY($1::bigint[]) "
                              "ORDER BY id", [sent["id"], later["id"]])  # fmt: skip
    assert [r["delivery_status"] for r in states] == ["read", "sent"]


async def test_messenger_after_24_hours_uses_the_human_agent_tag_and_after_7_days_refuses(
    client: Client,
    world: World,
    pool: asyncpg.Pool,
    fake: Fake,
    ctx: dict[str, Any],
) -> None:
    account = await _connect(client, world, "messenger")
    await _post(client, "messenger", account, fixture("messenger/text.json"))
    await pool.execute("UPDATE tickets SET last_inbound_at = now() - interval '3 days'")
    sent = await (await _reply(client, world, "Still there?")).json()
    assert await deliver(ctx, sent["id"]) == "sent"
    body = fake.requests[0]["body"]
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    await pool.execute("UPDATE tickets SET last_inbound_at = now() - interval '8 days'")
    resp = await _reply(client, world, "Hello?")
    assert resp.status == 409
    error = (await resp.json())["error"]
    assert error["code"] == "window_closed" and "7 days" in error["message"]


async def test_instagram_in_and_out(
    client: Client,
    world: World,
    pool: asyncpg.Pool,
    fake: Fake,
    ctx: dict[str, Any],
) -> None:
    account = await _connect(client, world, "instagram")
    assert (await _post(client, "instagram", account, fixture("instagram/text.json")))[
        "stored"
    ] == 1
    await pool.execute("UPDATE tickets SET last_inbound_at = now()")
    sent = await (await _reply(client, world, "Oui !")).json()
    assert await deliver(ctx, sent["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/v21.0/17841400000000000/messages"
    assert request["auth"] == "Bearer IGQtoken"
    assert request["body"] == {
        "recipient": {"id": "1220000000000001"},
        "message": {"text": "Oui !"},
    }


async def test_bad_signature_stores_nothing(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    account = await _connect(client, world, "instagram")
    resp = await client.post(f"/webhooks/instagram/{account}", data=fixture("instagram/text.json"),
                             headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})  # fmt: skip
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "bad_signature"
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0


@pytest.mark.parametrize("channel", ["messenger", "facebook"])
async def test_page_comment_in_public_reply_out(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any],
    channel: str,
) -> None:  # fmt: skip
    """A comment on the Page's post is answered in public under that comment, whether the Page
    is connected as a Messenger account (one callback URL for both) or as a Facebook (comments)
    account; old comments have no 24-hour rule."""
    account = await _connect(client, world, channel)
    assert (await _post(client, channel, account, fixture("facebook/comment.json")))["stored"] == 1
    await pool.execute("UPDATE tickets SET last_inbound_at = now() - interval '30 days'")
    resp = await _reply(client, world, "Yes, still available!")
    assert resp.status == 202
    fake.script.append((200, {"id": "122131676912594941_2000"}, {}, 0))
    assert await deliver(ctx, (await resp.json())["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/v21.0/122131676912594941_1213590066982748/comments"
    assert request["query"] == {"access_token": "EAAPtoken"}
    assert request["body"] == {"message": "Yes, still available!"}


async def test_a_visitor_post_is_answered_with_a_comment_on_it(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _connect(client, world, "facebook")
    body = fixture("facebook/visitor_post.json")
    assert (await _post(client, "facebook", account, body))["stored"] == 1
    resp = await _reply(client, world, "Sorry! We send a new one today.")
    fake.script.append((200, {"id": "122131676912599999_3000"}, {}, 0))
    assert await deliver(ctx, (await resp.json())["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/v21.0/107000000000001_122131676912599999/comments"
    assert request["body"] == {"message": "Sorry! We send a new one today."}


async def test_instagram_comment_reply(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _connect(client, world, "instagram")
    assert (await _post(client, "instagram", account, fixture("instagram/comment.json")))[
        "stored"
    ] == 1
    resp = await _reply(client, world, "We do, 3-5 days.")
    fake.script.append((200, {"id": "17900000000000099"}, {}, 0))
    assert await deliver(ctx, (await resp.json())["id"]) == "sent"
    [request] = fake.requests
    assert (request["path"], request["auth"]) == (
        "/v21.0/17900000000000001/replies",
        "Bearer IGQtoken",
    )
    assert request["body"] == {"message": "We do, 3-5 days."}
