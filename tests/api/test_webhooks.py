"""Webhook ingest against real PostgreSQL and Redis: invariants 1, 5 and 6 of DESIGN.md."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.helpers import (
    counts,
    fixture,
    post_telegram,
    post_whatsapp,
    tg_headers,
    wa_headers,
    wa_hook,
    wa_text,
)
from tests.world import WA_VERIFY, World

Client = TestClient[Any, Any]


async def test_handshake_echoes_challenge_or_refuses(client: Client, world: World) -> None:
    """GET with the right verify token answers the raw challenge; a wrong token is a JSON 403."""
    url = f"/webhooks/whatsapp/{world.whatsapp.id}"
    ok = await client.get(
        url,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": WA_VERIFY,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status == 200 and await ok.text() == "1158201444"
    bad = await client.get(
        url,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "guess",
            "hub.challenge": "1158201444",
        },
    )
    assert bad.status == 403
    assert (await bad.json())["error"]["code"] == "verify_token_mismatch"


async def test_text_message_creates_contact_ticket_message(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """One signed message → 200 after commit, one contact, one new ticket in the account's queue."""
    resp = await post_whatsapp(client, world, fixture("whatsapp/text.json"))
    assert resp.status == 200
    assert await resp.json() == {"stored": 1, "duplicates": 0, "statuses": 0, "ignored": 0}
    assert await counts(pool) == {
        "messages": 1,
        "tickets": 1,
        "contacts": 1,
        "identities": 1,
        "receipts": 0,
    }
    async with pool.acquire() as conn:
        ticket = await conn.fetchrow("SELECT * FROM tickets")
        event = await conn.fetchrow("SELECT kind, ticket_id FROM events")
    assert (ticket["status"], ticket["queue_id"], ticket["platform_conversation_id"]) == (
        "new",
        world.queue.id,
        "16505551234",
    )
    assert (event["kind"], event["ticket_id"]) == ("ticket.created", ticket["id"])


