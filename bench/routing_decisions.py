"""Part A of bench/routing.py: routing decisions per second in one worker process.

This process is the worker: it runs workers.jobs.route_queue (snapshot, pure plan, offers
created under lock by create_offers(), expiry jobs and live events to Redis) over every queue,
round after round, until a round makes no offer. The pure planner over the same snapshot, in
memory, is the baseline.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import arq
import asyncpg
import procs
import routing_sql as sql

from contactcenter import constants
from contactcenter.app import redis_settings
from contactcenter.routing import decide
from contactcenter.routing.model import Agent, QueueRules, Ticket
from contactcenter.store import db
from contactcenter.store import routing as store
from workers import jobs

AGENTS, QUEUES, PER_QUEUE = 1000, 20, 250
QUEUES_PER_AGENT, CHAT_CAPACITY = 2, 4
POOL_SIZE = 5  # as `contactcenter worker` (workers/settings.py)
MAX_ROUNDS = 20  # safety stop; a round that makes no offer ends the run
STORE_CALLS = ("queue_rows", "candidate_agents", "waiting_tickets", "create_offers")
SNAPSHOT_CALLS = ("queue_rows", "candidate_agents", "waiting_tickets")


@dataclass(frozen=True)
class Snapshot:
    """What the planner sees for every queue at one instant."""

    now: datetime
    queues: list[UUID]
    rules: dict[UUID, QueueRules]
    tickets: dict[UUID, list[Ticket]]
    agents: list[Agent]


async def prepare(conn: asyncpg.Connection) -> dict[str, Any]:
    """Queues, agents (ring: agent i serves queues i and i+1 mod 20), tickets; then ANALYZE."""
    t0 = time.perf_counter()
    tracked = await sql.track_functions(conn)
    queues = await sql.add_queues(conn, sql.DEMO_BRAND, QUEUES)
    agents = await sql.add_agents(conn, AGENTS, CHAT_CAPACITY, "route")
    await sql.serve_queues(conn, agents, queues, QUEUES_PER_AGENT)
    await sql.on_shift_available(conn, agents)
    tickets = await sql.add_tickets(conn, sql.DEMO_BRAND, sql.DEMO_ACCOUNT, queues, PER_QUEUE)
    await sql.analyze(conn)
    return {"queues": queues, "agents": len(agents), "tickets": tickets, "tracked": tracked,
            "setup_s": round(time.perf_counter() - t0, 2)}  # fmt: skip


async def snapshot(conn: asyncpg.Connection, queues: list[UUID]) -> Snapshot:
    """Read rules, candidate agents and waiting tickets with the router's own queries."""
    now = datetime.now(UTC)
    rows = await store.queue_rows(conn, queues)
    rules = {q: r.rules for q, r in rows.items()}
    agents = await store.candidate_agents(conn, queues, now)
    tickets = {
        q: await store.waiting_tickets(
            conn, q, constants.ROUTE_BATCH, now, rules[q].escalate_after_s
        )
        for q in queues
    }
    return Snapshot(now, queues, rules, tickets, agents)


def plan_all(snap: Snapshot) -> tuple[int, float]:
    """decide.plan over every queue in order, agents shared as in the database; (offers, s)."""
    agents = [replace(a, load=dict(a.load)) for a in snap.agents]  # plan() fills loads
    by_queue = {q: [a for a in agents if q in a.queues] for q in snap.queues}
    offers, t0 = 0, time.perf_counter()
    for q in snap.queues:
        plan = decide.plan(snap.rules[q], snap.rules, snap.tickets[q], by_queue[q], snap.now)
        offers += len(plan.offers)
    return offers, time.perf_counter() - t0


def pure_baseline(snap: Snapshot, reps: int) -> dict[str, Any]:
    """Run plan_all `reps` times; the fastest run counts."""
    runs = [plan_all(snap) for _ in range(reps)]
    offers, best = min(runs, key=lambda r: r[1])
    return {
        "reps": reps,
        "offers": offers,
        "tickets": sum(len(t) for t in snap.tickets.values()),
        "agents": len(snap.agents),
        "seconds": round(best, 4),
        "all_seconds": [round(s, 4) for _, s in runs],
        "plans_per_s": round(len(snap.queues) / best, 1) if best else 0.0,
        "offers_per_s": round(offers / best, 1) if best else 0.0,
    }


def _timed(fn: Callable[..., Any], name: str, spent: dict[str, float]) -> Callable[..., Any]:
    """A wrapper adding each call's duration (sync or async function) to spent[name]."""

    async def run_async(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t0

    def run_sync(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t0

    return run_async if inspect.iscoroutinefunction(fn) else run_sync


@contextlib.contextmanager
def instrumented(spent: dict[str, float]) -> Iterator[None]:
    """Time the store calls, decide.plan and the Redis announcements route_queue makes."""
    targets: list[tuple[Any, str, str]] = [(store, name, name) for name in STORE_CALLS]
    targets += [(decide, "plan", "plan"), (jobs, "announce_offers", "announce")]
    originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in targets]
    for obj, attr, bucket in targets:
        spent.setdefault(bucket, 0.0)
        setattr(obj, attr, _timed(getattr(obj, attr), bucket, spent))
    try:
        yield
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)


