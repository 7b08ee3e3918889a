"""Coverage planning on real PostgreSQL: forecast or history → Erlang C → gaps vs shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from contactcenter.coverage.terminal import report
from tests.world import World

Client = TestClient[Any, Any]

MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
DAY = "from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z"


async def _roster(pool: asyncpg.Pool, world: World, hours: tuple[int, int], agents: int) -> None:
    """`agents` agents (capacity: one chat) on shift on MONDAY between `hours`, in the queue."""
    for n in range(agents):
        user = world.agent.id if n == 0 else world.agent_b.id
        await pool.execute("UPDATE users SET capacity = '{\"chat\": 1}' WHERE id = $1", user)
        await pool.execute(
            "INSERT INTO agent_queues (user_id, queue_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            user, world.queue.id,
        )  # fmt: skip
        await pool.execute(
            "INSERT INTO shift_intervals (user_id, starts_at, ends_at) VALUES ($1, $2, $3)",
            user, MONDAY + timedelta(hours=hours[0]), MONDAY + timedelta(hours=hours[1]),
        )  # fmt: skip


async def test_forecast_gives_the_anchors_example(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """360 contacts in Monday 08:00-08:30, AHT 240 s, 80 % in 20 s → 54 needed, 78 to schedule
    at 30 % shrinkage; two agents on shift 08:00-08:45 → 2 scheduled, 76 short; 08:30-09:00
    has no contacts and 1.5 agents (one of them half the interval)."""
    monday = [0.0] * 48
    monday[16] = 360.0
    forecast = {"timezone": "UTC", "interval_min": 30, "aht_s": 240,
                "weekly": {"mon": monday}}  # fmt: skip
    resp = await client.patch(
        f"/api/v1/queues/{world.queue.id}",
        json={"forecast": forecast, "sl_threshold_s": 20, "sl_target": 0.8, "max_occupancy": 1.0,
              "shrinkage": 0.3},
        headers=world.auth("admin"),
    )  # fmt: skip
    assert resp.status == 200, await resp.text()
    await _roster(pool, world, (8, 9), 1)
    await pool.execute(
        "INSERT INTO shift_intervals (user_id, starts_at, ends_at) VALUES ($1, $2, $3)",
        world.agent_b.id, MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=8, minutes=45),
    )  # fmt: skip
    await pool.execute(
        "INSERT INTO agent_queues (user_id, queue_id) VALUES ($1, $2)", world.agent_b.id,
        world.queue.id,
    )  # fmt: skip
    await pool.execute("UPDATE users SET capacity = '{\"chat\": 1}'")
    resp = await client.get(
        f"/api/v1/metrics/coverage?queue_id={world.queue.id}&{DAY}",
        headers=world.auth("supervisor"),
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["method"], body["source"], body["kind"], body["interval_min"]) == (
        "erlang_c", "forecast", "chat", 30)  # fmt: skip
    assert len(body["intervals"]) == 48
    peak = body["intervals"][16]
    assert peak["start"] == "2026-12-07T08:00:00+00:00"
    assert (peak["arrivals"], peak["needed"], peak["required"], peak["scheduled"]) == (
        360.0, 54, 78, 2.0)  # fmt: skip
    assert peak["gap"] == -76.0
    after = body["intervals"][17]
    assert (after["needed"], after["required"], after["scheduled"], after["gap"]) == (
        0, 0, 1.5, 1.5)  # fmt: skip
    assert body["summary"]["intervals_short"] == 1
    assert body["summary"]["worst"]["start"] == "2026-12-07T08:00:00+00:00"


async def test_history_learns_weekday_and_time_and_handle_time(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """8 tickets in one half hour on each of the four same weekdays before now, each handled in
    600 s → 8 expected in that half hour next week, AHT 600 s from history; other intervals
    expect nothing. (History is always the past, whatever `from` asks for.)"""
    now = datetime.now(UTC)
    slot = (now + timedelta(hours=1)).replace(
        minute=(now.minute // 30) * 30, second=0, microsecond=0
    )  # a half hour an hour from now
    contact = await pool.fetchval(
        "INSERT INTO contacts (brand_id, name) VALUES ($1, 'C') RETURNING id", world.brand.id
    )
    for week in range(1, 5):
        for n in range(8):
            created = slot - timedelta(weeks=week) + timedelta(minutes=n)
            await pool.execute(
                """INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id,
                       contact_id, platform_conversation_id, status, created_at, assigned_at,
                       solved_at)
                   VALUES ($1, $2, 'whatsapp', $3, $4, 'c', 'solved', $5, $5, $6)""",
                world.brand.id, world.whatsapp.id, world.queue.id, contact, created,
                created + timedelta(seconds=600),
            )  # fmt: skip
    await pool.execute(
        "INSERT INTO agent_queues (user_id, queue_id) VALUES ($1, $2)", world.agent.id,
        world.queue.id,
    )  # fmt: skip
    start = slot + timedelta(weeks=1)
    period = {"queue_id": str(world.queue.id), "from": start.isoformat(),
              "to": (start + timedelta(days=1)).isoformat()}  # fmt: skip
    resp = await client.get("/api/v1/metrics/coverage", params=period, headers=world.auth("admin"))
    body = await resp.json()
    assert (body["source"], body["aht_s"]) == ("history", 600.0)
    busy = {i["start"]: i["arrivals"] for i in body["intervals"] if i["arrivals"]}
    assert busy == {start.isoformat(): 8.0}
    peak = next(i for i in body["intervals"] if i["arrivals"])
    # 8 per 30 min, 600 s per chat at concurrency 4 (the agent's default chat capacity) → 150 s
    assert body["effective_aht_s"] == 150.0 and peak["needed"] >= 1


async def test_coverage_needs_a_supervisor_and_a_known_queue(client: Client, world: World) -> None:
    resp = await client.get(
        f"/api/v1/metrics/coverage?queue_id={world.queue.id}", headers=world.auth("agent")
    )
    assert resp.status == 403
    resp = await client.get(
        "/api/v1/metrics/coverage?queue_id=00000000-0000-0000-0000-000000000000",
        headers=world.auth("supervisor"),
    )
    assert resp.status == 404 and "queue" in (await resp.json())["error"]["message"]


async def test_terminal_heatmap(world: World, pool: asyncpg.Pool, database_url: str) -> None:
    """`contactcenter coverage --queue General`: a map of every day and hour, short everywhere
    with a flat forecast of 10 contacts per 30 minutes and nobody on shift."""
    forecast = {"timezone": "UTC", "interval_min": 30, "aht_s": 240,
                "weekly": {d: [10.0] * 48 for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}  # fmt: skip
    await pool.execute("UPDATE queues SET forecast = $1 WHERE id = $2", forecast, world.queue.id)
    text = await report(database_url, "general", None, 3, 30, color=False, as_json=False)
    lines = text.splitlines()
    assert lines[0].startswith("General: agents on shift minus agents needed")
    assert "00  01  02" in text and "\x1b[" not in text
    day_rows = [
        line for line in lines if line[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    ]
    assert len(day_rows) >= 3 and all("-" in row for row in day_rows)
    colored = await report(database_url, "General", "Acme", 1, 30, color=True, as_json=False)
    assert "\x1b[30;41m" in colored  # red: short
