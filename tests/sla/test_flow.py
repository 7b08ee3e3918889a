"""SLA clocks end to end on real PostgreSQL: policies, start/stop rules, pause, API views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from arq import ArqRedis

from tests.sla.conftest import clocks, customer_writes, drain, make_policy, ticket
from tests.world import World

Client = TestClient[Any, Any]


async def _one_ticket(pool: asyncpg.Pool) -> int:
    [row] = await pool.fetch("SELECT id FROM tickets")
    return int(row["id"])


async def test_policy_validation_and_roles(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Bad policies are refused with a JSON error and nothing stored; agents may not create."""
    base = {"brand_id": str(world.brand.id), "name": "P"}
    bad = [
        base | {"targets": {"high": {"first_response_s": 60}}},  # no normal
        base | {"targets": {"normal": {"first_response_s": 0}}},
        base | {"targets": {"normal": {}}, "warn_at": [1.5]},
        base | {"targets": {"normal": {}}, "channels": ["carrier-pigeon"]},
        base | {"targets": {"normal": {}}, "calendar": {"timezone": "Mars/Base", "hours": {}}},
        base | {"targets": {"normal": {}}, "calendar": {"timezone": "UTC", "hours": {"mon": []}}},
    ]
    for body in bad:
        resp = await client.post("/api/v1/sla-policies", json=body, headers=world.auth("admin"))
        assert resp.status == 400, body
        error = (await resp.json())["error"]
        assert error["code"] == "validation_failed" and error["message"]
    resp = await client.post(
        "/api/v1/sla-policies",
        json=base | {"targets": {"normal": {"first_response_s": 60}}},
        headers=world.auth("agent"),
    )
    assert resp.status == 403
    assert await pool.fetchval("SELECT count(*) FROM sla_policies") == 0
    await make_policy(client, world)
    again = await client.post(
        "/api/v1/sla-policies",
        json=base | {"name": "Standard", "targets": {"normal": {}}},
        headers=world.auth("admin"),
    )
    assert again.status == 409


async def test_first_response_met_by_reply_then_next_response(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """A new ticket runs first_response and resolution; the agent's reply meets the first; the
    customer's next message starts next_response, due target seconds after it arrived."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.sla1", "4915100000001")
    assert await drain(pool, arq) == 1
    tid = await _one_ticket(pool)
    c = await clocks(pool, tid)
    assert set(c) == {"first_response", "resolution"}
    facts = await pool.fetchrow("SELECT awaiting_since, opened_at, sla_due_at FROM tickets")
    assert c["first_response"]["due_at"] == facts["awaiting_since"] + timedelta(seconds=600)
    assert c["resolution"]["due_at"] == facts["opened_at"] + timedelta(seconds=86400)
    assert facts["sla_due_at"] == c["first_response"]["due_at"]
    assert c["first_response"]["next_fire_at"] == facts["awaiting_since"] + timedelta(seconds=300)
    view = await ticket(client, world, tid)
    assert view["sla"]["first_response"]["state"] == "ok"

    resp = await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"text": "Hi!"}, headers=world.auth("agent")
    )
    assert resp.status == 202
    sent = await resp.json()
    assert (sent["direction"], sent["delivery_status"]) == ("outbound", "queued")
    c = await clocks(pool, tid)
    assert c["first_response"]["state"] == "done"
    assert c["first_response"]["met_by"] == world.agent.id
    view = await ticket(client, world, tid)
    assert view["status"] == "open"
    assert view["sla"]["first_response"]["state"] == "met"
    assert "next_response" not in view["sla"]

    await customer_writes(client, world, "wamid.sla2", "4915100000001")
    assert await drain(pool, arq) == 1
    c = await clocks(pool, tid)
    awaiting = await pool.fetchval("SELECT awaiting_since FROM tickets")
    assert c["next_response"]["started_at"] == awaiting
    assert c["next_response"]["due_at"] == awaiting + timedelta(seconds=1200)
    # a second customer message while waiting changes nothing: no new work, same clock
    await customer_writes(client, world, "wamid.sla3", "4915100000001")
    assert await pool.fetchval("SELECT count(*) FROM sla_work") == 0
    assert await pool.fetchval("SELECT count(*) FROM sla_clocks") == 3


async def test_note_does_not_meet_the_response(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.note1", "4915100000002")
    await drain(pool, arq)
    tid = await _one_ticket(pool)
    resp = await client.post(
        f"/api/v1/tickets/{tid}/notes", json={"text": "VIP"}, headers=world.auth("agent")
    )
    assert resp.status == 201 and (await resp.json())["direction"] == "note"
    assert (await clocks(pool, tid))["first_response"]["state"] == "running"


async def test_pending_pauses_with_a_ledger_and_the_customer_resumes(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """pending pauses every running clock (ledger row with the reason); the customer's reply
    reopens the ticket and resumes them with the time left."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.p1", "4915100000003")
    await drain(pool, arq)
    tid = await _one_ticket(pool)
    await client.post(
        f"/api/v1/tickets/{tid}/messages",
        json={"text": "Which order?"},
        headers=world.auth("agent"),
    )
    resp = await client.patch(
        f"/api/v1/tickets/{tid}", json={"status": "pending"}, headers=world.auth("agent")
    )
    assert resp.status == 200
    view = await resp.json()
    assert view["sla"]["resolution"] == {
        "due_at": None, "state": "paused", "started_at": view["sla"]["resolution"]["started_at"]
    }  # fmt: skip
    [pause] = await pool.fetch("SELECT * FROM sla_pauses")
    assert pause["reason"] == "status pending" and pause["resumed_at"] is None
    paused = (await clocks(pool, tid))["resolution"]
    assert paused["state"] == "paused" and paused["consumed_s"] > 0
    assert await pool.fetchval("SELECT sla_due_at FROM tickets") is None

    await customer_writes(client, world, "wamid.p2", "4915100000003")
    assert await drain(pool, arq) == 1
    [pause] = await pool.fetch("SELECT * FROM sla_pauses")
    assert pause["resumed_at"] is not None and pause["resumed_at"] >= pause["paused_at"]
    c = await clocks(pool, tid)
    resolution = c["resolution"]
    left = 86400 - resolution["consumed_s"]
    assert resolution["state"] == "running"
    assert resolution["due_at"] == resolution["resumed_at"] + timedelta(seconds=left)
    assert c["next_response"]["state"] == "running"  # the customer's message waits for a reply


