"""Seed data for bench/sla.py, written with set-based SQL (a million rows in seconds)."""

from __future__ import annotations

from typing import Any

import asyncpg

# The benchmark's clocks are written with this policy directly (the demo's default policy
# stays the brand's default).
POLICY = """
INSERT INTO sla_policies (brand_id, name, targets, warn_at)
VALUES ($1, 'Bench', '{"normal": {"first_response_s": 3600, "resolution_s": 86400}}', $2)
RETURNING id
"""

CONTACTS = """
INSERT INTO contacts (brand_id, name)
SELECT $1, 'Customer ' || g FROM generate_series(1, $2) g
"""

# Open tickets, assigned (the router leaves them alone), each with a running first-response
# clock: the first $3 fall due evenly over [$4, $4 + $5 s), the rest hours later.
OPEN_TICKETS = """
WITH c AS (
    SELECT id, row_number() OVER () AS g FROM contacts WHERE brand_id = $1 LIMIT $2::integer
),
t AS (
    INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id,
                         platform_conversation_id, status, assignee_id, routing, assigned_at,
                         awaiting_since)
    SELECT $1, $6, 'whatsapp', $7, c.id, 'conv' || c.g, 'open', $8, 'assigned', now(),
           CASE WHEN c.g <= $3::integer
                THEN $4::timestamptz + (c.g - 1) * make_interval(secs => $5::float8 / $3)
                     - interval '3600 s'
                ELSE now() + interval '2 hours' END
    FROM c RETURNING id, awaiting_since
)
INSERT INTO sla_clocks (brand_id, ticket_id, target, started_at, policy_id, queue_id, channel,
                        priority, target_s, resumed_at, due_at, stage, next_fire_at)
SELECT $1, t.id, 'first_response', t.awaiting_since, $9, $7, 'whatsapp', 'normal', 3600,
       t.awaiting_since, t.awaiting_since + interval '3600 s', 0,
       t.awaiting_since + interval '3600 s' * $10::float8
FROM t
"""

# A month of history: $2 tickets evenly over 30 days up to now; the newest $3 are open (half
# waiting), the rest solved 1-4 h after arrival; 90 % answered within 0-120 s.
HISTORY = """
WITH c AS (SELECT array_agg(id) AS ids FROM contacts WHERE brand_id = $1)
INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id,
                     platform_conversation_id, status, created_at, first_replied_at,
                     assigned_at, solved_at, assignee_id, routing, opened_at)
SELECT $1, $4, 'whatsapp', $5, c.ids[1 + g % array_length(c.ids, 1)], 'h' || g,
       CASE WHEN g > $3::integer THEN 'solved' WHEN g % 2 = 0 THEN 'new' ELSE 'open' END,
       at,
       CASE WHEN g % 10 <> 0 AND (g > $3 OR g % 2 = 1) THEN at + random() * interval '120 s' END,
       CASE WHEN g > $3 OR g % 2 = 1 THEN at + random() * interval '60 s' END,
       CASE WHEN g > $3 THEN at + interval '1 hour' + random() * interval '3 hours' END,
       CASE WHEN g > $3 OR g % 2 = 1 THEN ($6::uuid[])[1 + g % array_length($6::uuid[], 1)] END,
       CASE WHEN g > $3 THEN 'done' WHEN g % 2 = 0 THEN 'waiting' ELSE 'assigned' END, at
FROM c, generate_series(1, $2::integer) g,
     LATERAL (SELECT now() - g * (interval '30 days' / $2::integer) AS at) x
"""

HISTORY_CLOCKS = """
INSERT INTO sla_clocks (brand_id, ticket_id, target, started_at, policy_id, queue_id, channel,
                        priority, target_s, due_at, state, met_at, met_by, breached_at,
                        stopped_at, stop_reason)
SELECT t.brand_id, t.id, x.target, t.created_at, $2, t.queue_id, t.channel, t.priority,
       x.target_s, t.created_at + make_interval(secs => x.target_s),
       CASE WHEN x.done OR t.solved_at IS NOT NULL THEN 'done' ELSE 'running' END,
       CASE WHEN x.done THEN x.ended END, CASE WHEN x.done THEN t.assignee_id END,
       CASE WHEN x.ended > t.created_at + make_interval(secs => x.target_s)
            THEN t.created_at + make_interval(secs => x.target_s) END,
       CASE WHEN x.done THEN x.ended ELSE t.solved_at END,
       CASE WHEN x.done THEN 'met' WHEN t.solved_at IS NOT NULL THEN 'solved' END
FROM tickets t,
     LATERAL (VALUES ('first_response', 60, t.first_replied_at IS NOT NULL, t.first_replied_at),
                     ('resolution', 14400, t.solved_at IS NOT NULL, t.solved_at))
             AS x (target, target_s, done, ended)
WHERE t.brand_id = $1
"""


async def ids(conn: asyncpg.Connection) -> dict[str, Any]:
    """The demo brand, its first queue, its WhatsApp account and its agents."""
    brand = await conn.fetchval("SELECT id FROM brands ORDER BY created_at LIMIT 1")
    account = await conn.fetchrow(
        "SELECT id, queue_id FROM channel_accounts WHERE brand_id = $1 AND channel = 'whatsapp'",
        brand,
    )
    agents = [r["id"] for r in await conn.fetch("SELECT id FROM users WHERE role = 'agent'")]
    return {
        "brand": brand,
        "account": account["id"],
        "queue": account["queue_id"],
        "agents": agents,
    }
