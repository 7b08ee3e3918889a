"""Which ticket a customer message joins: the active one, a reopened one, or a new one."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.world import World

Client = TestClient[Any, Any]
SENDER = "4915170000001"


async def _say(client: Client, world: World, n: int) -> None:
    body = wa_hook(wa_text(f"wamid.life{n}", SENDER, f"Nachricht {n}", 1700000000 + n))
    assert (await post_whatsapp(client, world, body)).status == 200


async def _set_status(client: Client, world: World, ticket_id: int, status: str) -> None:
    resp = await client.patch(
        f"/api/v1/tickets/{ticket_id}", headers=world.auth("agent"), json={"status": status}
    )
    assert resp.status == 200


async def test_messages_join_the_active_ticket_and_pending_reopens(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """While a ticket is active, messages join it; a reply on a pending ticket sets it open."""
    await _say(client, world, 1)
    await _say(client, world, 2)
    [ticket_id] = [r["id"] for r in await pool.fetch("SELECT id FROM tickets")]
    await _set_status(client, world, ticket_id, "pending")
    await _say(client, world, 3)
    row = await pool.fetchrow("SELECT status, (SELECT count(*) FROM messages) AS n FROM tickets")
    assert (row["status"], row["n"]) == ("open", 3)
    kinds = [r["kind"] for r in await pool.fetch("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["ticket.created", "ticket.updated", "ticket.status_changed"]


async def test_solved_ticket_reopens_within_the_window(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A message soon after solving reopens the same ticket and records ticket.reopened."""
    await _say(client, world, 1)
    ticket_id = await pool.fetchval("SELECT id FROM tickets")
    await _set_status(client, world, ticket_id, "solved")
    await _say(client, world, 2)
    row = await pool.fetchrow("SELECT id, status, reopened_count, solved_at FROM tickets")
    assert (row["id"], row["status"], row["reopened_count"], row["solved_at"]) == (
        ticket_id,
        "open",
        1,
        None,
    )
    assert await pool.fetchval("SELECT count(*) FROM events WHERE kind = 'ticket.reopened'") == 1


async def test_message_after_the_window_or_after_close_opens_a_new_ticket(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Solved long ago, or closed: the customer's next message starts a fresh ticket."""
    await _say(client, world, 1)
    first = await pool.fetchval("SELECT id FROM tickets")
    await _set_status(client, world, first, "solved")
    await pool.execute("UPDATE tickets SET solved_at = now() - interval '30 days'")
    await _say(client, world, 2)
    second = await pool.fetchval("SELECT id FROM tickets WHERE status = 'new'")
    assert second != first
    await _set_status(client, world, second, "closed")
    await _say(client, world, 3)
    rows = await pool.fetch("SELECT id, status FROM tickets ORDER BY id")
    assert [r["status"] for r in rows] == ["solved", "closed", "new"]
    per_ticket = await pool.fetch(
        "SELECT ticket_id, count(*) AS n FROM messages GROUP BY 1 ORDER BY 1"
    )
    assert [r["n"] for r in per_ticket] == [1, 1, 1]


async def test_message_racing_a_close_starts_a_new_ticket(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """An agent closes the ticket while the customer's next message is being stored: the message
    waits for the close, sees it, and opens a new ticket (it never lands on the closed one)."""
    await _say(client, world, 1)
    first = await pool.fetchval("SELECT id FROM tickets")
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "UPDATE tickets SET status = 'closed', closed_at = now(), routing = 'done' WHERE id = $1",
            first,
        )
        webhook = asyncio.create_task(_say(client, world, 2))
        await asyncio.sleep(0.3)
        assert not webhook.done()  # waits for the ticket lock
        await tx.commit()
    await webhook
    rows = await pool.fetch(
        "SELECT t.id, t.status, count(m.id) AS n FROM tickets t JOIN messages m ON m.ticket_id = t.id GROUP BY t.id ORDER BY t.id"
    )
    assert [(r["status"], r["n"]) for r in rows] == [("closed", 1), ("new", 1)]
