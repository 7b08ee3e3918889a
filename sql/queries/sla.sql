-- name: lock_facts
-- The facts the clocks follow, row-locked by id (the order every ticket path locks in).
SELECT id AS ticket_id, brand_id, queue_id, channel, status, priority, assignee_id, opened_at,
       awaiting_since, first_replied_at, last_replied_at, last_replied_by, solved_at, closed_at
FROM tickets WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE;

-- name: open_clocks
SELECT * FROM sla_clocks WHERE ticket_id = ANY($1::bigint[]) AND state <> 'done' ORDER BY id FOR UPDATE;

-- name: queue_policies
SELECT id, sla_policy_id FROM queues WHERE id = ANY($1::uuid[]);

-- name: brand_policies
-- Oldest first: when two policies name the same channel, the older one wins, every time.
SELECT * FROM sla_policies WHERE brand_id = ANY($1::uuid[]) ORDER BY created_at, id;

-- name: policies_by_id
SELECT * FROM sla_policies WHERE id = ANY($1::uuid[]);

-- name: insert_clocks
INSERT INTO sla_clocks (brand_id, ticket_id, target, started_at, policy_id, queue_id, channel,
                        priority, target_s, consumed_s, resumed_at, due_at, state, stage,
                        next_fire_at, breached_at, met_at, met_by, stopped_at, stop_reason)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[], $5::uuid[],
                     $6::uuid[], $7::text[], $8::text[], $9::integer[], $10::float8[],
                     $11::timestamptz[], $12::timestamptz[], $13::text[], $14::smallint[],
                     $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::uuid[],
                     $19::timestamptz[], $20::text[])
-- A clock stopped because its ticket moved away (stop_reason 'changed') and wanted again (moved
-- back) runs again; one that was met or breached keeps its outcome.
ON CONFLICT (ticket_id, target, started_at) DO UPDATE
    SET policy_id = EXCLUDED.policy_id, queue_id = EXCLUDED.queue_id, priority = EXCLUDED.priority,
        target_s = EXCLUDED.target_s, consumed_s = EXCLUDED.consumed_s,
        resumed_at = EXCLUDED.resumed_at, due_at = EXCLUDED.due_at, state = EXCLUDED.state,
        next_fire_at = EXCLUDED.next_fire_at, stopped_at = NULL, stop_reason = NULL
    WHERE sla_clocks.state = 'done' AND sla_clocks.stop_reason = 'changed'
RETURNING id, ticket_id, target, started_at;

-- name: update_clock
UPDATE sla_clocks SET policy_id = $2, queue_id = $3, priority = $4, target_s = $5,
    consumed_s = $6, resumed_at = $7, due_at = $8, state = $9, stage = $10, next_fire_at = $11,
    breached_at = $12, met_at = $13, met_by = $14, stopped_at = $15, stop_reason = $16
WHERE id = $1;

-- name: insert_pause
INSERT INTO sla_pauses (clock_id, paused_at, reason) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING;

-- name: end_pause
UPDATE sla_pauses SET resumed_at = $2 WHERE clock_id = $1 AND resumed_at IS NULL;

-- name: refresh_due
-- The ticket's earliest running deadline (the router orders by it; the board sorts by it).
UPDATE tickets t SET sla_due_at = d.due
FROM (SELECT x.id, (SELECT min(c.due_at) FROM sla_clocks c
                    WHERE c.ticket_id = x.id AND c.state = 'running') AS due
      FROM unnest($1::bigint[]) AS x (id)) d
WHERE t.id = d.id AND t.sla_due_at IS DISTINCT FROM d.due;

-- name: take_work
-- Up to $1 tickets to recompute; rows other workers hold are skipped, and deleted rows come
-- back if this transaction rolls back.
DELETE FROM sla_work WHERE id IN (
    SELECT id FROM sla_work ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
) RETURNING ticket_id, at;

-- name: add_work
INSERT INTO sla_work (ticket_id, at) SELECT unnest($1::bigint[]), now();

-- name: work_left
SELECT EXISTS (SELECT 1 FROM sla_work);

-- name: due_clocks
-- Clocks whose next warning or breach is due, locked; another worker's are skipped.
SELECT c.*, t.assignee_id, t.routing, t.status AS ticket_status
FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE c.next_fire_at <= $1
ORDER BY c.next_fire_at
LIMIT $2
FOR UPDATE OF c SKIP LOCKED;

-- name: fired
UPDATE sla_clocks SET stage = $2, breached_at = $3, next_fire_at = $4 WHERE id = $1;

-- name: insert_alert
-- Once per clock and stage; RETURNING nothing means another worker recorded it already.
INSERT INTO sla_alerts (clock_id, stage, brand_id, ticket_id, target, due_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING
RETURNING fired_at;

-- name: next_fire
SELECT min(next_fire_at) FROM sla_clocks WHERE next_fire_at IS NOT NULL;

-- name: ticket_clocks
-- The latest clock per target of each ticket, for the API's `sla` field.
SELECT DISTINCT ON (ticket_id, target) ticket_id, target, started_at, due_at, state, stage,
       breached_at, met_at
FROM sla_clocks WHERE ticket_id = ANY($1::bigint[])
ORDER BY ticket_id, target, started_at DESC;

-- name: ticket_pauses
SELECT c.target, p.paused_at, p.resumed_at, p.reason
FROM sla_pauses p JOIN sla_clocks c ON c.id = p.clock_id
WHERE c.ticket_id = $1 ORDER BY p.paused_at;

-- name: insert_policy
INSERT INTO sla_policies (brand_id, name, targets, calendar, pause_on, warn_at, channels, is_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: update_policy
UPDATE sla_policies SET name = $2, targets = $3, calendar = $4, pause_on = $5, warn_at = $6,
    channels = $7, is_default = $8, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: get_policy
SELECT * FROM sla_policies WHERE id = $1;

-- name: list_policies
SELECT * FROM sla_policies
WHERE ($1::uuid IS NULL OR brand_id = $1) AND ($2::uuid IS NULL OR id > $2)
ORDER BY id LIMIT $3;

-- name: work_for_policy
-- Every ticket with an open clock under this policy, or in a queue that uses it, or of its
-- brand: their clocks are recomputed.
INSERT INTO sla_work (ticket_id, at)
SELECT t.id, now() FROM tickets t
WHERE t.brand_id = $1 AND t.status IN ('new', 'open', 'pending');

-- name: feed
SELECT id, kind, brand_id, ticket_id, actor_user_id, data, created_at
FROM events
WHERE kind = ANY($1::text[]) AND ($2::uuid IS NULL OR brand_id = $2)
  AND ($3::bigint IS NULL OR id < $3)
  -- agents ($5): only tickets they may open (a teamless queue, their team's, or theirs)
  AND (NOT $5 OR EXISTS (
        SELECT 1 FROM tickets t JOIN queues q ON q.id = t.queue_id
        WHERE t.id = events.ticket_id
          AND (q.team_id IS NULL OR q.team_id = $6::uuid OR t.assignee_id = $7::uuid)))
ORDER BY id DESC LIMIT $4;

-- name: take_ticket_work
-- One ticket's pending recomputes (e.g. ingest's, not drained yet), taken by whoever changes
-- the ticket next.
DELETE FROM sla_work WHERE ticket_id = $1 RETURNING at;
