-- Routing reads (snapshots for the pure planner) and calls of the state-changing functions in
-- sql/migrations/0004_routing_functions.sql.

-- name: queue_rules
SELECT id, required_skills, strategy, offer_timeout_s, overflow, language_required,
       escalate_after_s, sticky_s, shift_end_drain_s, hours, after_hours_reply
FROM queues WHERE id = ANY($1::uuid[]);

-- name: waiting_tickets
-- The first $2 waiting tickets of a queue in the planner's order (priority plus one level per
-- $4 seconds of age, then SLA deadline, then age; decide.order sorts the same way), with what
-- the planner needs about each: the customer's language, their last agent (this ticket's, else
-- their latest earlier ticket's), the agents who declined it or let an offer of it expire.
WITH first AS (
    SELECT t.id FROM tickets t
    WHERE t.queue_id = $1 AND t.routing = 'waiting' AND t.status IN ('new', 'open', 'pending')
    ORDER BY (CASE t.priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END
              + greatest(0, floor(extract(epoch FROM $3::timestamptz - t.created_at) / $4))) DESC,
             t.sla_due_at NULLS LAST, t.created_at, t.id
    LIMIT $2
)
SELECT t.id, t.queue_id, t.kind, t.priority, t.created_at, t.queued_at, t.sla_due_at, c.language,
       coalesce(t.last_assignee_id,
                (SELECT p.assignee_id FROM tickets p
                 WHERE p.contact_id = t.contact_id AND p.id < t.id AND p.assignee_id IS NOT NULL
                 ORDER BY p.id DESC LIMIT 1)) AS last_agent,
       coalesce((SELECT array_agg(o.user_id) FROM offers o
                 WHERE o.ticket_id = t.id AND o.status IN ('declined', 'expired')), '{}') AS excluded,
       t.after_hours_replied_at IS NOT NULL AS after_hours_replied
FROM first JOIN tickets t ON t.id = first.id
JOIN contacts c ON c.id = t.contact_id;

-- name: candidate_agents
-- Agents who could take work right now for any of the queues: available, on shift (the GiST
-- index answers "whose interval contains now"), with their current load per channel kind.
WITH on_shift AS (
    SELECT si.user_id, max(si.ends_at) AS ends_at
    FROM shift_intervals si
    WHERE tstzrange(si.starts_at, si.ends_at) @> $2::timestamptz
    GROUP BY si.user_id
)
SELECT u.id, u.skills, u.languages, u.capacity, u.voice_exclusive,
       s.presence_since, s.last_offer_at, s.last_assigned_at, os.ends_at AS shift_ends_at,
       (SELECT array_agg(aq.queue_id) FROM agent_queues aq WHERE aq.user_id = u.id) AS queues,
       coalesce((SELECT jsonb_object_agg(l.kind, l.n) FROM agent_load(u.id) l), '{}') AS load
FROM on_shift os
JOIN agent_state s ON s.user_id = os.user_id AND s.presence = 'available'
JOIN users u ON u.id = os.user_id AND u.deactivated_at IS NULL
WHERE EXISTS (SELECT 1 FROM agent_queues aq WHERE aq.user_id = u.id AND aq.queue_id = ANY($1::uuid[]));

-- name: create_offers
SELECT o_offer_id, o_ticket_id, o_user_id, o_expires_at, o_attempt, o_brand_id
FROM create_offers($1::bigint[], $2::uuid[], $3::uuid[], $4::integer[], $5::integer[]);

-- name: accept_offer
SELECT o_result, o_ticket_id, o_brand_id FROM accept_offer($1, $2);

-- name: release_offer
SELECT o_result, o_ticket_id, o_queue_id, o_brand_id, o_escalated, o_agent_away, o_user_id
FROM release_offer($1, $2, $3);

-- name: set_presence
SELECT set_presence($1, $2, $3);

-- name: pending_offers_of
SELECT id FROM offers WHERE user_id = $1 AND status = 'pending' ORDER BY id;

-- name: offers_of
SELECT id, ticket_id, queue_id, attempt, status, created_at, expires_at
FROM offers WHERE user_id = $1 AND status = 'pending' AND expires_at > now()
ORDER BY expires_at;

-- name: overdue_offers
SELECT id FROM offers WHERE status = 'pending' AND expires_at <= now() ORDER BY expires_at LIMIT $1;

-- name: assign_ticket
SELECT o_result, o_brand_id, o_previous, o_cancelled_offer FROM assign_ticket($1, $2, $3, $4);

-- name: requeue_ticket
SELECT o_result, o_brand_id, o_from_queue, o_previous FROM requeue_ticket($1, $2, $3, $4);

-- name: queues_with_waiting
SELECT DISTINCT queue_id FROM tickets
WHERE routing = 'waiting' AND status IN ('new', 'open', 'pending');

-- name: queues_of_agent
SELECT queue_id FROM agent_queues WHERE user_id = $1;

-- name: agents_present
-- Agents who are not offline, for the heartbeat check.
SELECT user_id FROM agent_state WHERE presence <> 'offline';

