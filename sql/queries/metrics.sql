-- Figures for the supervisor board (ANCHORS.md, metric definitions). $1 is a brand or NULL
-- (all brands); periods are [$2, $3).

-- name: waiting
-- Per queue, channel and priority: tickets waiting for an agent now, the oldest since
-- creation and since entering this queue.
SELECT t.queue_id, t.channel, t.priority, count(*) AS waiting,
       min(t.created_at) AS oldest_created, min(t.queued_at) AS oldest_queued
FROM tickets t
WHERE t.assignee_id IS NULL AND t.status IN ('new', 'open')
  AND t.queue_id = ANY($1::uuid[])
GROUP BY t.queue_id, t.channel, t.priority;

-- name: queues
SELECT id, brand_id, name, sl_threshold_s, sl_target FROM queues
WHERE ($1::uuid IS NULL OR brand_id = $1) ORDER BY name, id;

-- name: arrivals
-- Tickets that arrived in the period, per queue, channel and interval: answered (first public
-- agent reply), answered within the service-level threshold, answer time, abandoned (closed
-- or solved before any reply). $4: interval length in seconds (0: the whole period), binned
-- from $5 (the start of the whole period).
SELECT t.queue_id, t.channel, t.kind,
       CASE WHEN $4 > 0 THEN date_bin(make_interval(secs => $4), t.created_at, $5) END AS bucket,
       count(*) AS arrived,
       count(t.first_replied_at) AS answered,
       count(*) FILTER (WHERE t.first_replied_at <= t.created_at + make_interval(
           secs => coalesce(q.sl_threshold_s,
                            CASE WHEN t.kind IN ('voice', 'chat') THEN 20 ELSE 3600 END)))
           AS in_sl,
       coalesce(sum(extract(epoch FROM t.first_replied_at - t.created_at)), 0)::float8
           AS answer_s,
       count(*) FILTER (WHERE (t.first_replied_at IS NULL AND t.status IN ('solved', 'closed'))
                              OR 'abandoned' = ANY(t.tags))  -- voice: hung up in the queue
           AS abandoned
FROM tickets t JOIN queues q ON q.id = t.queue_id
WHERE t.created_at >= $2 AND t.created_at < $3 AND ($1::uuid IS NULL OR t.brand_id = $1)
GROUP BY 1, 2, 3, 4;

-- name: arrivals_rollup
-- The same from whole 15-minute buckets in [$2, $3) (refresh_board keeps them).
SELECT b.queue_id, b.channel, channel_kind(b.channel) AS kind,
       CASE WHEN $4 > 0 THEN date_bin(make_interval(secs => $4), b.bucket, $5) END AS bucket,
       sum(b.arrived)::integer AS arrived, sum(b.answered)::integer AS answered,
       sum(b.in_sl)::integer AS in_sl, sum(b.answer_s)::float8 AS answer_s,
       sum(b.abandoned)::integer AS abandoned
FROM arrival_buckets b
WHERE b.bucket >= $2 AND b.bucket < $3 AND ($1::uuid IS NULL OR b.brand_id = $1)
GROUP BY 1, 2, 3, 4;

-- name: handled_rollup
SELECT b.queue_id, b.channel,
       nullif(b.agent_id, '00000000-0000-0000-0000-000000000000') AS assignee_id,
       sum(b.solved)::integer AS solved, sum(b.handled)::integer AS handled,
       sum(b.handle_s)::float8 AS handle_s
FROM handled_buckets b
WHERE b.bucket >= $2 AND b.bucket < $3 AND ($1::uuid IS NULL OR b.brand_id = $1)
GROUP BY 1, 2, 3;

-- name: sla_rollup
SELECT b.queue_id, b.channel, b.priority, b.target,
       nullif(b.agent_id, '00000000-0000-0000-0000-000000000000') AS agent_id,
       sum(b.met)::integer AS met, sum(b.breached)::integer AS breached
FROM sla_buckets b
WHERE b.bucket >= $2 AND b.bucket < $3 AND ($1::uuid IS NULL OR b.brand_id = $1)
GROUP BY 1, 2, 3, 4, 5;