async def route_rounds(
    ctx: dict[str, Any], queues: Sequence[UUID], job: Callable[..., Awaitable[int]]
) -> dict[str, Any]:
    """route_queue over every queue, round after round, until a round makes no offer."""
    rounds: list[int] = []
    t0 = last = time.perf_counter()
    while len(rounds) < MAX_ROUNDS and (not rounds or rounds[-1]):
        made = 0
        for queue_id in queues:
            n = await job(ctx, str(queue_id))
            if n:
                made, last = made + n, time.perf_counter()
        rounds.append(made)
    end = time.perf_counter()
    return {"rounds": rounds, "offers": sum(rounds), "productive_s": last - t0,
            "total_s": end - t0, "calls": len(rounds) * len(queues)}  # fmt: skip


async def persisted(dsn: str, redis_url: str, queues: Sequence[UUID]) -> dict[str, Any]:
    """Route every queue in this process (pool of POOL_SIZE, as the worker) and time it."""
    pool = await db.create_pool(dsn, POOL_SIZE)
    redis = await arq.create_pool(redis_settings(redis_url))
    spent: dict[str, float] = {}
    try:
        usage = procs.Usage(os.getpid())
        with instrumented(spent):
            done = await route_rounds({"pool": pool, "redis": redis}, queues, jobs.route_queue)
        cpu = usage.stop()
    finally:
        await redis.aclose()
        await pool.close()
    return done | breakdown(spent, done["total_s"]) | cpu_numbers(cpu)


def breakdown(spent: dict[str, float], total_s: float) -> dict[str, Any]:
    """Where the wall time went: snapshot reads, planning, create_offers, Redis, the rest."""
    parts = {
        "snapshot_s": sum(spent.get(n, 0.0) for n in SNAPSHOT_CALLS),
        "plan_s": spent.get("plan", 0.0),
        "create_offers_s": spent.get("create_offers", 0.0),
        "announce_s": spent.get("announce", 0.0),
    }
    parts["other_s"] = max(0.0, total_s - sum(parts.values()))
    return {"breakdown": {k: round(v, 3) for k, v in parts.items()}}


def cpu_numbers(usage: dict[str, float]) -> dict[str, Any]:
    """This (worker) process's CPU and everything else's, in % of one core."""
    worker = usage["server_cpu_pct"]
    other = max(0.0, 100 * usage["machine_busy_cores"] - worker)
    return {"worker_cpu_pct": round(worker, 1), "other_cpu_pct": round(other, 1),
            "machine_busy_pct": round(usage["machine_busy_pct"], 1)}  # fmt: skip


async def verify(dsn: str) -> dict[str, Any]:
    """Afterwards, in SQL: nobody over capacity, no ticket with two pending offers."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM offers) AS offers,"
            " (SELECT count(*) FROM offers WHERE status = 'pending') AS pending,"
            " (SELECT count(*) FROM tickets WHERE routing = 'offered') AS tickets_offered,"
            " (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM offers"
            "   WHERE status = 'pending' GROUP BY user_id) x) AS max_per_agent,"
            " (SELECT count(*) FROM (SELECT o.user_id FROM offers o"
            "   JOIN users u ON u.id = o.user_id"
            "   WHERE o.status = 'pending' GROUP BY o.user_id, u.capacity"
            "   HAVING count(*) > (u.capacity ->> 'chat')::integer) x) AS agents_over_capacity,"
            " (SELECT count(*) FROM (SELECT ticket_id FROM offers WHERE status = 'pending'"
            "   GROUP BY ticket_id HAVING count(*) > 1) x) AS tickets_double_offered"
        )
    finally:
        await conn.close()
    check = dict(row)
    check["violations"] = check["agents_over_capacity"] + check["tickets_double_offered"]
    check["pass"] = check["violations"] == 0 and check["max_per_agent"] <= CHAT_CAPACITY
    return check


async def run(dsn: str, redis_url: str, reps: int) -> dict[str, Any]:
    """Set up, take the pure baseline, route for real, verify; all numbers of part A."""
    conn = await db.connect(dsn)
    try:
        made = await prepare(conn)
        snap = await snapshot(conn, made["queues"])
    finally:
        await conn.close()
    pure = pure_baseline(snap, reps)
    real = await persisted(dsn, redis_url, made["queues"])
    rate = real["offers"] / real["productive_s"] if real["productive_s"] else 0.0
    return {
        "agents": made["agents"],
        "queues": len(made["queues"]),
        "tickets": made["tickets"],
        "setup_s": made["setup_s"],
        "slots": AGENTS * CHAT_CAPACITY,
        "max_offers": min(AGENTS * CHAT_CAPACITY, made["tickets"]),
        "decisions_per_s": round(rate, 1),
        "persisted": {k: round(v, 3) if isinstance(v, float) else v for k, v in real.items()},
        "pure": pure,
        "ratio_persisted_to_pure": round(rate / pure["offers_per_s"], 3)
        if pure["offers_per_s"]
        else 0.0,
        "verification": await verify(dsn),
        "sql": await sql.diagnostics(dsn) | {"function_timing": made["tracked"]},
    }
