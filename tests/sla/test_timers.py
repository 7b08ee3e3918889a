"""SLA timers: multi-stage warnings, exactly-once breaches under racing workers, lateness."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from arq import ArqRedis

from contactcenter.actions import sla
from contactcenter.settings import Settings
from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.sla.conftest import customer_writes, drain, make_policy
from tests.world import World
from workers.settings import create_worker, stop_worker

Client = TestClient[Any, Any]


async def test_each_warning_stage_then_the_breach_fires_once(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """warn_at [0.5, 0.8] of 600 s: stage 1 at 300 s, stage 2 at 480 s, breach at 600 s; firing
    again at the same instant records nothing new."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.t1", "4915200000001")
    await drain(pool, arq)
    start = await pool.fetchval("SELECT awaiting_since FROM tickets")
    expected = [(299, []), (301, [1]), (479, [1]), (481, [1, 2]), (599, [1, 2]), (601, [1, 2, 0])]
    for seconds, stages in expected:
        async with pool.acquire() as conn:
            await sla.do_fire_due(conn, start + timedelta(seconds=seconds))
            await sla.do_fire_due(conn, start + timedelta(seconds=seconds))
        rows = await pool.fetch(
            "SELECT stage FROM sla_alerts WHERE target = 'first_response' ORDER BY fired_at"
        )
        assert [r["stage"] for r in rows] == stages, seconds
    clock = await pool.fetchrow("SELECT * FROM sla_clocks WHERE target = 'first_response'")
    assert clock["breached_at"] == clock["due_at"] and clock["next_fire_at"] is None
    kinds = await pool.fetch("SELECT kind, data FROM events WHERE kind LIKE 'sla.%' ORDER BY id")
    assert [k["kind"] for k in kinds] == ["sla.warning", "sla.warning", "sla.breached"]
    assert [k["data"]["stage"] for k in kinds] == [1, 2, 0]


async def test_a_late_worker_records_every_stage_once(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """A worker that comes late (past both warnings and the due time) records both warnings,
    at their own instants, and the breach: once each."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.t2", "4915200000002")
    await drain(pool, arq)
    start = await pool.fetchval("SELECT awaiting_since FROM tickets")
    async with pool.acquire() as conn:
        await sla.do_fire_due(conn, start + timedelta(seconds=700))
        await sla.do_fire_due(conn, start + timedelta(seconds=800))
    rows = await pool.fetch("SELECT stage, due_at FROM sla_alerts ORDER BY fired_at, stage")
    assert [r["stage"] for r in rows] == [1, 2, 0]
    assert [(r["due_at"] - start).total_seconds() for r in rows] == [300, 480, 600]


async def test_two_workers_racing_record_each_breach_exactly_once(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """120 tickets breach at once; four connections fire concurrently, repeatedly: each clock's
    breach is stored once, with one event, and published by exactly one of them."""
    await make_policy(client, world, targets={"normal": {"first_response_s": 5}})
    values = [wa_text(f"wamid.r{i}", f"49153{i:07d}", "Hi", 1700000000) for i in range(120)]
    for i in range(0, 120, 40):
        resp = await post_whatsapp(client, world, wa_hook(*values[i : i + 40]))
        assert (await resp.json())["stored"] == 40
    await drain(pool, arq)
    later = datetime.now(UTC) + timedelta(seconds=10)

    async def worker() -> list[dict[str, Any]]:
        published: list[dict[str, Any]] = []
        for _ in range(3):
            async with pool.acquire() as conn:
                result = await sla.do_fire_due(conn, later, limit=25)
            published += result.events
        return published

    runs = await asyncio.gather(*(worker() for _ in range(4)))
    published = [e for run in runs for e in run]
    async with pool.acquire() as conn:  # whatever the racers left (each takes 25 per call)
        while (await sla.do_fire_due(conn, later)).tickets:
            pass
    breaches = await pool.fetch("SELECT clock_id FROM sla_alerts WHERE stage = 0")
    assert len(breaches) == 120
    assert len({r["clock_id"] for r in breaches}) == 120
    events = await pool.fetchval("SELECT count(*) FROM events WHERE kind = 'sla.breached'")
    assert events == 120
    tickets = [e["ticket_id"] for e in published if e["type"] == "sla.breached"]
    assert len(tickets) == len(set(tickets))  # nobody published one twice


async def test_the_worker_fires_the_breach_on_time(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    """A real worker: the webhook's after-commit drain schedules the deferred timer; the breach
    is recorded within half a second of its due time (not at the next 5 s sweep)."""
    await make_policy(client, world, targets={"normal": {"first_response_s": 2}}, warn_at=[0.5])
    worker = create_worker(settings, poll_delay=0.01)
    task = asyncio.ensure_future(worker.async_run())
    try:
        await asyncio.sleep(0.2)  # the startup sweep has run; the next is seconds away
        await customer_writes(client, world, "wamid.late", "4915200000009")
        async with asyncio.timeout(6):
            while not await pool.fetchval("SELECT count(*) FROM sla_alerts WHERE stage = 0"):
                await asyncio.sleep(0.05)
        rows = await pool.fetch("SELECT stage, due_at, fired_at FROM sla_alerts ORDER BY stage")
    finally:
        await stop_worker(worker, task)
    lateness = {r["stage"]: (r["fired_at"] - r["due_at"]).total_seconds() for r in rows}
    assert set(lateness) == {0, 1}
    assert all(0 <= late < 0.5 for late in lateness.values()), lateness