-- name: sla_snapshot
-- The running clocks as of the last refresh (the live query below when there was none).
SELECT queue_id, channel, priority, target, running, paused, at_risk, breached_open
FROM sla_live WHERE queue_id = ANY($1::uuid[]);

-- name: rollup_range
-- Whole buckets the rollups hold: from the earliest refresh's start to the latest refresh.
SELECT min(covered_from) AS covered_from, bucket15(max(refreshed_at)) AS covered_until
FROM board_refresh;

-- name: refresh_board
SELECT refresh_board($1, $2);

-- name: refreshed_at
SELECT refreshed_at FROM board_refresh WHERE name = $1;

-- name: handled
-- Tickets solved in the period: handle time from the current assignee's accept to solve.
SELECT t.queue_id, t.channel, t.assignee_id, count(*) AS solved,
       count(t.assigned_at) AS handled,
       coalesce(sum(extract(epoch FROM t.solved_at - t.assigned_at)), 0)::float8 AS handle_s
FROM tickets t
WHERE t.solved_at >= $2 AND t.solved_at < $3 AND ($1::uuid IS NULL OR t.brand_id = $1)
GROUP BY 1, 2, 3;

-- name: sla_outcomes
-- Clocks that ended (met, breached late, stopped) in the period, plus running ones that
-- breached in it.
SELECT c.queue_id, c.channel, c.priority, c.target, c.met_by AS agent_id,
       count(*) FILTER (WHERE c.met_at IS NOT NULL AND c.breached_at IS NULL) AS met,
       count(*) FILTER (WHERE c.breached_at IS NOT NULL) AS breached
FROM sla_clocks c
WHERE c.state = 'done' AND c.stopped_at >= $2 AND c.stopped_at < $3
  AND ($1::uuid IS NULL OR c.brand_id = $1)
GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT c.queue_id, c.channel, c.priority, c.target, t.assignee_id,
       0, count(*)
FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE c.state <> 'done' AND c.breached_at >= $2 AND c.breached_at < $3
  AND ($1::uuid IS NULL OR c.brand_id = $1)
GROUP BY 1, 2, 3, 4, 5;

-- name: sla_live
-- Running and paused clocks now: at risk = running, past a warning, not breached.
SELECT c.queue_id, c.channel, c.priority, c.target,
       count(*) FILTER (WHERE c.state = 'running') AS running,
       count(*) FILTER (WHERE c.state = 'paused') AS paused,
       count(*) FILTER (WHERE c.state = 'running' AND c.stage > 0 AND c.breached_at IS NULL)
           AS at_risk,
       count(*) FILTER (WHERE c.breached_at IS NOT NULL) AS breached_open
FROM sla_clocks c
WHERE c.state <> 'done' AND c.queue_id = ANY($1::uuid[])
GROUP BY 1, 2, 3, 4;

-- name: agents
-- Every active agent: presence, load per kind, capacity, on shift now, queues.
SELECT u.id, u.name, u.team_id, u.capacity,
       coalesce(s.presence, 'offline') AS presence, s.presence_since,
       EXISTS (SELECT 1 FROM shift_intervals si WHERE si.user_id = u.id
               AND tstzrange(si.starts_at, si.ends_at) @> now()) AS on_shift,
       (SELECT coalesce(jsonb_object_agg(l.kind, l.n), '{}') FROM agent_load(u.id) l) AS load,
       (SELECT coalesce(array_agg(aq.queue_id), '{}') FROM agent_queues aq WHERE aq.user_id = u.id)
           AS queue_ids
FROM users u LEFT JOIN agent_state s ON s.user_id = u.id
WHERE u.role = 'agent' AND u.deactivated_at IS NULL
  AND ($1::uuid IS NULL OR EXISTS (
        SELECT 1 FROM agent_queues aq JOIN queues q ON q.id = aq.queue_id
        WHERE aq.user_id = u.id AND q.brand_id = $1))
ORDER BY u.name, u.id;