-- name: shift_ended_assignments
-- Active tickets, in queues that take them back at shift end, whose agent's shift ended after
-- they got the ticket and who is not on shift now. Work handed over after the shift (a
-- supervisor's explicit assignment) stays.
SELECT t.id, t.queue_id
FROM tickets t
JOIN queues q ON q.id = t.queue_id AND q.shift_end_policy = 'requeue'
WHERE t.assignee_id IS NOT NULL AND t.status IN ('new', 'open', 'pending')
  AND EXISTS (SELECT 1 FROM shift_intervals si
              WHERE si.user_id = t.assignee_id AND si.ends_at <= now()
                AND si.ends_at > coalesce(t.assigned_at, '-infinity'))
  AND NOT EXISTS (SELECT 1 FROM shift_intervals si
                  WHERE si.user_id = t.assignee_id AND si.starts_at <= now() AND si.ends_at > now());

-- name: mark_after_hours
-- Record the after-hours reply once per ticket and queue it for sending as an outbound message.
WITH marked AS (
    UPDATE tickets SET after_hours_replied_at = now()
    WHERE id = ANY($1::bigint[]) AND after_hours_replied_at IS NULL
    RETURNING id, brand_id, channel_account_id
), msg AS (
    INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, kind, text,
                          sender_kind, sent_at, delivery_status)
    SELECT m.brand_id, m.id, m.channel_account_id, 'outbound', 'text', $2, 'system', now(), 'queued'
    FROM marked m
    RETURNING ticket_id
)
INSERT INTO events (brand_id, kind, ticket_id, data)
SELECT m.brand_id, 'ticket.after_hours_reply', m.id, '{}'::jsonb FROM marked m
RETURNING ticket_id;

-- name: get_shift_plan
SELECT timezone, weekly, exceptions, leave, holidays FROM shift_plans WHERE user_id = $1;

-- name: lock_shift_plan
-- The plan as it is now, row-locked: a concurrent PUT waits, so a roll never writes an old plan.
SELECT timezone, weekly, exceptions, leave, holidays FROM shift_plans WHERE user_id = $1 FOR UPDATE;

-- name: put_shift_plan
INSERT INTO shift_plans (user_id, timezone, weekly, exceptions, leave, holidays, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, now())
ON CONFLICT (user_id) DO UPDATE
SET timezone = EXCLUDED.timezone, weekly = EXCLUDED.weekly, exceptions = EXCLUDED.exceptions,
    leave = EXCLUDED.leave, holidays = EXCLUDED.holidays, updated_at = now();

-- name: delete_intervals_after
DELETE FROM shift_intervals WHERE user_id = $1 AND ends_at > $2;

-- name: insert_intervals
-- The freshly materialised intervals that end after $2 (an interval running now is replaced
-- whole, so a changed plan applies at once).
INSERT INTO shift_intervals (user_id, starts_at, ends_at)
SELECT $1, x.s, x.e FROM unnest($3::timestamptz[], $4::timestamptz[]) AS x (s, e)
WHERE x.e > $2
ON CONFLICT (user_id, starts_at) DO UPDATE SET ends_at = EXCLUDED.ends_at;

-- name: upcoming_intervals
SELECT starts_at, ends_at FROM shift_intervals
WHERE user_id = $1 AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at;

-- name: plans_to_roll
-- Plans whose materialised horizon ends within $1: extend them.
SELECT user_id, timezone, weekly, exceptions, leave, holidays
FROM shift_plans WHERE materialized_until < now() + $1::interval
ORDER BY materialized_until LIMIT 500;

-- name: set_materialized_until
UPDATE shift_plans SET materialized_until = $2 WHERE user_id = $1;

-- name: agent_status
SELECT u.id, u.name, u.email, u.team_id, u.skills, u.languages, u.capacity,
       coalesce(s.presence, 'offline') AS presence, s.presence_since,
       EXISTS (SELECT 1 FROM shift_intervals si
               WHERE si.user_id = u.id AND si.starts_at <= now() AND si.ends_at > now()) AS on_shift,
       coalesce((SELECT jsonb_object_agg(l.kind, l.n) FROM agent_load(u.id) l), '{}') AS load,
       coalesce((SELECT array_agg(aq.queue_id) FROM agent_queues aq WHERE aq.user_id = u.id), '{}') AS queue_ids
FROM users u
LEFT JOIN agent_state s ON s.user_id = u.id
WHERE u.deactivated_at IS NULL AND ($1::uuid IS NULL OR u.id = $1)
  AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM agent_queues aq WHERE aq.user_id = u.id AND aq.queue_id = $2))
ORDER BY lower(u.email);

-- name: update_agent
UPDATE users SET
    skills = CASE WHEN $2 THEN $3::jsonb ELSE skills END,
    languages = CASE WHEN $4 THEN $5::text[] ELSE languages END,
    capacity = CASE WHEN $6 THEN $7::jsonb ELSE capacity END,
    voice_exclusive = CASE WHEN $8 THEN $9 ELSE voice_exclusive END
WHERE id = $1;

-- name: delete_agent_queues
DELETE FROM agent_queues WHERE user_id = $1;

-- name: insert_agent_queues
INSERT INTO agent_queues (user_id, queue_id) SELECT $1, q FROM unnest($2::uuid[]) AS q;

-- name: offer_waits
-- Seconds each new offer's ticket waited in its queue (the first offer since queued).
SELECT extract(epoch FROM o.created_at - t.queued_at)::float8 AS wait
FROM offers o JOIN tickets t ON t.id = o.ticket_id
WHERE o.id = ANY($1::bigint[]) AND o.attempt = 1;