async def test_solve_meets_resolution_and_stops_unanswered_response(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.s1", "4915100000004")
    await drain(pool, arq)
    tid = await _one_ticket(pool)
    resp = await client.patch(
        f"/api/v1/tickets/{tid}", json={"status": "solved"}, headers=world.auth("agent")
    )
    assert resp.status == 200
    sla = (await resp.json())["sla"]
    assert sla["resolution"]["state"] == "met"
    assert sla["first_response"]["state"] == "stopped"
    assert await pool.fetchval("SELECT sla_due_at FROM tickets") is None
    stopped = (await clocks(pool, tid))["first_response"]
    assert (stopped["stop_reason"], stopped["met_at"]) == ("solved", None)


async def test_priority_change_recomputes_the_deadline(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """urgent: 60 s instead of 600 s, minus nothing used so far beyond the seconds elapsed."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.u1", "4915100000005")
    await drain(pool, arq)
    tid = await _one_ticket(pool)
    resp = await client.patch(
        f"/api/v1/tickets/{tid}", json={"priority": "urgent"}, headers=world.auth("agent")
    )
    assert resp.status == 200
    first = (await clocks(pool, tid))["first_response"]
    assert first["target_s"] == 60 and first["priority"] == "urgent"
    # due = started + 60 s: the time used is kept, so the deadline is relative to the start
    delta = (first["due_at"] - first["started_at"]).total_seconds()
    assert abs(delta - 60) < 0.01


async def test_queue_policy_wins_over_the_brand_default(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    await make_policy(client, world)
    vip = await make_policy(
        client, world, name="VIP", is_default=False,
        targets={"normal": {"first_response_s": 30}},
    )  # fmt: skip
    resp = await client.patch(
        f"/api/v1/queues/{world.queue.id}",
        json={"sla_policy_id": vip["id"]},
        headers=world.auth("admin"),
    )
    assert resp.status == 200 and (await resp.json())["sla_policy_id"] == vip["id"]
    await customer_writes(client, world, "wamid.q1", "4915100000006")
    await drain(pool, arq)
    c = await clocks(pool, await _one_ticket(pool))
    assert set(c) == {"first_response"}  # the VIP policy has no resolution target
    assert c["first_response"]["target_s"] == 30


async def test_sla_filter_and_feed(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """GET /tickets?sla=breached lists the breached; the newsfeed shows the breach."""
    from workers.sla import fire

    await make_policy(client, world, targets={"normal": {"first_response_s": 1}})
    await customer_writes(client, world, "wamid.f1", "4915100000007")
    await customer_writes(client, world, "wamid.f2", "4915100000008")
    await drain(pool, arq)
    tid = await pool.fetchval("SELECT min(id) FROM tickets")
    await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"text": "fast"}, headers=world.auth("agent")
    )
    await pool.execute("SELECT pg_sleep(1.1)")
    assert await fire(pool, arq) >= 1
    resp = await client.get("/api/v1/tickets?sla=breached", headers=world.auth("supervisor"))
    breached = [t["id"] for t in (await resp.json())["items"]]
    assert breached == [tid + 1]
    feed = await client.get("/api/v1/feed?kind=sla.breached", headers=world.auth("agent"))
    [item] = (await feed.json())["items"]
    assert item["ticket_id"] == tid + 1 and item["data"]["target"] == "first_response"
    assert item["data"]["reason"] == "no first reply yet: waiting in queue, no agent assigned"


async def test_csv_report_of_sla_outcomes(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """Two tickets: one answered in time and solved, one unanswered; filters and roles."""
    import csv
    import io

    await make_policy(client, world)
    await customer_writes(client, world, "wamid.csv1", "4915100000011")
    await customer_writes(client, world, "wamid.csv2", "4915100000012")
    await drain(pool, arq)
    first = await pool.fetchval("SELECT min(id) FROM tickets")
    await client.post(
        f"/api/v1/tickets/{first}/messages", json={"text": "hi"}, headers=world.auth("agent")
    )
    await client.patch(
        f"/api/v1/tickets/{first}", json={"status": "solved"}, headers=world.auth("agent")
    )
    period = "from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"
    resp = await client.get(
        f"/api/v1/reports/tickets.csv?{period}", headers=world.auth("supervisor")
    )
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [int(r["ticket_id"]) for r in rows] == [first, first + 1]
    done, waiting = rows
    assert (done["first_response"], done["resolution"], done["status"]) == ("met", "met", "solved")
    assert float(done["first_response_s"]) >= 0 and done["assignee"] == ""
    assert (waiting["first_response"], waiting["resolution"]) == ("running", "running")
    assert waiting["first_replied_at"] == "" and waiting["first_response_due_at"]
    only_open = await client.get(
        f"/api/v1/reports/tickets.csv?{period}&status=new,open", headers=world.auth("supervisor")
    )
    assert len(list(csv.DictReader(io.StringIO(await only_open.text())))) == 1
    assert (
        await client.get(f"/api/v1/reports/tickets.csv?{period}", headers=world.auth("agent"))
    ).status == 403
    from contactcenter.api.reports import _safe

    assert (_safe("=HYPERLINK(1)"), _safe("Team =A")) == ("'=HYPERLINK(1)", "Team =A")
    bad = await client.get(
        "/api/v1/reports/tickets.csv?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        headers=world.auth("supervisor"),
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "validation_failed"


async def test_feed_hides_other_teams_tickets_from_agents(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """A ticket in team B's queue: its events are in agent_b's and the supervisor's feed, not
    in team A's agent's."""
    from tests.helpers import tg_headers

    body = (
        b'{"update_id": 900001, "message": {"message_id": 7, "date": 1700000000, '
        b'"chat": {"id": 4242, "type": "private"}, "from": {"id": 4242, "is_bot": false, '
        b'"first_name": "Vera"}, "text": "Hallo"}}'
    )
    resp = await client.post(
        f"/webhooks/telegram/{world.telegram_b.id}", data=body, headers=tg_headers("vip-secret")
    )
    assert resp.status == 200 and (await resp.json())["stored"] == 1

    async def feed(who: str) -> list[int]:
        r = await client.get("/api/v1/feed?kind=ticket.created", headers=world.auth(who))
        return [i["ticket_id"] for i in (await r.json())["items"]]

    vip = await pool.fetchval("SELECT id FROM tickets WHERE queue_id = $1", world.queue_b.id)
    assert await feed("agent_b") == [vip] and await feed("supervisor") == [vip]
    assert await feed("agent") == []


async def test_a_reply_before_the_drain_still_meets_the_first_response(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """The agent answers before the worker turned the customer's wait into a clock: the reply
    computes it first, then meets it."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.fast1", "4915100000021")
    assert await pool.fetchval("SELECT count(*) FROM sla_clocks") == 0  # not drained yet
    tid = await _one_ticket(pool)
    resp = await client.post(f"/api/v1/tickets/{tid}/messages", json={"text": "Hi!"},
                             headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 202
    first = (await clocks(pool, tid))["first_response"]
    assert (first["state"], first["met_by"]) == ("done", world.agent.id)
    assert await pool.fetchval("SELECT count(*) FROM sla_work") == 0


async def test_a_reopened_ticket_gets_a_new_response_clock(
    client: Client, world: World, pool: asyncpg.Pool, arq: ArqRedis
) -> None:
    """Solved without a reply, then the customer writes again: a new wait, a new clock (the
    old one stays stopped)."""
    await make_policy(client, world)
    await customer_writes(client, world, "wamid.re1", "4915100000022")
    await drain(pool, arq)
    tid = await _one_ticket(pool)
    await client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved"},
                       headers=world.auth("agent"))  # fmt: skip
    await customer_writes(client, world, "wamid.re2", "4915100000022")
    await drain(pool, arq)
    rows = await pool.fetch("SELECT state, stop_reason FROM sla_clocks "
                            "WHERE target = 'first_response' ORDER BY started_at")  # fmt: skip
    assert [(r["state"], r["stop_reason"]) for r in rows] == [("done", "solved"), ("running", None)]
