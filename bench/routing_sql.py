"""SQL for bench/routing.py: fast set-up (queues, agents on shift and available, waiting
tickets) and diagnostics read afterwards (offers per transaction, routing function timings).

Bulk statements like tests/routing/test_concurrency.py; presence goes through the product's
`set_presence` SQL function, so agent_state rows and presence events are what the API makes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis

from contactcenter import constants

# config/demo.toml
DEMO_BRAND = UUID("00000000-0000-4000-8000-000000000001")
DEMO_ACCOUNT = UUID("00000000-0000-4000-8000-000000000201")  # WhatsApp, queue 'Messaging'
MESSAGING_QUEUE = UUID("00000000-0000-4000-8000-000000000101")
STRATEGIES = ["longest_idle", "least_occupied", "round_robin"]  # cycled over the bench queues
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]
MAX_AGE_S = 1800  # ticket ages spread over 0-30 min: 0-2 escalation levels at 600 s each
HEARTBEAT_TTL_S = 3600  # outlives any run, so the worker's sweep never sets agents offline
AGENT_DOMAIN = "bench.test"
SETUP_TABLES = ("users", "agent_queues", "agent_state", "shift_intervals", "contacts", "tickets")


async def add_queues(conn: asyncpg.Connection, brand_id: UUID, count: int) -> list[UUID]:
    """`count` queues without language requirement, strategies cycled; ids in name order."""
    rows = await conn.fetch(
        "INSERT INTO queues (brand_id, name, strategy, language_required)"
        " SELECT $1, 'Bench ' || lpad(g::text, 3, '0'), ($2::text[])[1 + g % 3], false"
        " FROM generate_series(0, $3 - 1) g RETURNING id, name",
        brand_id,
        STRATEGIES,
        count,
    )
    return [r["id"] for r in sorted(rows, key=lambda r: r["name"])]


async def add_agents(
    conn: asyncpg.Connection, count: int, chat_capacity: int, tag: str
) -> list[UUID]:
    """`count` agents with capacity {"chat": chat_capacity}, speaking en and de; ids in order."""
    rows = await conn.fetch(
        "INSERT INTO users (email, name, role, capacity, languages)"
        " SELECT $1 || lpad(g::text, 5, '0') || '@' || $2, 'Bench agent ' || g, 'agent',"
        " jsonb_build_object('chat', $3::integer), '{en,de}'"
        " FROM generate_series(0, $4 - 1) g RETURNING id, email",
        tag,
        AGENT_DOMAIN,
        chat_capacity,
        count,
    )
    return [r["id"] for r in sorted(rows, key=lambda r: r["email"])]


async def serve_queues(
    conn: asyncpg.Connection, agents: Sequence[UUID], queues: Sequence[UUID], per_agent: int
) -> None:
    """Agent i serves queues i, i+1, ... (mod the number of queues), `per_agent` of them."""
    await conn.execute(
        "INSERT INTO agent_queues (user_id, queue_id)"
        " SELECT a, ($2::uuid[])[1 + ((n - 1 + k) % cardinality($2::uuid[]))::integer]"
        " FROM unnest($1::uuid[]) WITH ORDINALITY AS x (a, n), generate_series(0, $3 - 1) k",
        list(agents),
        list(queues),
        per_agent,
    )


async def on_shift_available(conn: asyncpg.Connection, agents: Sequence[UUID]) -> None:
    """A shift from an hour ago to 8 hours ahead, then presence `available` via set_presence()."""
    await conn.execute(
        "INSERT INTO shift_intervals (user_id, starts_at, ends_at)"
        " SELECT a, now() - interval '1 hour', now() + interval '8 hours'"
        " FROM unnest($1::uuid[]) a",
        list(agents),
    )
    await conn.execute(
        "SELECT count(set_presence(a, 'available', 'bench')) FROM unnest($1::uuid[]) a",
        list(agents),
    )


async def add_tickets(
    conn: asyncpg.Connection, brand_id: UUID, account_id: UUID, queues: Sequence[UUID], each: int
) -> int:
    """`each` waiting WhatsApp tickets per queue, one new contact each, priorities and ages
    varied within every queue; returns how many were inserted."""
    status = await conn.execute(
        "WITH c AS (INSERT INTO contacts (brand_id, name)"
        "  SELECT $1, 'Bench contact ' || g FROM generate_series(1, $4 * cardinality($3::uuid[])) g"
        "  RETURNING id),"
        " n AS (SELECT id, row_number() OVER () AS n FROM c)"
        " INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id,"
        "  platform_conversation_id, priority, created_at, queued_at)"
        " SELECT $1, $2, 'whatsapp', ($3::uuid[])[1 + (n % cardinality($3::uuid[]))::integer],"
        "  id, 'bench-' || n, ($5::text[])[1 + ((n / cardinality($3::uuid[])) % 5)::integer],"
        "  now() - make_interval(secs => ((n * 7) % $6)::double precision),"
        "  now() - make_interval(secs => ((n * 7) % $6)::double precision)"
        " FROM n",
        brand_id,
        account_id,
        list(queues),
        each,
        PRIORITIES,
        MAX_AGE_S,
    )
    return int(status.rsplit(" ", 1)[-1])


async def heartbeats(redis_url: str, agents: Sequence[UUID]) -> None:
    """Set every agent's heartbeat key (cc:hb:{user_id}) for HEARTBEAT_TTL_S."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for agent in agents:
                pipe.set(constants.HEARTBEAT_KEY.format(user_id=agent), "1", ex=HEARTBEAT_TTL_S)
            await pipe.execute()
    finally:
        await client.aclose()


async def track_functions(conn: asyncpg.Connection) -> bool:
    """Time PL/pgSQL functions in this database from the next connection on (superuser only)."""
    try:
        await conn.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET track_functions = ''all''',"
            " current_database()); END $$"
        )
    except asyncpg.InsufficientPrivilegeError:
        return False
    return True


async def diagnostics(dsn: str) -> dict[str, Any]:
    """Offers per creating transaction (one per create_offers call that made any) and the
    routing functions' calls and times (wall, so lock waits count), once backends have exited."""
    await asyncio.sleep(0.5)  # backends flush their function statistics when they exit
    conn = await asyncpg.connect(dsn)
    try:
        tx = await conn.fetchrow(
            "SELECT count(*) AS transactions, coalesce(max(n), 0) AS max_offers,"
            " coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY n), 0) AS median_offers"
            " FROM (SELECT xmin::text, count(*) AS n FROM offers GROUP BY 1) x"
        )
        funcs = await conn.fetch(
            "SELECT funcname, calls, round(total_time::numeric, 1)::float AS total_ms,"
            " round(self_time::numeric, 1)::float AS self_ms FROM pg_stat_user_functions"
            " WHERE funcname IN ('create_offers', 'has_room', 'agent_load')"
        )
    finally:
        await conn.close()
    return {
        "offer_transactions": dict(tx),
        "functions": {r["funcname"]: {k: r[k] for k in ("calls", "total_ms", "self_ms")}
                      for r in funcs},
    }  # fmt: skip


async def analyze(conn: asyncpg.Connection) -> None:
    """Statistics for the tables the set-up filled; offers and events stay as a fresh
    deployment has them (never analyzed) until autovacuum gets to them."""
    await conn.execute(f"ANALYZE {', '.join(SETUP_TABLES)}")
