"""Supervisor moves, shift ends, after-hours replies, stickiness, and the worker end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.settings import Settings
from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.routing.staffing import closed_now, offers, route, staff
from tests.routing.test_flow import _sweep
from tests.world import World
from workers.settings import create_worker, stop_worker

Client = TestClient[Any, Any]


async def _ticket(client: Client, world: World, n: int = 1, sender: str | None = None) -> int:
    body = wa_hook(
        wa_text(f"wamid.sup{n}", sender or f"4915300000{n:03d}", "Hilfe", 1700000000 + n)
    )
    assert (await post_whatsapp(client, world, body)).status == 200
    return int(
        (await (await client.get("/api/v1/tickets", headers=world.auth("admin"))).json())["items"][
            0
        ]["id"]
    )


async def test_assign_respects_capacity_unless_override(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await staff(client, world, "agent", capacity={"chat": 1})
    first, second = await _ticket(client, world, 1), await _ticket(client, world, 2)
    sup = world.auth("supervisor")
    ok = await client.post(
        f"/api/v1/tickets/{first}/assign", headers=sup, json={"agent_id": str(world.agent.id)}
    )
    assert ok.status == 200 and (await ok.json())["assignee_id"] == str(world.agent.id)
    full = await client.post(
        f"/api/v1/tickets/{second}/assign", headers=sup, json={"agent_id": str(world.agent.id)}
    )
    assert full.status == 409 and "override" in (await full.json())["error"]["message"]
    forced = await client.post(
        f"/api/v1/tickets/{second}/assign",
        headers=sup,
        json={"agent_id": str(world.agent.id), "override": True},
    )
    assert forced.status == 200
    events = await pool.fetch("SELECT data FROM events WHERE kind = 'ticket.assigned' ORDER BY id")
    assert [e["data"]["override"] for e in events] == [False, True]
    denied = await client.post(
        f"/api/v1/tickets/{first}/assign",
        headers=world.auth("agent"),
        json={"agent_id": str(world.agent.id)},
    )
    assert denied.status == 403


async def test_transfer_and_requeue_keep_the_age(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A transfer unassigns and waits in the new queue; created_at (the age) never changes."""
    await staff(client, world, "agent")
    ticket = await _ticket(client, world)
    created = await pool.fetchval("SELECT created_at FROM tickets WHERE id = $1", ticket)
    sup = world.auth("supervisor")
    await client.post(
        f"/api/v1/tickets/{ticket}/assign", headers=sup, json={"agent_id": str(world.agent.id)}
    )
    moved = await client.post(
        f"/api/v1/tickets/{ticket}/transfer", headers=sup, json={"queue_id": str(world.queue_b.id)}
    )
    assert moved.status == 200
    row = await pool.fetchrow(
        "SELECT queue_id, assignee_id, last_assignee_id, routing, created_at FROM tickets"
    )
    assert (row["queue_id"], row["assignee_id"], row["last_assignee_id"], row["routing"]) == (
        world.queue_b.id,
        None,
        world.agent.id,
        "waiting",
    )
    assert row["created_at"] == created
    back = await client.patch(
        f"/api/v1/tickets/{ticket}", headers=sup, json={"queue_id": str(world.queue.id)}
    )
    assert back.status == 200
    assert await pool.fetchval("SELECT count(*) FROM events WHERE kind = 'ticket.transferred'") == 2


async def test_shift_end_requeues_per_queue_policy(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings, redis_url: str
) -> None:
    await client.patch(
        f"/api/v1/queues/{world.queue.id}",
        headers=world.auth("admin"),
        json={"shift_end_policy": "requeue"},
    )
    await staff(client, world, "agent")
    ticket = await _ticket(client, world)
    await route(pool, world.queue.id)
    [offer] = await offers(client, world, "agent")
    await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=world.auth("agent"))
    # The shift ended a minute ago; the ticket was taken an hour before that.
    await pool.execute(
        "UPDATE shift_intervals SET ends_at = now() - interval '1 minute', "
        "starts_at = now() - interval '9 hours' WHERE user_id = $1",
        world.agent.id,
    )
    await pool.execute("UPDATE tickets SET assigned_at = now() - interval '1 hour'")
    handed_over = await _ticket(client, world, 2)  # a supervisor hands one over after the shift
    resp = await client.post(
        f"/api/v1/tickets/{handed_over}/assign",
        headers=world.auth("supervisor"),
        json={"agent_id": str(world.agent.id)},
    )
    assert resp.status == 200
    counts = await _sweep(settings, pool, redis_url)
    assert counts["requeued"] == 1
    assert (
        await pool.fetchval("SELECT assignee_id FROM tickets WHERE id = $1", handed_over)
        == world.agent.id
    )
    row = await pool.fetchrow(
        "SELECT assignee_id, last_assignee_id, routing FROM tickets WHERE id = $1", ticket
    )
    assert (row["assignee_id"], row["last_assignee_id"], row["routing"]) == (
        None,
        world.agent.id,
        "waiting",
    )


async def test_drain_before_shift_end(client: Client, world: World, pool: asyncpg.Pool) -> None:
    """No new offers in the queue's last minutes of a shift (drain 600 s by default)."""
    await staff(client, world, "agent", shifts=None)
    await pool.execute(
        "INSERT INTO shift_intervals (user_id, starts_at, ends_at) "
        "VALUES ($1, now() - interval '1 hour', now() + interval '5 minutes')",
        world.agent.id,
    )
    await _ticket(client, world)
    assert (await route(pool, world.queue.id)).created == []  # ends in 5 min, drain is 10 min
    await client.patch(
        f"/api/v1/queues/{world.queue.id}",
        headers=world.auth("admin"),
        json={"shift_end_drain_s": 60},
    )
    assert len((await route(pool, world.queue.id)).created) == 1