-- name: offer_stats
SELECT o.user_id, count(*) AS offered,
       count(*) FILTER (WHERE o.status = 'accepted') AS accepted,
       count(*) FILTER (WHERE o.status = 'declined') AS declined,
       count(*) FILTER (WHERE o.status = 'expired') AS expired,
       avg(extract(epoch FROM o.responded_at - o.created_at))
           FILTER (WHERE o.status = 'accepted')::float8 AS accept_s
FROM offers o
WHERE o.user_id = ANY($1::uuid[]) AND o.created_at >= $2 AND o.created_at < $3
GROUP BY o.user_id;

-- name: presence_changes
-- Each agent's presence changes in the period and the last one before it.
SELECT e.actor_user_id AS user_id, e.created_at, e.data->>'to' AS presence
FROM events e
WHERE e.kind = 'presence.changed' AND e.actor_user_id = ANY($1::uuid[])
  AND e.created_at < $3
  AND (e.created_at >= $2 OR e.id = (
        SELECT max(e2.id) FROM events e2 WHERE e2.kind = 'presence.changed'
        AND e2.actor_user_id = e.actor_user_id AND e2.created_at < $2))
ORDER BY e.actor_user_id, e.created_at;

-- name: busy_spans
-- When each agent held tickets: assignment spans of tickets solved since the period began
-- (tickets_solved_idx) and of tickets they hold now (tickets_assignee_idx).
SELECT t.assignee_id AS user_id, t.assigned_at, t.solved_at AS ended_at
FROM tickets t
WHERE t.solved_at >= $2 AND t.assignee_id = ANY($1::uuid[]) AND t.assigned_at < $3
UNION ALL
SELECT t.assignee_id, t.assigned_at, NULL
FROM tickets t
WHERE t.assignee_id = ANY($1::uuid[]) AND t.status IN ('new', 'open', 'pending')
  AND t.assigned_at < $3;

-- name: eligible
-- Per queue: agents who could take its tickets (member, skills at the required levels) and
-- of those, who can right now (available and on shift).
SELECT q.id AS queue_id, count(u.id) AS eligible,
       count(u.id) FILTER (WHERE s.presence = 'available' AND EXISTS (
           SELECT 1 FROM shift_intervals si WHERE si.user_id = u.id
           AND tstzrange(si.starts_at, si.ends_at) @> now()))
           AS available
FROM queues q
JOIN agent_queues aq ON aq.queue_id = q.id
JOIN users u ON u.id = aq.user_id AND u.deactivated_at IS NULL
LEFT JOIN agent_state s ON s.user_id = u.id
WHERE q.id = ANY($1::uuid[])
  AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(q.required_skills) r
                  WHERE coalesce((u.skills->>r.key)::integer, 0) < r.value::integer)
GROUP BY q.id;

-- name: prometheus_gauges
-- Read at scrape time: (name, help, labels, value) rows.
WITH w AS (
    SELECT t.queue_id, count(*) AS n, min(t.created_at) AS oldest
    FROM tickets t WHERE t.assignee_id IS NULL AND t.status IN ('new', 'open')
    GROUP BY t.queue_id
), r AS (  -- as of the last board refresh (every few seconds)
    SELECT l.queue_id, l.target, sum(l.at_risk) AS at_risk, sum(l.breached_open) AS breached
    FROM sla_live l GROUP BY 1, 2
)
SELECT 'cc_queue_waiting' AS name, 'Tickets waiting for an agent' AS help,
       jsonb_build_object('queue_id', q.id::text, 'queue', q.name) AS labels,
       coalesce(w.n, 0)::float8 AS value
FROM queues q LEFT JOIN w ON w.queue_id = q.id
UNION ALL
SELECT 'cc_queue_longest_wait_seconds', 'Age of the oldest waiting ticket',
       jsonb_build_object('queue_id', q.id::text, 'queue', q.name),
       coalesce(extract(epoch FROM now() - w.oldest), 0)::float8
FROM queues q LEFT JOIN w ON w.queue_id = q.id
UNION ALL
SELECT 'cc_sla_at_risk', 'Running SLA targets past a warning, not breached',
       jsonb_build_object('queue_id', r.queue_id::text, 'target', r.target), r.at_risk::float8
