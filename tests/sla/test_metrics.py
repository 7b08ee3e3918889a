"""Board metrics on seeded data, against answers computed by hand (ANCHORS.md definitions)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter import board
from tests.sla.conftest import customer_writes
from tests.world import World

Client = TestClient[Any, Any]

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PERIOD = "from=2026-11-02T08:00:00Z&to=2026-11-02T09:00:00Z"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def _ticket(
    pool: asyncpg.Pool, world: World, n: int, created: float, *, replied: float | None = None,
    status: str = "open", assigned: float | None = None, solved: float | None = None,
    assignee: UUID | None = None,
) -> int:  # fmt: skip
    contact = await pool.fetchval(
        "INSERT INTO contacts (brand_id, name) VALUES ($1, $2) RETURNING id",
        world.brand.id,
        f"C{n}",
    )
    ticket_id: int = await pool.fetchval(
        """INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id,
               platform_conversation_id, status, created_at, first_replied_at, assigned_at,
               solved_at, assignee_id, routing)
           VALUES ($1, $2, 'whatsapp', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id""",
        world.brand.id, world.whatsapp.id, world.queue.id, contact, f"conv{n}", status,
        at(created), at(replied) if replied is not None else None,
        at(assigned) if assigned is not None else None, at(solved) if solved is not None else None,
        assignee, "assigned" if assignee else ("done" if status == "solved" else "waiting"),
    )  # fmt: skip
    return ticket_id


async def _seed(pool: asyncpg.Pool, world: World) -> list[int]:
    agent = world.agent.id
    return [
        await _ticket(
            pool,
            world,
            1,
            5,
            replied=5 + 10 / 60,
            status="solved",
            assigned=5 + 5 / 60,
            solved=20,
            assignee=agent,
        ),
        await _ticket(pool, world, 2, 10, replied=11, assigned=10.5, assignee=agent),
        await _ticket(pool, world, 3, 40, status="solved", solved=41),  # abandoned
        await _ticket(pool, world, 4, 50, status="new"),  # waiting
        await _ticket(pool, world, 5, 70, status="new"),  # after the period
    ]


async def _refresh(pool: asyncpg.Pool, rollup: bool) -> None:
    """rollup: the worker has refreshed the board (whole buckets come from the rollups);
    otherwise every figure is computed from the raw rows."""
    if rollup:
        async with pool.acquire() as conn:
            assert await board.refresh(conn, datetime.now(UTC))


@pytest.mark.parametrize("rollup", [False, True], ids=["raw", "rollup"])
async def test_queue_metrics_by_hand(
    client: Client, world: World, pool: asyncpg.Pool, rollup: bool
) -> None:
    """4 arrivals: one answered in 10 s (within 20 s), one in 60 s, one abandoned, one waiting.
    SL 1/4, ASA (10+60)/2 = 35 s, abandon 1/4; solved 2, AHT from accept 08:05:05 to 08:20."""
    await _seed(pool, world)
    await _refresh(pool, rollup)
    resp = await client.get(
        f"/api/v1/metrics/queues?{PERIOD}&interval=30", headers=world.auth("supervisor")
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    general = next(i for i in body["items"] if i["key"] == str(world.queue.id))
    assert general["period"] == {
        "arrived": 4, "answered": 2, "answered_in_sl": 1, "service_level": 0.25, "asa_s": 35.0,
        "abandoned": 1, "abandon_rate": 0.25, "solved": 2, "aht_s": 895.0,
    }  # fmt: skip
    first, second = general["intervals"]
    assert (first["start"], first["arrived"], first["service_level"], first["asa_s"]) == (
        "2026-11-02T08:00:00+00:00", 2, 0.5, 35.0)  # fmt: skip
    assert (second["arrived"], second["answered"], second["abandoned"]) == (2, 0, 1)
    live = general["live"]
    assert live["waiting"] == 2 and live["by_priority"] == {"normal": 2}
    expected_wait = (datetime.now(UTC) - at(50)).total_seconds()
    assert abs(live["longest_wait_s"] - expected_wait) < 5
    assert (general["agents_eligible"], general["agents_available"]) == (0, 0)
    vip = next(i for i in body["items"] if i["key"] == str(world.queue_b.id))
    assert vip["period"]["arrived"] == 0 and vip["period"]["service_level"] is None
    by_channel = await (
        await client.get(f"/api/v1/metrics/queues?{PERIOD}&group_by=channel",
                         headers=world.auth("supervisor"))
    ).json()  # fmt: skip
    [whatsapp] = by_channel["items"]
    assert whatsapp["key"] == "whatsapp" and whatsapp["period"]["service_level"] == 0.25


async def _clock(
    pool: asyncpg.Pool, world: World, ticket_id: int, target: str, state: str, *,
    stage: int = 0, breached: float | None = None, met: float | None = None,
    stopped: float | None = None, met_by: UUID | None = None,
) -> None:  # fmt: skip
    await pool.execute(
        """INSERT INTO sla_clocks (brand_id, ticket_id, target, started_at, policy_id, queue_id,
               channel, priority, target_s, state, stage, breached_at, met_at, stopped_at, met_by)
           VALUES ($1, $2, $3, $4, $5, $6, 'whatsapp', 'normal', 20, $7, $8, $9, $10, $11, $12)""",
        world.brand.id, ticket_id, target, T0, UUID(int=1), world.queue.id, state, stage,
        *(at(x) if x is not None else None for x in (breached, met, stopped)), met_by,
    )  # fmt: skip


@pytest.mark.parametrize("rollup", [False, True], ids=["raw", "rollup"])
async def test_sla_metrics_by_hand(
    client: Client, world: World, pool: asyncpg.Pool, rollup: bool
) -> None:
    """first_response: met 1, breached 2 (one met late, one still open) → 1/3; resolution:
    met 1 → 1.0; now: one resolution at risk, one paused."""
    t1, t2, _, t4, _ = await _seed(pool, world)
    agent = world.agent.id
    await _clock(pool, world, t1, "first_response", "done", met=5.2, stopped=5.2, met_by=agent)
    await _clock(pool, world, t2, "first_response", "done", breached=10.3, met=11, stopped=11,
                 met_by=agent)  # fmt: skip
    await _clock(pool, world, t1, "resolution", "done", met=20, stopped=20, met_by=agent)
    await _clock(pool, world, t4, "first_response", "running", stage=2, breached=50.3)
    await _clock(pool, world, t2, "resolution", "running", stage=1)
    await _clock(pool, world, t4, "resolution", "paused")
    await _refresh(pool, rollup)
    resp = await client.get(f"/api/v1/metrics/sla?{PERIOD}", headers=world.auth("supervisor"))
    assert resp.status == 200, await resp.text()
    [general] = (await resp.json())["items"]
    first, resolution = general["targets"]["first_response"], general["targets"]["resolution"]
    assert first == {"met": 1, "breached": 2, "attainment": 0.3333, "running": 1, "at_risk": 0,
                     "paused": 0}  # fmt: skip
    assert resolution == {"met": 1, "breached": 0, "attainment": 1.0, "running": 1,
                          "at_risk": 1, "paused": 1}  # fmt: skip
    by_agent = await (
        await client.get(f"/api/v1/metrics/sla?{PERIOD}&group_by=agent",
                         headers=world.auth("supervisor"))
    ).json()  # fmt: skip
    mine = next(i for i in by_agent["items"] if i["key"] == str(agent))
    assert mine["targets"]["first_response"] == {"met": 1, "breached": 1, "attainment": 0.5}
    nobody = next(i for i in by_agent["items"] if i["key"] == "None")
    assert nobody["targets"]["first_response"]["breached"] == 1


@pytest.mark.parametrize("rollup", [False, True], ids=["raw", "rollup"])
async def test_agent_metrics_by_hand(
    client: Client, world: World, pool: asyncpg.Pool, rollup: bool
) -> None:
    """Available 08:00-08:30; holding tickets from 08:05:05 → busy 1495 s of 1800 s. Offers:
    one accepted after 5 s, one declined, one expired."""
    t1, t2, *_ = await _seed(pool, world)
    agent = world.agent.id
    for minute, state in ((0, "available"), (30, "away")):
        await pool.execute(
            "INSERT INTO events (kind, actor_user_id, data, created_at) "
            "VALUES ('presence.changed', $1, $2, $3)", agent, {"to": state}, at(minute),
        )  # fmt: skip
    for n, status in enumerate(("accepted", "declined", "expired")):
        await pool.execute(
            "INSERT INTO offers (ticket_id, user_id, queue_id, kind, status, attempt, created_at,"
            " expires_at, responded_at) VALUES ($1, $2, $3, 'chat', $4, 1, $5, $6, $7)",
            t1 if n == 0 else t2, agent, world.queue.id, status, at(5), at(7),
            at(5) + timedelta(seconds=5),
        )  # fmt: skip
    await pool.execute(  # on shift 07:50-08:40: available for 30 of its 40 minutes in the period
        "INSERT INTO shift_intervals (user_id, starts_at, ends_at) VALUES ($1, $2, $3)",
        agent, at(-10), at(40),
    )  # fmt: skip
    await _refresh(pool, rollup)
    resp = await client.get(f"/api/v1/metrics/agents?{PERIOD}", headers=world.auth("supervisor"))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    me = next(i for i in body["items"] if i["id"] == str(agent))
    assert (me["available_s"], me["busy_s"], me["occupancy"]) == (1800, 1495, 0.8306)
    assert me["offers"] == {"offered": 3, "accepted": 1, "declined": 1, "expired": 1,
                            "acceptance_rate": 0.3333, "accept_s": 5.0}  # fmt: skip
    assert (me["solved"], me["aht_s"]) == (1, 895.0)
    assert (me["scheduled_s"], me["adherence"]) == (2400, 0.75)
    assert me["utilisation"] == round(1 / sum(me["capacity"].values()), 4)
    assert me["load"] == {"chat": 1} and me["free"]["chat"] == me["capacity"]["chat"] - 1
    assert body["states"]["offline"] >= 1


async def test_metrics_need_a_supervisor_and_a_sane_period(client: Client, world: World) -> None:
    for path in ("queues", "sla", "agents"):
        resp = await client.get(f"/api/v1/metrics/{path}", headers=world.auth("agent"))
        assert resp.status == 403
    bad = await client.get(
        "/api/v1/metrics/queues?from=2026-11-02T09:00:00Z&to=2026-11-02T08:00:00Z",
        headers=world.auth("supervisor"),
    )
    assert bad.status == 400 and "before" in (await bad.json())["error"]["message"]
    naive = await client.get(
        "/api/v1/metrics/sla?from=2026-11-02T08:00:00", headers=world.auth("supervisor")
    )
    assert naive.status == 400


async def test_prometheus_exposition(client: Client, world: World, pool: asyncpg.Pool) -> None:
    """Ingest counters shared through Redis, queue depth and agents from PostgreSQL."""
    await customer_writes(client, world, "wamid.prom1", "4915300000001")
    text = ""
    async with asyncio.timeout(5):  # the counters are flushed after commit, off the request
        while 'cc_ingest_messages_total{channel="whatsapp"} 1' not in text:
            resp = await client.get("/metrics")
            assert resp.status == 200
            text = await resp.text()
            await asyncio.sleep(0.02)
    assert "# TYPE cc_ingest_messages_total counter" in text
    assert f'cc_queue_waiting{{queue="General",queue_id="{world.queue.id}"}} 1' in text
    assert 'cc_agents{state="offline"}' in text


async def test_prometheus_token(world: World, settings: Any) -> None:
    from aiohttp.test_utils import TestServer

    from contactcenter.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": "s3cret"}))
    async with TestClient(TestServer(app)) as c:
        assert (await c.get("/metrics")).status == 401
        ok = await c.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert ok.status == 200


async def test_a_period_off_the_bucket_grid_adds_raw_edges(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """08:07-08:52 after a refresh: whole buckets 08:15-08:45 from the rollup, 08:07-08:15 and
    08:45-08:52 from the raw rows; tickets at 08:05 (outside), 08:10, 08:40, 08:50 → 3."""
    await _seed(pool, world)
    await _refresh(pool, True)
    async with pool.acquire() as conn:
        parts = await board.split(conn, at(7), at(52))
    assert parts.rollup == (at(15), at(45)) and parts.raw == [(at(7), at(15)), (at(45), at(52))]
    resp = await client.get(
        "/api/v1/metrics/queues?from=2026-11-02T08:07:00Z&to=2026-11-02T08:52:00Z",
        headers=world.auth("supervisor"),
    )
    general = next(i for i in (await resp.json())["items"] if i["key"] == str(world.queue.id))
    assert (general["period"]["arrived"], general["period"]["answered"]) == (3, 1)


async def test_the_rollup_follows_changes_after_a_refresh(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A ticket answered after the refresh counts once the next refresh has run."""
    await _seed(pool, world)
    await _refresh(pool, True)
    await pool.execute(
        "UPDATE tickets SET first_replied_at = created_at + interval '5 s' WHERE id = $1",
        (await pool.fetchval("SELECT min(id) FROM tickets WHERE status = 'new'")),
    )
    async with pool.acquire() as conn:
        await conn.execute("UPDATE board_refresh SET refreshed_at = refreshed_at - interval '2 h'")
        assert await board.refresh(conn, datetime.now(UTC))
    resp = await client.get(f"/api/v1/metrics/queues?{PERIOD}", headers=world.auth("supervisor"))
    general = next(i for i in (await resp.json())["items"] if i["key"] == str(world.queue.id))
    assert (general["period"]["answered"], general["period"]["answered_in_sl"]) == (3, 2)