async def test_bad_missing_and_foreign_signatures_store_nothing(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A missing, wrong, or other-secret signature is a JSON 401 and nothing is written."""
    body = fixture("whatsapp/text.json")
    url = f"/webhooks/whatsapp/{world.whatsapp.id}"
    for headers in (
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        wa_headers(body, secret="other"),
    ):
        resp = await client.post(url, data=body, headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "bad_signature"
    tampered = body.replace(b"has not arrived", b"has arrived!!!!")
    resp = await client.post(url, data=tampered, headers=wa_headers(body))
    assert resp.status == 401
    for headers in ({}, tg_headers("wrong-secret")):
        resp = await client.post(
            f"/webhooks/telegram/{world.telegram.id}",
            data=fixture("telegram/text.json"),
            headers=headers,
        )
        assert resp.status == 401
    assert (await counts(pool))["messages"] == 0 and (await counts(pool))["contacts"] == 0


async def test_every_batch_level_is_walked(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Three messages spread over two entries and three changes → three stored messages."""
    body = wa_hook(
        wa_text("wamid.b1", "4915111111111", "eins", 1700000000),
        wa_text("wamid.b2", "4915111111111", "zwei", 1700000001),
        wa_text("wamid.b3", "4915122222222", "drei", 1700000002),
        entries=2,
    )
    assert len(json.loads(body)["entry"]) == 2
    resp = await post_whatsapp(client, world, body)
    assert (await resp.json())["stored"] == 3
    got = await counts(pool)
    assert (got["messages"], got["tickets"], got["contacts"]) == (3, 2, 2)


async def test_ten_concurrent_copies_store_one_message(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """The same payload posted ten times at once: all acknowledged, one message, one ticket."""
    body = fixture("whatsapp/text.json")
    responses = await asyncio.gather(*(post_whatsapp(client, world, body) for _ in range(10)))
    answers = [await r.json() for r in responses]
    assert all(r.status == 200 for r in responses)
    assert sum(a["stored"] for a in answers) == 1 and sum(a["duplicates"] for a in answers) == 9
    got = await counts(pool)
    assert (got["messages"], got["tickets"], got["contacts"]) == (1, 1, 1)


async def test_redelivery_later_stores_nothing_new(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A redelivery after the first commit is acknowledged as a duplicate."""
    body = fixture("whatsapp/image_reply.json")
    assert (await (await post_whatsapp(client, world, body)).json())["stored"] == 2
    again = await (await post_whatsapp(client, world, body)).json()
    assert again == {"stored": 0, "duplicates": 2, "statuses": 0, "ignored": 0}
    assert (await counts(pool))["messages"] == 2


async def test_status_updates_move_outbound_forward_and_create_no_ticket(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Receipts arriving out of order leave the furthest state; failures keep the platform's text."""
    await post_whatsapp(client, world, fixture("whatsapp/text.json"))
    async with pool.acquire() as conn:
        ticket_id = await conn.fetchval("SELECT id FROM tickets")
        for wamid in ("wamid.outbound-1", "wamid.outbound-2"):
            await conn.execute(
                "INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, platform_message_id,"
                " text, sender_kind, sent_at, delivery_status) VALUES ($1, $2, $3, 'outbound', $4, 'Hallo',"
                " 'agent', now(), 'queued')",
                world.brand.id,
                ticket_id,
                world.whatsapp.id,
                wamid,
            )
    resp = await post_whatsapp(client, world, fixture("whatsapp/statuses.json"))
    assert (await resp.json())["statuses"] == 3
    read = wa_hook(
        {
            "metadata": {"phone_number_id": "106540352242922"},
            "statuses": [{"id": "wamid.outbound-1", "status": "read", "timestamp": "1664800050"}],
        }
    )
    await post_whatsapp(client, world, read)
    late = wa_hook(
        {
            "metadata": {"phone_number_id": "106540352242922"},
            "statuses": [
                {"id": "wamid.outbound-1", "status": "delivered", "timestamp": "1664800000"}
            ],
        }
    )
    await post_whatsapp(client, world, late)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT platform_message_id, delivery_status, delivery_error FROM messages"
            " WHERE direction = 'outbound' ORDER BY platform_message_id"
        )
    assert [tuple(r) for r in rows] == [
        ("wamid.outbound-1", "read", None),
        ("wamid.outbound-2", "failed", "131047: Re-engagement message"),
    ]
    assert (await counts(pool))["tickets"] == 1


async def test_receipt_for_unknown_message_is_kept_for_later(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A receipt that beats our own send record is stored, creates no ticket, and is 200."""
    resp = await post_whatsapp(client, world, fixture("whatsapp/statuses.json"))
    assert resp.status == 200
    got = await counts(pool)
    assert (got["receipts"], got["tickets"], got["messages"]) == (2, 0, 0)


async def test_echoes_and_unsupported_events_are_acknowledged_and_dropped(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Echoes and event types we do not handle get 200 (so platforms stop retrying) and store nothing."""
    for body in (fixture("whatsapp/echo.json"), fixture("whatsapp/unsupported.json")):
        resp = await post_whatsapp(client, world, body)
        assert resp.status == 200 and (await resp.json())["ignored"] >= 1
    for name in ("telegram/edited.json", "telegram/bot_echo.json"):
        resp = await post_telegram(client, world, fixture(name))
        assert resp.status == 200 and (await resp.json())["ignored"] == 1
    assert await counts(pool) == {
        "messages": 0,
        "tickets": 0,
        "contacts": 0,
        "identities": 0,
        "receipts": 0,
    }


async def test_umlauts_and_emoji_round_trip_byte_exact(client: Client, world: World) -> None:
    """Raw UTF-8 and Meta's \\u-escaped bodies both verify, and the text comes back unchanged."""
    text = "Grüße aus Köln – 5 € 📦🙏 ÄÖÜß"
    raw = wa_hook(wa_text("wamid.utf8", "4915133333333", text, 1700000000, name="Jürgen Müller"))
    escaped = json.dumps(
        json.loads(wa_hook(wa_text("wamid.esc", "4915133333333", text, 1700000001))),
        ensure_ascii=True,
    ).encode()
    assert b"\\u00fc" in escaped and "ü".encode() in raw
    for body in (raw, escaped):
        assert (await post_whatsapp(client, world, body)).status == 200
    tickets = await (await client.get("/api/v1/tickets", headers=world.auth("admin"))).json()
    [ticket] = tickets["items"]
    assert ticket["contact"]["name"] == "Jürgen Müller"
    messages = await (
        await client.get(f"/api/v1/tickets/{ticket['id']}/messages", headers=world.auth("admin"))
    ).json()
    assert [m["text"].encode() for m in messages["items"]] == [text.encode(), text.encode()]


async def test_malformed_oversized_and_unknown_account_are_4xx_and_store_nothing(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Each bad request gets its 4xx with a JSON error; no row is written by any of them."""
    url = f"/webhooks/whatsapp/{world.whatsapp.id}"
    cases: list[tuple[str, bytes, dict[str, str], int, str]] = []
    for body in (b"{not json", b'{"object": "whatsapp_business_account"}', b"[]", b""):
        cases.append((url, body, wa_headers(body), 400, "invalid_json"))
    big = wa_hook(wa_text("wamid.big", "4915144444444", "x" * (70 * 1024), 1700000000))
    cases.append((url, big, wa_headers(big), 413, "payload_too_large"))
    good = fixture("whatsapp/text.json")
    for bad_url in (
        f"/webhooks/whatsapp/{uuid.uuid4()}",
        "/webhooks/whatsapp/not-a-uuid",
        f"/webhooks/telegram/{world.whatsapp.id}",
    ):
        cases.append((bad_url, good, wa_headers(good), 404, "unknown_account"))
    cases.append(
        (f"/webhooks/fax/{world.whatsapp.id}", good, wa_headers(good), 404, "unknown_channel")
    )
    for target, body, headers, status, code in cases:
        resp = await client.post(target, data=body, headers=headers)
        assert resp.status == status, (target, body[:40], await resp.text())
        assert (await resp.json())["error"]["code"] == code
        assert resp.headers["Content-Type"].startswith("application/json")
    assert await counts(pool) == {
        "messages": 0,
        "tickets": 0,
        "contacts": 0,
        "identities": 0,
        "receipts": 0,
    }


async def test_out_of_order_delivery_is_listed_in_platform_order(
    client: Client, world: World
) -> None:
    """Webhooks arriving newest-first are listed by platform timestamp (invariant 6)."""
    sender = "4915155555555"
    for n in (3, 1, 2):
        body = wa_hook(wa_text(f"wamid.order{n}", sender, f"Nachricht {n}", 1700000000 + n))
        assert (await post_whatsapp(client, world, body)).status == 200
    tickets = await (await client.get("/api/v1/tickets", headers=world.auth("admin"))).json()
    [ticket] = tickets["items"]
    messages = await (
        await client.get(f"/api/v1/tickets/{ticket['id']}/messages", headers=world.auth("admin"))
    ).json()
    assert [m["text"] for m in messages["items"]] == ["Nachricht 1", "Nachricht 2", "Nachricht 3"]


async def test_telegram_media_update_is_stored_with_attachment(
    client: Client, world: World
) -> None:
    resp = await post_telegram(client, world, fixture("telegram/photo.json"))
    assert (await resp.json())["stored"] == 1
    [ticket] = (await (await client.get("/api/v1/tickets", headers=world.auth("admin"))).json())[
        "items"
    ]
    assert ticket["channel"] == "telegram" and ticket["contact"]["name"] == "Sojan Jose"
    [msg] = (
        await (
            await client.get(
                f"/api/v1/tickets/{ticket['id']}/messages", headers=world.auth("admin")
            )
        ).json()
    )["items"]
    assert msg["text"] == "Das Paket war beschädigt" and msg["platform_message_id"] == "23:2"
    assert msg["attachments"] == [
        {"kind": "image", "url": None, "mime_type": "image/jpeg", "name": None}
    ]
