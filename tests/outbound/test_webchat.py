"""Web chat over HTTP: visitor tokens, identity verification, CORS, messages, live replies."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.api import webchat
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
SITE = "https://shop.example.com"


async def webchat_account(
    client: Client, world: World, name: str = "Site chat", **extra: str
) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "webchat", "name": name,
        "queue_id": str(world.queue.id),
        "credentials": {"allowed_origins": f"{SITE}, https://www.shop.example.com"} | extra,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    account: str = (await resp.json())["id"]
    return account


async def test_visitor_writes_agent_replies_live(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any]
) -> None:
    account = await webchat_account(client, world)
    base = f"/chat/{account}"
    start = await client.post(f"{base}/conversations", json={"name": "Ines", "language": "de-DE"},
                              headers={"Origin": SITE})  # fmt: skip
    assert start.status == 201 and start.headers["Access-Control-Allow-Origin"] == SITE
    token = (await start.json())["token"]
    auth = {"Authorization": f"Bearer {token}", "Origin": SITE}
    sent = await client.post(f"{base}/messages", json={"text": "Hallo?", "id": "w1"}, headers=auth)
    assert sent.status == 201
    again = await client.post(f"{base}/messages", json={"text": "Hallo?", "id": "w1"}, headers=auth)
    assert (await again.json())["duplicates"] == 1  # a resend by the widget is stored once
    ticket = await pool.fetchrow("SELECT t.id, c.name, c.language FROM tickets t "
                                 "JOIN contacts c ON c.id = t.contact_id")  # fmt: skip
    assert (ticket["name"], ticket["language"]) == ("Ines", "de")

    events = await client.get(f"{base}/events", params={"token": token})
    assert events.status == 200 and events.content_type == "text/event-stream"
    assert await events.content.readline() == b": connected\n"
    reply = await (await client.post(f"/api/v1/tickets/{ticket['id']}/messages",
                                     json={"text": "Guten Tag!"}, headers=world.auth("agent"))).json()  # fmt: skip
    assert await deliver(ctx, reply["id"]) == "sent"
    lines = []
    async with asyncio.timeout(5):
        while not lines or not lines[-1].startswith(b"data:"):
            line = (await events.content.readline()).strip()
            if line:
                lines.append(line)
    assert lines[-2:] == [b"event: message", lines[-1]]
    assert b'"text":"Guten Tag!"' in lines[-1] and b'"from":"agent"' in lines[-1]
    events.close()
    history = await (await client.get(f"{base}/messages", headers=auth)).json()
    assert [(m["from"], m["text"]) for m in history["items"]] == [("you", "Hallo?"),
                                                                  ("agent", "Guten Tag!")]  # fmt: skip


async def test_other_origins_and_bad_tokens_are_refused(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    account = await webchat_account(client, world)
    evil = await client.post(f"/chat/{account}/conversations", json={},
                             headers={"Origin": "https://evil.example"})  # fmt: skip
    assert evil.status == 403 and "allowed_origins" in (await evil.json())["error"]["message"]
    assert evil.headers["Access-Control-Allow-Origin"] == "https://evil.example"  # readable error
    preflight = await client.options(f"/chat/{account}/messages", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == SITE
    no_token = await client.post(f"/chat/{account}/messages", json={"text": "hi"})
    assert no_token.status == 401
    forged = await client.post(f"/chat/{account}/messages", json={"text": "hi"},
                               headers={"Authorization": "Bearer forged"})  # fmt: skip
    assert forged.status == 401
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0
    webhook = await client.post(f"/webhooks/webchat/{account}", data=b"{}")
    assert webhook.status == 405


async def test_signed_in_users_are_verified(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """With hmac_secret, a user id needs its hash; the same user on two devices is one visitor."""
    account = await webchat_account(client, world, hmac_secret="site-secret")
    good = hmac.new(b"site-secret", b"user-42", hashlib.sha256).hexdigest()
    base = f"/chat/{account}/conversations"
    bad = await client.post(base, json={"user_id": "user-42", "user_hash": "0" * 64})
    assert bad.status == 401
    first = await (await client.post(base, json={"user_id": "user-42", "user_hash": good})).json()
    second = await (await client.post(base, json={"user_id": "user-42", "user_hash": good})).json()
    assert first["visitor_id"] == second["visitor_id"] == "user:user-42"
    assert first["token"] != second["token"]
    anonymous = await (await client.post(base, json={})).json()
    assert anonymous["visitor_id"].startswith("visitor:")


async def test_the_widget_script_is_served(client: Client) -> None:
    resp = await client.get("/chat/widget.js")
    assert resp.status == 200 and resp.content_type == "application/javascript"
    assert "EventSource" in await resp.text()


async def test_new_chats_are_throttled_per_address(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Visitor tokens are free to make; an address may start a bounded number an hour."""
    monkeypatch.setattr(webchat, "STARTS_PER_ADDRESS", 3)
    account = await webchat_account(client, world)
    url = f"/chat/{account}/conversations"
    for _ in range(3):
        assert (await client.post(url, json={}, headers={"Origin": SITE})).status == 201
    refused = await client.post(url, json={}, headers={"Origin": SITE})
    assert refused.status == 429 and refused.headers["Access-Control-Allow-Origin"] == SITE
    assert "Too many new chats" in (await refused.json())["error"]["message"]


