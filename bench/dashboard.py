"""Dashboard benchmark: the queue and ticket views' requests with 1,000,000 tickets and
5,000,000 messages in the database; target ≤ 20 ms p99 server-side.

Usage: .venv/bin/python bench/dashboard.py [--quick] [--requests N] [--rates R,R] [--agents N]

A throwaway database gets the demo data, 200,000 contacts, 1,000,000 tickets over 30 days
(2 % open: half waiting in the queue, the demo agents holding 8 each, the rest solved),
2,000,000 SLA clocks and 5 messages per ticket (5,000,000), then VACUUM ANALYZE.
`contactcenter serve` answers, signed in as a demo agent:
  queue view ("My work"): /me/offers, /me/tickets, /queues/{q}, /queues/{q}/waiting
  ticket view: /tickets/{id}, /tickets/{id}/messages, /contacts/{id}, /contacts/{id}/messages
  (the "all channels" tab) for random tickets
Right after the start, 10 view requests at once (the first burst: new pool connections);
each request N times, one after another; then --agents clients (20) back to back (the one
process's capacity; this also opens every pooled connection), then every view in turn at
steady --rates (100, 300 and 500 requests/s, an open loop: what a floor of agents sees), and
the burst of 10 again (every connection open).
Server-side = the Server-Timing header (handler and middleware, database included);
client-side = the round trip. Baseline, same run: a bare aiohttp handler
(bench/bare_server.py) round trip. Writes bench/results/dashboard-<ts>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import ingest
import procs
import report
import sla_seed

from contactcenter.store import db

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
AGENT_TOKEN = "cc_demo_agent_kim_token"
PER_AGENT = 8  # open tickets each demo agent holds (a realistic chat load)
BURST = 10  # requests at once right after the start, and again at the end

# 5 messages per ticket: the customer, the agent, the customer, a note, the agent.
MESSAGES = """
INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, kind,
                      platform_message_id, text, sender_kind, sender_contact_id, sender_user_id,
                      sent_at, received_at, delivery_status)
SELECT t.brand_id, t.id, t.channel_account_id, d.direction, 'text', 'b' || t.id || '-' || k,
       'Message ' || k || ' of ticket ' || t.id || ': where is my order?',
       CASE WHEN d.direction = 'inbound' THEN 'contact' ELSE 'agent' END,
       CASE WHEN d.direction = 'inbound' THEN t.contact_id END,
       CASE WHEN d.direction <> 'inbound' THEN $2::uuid END,
       t.created_at + k * interval '2 minutes', t.created_at + k * interval '2 minutes',
       CASE WHEN d.direction = 'outbound' THEN 'read' END
FROM tickets t, generate_series(1, 5) k,
     LATERAL (SELECT (ARRAY['inbound', 'outbound', 'inbound', 'note', 'outbound'])[k]
              AS direction) d
WHERE t.brand_id = $1
"""

# Open tickets: the demo agents keep PER_AGENT each, the others wait in the queue; every open
# ticket's earliest deadline and last customer message are set, as ingest and the SLA engine do.
SPREAD = """
WITH open AS (
    SELECT id, row_number() OVER (ORDER BY id DESC) AS n FROM tickets
    WHERE status IN ('new', 'open', 'pending')
)
UPDATE tickets t SET
    assignee_id = CASE WHEN o.n <= $2 * array_length($1::uuid[], 1)
                       THEN ($1::uuid[])[1 + o.n % array_length($1::uuid[], 1)] END,
    routing = CASE WHEN o.n <= $2 * array_length($1::uuid[], 1) THEN 'assigned' ELSE 'waiting' END,
    status = CASE WHEN o.n <= $2 * array_length($1::uuid[], 1) THEN 'open' ELSE 'new' END,
    queued_at = t.created_at, last_inbound_at = t.created_at + interval '6 minutes',
    sla_due_at = t.created_at + interval '1 hour' + o.n * interval '1 second'
