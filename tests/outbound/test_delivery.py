"""Outbound delivery against local fakes of WhatsApp's and Telegram's send APIs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from arq import ArqRedis

from contactcenter import constants
from tests.helpers import tg_headers
from tests.outbound.conftest import Fake
from tests.sla.conftest import customer_writes
from tests.world import WA_PHONE_ID, World
from workers.outbound import deliver, sweep_outbound

Client = TestClient[Any, Any]
PHONE = "4915100000777"


async def _reply(client: Client, world: World, text: str = "Hi!", **extra: Any) -> Any:
    tid = (await (await client.get("/api/v1/tickets", headers=world.auth("agent"))).json())[
        "items"][0]["id"]  # fmt: skip
    return await client.post(f"/api/v1/tickets/{tid}/messages", json={"text": text} | extra,
                             headers=world.auth("agent"))  # fmt: skip


async def _message(pool: asyncpg.Pool, message_id: int) -> asyncpg.Record:
    return await pool.fetchrow("SELECT * FROM messages WHERE id = $1", message_id)


async def test_whatsapp_reply_is_sent_in_the_documented_shape(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any],
    arq: ArqRedis,
) -> None:  # fmt: skip
    await customer_writes(client, world, "wamid.in1", PHONE)
    resp = await _reply(client, world, "Thanks, checking now.")
    assert resp.status == 202
    sent = await resp.json()
    assert sent["delivery_status"] == "queued"
    queued = await arq.zrange(constants.ARQ_QUEUE, 0, -1)
    assert f"deliver:{sent['id']}:1".encode() in queued  # the API asked for delivery
    assert await deliver(ctx, sent["id"]) == "sent"
    [request] = fake.requests
    assert {k: v for k, v in request.items() if v is not None and k not in ("raw_path", "method")} == {
        "path": f"/v21.0/{WA_PHONE_ID}/messages",
        "auth": "Bearer EAAG-test", "query": {},  # the token goes in the header, not the URL
        "body": {"messaging_product": "whatsapp", "recipient_type": "individual", "to": PHONE,
                 "type": "text", "text": {"preview_url": False, "body": "Thanks, checking now."}},
    }  # fmt: skip
    row = await _message(pool, sent["id"])
    assert (row["delivery_status"], row["platform_message_id"]) == ("sent", "wamid.OUT1")
    assert await deliver(ctx, sent["id"]) == "skipped"  # a second run sends nothing
    assert len(fake.requests) == 1


async def test_a_receipt_before_our_id_is_applied_when_we_record_it(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    await customer_writes(client, world, "wamid.in2", PHONE)
    sent = await (await _reply(client, world)).json()
    await pool.execute(
        "INSERT INTO delivery_receipts (channel_account_id, platform_message_id, status, "
        "reported_at) VALUES ($1, 'wamid.OUT1', 'read', now())", world.whatsapp.id,
    )  # fmt: skip
    assert await deliver(ctx, sent["id"]) == "sent"
    assert (await _message(pool, sent["id"]))["delivery_status"] == "read"


async def test_two_jobs_at_once_send_once(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    await customer_writes(client, world, "wamid.in3", PHONE)
    sent = await (await _reply(client, world)).json()
    fake.script.append((200, None, {}, 0.2))  # a slow platform: both jobs overlap
    outcomes = await asyncio.gather(deliver(ctx, sent["id"]), deliver(ctx, sent["id"]))
    assert sorted(outcomes) == ["sent", "skipped"] and len(fake.requests) == 1


async def test_5xx_and_timeouts_are_retried_with_backoff_then_sent(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any],
    arq: ArqRedis,
) -> None:  # fmt: skip
    await customer_writes(client, world, "wamid.in4", PHONE)
    sent = await (await _reply(client, world)).json()
    fake.script += [
        (500, {"error": {"message": "Service unavailable", "code": 2}}, {}, 0),
        (200, None, {}, 1.0),
    ]  # fmt: skip  (the second answers after the timeout)
    assert await deliver(ctx, sent["id"]) == "retry"
    row = await _message(pool, sent["id"])
    assert row["delivery_status"] == "queued" and row["send_attempts"] == 1
    assert row["delivery_error"] == "retrying: WhatsApp error 2: Service unavailable"
    assert f"deliver:{sent['id']}:2".encode() in await arq.zrange(constants.ARQ_QUEUE, 0, -1)
    assert await deliver(ctx, sent["id"]) == "skipped"  # not due yet: the backoff holds
    await asyncio.sleep(0.06)
    assert await deliver(ctx, sent["id"]) == "retry"  # the timeout
    assert "did not answer" in (await _message(pool, sent["id"]))["delivery_error"]
    await asyncio.sleep(0.11)  # second delay: 0.05·2 at most
    assert await deliver(ctx, sent["id"]) == "sent"
    assert len(fake.requests) == 3


async def test_429_honours_retry_after(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    await customer_writes(client, world, "wamid.in5", PHONE)
    sent = await (await _reply(client, world)).json()
    fake.script.append((429, {"error": {"message": "Rate limit hit", "code": 130429}},
                        {"Retry-After": "7"}, 0))  # fmt: skip
    before = datetime.now(UTC)
    assert await deliver(ctx, sent["id"]) == "retry"
    wait = ((await _message(pool, sent["id"]))["next_attempt_at"] - before).total_seconds()
    assert 6.9 < wait < 8


async def test_permanent_errors_fail_with_the_platform_text(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    """Telegram 403 (blocked): failed at once, the agent sees why on the message."""
    body = (b'{"update_id": 1, "message": {"message_id": 9, "date": 1700000000, "chat": '
            b'{"id": 31337, "type": "private"}, "from": {"id": 31337, "is_bot": false, '
            b'"first_name": "Tom"}, "text": "hi"}}')  # fmt: skip
    resp = await client.post(f"/webhooks/telegram/{world.telegram.id}", data=body,
                             headers=tg_headers())  # fmt: skip
    assert resp.status == 200
    sent = await (
        await _reply(
            client,
            world,
            "Hello Tom",
        )
    ).json()
    fake.script.append((403, {"ok": False, "error_code": 403,
                              "description": "Forbidden: bot was blocked by the user"}, {}, 0))  # fmt: skip
    assert await deliver(ctx, sent["id"]) == "failed"
    assert fake.requests[0]["body"] == {"chat_id": 31337, "text": "Hello Tom"}
    assert fake.requests[0]["path"] == "/bot7000000042:AAtest-bot-token/sendMessage"
    messages = await (await client.get(f"/api/v1/tickets/{sent['ticket_id']}/messages",
                                       headers=world.auth("agent"))).json()  # fmt: skip
    mine = next(m for m in messages["items"] if m["id"] == sent["id"])
    assert mine["delivery_status"] == "failed"
    assert mine["delivery_error"].startswith("Telegram error 403: Forbidden: bot was blocked")


async def test_gives_up_after_the_last_attempt(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    from contactcenter.actions.outbound import MAX_ATTEMPTS

    await customer_writes(client, world, "wamid.in6", PHONE)
    sent = await (await _reply(client, world)).json()
    fake.script += [(503, {"error": {"message": "down", "code": 1}}, {}, 0)] * MAX_ATTEMPTS
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await pool.execute("UPDATE messages SET next_attempt_at = NULL WHERE id = $1", sent["id"])
        outcome = await deliver(ctx, sent["id"])
        assert outcome == ("retry" if attempt < MAX_ATTEMPTS else "failed")
    row = await _message(pool, sent["id"])
    assert row["delivery_error"].endswith(f"(gave up after {MAX_ATTEMPTS} attempts)")


async def test_whatsapp_window_needs_a_template(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    """Outside 24 h the API refuses free text (409 window_closed, nothing stored); a template
    goes out as Meta's template object."""
    await customer_writes(client, world, "wamid.in7", PHONE)
    await pool.execute("UPDATE tickets SET last_inbound_at = now() - interval '25 hours'")
    resp = await _reply(client, world, "Are you there?")
    assert resp.status == 409
    error = (await resp.json())["error"]
    assert error["code"] == "window_closed" and "template" in error["message"]
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 0
    template = {"name": "follow_up", "language": {"code": "de"}}
    resp = await _reply(client, world, "Follow-up (template)", template=template)
    assert resp.status == 202
    assert await deliver(ctx, (await resp.json())["id"]) == "sent"
    assert fake.requests[0]["body"]["type"] == "template"
    assert fake.requests[0]["body"]["template"] == template | {"components": []}