async def test_a_signed_in_users_verified_email_merges_them_with_their_mail(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """The site signs the user id and the address it verified together; the chat then merges
    with the person's other verified conversations (here the brand's API). An address signed
    apart from its id, or given by an anonymous visitor, is refused and nothing is kept."""
    from contactcenter.actions.contacts import do_link_verified
    from tests.contacts.test_email_merge import _accounts
    from tests.outbound.test_api_channel import _post as post_api

    _, api = await _accounts(client, world)
    message = {"id": "q1", "conversation_id": "order-17", "text": "Where is my order?",
               "sender": {"id": "customer-9", "verified_email": "ines@mail.example.org"}}  # fmt: skip
    assert (await post_api(client, api, {"messages": [message]})).status == 200
    account = await webchat_account(client, world, hmac_secret="site-secret")
    base = f"/chat/{account}/conversations"

    def sign(text: str) -> str:
        return hmac.new(b"site-secret", text.encode(), hashlib.sha256).hexdigest()

    email = "Ines@Mail.Example.org"
    for refused, body in (
        (401, {"user_id": "user-42", "user_hash": sign("user-42"), "email": email}),  # id only
        (401, {"user_id": "user-42", "user_hash": sign(f"user-42\n{email}"),
               "email": "mallory@example.org"}),  # another address than was signed
        (400, {"email": email}),  # anonymous
        (400, {"user_id": "user-42", "user_hash": sign("user-42"), "email": "no address"}),
    ):  # fmt: skip
        resp = await client.post(base, json=body)
        assert (resp.status, (await resp.json())["error"]["code"] != "") == (refused, True)
    assert await pool.fetchval("SELECT count(*) FROM webchat_visitors") == 0

    started = await client.post(base, json={"user_id": "user-42", "email": email,
                                            "user_hash": sign(f"user-42\n{email}")})  # fmt: skip
    token = (await started.json())["token"]
    sent = await client.post(f"/chat/{account}/messages", json={"text": "Hallo, Ines hier"},
                             headers={"Authorization": f"Bearer {token}", "Origin": SITE})  # fmt: skip
    assert sent.status == 201
    async with pool.acquire() as conn:
        assert await do_link_verified(conn) == 1
    rows = await pool.fetch("SELECT DISTINCT contact_id FROM contact_identities")
    assert len(rows) == 1
    view = await (await client.get(f"/api/v1/contacts/{rows[0]['contact_id']}",
                                   headers=world.auth("agent"))).json()  # fmt: skip
    assert {(i["channel"], i["verified_email"]) for i in view["identities"]} == {
        ("api", "ines@mail.example.org"), ("webchat", "ines@mail.example.org")}  # fmt: skip
    assert [m["reason"] for m in view["merges"]] == ["email"]
