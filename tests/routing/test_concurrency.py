"""Four routers at once against agents who accept, decline, time out and flip presence.

Afterwards the whole history (offers, presence events, solve times) is replayed to check the
invariants at every instant, not only at the end: no ticket was ever offered to or held by two
agents at once, no agent ever held more than their capacity, and nobody got an offer while off
shift or not available. Size: CC_TEST_ROUTING_TICKETS (default 10,000) tickets, 200 agents.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections import defaultdict
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from contactcenter.actions.catalog import do_create_queue
from contactcenter.actions.routing import do_route_queue, do_set_presence
from contactcenter.api.schemas_routing import QueueIn
from contactcenter.store import routing as store
from contactcenter.store.db import create_pool
from tests.world import World

TICKETS = int(os.environ.get("CC_TEST_ROUTING_TICKETS", "10000"))
AGENTS, OFF_SHIFT, ROUTERS, QUEUES = 200, 20, 4, 4
SIMULATORS = 6  # agents act in parallel; each simulator answers its own share of the offers
BUDGET_S = 240


async def _setup(pool: asyncpg.Pool, world: World) -> tuple[list[UUID], list[UUID], set[UUID]]:
    async with pool.acquire() as conn:
        queues = [(await do_create_queue(conn, QueueIn(brand_id=world.brand.id, name=f"Load {i}",
                   language_required=False, max_attempts=8))).id for i in range(QUEUES)]  # fmt: skip
        agents = [r["id"] for r in await conn.fetch(
            "INSERT INTO users (email, name, role, capacity) SELECT 'load' || g || '@acme.test', 'Load ' || g,"
            " 'agent', jsonb_build_object('chat', 1 + g % 4, 'voice', 1) FROM generate_series(1, $1) g"
            " RETURNING id", AGENTS)]  # fmt: skip
        await conn.execute(
            "INSERT INTO agent_queues (user_id, queue_id) SELECT a, ($2::uuid[])[1 + (n % $3)]"
            " FROM unnest($1::uuid[]) WITH ORDINALITY AS x (a, n)"
            " UNION SELECT a, ($2::uuid[])[1 + ((n + 1) % $3)] FROM unnest($1::uuid[]) WITH ORDINALITY AS x (a, n)"
            " WHERE n % 2 = 0", agents, queues, QUEUES)  # fmt: skip
        on_shift = agents[: AGENTS - OFF_SHIFT]
        await conn.execute(
            "INSERT INTO shift_intervals (user_id, starts_at, ends_at)"
            " SELECT a, now() - interval '1 hour', now() + interval '8 hours' FROM unnest($1::uuid[]) a",
            on_shift)  # fmt: skip
        for agent in agents:
            await store.set_presence(conn, agent, "available", "test")
        contacts = [r["id"] for r in await conn.fetch(
            "INSERT INTO contacts (brand_id, name) SELECT $1, 'c' || g FROM generate_series(1, $2) g RETURNING id",
            world.brand.id, TICKETS)]  # fmt: skip
        await conn.execute(
            "INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id, platform_conversation_id,"
            " priority) SELECT $1, $2, 'whatsapp', ($3::uuid[])[1 + (n % $5)], c, 'conv',"
            " (ARRAY['low', 'normal', 'normal', 'high', 'urgent'])[1 + (n % 5)]"
            " FROM unnest($4::uuid[]) WITH ORDINALITY AS x (c, n)",
            world.brand.id, world.whatsapp.id, queues, contacts, QUEUES)  # fmt: skip
    return queues, agents, set(agents[AGENTS - OFF_SHIFT :])


async def _router(pool: asyncpg.Pool, queues: list[UUID], offset: int, stop: asyncio.Event) -> int:
    made = 0
    async with pool.acquire() as conn:
        while not stop.is_set():
            for i in range(len(queues)):
                result = await do_route_queue(
                    conn, queues[(i + offset) % len(queues)], datetime.now(UTC)
                )
                made += len(result.created)
            await asyncio.sleep(0)
    return made


async def _agents(
    pool: asyncpg.Pool, agents: list[UUID], seed: int, stop: asyncio.Event
) -> dict[str, int]:
    """Answer offers at random, solve work, flip presence; agents away come back."""
    rng = random.Random(seed)
    seen: dict[str, int] = defaultdict(int)
    async with pool.acquire() as conn:
        while not stop.is_set():
            for offer in await conn.fetch(
                "SELECT id, user_id FROM offers WHERE status = 'pending' ORDER BY random() LIMIT 40"
            ):
                roll = rng.random()
                if roll < 0.75:
                    seen[(await store.accept_offer(conn, offer["id"], offer["user_id"]))[0]] += 1
                elif roll < 0.9:
                    seen[
                        (
                            await store.release_offer(
                                conn, offer["id"], offer["user_id"], "declined"
                            )
                        ).result
                    ] += 1
                else:
                    await conn.execute(
                        "UPDATE offers SET expires_at = clock_timestamp() WHERE id = $1",
                        offer["id"],
                    )
                    seen[
                        (await store.release_offer(conn, offer["id"], None, "expired")).result
                    ] += 1
            await conn.execute(
                "WITH s AS (SELECT id FROM tickets WHERE routing = 'assigned' AND status IN ('new', 'open')"
                " ORDER BY id LIMIT 80 FOR UPDATE SKIP LOCKED)"
                " UPDATE tickets t SET status = 'solved', routing = 'done', solved_at = clock_timestamp()"
                " FROM s WHERE t.id = s.id")  # fmt: skip
            for agent in rng.sample(agents, 1):
                _, cancelled = await do_set_presence(
                    conn, agent, rng.choice(["away", "available", "available"]), "test"
                )
                seen["withdrawn"] += len(cancelled)
            for row in await conn.fetch(
                "SELECT user_id FROM agent_state WHERE presence = 'away' ORDER BY random() LIMIT 2"
            ):
                await do_set_presence(conn, row["user_id"], "available", "test")
            await asyncio.sleep(0)
    return dict(seen)


async def test_four_routers_never_double_assign_overfill_or_route_to_absent_agents(
    world: World, database_url: str
) -> None:
    pool = await create_pool(database_url, max_size=ROUTERS + SIMULATORS + 2)
    try:
        await _run(pool, world)
    finally:
        await pool.close()


async def _run(pool: asyncpg.Pool, world: World) -> None:
    queues, agents, off_shift = await _setup(pool, world)
    stop = asyncio.Event()
    routers = [asyncio.create_task(_router(pool, queues, i, stop)) for i in range(ROUTERS)]
    sims = [asyncio.create_task(_agents(pool, agents, seed, stop)) for seed in range(SIMULATORS)]
    started = time.monotonic()
    while time.monotonic() - started < BUDGET_S:
        open_count = await pool.fetchval(
            "SELECT count(*) FROM tickets WHERE routing IN ('waiting', 'offered', 'assigned')"
        )
        if open_count == 0:
            break
        await asyncio.sleep(0.5)
    stop.set()
    made = sum(await asyncio.gather(*routers))
    answers: dict[str, int] = defaultdict(int)
    for result in await asyncio.gather(*sims):
        for k, v in result.items():
            answers[k] += v
    done = await pool.fetchval(
        "SELECT count(*) FROM tickets WHERE routing IN ('done', 'escalated')"
    )
    assert done >= 0.95 * TICKETS, f"only {done} of {TICKETS} tickets finished in {BUDGET_S} s"
    assert made >= TICKETS and answers["accepted"] >= 0.9 * TICKETS and answers["declined"] > 0
    assert answers["expired"] > 0 and answers["withdrawn"] > 0
    await _check_history(pool, off_shift)


async def _check_history(pool: asyncpg.Pool, off_shift: set[UUID]) -> None:
    offers = await pool.fetch(
        "SELECT o.id, o.ticket_id, o.user_id, o.status, o.created_at, o.responded_at, t.solved_at"
        " FROM offers o JOIN tickets t ON t.id = o.ticket_id ORDER BY o.created_at"
    )
    capacity = {
        r["id"]: int(r["capacity"]["chat"])
        for r in await pool.fetch("SELECT id, capacity FROM users")
    }
    forever = datetime.max.replace(tzinfo=UTC)
    held_by_ticket: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    changes: dict[UUID, list[tuple[datetime, int]]] = defaultdict(list)
    for o in offers:
        end = (
            (o["solved_at"] or forever)
            if o["status"] == "accepted"
            else (o["responded_at"] or forever)
        )
        held_by_ticket[o["ticket_id"]].append((o["created_at"], end))
        changes[o["user_id"]] += [(o["created_at"], +1), (end, -1)]
    for ticket_id, spans in held_by_ticket.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"ticket {ticket_id} was held by two agents at once"
    for agent, events in changes.items():
        level = peak = 0
        for _, delta in sorted(events, key=lambda e: (e[0], e[1])):  # releases before takes
            level += delta
            peak = max(peak, level)
        assert peak <= capacity[agent], f"agent {agent} held {peak} > capacity {capacity[agent]}"
    assert not {o["user_id"] for o in offers} & off_shift, "an agent off shift received an offer"
    await _check_presence(pool, offers)
    accepted = await pool.fetchval(
        "SELECT count(*) FROM (SELECT ticket_id FROM offers WHERE status = 'accepted'"
        " GROUP BY ticket_id HAVING count(*) > 1) x"
    )
    assert accepted == 0


async def _check_presence(pool: asyncpg.Pool, offers: list[asyncpg.Record]) -> None:
    """At each offer's creation, the agent's latest presence change had made them available."""
    history: dict[UUID, list[tuple[datetime, str]]] = defaultdict(list)
    for e in await pool.fetch(
        "SELECT actor_user_id, created_at, data->>'to' AS state FROM events"
        " WHERE kind = 'presence.changed' ORDER BY created_at"
    ):
        history[e["actor_user_id"]].append((e["created_at"], e["state"]))
    for o in offers:
        before = [state for at, state in history[o["user_id"]] if at < o["created_at"]]
        assert before and before[-1] == "available", (
            f"offer {o['id']} went to an agent who was {before[-1:]}"
        )
