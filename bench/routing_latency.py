"""Part B of bench/routing.py: webhook -> offer latency through `serve` and `worker`.

Each webhook comes from a new sender, so it makes a new ticket in the demo queue 'Messaging';
the web process asks for routing, the worker offers the ticket to one of the agents. The
latency is the offer's created_at minus the request's send time, both this machine's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import loadgen
import procs
import rawhttp
import redis.asyncio as aioredis
import routing_sql as sql

from contactcenter import constants
from contactcenter.simulate import TEXTS, whatsapp_payload, whatsapp_signature
from contactcenter.store import db

VENV_BIN = Path(sys.executable).parent
PHONE_NUMBER_ID = "106540352242922"  # the demo WhatsApp account's
APP_SECRET = "demo-app-secret"
WEBHOOK_PATH = f"/webhooks/whatsapp/{sql.DEMO_ACCOUNT}"
AGENTS, CHAT_CAPACITY = 200, 50  # 10,000 slots: capacity never runs out during a run
RATE = 200
WARMUP = 20
WARMUP_CONCURRENCY = 4
CONNECTIONS = 32  # opened before the load; more are opened on demand
READY_S = 30.0
STRAGGLER_S = 10.0  # after the load, wait this long at most for the last offers (sweep: 5 s)
PAUSE_S = 1.0
HEALTH_KEY = constants.ARQ_QUEUE + ":health-check"  # arq writes it when it starts polling
WORKER_CORE = procs.SERVER_CORE  # serve and worker share core 0; the generator has core 1

JOIN = """
SELECT m.platform_message_id AS wamid, t.id AS ticket_id, t.created_at AS ticket_at,
       (SELECT min(o.created_at) FROM offers o WHERE o.ticket_id = t.id) AS offer_at
FROM messages m JOIN tickets t ON t.id = m.ticket_id
WHERE m.platform_message_id = ANY($1::text[])
"""


def make_hooks(first: int, count: int, run: str) -> list[loadgen.Webhook]:
    """Signed one-message webhooks, each from a sender never used before (a new ticket each)."""
    now = int(time.time())
    out = []
    for n in range(first, first + count):
        wamid = f"wamid.route.{run}.{n:08d}"
        text = TEXTS[n % len(TEXTS)].format(n=10_000 + n)
        body = whatsapp_payload(PHONE_NUMBER_ID, [(wamid, f"4916{n:08d}", text, now)])
        out.append(loadgen.Webhook(wamid, body, whatsapp_signature(APP_SECRET, body)))
    return out


async def prepare(dsn: str, redis_url: str) -> tuple[int, bool]:
    """Agents for the demo 'Messaging' queue: on shift, available, with live heartbeats."""
    conn = await db.connect(dsn)
    try:
        tracked = await sql.track_functions(conn)
        agents = await sql.add_agents(conn, AGENTS, CHAT_CAPACITY, "latency")
        await sql.serve_queues(conn, agents, [sql.MESSAGING_QUEUE], 1)
        await sql.on_shift_available(conn, agents)
        await sql.analyze(conn)
    finally:
        await conn.close()
    await sql.heartbeats(redis_url, agents)
    return len(agents), tracked


async def worker_ready(worker: procs.Server, redis_url: str) -> None:
    """Wait for arq's health-check key (written once the worker polls its queue)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            if worker.proc.poll() is not None:
                raise RuntimeError(f"worker exited:\n{procs.tail(worker.log)}")
            if await client.exists(HEALTH_KEY):
                return
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    raise RuntimeError(f"worker not polling after {READY_S:.0f} s:\n{procs.tail(worker.log)}")


async def other_worker(redis_url: str) -> bool:
    """True when an arq worker already listens on this Redis database (it would steal jobs)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        return bool(await client.exists(HEALTH_KEY))
    finally:
        await client.aclose()


async def wait_offers(dsn: str, wamids: Sequence[str], timeout_s: float) -> tuple[int, float]:
    """Poll until every stored ticket of `wamids` has an offer; (still without, seconds waited)."""
    conn = await asyncpg.connect(dsn)
    t0 = time.monotonic()
    try:
        while True:
            rows = await conn.fetch(JOIN, list(wamids))
            left = len(wamids) - sum(1 for r in rows if r["offer_at"] is not None)
            if not left or time.monotonic() - t0 >= timeout_s:
                return left, time.monotonic() - t0
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


async def drive(
    srv: procs.Server, worker: procs.Server, warm: list[loadgen.Webhook],
    load: list[loadgen.Webhook], duration_s: float, dsn: str,
) -> dict[str, Any]:  # fmt: skip
    """Warm up (until those tickets have offers), then RATE webhooks/s open loop."""
    client = rawhttp.Client(srv.url, WEBHOOK_PATH)
    with contextlib.closing(client):
        warm_batch, batch = client.prepare(warm), client.prepare(load)
        await client.open(CONNECTIONS)
        await client.closed_loop(warm_batch, WARMUP_CONCURRENCY)
        left, _ = await wait_offers(dsn, warm_batch.wamids, READY_S)
        if left:
            raise RuntimeError(f"{left} warm-up tickets got no offer:\n{procs.tail(worker.log)}")
        await asyncio.sleep(PAUSE_S)
        web, work = procs.Usage(srv.proc.pid), procs.Usage(worker.proc.pid)
        offset = time.time() - time.perf_counter()  # perf_counter send times -> wall clock
        result = await client.open_loop(batch, RATE, duration_s)
        cpu = {"server": web.stop(), "worker": work.stop()}
        sent = {w: t + offset for w, t in zip(batch.wamids, client.sent_at, strict=False) if t}
    return {"result": result, "sent_wall": sent, "cpu": cpu}


def pct(values: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max of latencies in ms."""
    return {
        "p50_ms": round(loadgen.percentile(values, 50), 1),
        "p90_ms": round(loadgen.percentile(values, 90), 1),
        "p99_ms": round(loadgen.percentile(values, 99), 1),
        "max_ms": round(max(values, default=0.0), 1),
        "count": len(values),
    }


