"""Routing end to end on real PostgreSQL: offers, accept, decline, expiry, presence, capacity."""

from __future__ import annotations

from typing import Any

import asyncpg
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from contactcenter import constants
from contactcenter.settings import Settings
from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.routing.staffing import offers, route, staff
from tests.world import World
from workers.jobs import sweep

Client = TestClient[Any, Any]


async def _customer(client: Client, world: World, n: int, language: str | None = None) -> int:
    body = wa_hook(wa_text(f"wamid.flow{n}", f"4915200000{n:03d}", f"Hallo {n}", 1700000000 + n))
    resp = await post_whatsapp(client, world, body)
    assert resp.status == 200 and (await resp.json())["stored"] == 1
    return n


async def _ticket_ids(pool: asyncpg.Pool) -> list[int]:
    return [r["id"] for r in await pool.fetch("SELECT id FROM tickets ORDER BY id")]


async def _sweep(settings: Settings, pool: asyncpg.Pool, redis_url: str) -> dict[str, int]:
    from arq import create_pool

    from contactcenter.app import redis_settings

    arq = await create_pool(redis_settings(redis_url), default_queue_name=constants.ARQ_QUEUE)
    try:
        return await sweep({"pool": pool, "redis": arq})
    finally:
        await arq.aclose()


async def test_offer_accept_assigns_and_opens(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A waiting ticket is offered to the on-shift, available agent; accepting assigns it."""
    await staff(client, world, "agent")
    await _customer(client, world, 1)
    result = await route(pool, world.queue.id)
    assert len(result.created) == 1
    [offer] = await offers(client, world, "agent")
    resp = await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=world.auth("agent"))
    assert resp.status == 200
    ticket = await (
        await client.get(f"/api/v1/tickets/{offer['ticket_id']}", headers=world.auth("agent"))
    ).json()
    assert (ticket["assignee_id"], ticket["status"]) == (str(world.agent.id), "open")
    again = await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=world.auth("agent"))
    assert again.status == 409
    other = await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=world.auth("agent_b"))
    assert other.status == 404  # not theirs
    kinds = [
        r["kind"]
        for r in await pool.fetch(
            "SELECT kind FROM events WHERE ticket_id = $1 ORDER BY id", offer["ticket_id"]
        )
    ]
    assert kinds == ["ticket.created", "offer.created", "offer.accepted"]


async def test_decline_reroutes_never_to_the_same_agent_then_escalates(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Declined tickets go to the next agent at once; after max_attempts they escalate."""
    await client.patch(
        f"/api/v1/queues/{world.queue.id}", headers=world.auth("admin"), json={"max_attempts": 2}
    )
    await staff(client, world, "agent")
    await staff(client, world, "agent_b")
    await _customer(client, world, 1)
    await route(pool, world.queue.id)
    first = [o for who in ("agent", "agent_b") for o in await offers(client, world, who)]
    assert len(first) == 1
    holder = "agent" if await offers(client, world, "agent") else "agent_b"
    other = "agent_b" if holder == "agent" else "agent"
    assert (
        await client.post(f"/api/v1/offers/{first[0]['id']}/decline", headers=world.auth(holder))
    ).status == 200
    await route(pool, world.queue.id)
    assert await offers(client, world, holder) == []
    [second] = await offers(client, world, other)
    assert second["attempt"] == 2
    assert (
        await client.post(f"/api/v1/offers/{second['id']}/decline", headers=world.auth(other))
    ).status == 200
    await route(pool, world.queue.id)
    row = await pool.fetchrow("SELECT routing, attempts FROM tickets")
    assert (row["routing"], row["attempts"]) == ("escalated", 2)
    assert await pool.fetchval("SELECT count(*) FROM events WHERE kind = 'ticket.escalated'") == 1
    assert await offers(client, world, holder) == [] and await offers(client, world, other) == []


async def test_capacity_is_never_exceeded_and_freed_on_solve(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Room for two chats: five customers → two offers; solving one lets the next in."""
    await staff(client, world, "agent", capacity={"chat": 2})
    for n in range(5):
        await _customer(client, world, n)
    await route(pool, world.queue.id)
    pending = await offers(client, world, "agent")
    assert len(pending) == 2
    assert sorted(o["ticket_id"] for o in pending) == (await _ticket_ids(pool))[:2]  # oldest first
    for o in pending:
        await client.post(f"/api/v1/offers/{o['id']}/accept", headers=world.auth("agent"))
    await route(pool, world.queue.id)
    assert await offers(client, world, "agent") == []
    presence = await (await client.get("/api/v1/me/presence", headers=world.auth("agent"))).json()
    assert presence["status"] == "busy" and presence["load"] == {"chat": 2}
    solved = pending[0]["ticket_id"]
    resp = await client.patch(
        f"/api/v1/tickets/{solved}", headers=world.auth("agent"), json={"status": "solved"}
    )
    assert resp.status == 200
    await route(pool, world.queue.id)
    assert len(await offers(client, world, "agent")) == 1


async def test_no_offers_off_shift_away_or_offline(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await staff(client, world, "agent", shifts=None)  # never on shift
    await staff(client, world, "agent_b", presence="away")
    await _customer(client, world, 1)
    assert (await route(pool, world.queue.id)).created == []
    await client.put(
        "/api/v1/me/presence", headers=world.auth("agent_b"), json={"status": "available"}
    )
    assert len((await route(pool, world.queue.id)).created) == 1


async def test_leaving_available_withdraws_offers_and_reroutes(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await staff(client, world, "agent")
    await _customer(client, world, 1)
    await route(pool, world.queue.id)
    [offer] = await offers(client, world, "agent")
    await client.put("/api/v1/me/presence", headers=world.auth("agent"), json={"status": "away"})
    status = await pool.fetchval("SELECT status FROM offers WHERE id = $1", offer["id"])
    assert status == "cancelled"
    assert await pool.fetchval("SELECT routing FROM tickets") == "waiting"
    await staff(client, world, "agent_b")
    await route(pool, world.queue.id)
    [again] = await offers(client, world, "agent_b")
    assert (
        again["ticket_id"] == offer["ticket_id"] and again["attempt"] == 1
    )  # a withdrawal is no attempt


async def test_expired_offer_sets_agent_away_and_reroutes(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings, redis_url: str
) -> None:
    """The sweep expires an overdue offer: the agent goes away, the ticket goes to another agent."""
    await staff(client, world, "agent")
    await staff(client, world, "agent_b", presence="away")
    await _customer(client, world, 1)
    await route(pool, world.queue.id)
    [offer] = await offers(client, world, "agent")
    await pool.execute("UPDATE offers SET expires_at = now() - interval '1 second'")
    assert (
        await client.post(f"/api/v1/offers/{offer['id']}/accept", headers=world.auth("agent"))
    ).status == 409
    await client.put(
        "/api/v1/me/presence", headers=world.auth("agent_b"), json={"status": "available"}
    )
    counts = await _sweep(settings, pool, redis_url)
    assert counts["expired"] == 1
    presence = await (await client.get("/api/v1/me/presence", headers=world.auth("agent"))).json()
    assert presence["status"] == "away"
    await route(pool, world.queue.id)
    [next_offer] = await offers(client, world, "agent_b")
    assert next_offer["ticket_id"] == offer["ticket_id"] and next_offer["attempt"] == 2


async def test_lost_heartbeat_goes_offline(
    client: Client,
    world: World,
    pool: asyncpg.Pool,
    settings: Settings,
    redis_url: str,
    redis: aioredis.Redis,
) -> None:
    await staff(client, world, "agent")
    await staff(client, world, "agent_b")
    await redis.delete(constants.HEARTBEAT_KEY.format(user_id=world.agent.id))
    counts = await _sweep(settings, pool, redis_url)
    assert counts["offline"] == 1
    states = {
        r["user_id"]: r["presence"]
        for r in await pool.fetch("SELECT user_id, presence FROM agent_state")
    }
    assert states == {world.agent.id: "offline", world.agent_b.id: "available"}
    event = await pool.fetchrow(
        "SELECT data FROM events WHERE kind = 'presence.changed' ORDER BY id DESC LIMIT 1"
    )
    assert event["data"]["reason"] == "heartbeat_lost"


async def test_an_expiry_withdraws_the_agents_other_offers(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings, redis_url: str
) -> None:
    """The agent is away after one offer times out: their other pending offers go elsewhere at once."""
    await staff(client, world, "agent", capacity={"chat": 2})
    for n in (1, 2):
        await _customer(client, world, n)
    await route(pool, world.queue.id)
    first, second = sorted(o["id"] for o in await offers(client, world, "agent"))
    await pool.execute(
        "UPDATE offers SET expires_at = now() - interval '1 second' WHERE id = $1", first
    )
    await _sweep(settings, pool, redis_url)
    statuses = dict(await pool.fetch("SELECT id, status FROM offers"))
    assert statuses == {first: "expired", second: "cancelled"}
    assert await pool.fetchval("SELECT count(*) FROM tickets WHERE routing = 'waiting'") == 2
    attempts = [r["attempts"] for r in await pool.fetch("SELECT attempts FROM tickets ORDER BY id")]
    assert sorted(attempts) == [0, 1]  # the withdrawal is no attempt