FROM r
UNION ALL
SELECT 'cc_sla_breached_open', 'Open SLA targets already breached',
       jsonb_build_object('queue_id', r.queue_id::text, 'target', r.target), r.breached::float8
FROM r
UNION ALL
SELECT 'cc_sla_breaches_today', 'Breaches recorded since 00:00 UTC',
       jsonb_build_object('brand_id', b.id::text),
       (SELECT count(*) FROM sla_alerts a WHERE a.brand_id = b.id AND a.stage = 0
          AND a.fired_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')::float8
FROM brands b
UNION ALL
SELECT 'cc_agents', 'Agents by presence (available includes busy)',
       jsonb_build_object('state', p.presence), count(s.user_id)::float8
FROM (VALUES ('available'), ('away'), ('offline')) AS p (presence)
LEFT JOIN agent_state s ON s.presence = p.presence
GROUP BY p.presence
UNION ALL
SELECT 'cc_agents_on_shift', 'Agents on shift now', '{}'::jsonb,
       (SELECT count(DISTINCT si.user_id) FROM shift_intervals si
        WHERE tstzrange(si.starts_at, si.ends_at) @> now())::float8;

-- name: coverage_history
-- Arrivals per local weekday (1 = Monday) and interval of the day over the last $3 days
-- before $4, in time zone $2.
SELECT extract(isodow FROM t.created_at AT TIME ZONE $2::text)::integer AS dow,
       (extract(hour FROM t.created_at AT TIME ZONE $2::text)::integer * 60
        + extract(minute FROM t.created_at AT TIME ZONE $2::text)::integer) / $5::integer AS slot,
       count(*) AS n
FROM tickets t
WHERE t.queue_id = $1 AND t.created_at >= $4::timestamptz - make_interval(days => $3::integer)
  AND t.created_at < $4::timestamptz
GROUP BY 1, 2;

-- name: coverage_aht
-- Mean handle time (accept to solve) over the last $2 days before $3, and how many tickets.
SELECT avg(extract(epoch FROM t.solved_at - t.assigned_at))::float8 AS aht_s, count(*) AS n
FROM tickets t
WHERE t.queue_id = $1 AND t.solved_at >= $3::timestamptz - make_interval(days => $2::integer)
  AND t.solved_at < $3::timestamptz
  AND t.assigned_at IS NOT NULL AND t.solved_at > t.assigned_at;

-- name: coverage_kind
-- The queue's channel kinds by number of accounts feeding it, most first.
SELECT channel_kind(channel) AS kind, count(*) AS n FROM channel_accounts
WHERE queue_id = $1 AND disabled_at IS NULL GROUP BY 1 ORDER BY 2 DESC, 1;

-- name: coverage_shifts
-- Shifts of the queue's active agents overlapping [$2, $3), with each agent's capacity.
SELECT si.user_id, si.starts_at, si.ends_at, u.capacity
FROM shift_intervals si
JOIN agent_queues aq ON aq.user_id = si.user_id AND aq.queue_id = $1
JOIN users u ON u.id = si.user_id AND u.deactivated_at IS NULL
WHERE si.starts_at < $3 AND si.ends_at > $2;

-- name: queues_named
SELECT q.id, b.name AS brand FROM queues q JOIN brands b ON b.id = q.brand_id
WHERE lower(q.name) = lower($1) AND ($2::text IS NULL OR lower(b.name) = lower($2))
ORDER BY b.name;

-- name: coverage_capacity
-- The queue's active agents' capacities (how many conversations of each kind at once).
SELECT u.capacity FROM agent_queues aq JOIN users u ON u.id = aq.user_id
WHERE aq.queue_id = $1 AND u.deactivated_at IS NULL;

-- name: shift_spans
-- Each agent's shifts overlapping [$2, $3) (adherence: time available within them).
SELECT si.user_id, greatest(si.starts_at, $2) AS starts_at, least(si.ends_at, $3) AS ends_at
FROM shift_intervals si
WHERE si.user_id = ANY($1::uuid[]) AND si.starts_at < $3 AND si.ends_at > $2
ORDER BY si.user_id, si.starts_at;