async def latencies(dsn: str, sent_wall: dict[str, float]) -> dict[str, Any]:
    """Join wamid -> message -> ticket -> first offer; both latencies and what is missing."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(JOIN, list(sent_wall))
    finally:
        await conn.close()
    offered = [r for r in rows if r["offer_at"] is not None]
    from_send = [(r["offer_at"].timestamp() - sent_wall[r["wamid"]]) * 1000 for r in offered]
    from_ticket = [(r["offer_at"] - r["ticket_at"]).total_seconds() * 1000 for r in offered]
    start = min(sent_wall.values(), default=0.0)
    by_second: dict[int, list[float]] = {}
    for r, ms in zip(offered, from_send, strict=True):
        by_second.setdefault(int(sent_wall[r["wamid"]] - start), []).append(ms)
    return {
        "sent": len(sent_wall),
        "stored": len(rows),
        "tickets": len({r["ticket_id"] for r in rows}),
        "offered": len(offered),
        "not_offered": len(rows) - len(offered),
        "not_stored": len(sent_wall) - len(rows),
        "send_to_offer": pct(from_send),
        "ticket_to_offer": pct(from_ticket),
        "send_to_offer_p50_by_second": [
            round(loadgen.percentile(by_second[k], 50), 1) for k in sorted(by_second)
        ],
    }


def http_numbers(result: loadgen.PhaseResult, duration_s: float) -> dict[str, Any]:
    """What the generator saw: sends, answers, acknowledgement latency from the schedule."""
    lat = result.latencies_ms
    return {
        "sent": result.sent,
        "ok": result.ok,
        "non_200": result.failed,
        "statuses": result.statuses,
        "sent_per_s": round(result.sent / result.dispatch_s, 1) if result.dispatch_s else 0.0,
        "late_over_5ms": result.late,
        "ack_p50_ms": round(loadgen.percentile(lat, 50), 1),
        "ack_p99_ms": round(loadgen.percentile(lat, 99), 1),
        "generator_cpu_pct": round(100 * result.gen_cpu_s / result.elapsed_s, 1)
        if result.elapsed_s
        else 0.0,
        "duration_s": duration_s,
    }


def cpu_numbers(cpu: dict[str, dict[str, float]], generator_pct: float) -> dict[str, float]:
    """serve, worker, generator and everything else (PostgreSQL, Redis, ...), % of one core."""
    web, work = cpu["server"]["server_cpu_pct"], cpu["worker"]["server_cpu_pct"]
    busy = 100 * cpu["server"]["machine_busy_cores"]
    return {"serve_cpu_pct": round(web, 1), "worker_cpu_pct": round(work, 1),
            "generator_cpu_pct": generator_pct,
            "other_cpu_pct": round(max(0.0, busy - web - work - generator_pct), 1),
            "machine_busy_pct": round(cpu["server"]["machine_busy_pct"], 1)}  # fmt: skip


async def run(
    dsn: str, redis_url: str, env: dict[str, str], duration_s: float, log_dir: Path,
    run_id: str, *, pinned: bool,
) -> dict[str, Any]:  # fmt: skip
    """Agents, then worker and serve as subprocesses, warm-up, load, stragglers, the join."""
    if await other_worker(redis_url):
        raise RuntimeError(
            f"{HEALTH_KEY} exists: an arq worker polls this Redis database (or a killed run left "
            "the key; it expires within an hour). Use another CC_BENCH_REDIS_URL database."
        )
    agents, tracked = await prepare(dsn, redis_url)
    warm, load = make_hooks(0, WARMUP, run_id), make_hooks(WARMUP, int(RATE * duration_s), run_id)
    port = procs.free_port()
    serve = [str(VENV_BIN / "contactcenter"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    worker_argv = [str(VENV_BIN / "contactcenter"), "worker"]
    with (
        procs.server("worker", worker_argv, env, 0, log_dir, pinned=pinned) as worker,
        procs.server("serve", serve, env, port, log_dir, pinned=pinned) as srv,
    ):
        await worker_ready(worker, redis_url)
        await procs.wait_ready(srv)
        done = await drive(srv, worker, warm, load, duration_s, dsn)
        _, waited = await wait_offers(dsn, list(done["sent_wall"]), STRAGGLER_S)
        logs = {p.name: p.log.read_text(errors="replace").splitlines() for p in (srv, worker)}
    http = http_numbers(done["result"], duration_s)
    return {
        "agents": agents,
        "chat_capacity": CHAT_CAPACITY,
        "rate_per_s": RATE,
        "http": http,
        "latency": await latencies(dsn, done["sent_wall"]),
        "straggler_wait_s": round(waited, 2),
        "sql": await sql.diagnostics(dsn) | {"function_timing": tracked},
        "cpu": cpu_numbers(done["cpu"], http["generator_cpu_pct"]),
        "serve_core": procs.SERVER_CORE if pinned else None,
        "worker_core": WORKER_CORE if pinned else None,
        "log_lines": {name: len(lines) for name, lines in logs.items()},
        "log_tail": {name: lines[-10:] for name, lines in logs.items()},
    }