async def test_after_hours_reply_once_per_ticket(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    closed = closed_now()
    resp = await client.patch(
        f"/api/v1/queues/{world.queue.id}",
        headers=world.auth("admin"),
        json={"hours": closed, "after_hours_reply": "Wir sind ab 8 Uhr wieder da."},
    )
    assert resp.status == 200
    await _ticket(client, world)
    first = await route(pool, world.queue.id)
    second = await route(pool, world.queue.id)
    assert len(first.after_hours) == 1 and second.after_hours == []
    rows = await pool.fetch(
        "SELECT direction, text, delivery_status, sender_kind FROM messages ORDER BY id"
    )
    assert [tuple(r) for r in rows][1] == (
        "outbound",
        "Wir sind ab 8 Uhr wieder da.",
        "queued",
        "system",
    )
    assert (
        await pool.fetchval("SELECT count(*) FROM events WHERE kind = 'ticket.after_hours_reply'")
        == 1
    )


async def test_reopened_ticket_goes_back_to_its_last_agent(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Sticky: the customer writes again after solving; the same agent gets the offer."""
    await staff(client, world, "agent")
    await staff(client, world, "agent_b")
    await pool.execute(
        "UPDATE agent_state SET last_assigned_at = now() - interval '1 hour' WHERE user_id = $1",
        world.agent_b.id,
    )  # longest idle would pick agent_b
    ticket = await _ticket(client, world, 1, sender="4915399999999")
    sup = world.auth("supervisor")
    await client.post(
        f"/api/v1/tickets/{ticket}/assign", headers=sup, json={"agent_id": str(world.agent.id)}
    )
    await client.patch(
        f"/api/v1/tickets/{ticket}", headers=world.auth("agent"), json={"status": "solved"}
    )
    await _ticket(client, world, 2, sender="4915399999999")
    assert await pool.fetchval("SELECT routing FROM tickets WHERE id = $1", ticket) == "waiting"
    await route(pool, world.queue.id)
    [offer] = await offers(client, world, "agent")
    assert offer["ticket_id"] == ticket and await offers(client, world, "agent_b") == []


async def test_webhook_to_offer_through_the_worker(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    """The real path: webhook → after-commit request → worker route job → offer."""
    await staff(client, world, "agent")
    worker = create_worker(settings, poll_delay=0.01)
    task = asyncio.create_task(worker.async_run())
    try:
        await _ticket(client, world)
        async with asyncio.timeout(10):
            while not await pool.fetchval("SELECT count(*) FROM offers"):
                await asyncio.sleep(0.02)
    finally:
        await stop_worker(worker, task)
    row = await pool.fetchrow(
        "SELECT o.user_id, o.created_at - t.created_at AS lag FROM offers o JOIN tickets t ON t.id = o.ticket_id"
    )
    assert row["user_id"] == world.agent.id
    assert row["lag"] < timedelta(seconds=2)


async def test_unplaceable_tickets_do_not_hide_the_ones_behind_them(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Thirty older tickets nobody speaks the language of; the one German ticket behind them is offered."""
    await staff(client, world, "agent", capacity={"chat": 1}, languages=["de"])
    for n in range(30):
        await _ticket(client, world, 100 + n)
    await pool.execute("UPDATE contacts SET language = 'tr'")
    await _ticket(client, world, 200)
    await pool.execute("UPDATE contacts SET language = 'de' WHERE language IS NULL")
    german = await pool.fetchval(
        "SELECT t.id FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE c.language = 'de'"
    )
    result = await route(pool, world.queue.id)
    assert [c.ticket_id for c in result.created] == [german]


async def test_a_shift_plan_reads_back_as_it_was_written(client: Client, world: World) -> None:
    """GET returns the plan in the shape PUT takes (leave's "from", not a field name), so a
    plan read by the shift planner can be saved again unchanged."""
    plan = {
        "timezone": "Europe/Berlin",
        "weekly": [{"days": ["mon", "tue"], "start": "22:00", "end": "06:00"}],
        "exceptions": [{"date": "2026-12-24", "off": True, "start": None, "end": None},
                       {"date": "2026-12-27", "off": False, "start": "10:00", "end": "14:00"}],
        "holidays": {"country": "DE", "region": "BY"},
        "leave": [{"from": "2027-01-04", "to": "2027-01-08"}],
    }  # fmt: skip
    url = f"/api/v1/users/{world.agent.id}/shifts"
    put = await client.put(url, headers=world.auth("supervisor"), json=plan)
    assert put.status == 200, await put.text()
    got = await (await client.get(url, headers=world.auth("agent"))).json()  # their own
    assert got["plan"] == plan
    again = await client.put(url, headers=world.auth("supervisor"), json=got["plan"])
    assert again.status == 200, await again.text()
    other = await client.get(url, headers=world.auth("agent_b"))
    assert other.status == 403


def test_opening_hours_that_are_never_open_again_are_refused() -> None:
    import pydantic

    from contactcenter.api.schemas_routing import HoursIn

    def hours(days_from_today: int) -> dict[str, Any]:
        day = (datetime.now(UTC).date() + timedelta(days=days_from_today)).isoformat()
        return {"timezone": "UTC", "exceptions": [{"date": day, "start": "09:00", "end": "12:00"}]}

    for never in ({"timezone": "UTC"}, {"timezone": "UTC", "weekly": []}, hours(-10)):
        with pytest.raises(pydantic.ValidationError, match="never open"):
            HoursIn.model_validate(never)
    assert HoursIn.model_validate(hours(3)).exceptions  # one special opening day ahead