FROM open o WHERE t.id = o.id
"""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="100,000 tickets instead of 1,000,000")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument(
        "--agents", type=int, default=20, help="then this many at once, every view in turn"
    )
    p.add_argument("--rates", default="100,300,500",
                   help="then requests/s at a steady pace, each for 10 s")  # fmt: skip
    return p.parse_args()


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(ordered[-1], 2)}


async def seed(dsn: str, tickets: int) -> dict[str, Any]:
    conn = await db.connect(dsn)
    try:
        ref = await sla_seed.ids(conn)
        policy = await conn.fetchval(sla_seed.POLICY, ref["brand"], [0.8])
        t0 = time.perf_counter()
        await conn.execute(sla_seed.CONTACTS, ref["brand"], tickets // 5)
        await conn.execute(sla_seed.HISTORY, ref["brand"], tickets, tickets // 50,
                           ref["account"], ref["queue"], ref["agents"])  # fmt: skip
        await conn.execute(SPREAD, ref["agents"], PER_AGENT)
        await conn.execute(sla_seed.HISTORY_CLOCKS, ref["brand"], policy)
        await conn.execute(MESSAGES, ref["brand"], ref["agents"][0])
        for table in ("contacts", "tickets", "sla_clocks", "messages"):
            await conn.execute(f"VACUUM ANALYZE {table}")
        seed_s = time.perf_counter() - t0
        # the load's dirty pages written now, not during the measurement (a running system has
        # no 5,000,000-row load just behind it); needs superuser, else skipped
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
        kim = await conn.fetchval("SELECT id FROM users WHERE email = 'kim@acme.example'")
        rows = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # noqa: S608 - our names
                for t in ("tickets", "messages", "sla_clocks", "contacts")}  # fmt: skip
        sample = await conn.fetch(
            "SELECT id, contact_id FROM tickets TABLESAMPLE SYSTEM (1) LIMIT 2000"
        )
        mine = await conn.fetchval(
            "SELECT count(*) FROM tickets WHERE assignee_id = $1 AND status = 'open'", kim
        )
    finally:
        await conn.close()
    return {"ref": ref, "rows": rows, "seed_s": round(seed_s, 1), "sample": sample,
            "kim_open": mine}  # fmt: skip


async def timed(url: str, paths: list[str], headers: dict[str, str]) -> dict[str, Any]:
    """Each path once, in order: server-side (Server-Timing) and round-trip ms."""
    server, client = [], []
    async with aiohttp.ClientSession(headers=headers) as session:
        for path in paths:
            t = time.perf_counter()
            async with session.get(url + path) as resp:
                await resp.read()
                assert resp.status == 200, (path, resp.status)
                timing = resp.headers.get("Server-Timing", "app;dur=nan")
            client.append((time.perf_counter() - t) * 1000)
            server.append(float(timing.split("dur=")[1]))
    return {"server_ms": percentiles(server), "client_ms": percentiles(client)}


async def burst(url: str, views: dict[str, list[str]], headers: dict[str, str],
                size: int, offset: int) -> dict[str, Any]:  # fmt: skip
    """`size` requests at once, the views in turn: what the first agents after a start (or the
    first burst after a quiet spell) wait, and the same once every connection is open."""
    paths = [p for group in zip(*views.values(), strict=True) for p in group][offset:]

    async def one(session: aiohttp.ClientSession, path: str) -> tuple[float, float]:
        t = time.perf_counter()
        async with session.get(url + path) as resp:
            await resp.read()
            assert resp.status == 200, resp.status
            timing = resp.headers.get("Server-Timing", "app;dur=nan")
        return float(timing.split("dur=")[1]), (time.perf_counter() - t) * 1000

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        got = await asyncio.gather(*(one(session, path) for path in paths[:size]))
    return {"size": size, "server_ms": percentiles([g[0] for g in got]),
            "client_ms": percentiles([g[1] for g in got])}  # fmt: skip


async def floor(url: str, views: dict[str, list[str]], headers: dict[str, str],
                agents: int) -> dict[str, Any]:  # fmt: skip
    """`agents` clients at once, each requesting every view in turn (its own tickets): the
    same requests as above, now competing for the one process and its database pool."""
    server: list[float] = []
    client: list[float] = []
    rounds = len(next(iter(views.values()))) // agents

    async def agent(session: aiohttp.ClientSession, i: int) -> None:
        for r in range(rounds):
            for paths in views.values():
                t = time.perf_counter()
                async with session.get(url + paths[i * rounds + r]) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                    timing = resp.headers.get("Server-Timing", "app;dur=nan")
                client.append((time.perf_counter() - t) * 1000)
                server.append(float(timing.split("dur=")[1]))

    connector = aiohttp.TCPConnector(limit=agents)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(agent(session, i) for i in range(agents)))
        elapsed = time.perf_counter() - started
    return {"agents": agents, "requests": len(client), "per_s": round(len(client) / elapsed),
            "server_ms": percentiles(server), "client_ms": percentiles(client)}  # fmt: skip


async def steady(url: str, views: dict[str, list[str]], headers: dict[str, str],
                 rate: int, seconds: float = 10.0) -> dict[str, Any]:  # fmt: skip
    """Requests at a fixed pace whatever the answers take (an open loop: a floor of agents
    clicking), every view in turn: the latency a team sees at that load."""
    paths = [p for group in zip(*views.values(), strict=True) for p in group]
    server: list[float] = []
    client: list[float] = []
    late = 0

    async def one(session: aiohttp.ClientSession, path: str) -> None:
        t = time.perf_counter()
        async with session.get(url + path) as resp:
            await resp.read()
            assert resp.status == 200, resp.status
            timing = resp.headers.get("Server-Timing", "app;dur=nan")
        client.append((time.perf_counter() - t) * 1000)
        server.append(float(timing.split("dur=")[1]))

    total = int(rate * seconds)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        started = time.perf_counter()
        tasks = []
        for i in range(total):
            wait = started + i / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.01:
                late += 1  # the generator fell behind its own schedule
            tasks.append(asyncio.create_task(one(session, paths[i % len(paths)])))
        await asyncio.gather(*tasks)
    return {"rate": rate, "requests": total, "late_sends": late,
            "server_ms": percentiles(server), "client_ms": percentiles(client)}  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    ingest.stop_on_signals()
    admin_url = os.environ.get("CC_BENCH_DATABASE_URL", "postgresql://root@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("CC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    tickets = 100_000 if args.quick else 1_000_000
    n = args.requests
    out: dict[str, Any] = {
        "machine": report.machine(), "git": report.git(),
        "started": datetime.now(UTC).isoformat(), "requests_each": n,
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cc-bench-dash-") as tmp:
        async with ingest.bench_database(admin_url) as dsn, ingest.redis_cleanup(redis_url):
            seeded = await seed(dsn, tickets)
            out |= {"rows": seeded["rows"], "seed_s": seeded["seed_s"],
                    "agent_open_tickets": seeded["kim_open"]}  # fmt: skip
            queue = seeded["ref"]["queue"]
            picks = [random.choice(seeded["sample"]) for _ in range(n)]
            views = {
                "/me/offers": ["/api/v1/me/offers"] * n,
                "/me/tickets": ["/api/v1/me/tickets"] * n,
                "/queues/{q}": [f"/api/v1/queues/{queue}"] * n,
                "/queues/{q}/waiting": [f"/api/v1/queues/{queue}/waiting?limit=20"] * n,
                "/tickets/{id}": [f"/api/v1/tickets/{p['id']}" for p in picks],
                "/tickets/{id}/messages": [
                    f"/api/v1/tickets/{p['id']}/messages?limit=200" for p in picks
                ],
                "/contacts/{id}": [f"/api/v1/contacts/{p['contact_id']}" for p in picks],
                "/contacts/{id}/messages": [
                    f"/api/v1/contacts/{p['contact_id']}/messages?limit=100" for p in picks
                ],
            }
            port = procs.free_port()
            argv = [str(VENV_BIN / "contactcenter"), "serve", "--host", "127.0.0.1",
                    "--port", str(port)]  # fmt: skip
            env = {**os.environ, "CC_DATABASE_URL": dsn, "CC_REDIS_URL": redis_url,
                   "CC_LOG_LEVEL": "warning"}  # fmt: skip
            with procs.server("contactcenter", argv, env, port, Path(tmp), pinned=False) as srv:
                await procs.wait_ready(srv)
                auth = {"Authorization": f"Bearer {AGENT_TOKEN}"}
                out["first_burst"] = await burst(srv.url, views, auth, BURST, 0)
                await timed(srv.url, [p[0] for p in views.values()] * 5, auth)  # warm-up
                out["endpoints"] = {name: await timed(srv.url, paths, auth)
                                    for name, paths in views.items()}  # fmt: skip
                # capacity first: it also opens every pooled connection (the pool opens them
                # lazily, ~50 ms each with its setup), which a running system has open already
                out["floor"] = await floor(srv.url, views, auth, args.agents)
                out["steady"] = [await steady(srv.url, views, auth, int(rate))
                                 for rate in args.rates.split(",")]  # fmt: skip
                out["warm_burst"] = await burst(srv.url, views, auth, BURST, BURST)
        bare_port = procs.free_port()
        bare_argv = [str(VENV_BIN / "python"), str(ROOT / "bench" / "bare_server.py"),
                     "--port", str(bare_port)]  # fmt: skip
        with procs.server("bare", bare_argv, {**os.environ}, bare_port, Path(tmp),
                          pinned=False) as srv:  # fmt: skip
            await procs.wait_ready(srv)
            async with aiohttp.ClientSession() as session:
                times = []
                for _ in range(n):
                    t = time.perf_counter()
                    async with session.get(srv.url + "/readyz") as resp:
                        await resp.read()
                    times.append((time.perf_counter() - t) * 1000)
            out["bare_client_ms"] = percentiles(times)
    bare = out["bare_client_ms"]["p99"]
    out["client_p99_ratio_vs_bare"] = {k: round(v["client_ms"]["p99"] / bare, 1)
                                       for k, v in out["endpoints"].items()}  # fmt: skip
    return out


def summary(r: dict[str, Any]) -> str:
    rows = r["rows"]
    lines = [
        f"dashboard views: {rows['tickets']:,} tickets, {rows['messages']:,} messages, "
        f"{rows['sla_clocks']:,} clocks, {rows['contacts']:,} contacts "
        f"(seeded in {r['seed_s']} s); the agent holds {r['agent_open_tickets']} open "
        f"tickets; {r['requests_each']} requests each",
        f"   {'request':<26} {'server p50':>10} {'server p99':>10} {'round trip p99':>15} "
        f"{'vs bare':>8}",
    ]
    for name, v in r["endpoints"].items():
        lines.append(
            f"   {name:<26} {v['server_ms']['p50']:>10} {v['server_ms']['p99']:>10} "
            f"{v['client_ms']['p99']:>15} {r['client_p99_ratio_vs_bare'][name]:>7}x"
        )
    b = r["bare_client_ms"]
    lines.append(f"   {'bare aiohttp GET':<26} {'':>10} {'':>10} {b['p99']:>15}   (p50 {b['p50']})")
    for st in r["steady"]:
        lines.append(
            f"   steady {st['rate']} requests/s, every view in turn ({st['requests']} requests, "
            f"{st['late_sends']} sent late): server p50 {st['server_ms']['p50']} "
            f"p99 {st['server_ms']['p99']} ms; round trip p99 {st['client_ms']['p99']} ms"
        )
    for name in ("first_burst", "warm_burst"):
        x = r[name]
        lines.append(
            f"   {name.replace('_', ' ')}: {x['size']} view requests at once: server p50 "
            f"{x['server_ms']['p50']} max {x['server_ms']['max']} ms; round trip max "
            f"{x['client_ms']['max']} ms"
        )
    f = r["floor"]
    lines.append(
        f"   capacity, {f['agents']} clients back to back: {f['per_s']} requests/s; "
        f"server p50 {f['server_ms']['p50']} p99 {f['server_ms']['p99']} ms "
        "(waiting for the one process included)"
    )
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    results = ingest.run_loop(run(args))
    path = report.write(results, ROOT / "bench" / "results", "dashboard")
    print(summary(results))
    print(f"\nresults: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