async def test_the_sweep_sends_what_was_missed_and_fails_the_half_sent(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    await customer_writes(client, world, "wamid.in8", PHONE)
    first = await (await _reply(client, world, "one")).json()
    second = await (await _reply(client, world, "two")).json()
    await pool.execute(
        "UPDATE messages SET delivery_status = 'sending', sending_since = $2 WHERE id = $1",
        second["id"], datetime.now(UTC) - timedelta(minutes=10),
    )  # fmt: skip
    counts = await sweep_outbound(ctx)
    assert counts == {"sent": 1, "abandoned": 1}
    assert [r["body"]["text"]["body"] for r in fake.requests] == ["one"]
    row = await _message(pool, second["id"])
    assert row["delivery_status"] == "failed" and "may or may not have it" in row["delivery_error"]
    assert (await _message(pool, first["id"]))["delivery_status"] == "sent"


async def test_an_unexpected_error_is_retried_not_left_sending(
    client: Client,
    world: World,
    pool: asyncpg.Pool,
    fake: Fake,
    ctx: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A crash inside one attempt (here: a sender bug) queues the message again instead of
    leaving it in 'sending' for the sweep to fail."""
    from contactcenter.outbound import senders

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise AttributeError("'NoneType' object has no attribute 'get'")

    monkeypatch.setattr(senders, "send", broken)
    await customer_writes(client, world, "wamid.crash", PHONE)
    sent = await (await _reply(client, world)).json()
    assert await deliver(ctx, sent["id"]) == "retry"
    row = await _message(pool, sent["id"])
    assert row["delivery_status"] == "queued"
    assert row["delivery_error"] == "retrying: internal error while sending: AttributeError"
