-- name: list_tickets
-- Newest first. $6 is the cursor (the last id seen). Agents ($7 = true) see tickets of queues
-- without a team, of their team ($8), and tickets assigned to them ($9).
SELECT t.id, t.brand_id, t.channel, t.channel_account_id, t.queue_id, q.team_id, t.assignee_id,
       t.contact_id, c.name AS contact_name, t.status, t.priority, t.tags, t.created_at,
       t.updated_at, t.last_message_at, t.solved_at
FROM tickets t
JOIN queues q ON q.id = t.queue_id
JOIN contacts c ON c.id = t.contact_id
WHERE ($1::text[] IS NULL OR t.status = ANY($1))
  AND ($2::uuid IS NULL OR t.queue_id = $2)
  AND ($3::uuid IS NULL OR t.assignee_id = $3)
  AND ($4::text IS NULL OR t.channel = $4)
  AND ($5::uuid IS NULL OR t.brand_id = $5)
  AND ($6::bigint IS NULL OR t.id < $6)
  AND (NOT $7 OR q.team_id IS NULL OR q.team_id = $8::uuid OR t.assignee_id = $9::uuid)
  AND ($11::text IS NULL OR EXISTS (
        SELECT 1 FROM sla_clocks c WHERE c.ticket_id = t.id
          AND CASE $11 WHEN 'at_risk' THEN c.state = 'running' AND c.stage > 0 AND c.breached_at IS NULL
                       ELSE c.breached_at IS NOT NULL END))
ORDER BY t.id DESC
LIMIT $10;

-- name: get_ticket
SELECT t.id, t.brand_id, t.channel, t.channel_account_id, t.queue_id, q.team_id, t.assignee_id,
       t.contact_id, c.name AS contact_name, t.status, t.priority, t.tags, t.created_at,
       t.updated_at, t.last_message_at, t.solved_at, t.last_inbound_at, t.platform_conversation_id
FROM tickets t
JOIN queues q ON q.id = t.queue_id
JOIN contacts c ON c.id = t.contact_id
WHERE t.id = $1;

-- name: lock_ticket
SELECT id, status, priority, queue_id, assignee_id, tags FROM tickets WHERE id = $1 FOR UPDATE;

-- name: update_ticket
-- Status, priority, tags. Solved and closed tickets leave routing (their capacity frees). One
-- reopened by hand is routed again like a customer's reopen (its last agent first): handing it
-- straight back could put that agent over capacity.
UPDATE tickets SET
    status = $2, priority = $3, tags = $4,
    solved_at = CASE WHEN $2 = 'solved' AND status <> 'solved' THEN now()
                     WHEN $2 IN ('solved', 'closed') THEN solved_at ELSE NULL END,
    closed_at = CASE WHEN $2 = 'closed' AND status <> 'closed' THEN now() ELSE closed_at END,
    routing = CASE WHEN $2 IN ('solved', 'closed') THEN 'done'
                   WHEN routing = 'done' THEN 'waiting' ELSE routing END,
    queued_at = CASE WHEN routing = 'done' AND $2 NOT IN ('solved', 'closed') THEN now() ELSE queued_at END,
    attempts = CASE WHEN routing = 'done' AND $2 NOT IN ('solved', 'closed') THEN 0 ELSE attempts END,
    last_assignee_id = CASE WHEN routing = 'done' AND $2 NOT IN ('solved', 'closed')
                            THEN coalesce(assignee_id, last_assignee_id) ELSE last_assignee_id END,
    assignee_id = CASE WHEN routing = 'done' AND $2 NOT IN ('solved', 'closed') THEN NULL ELSE assignee_id END,
    opened_at = CASE WHEN status IN ('solved', 'closed') AND $2 NOT IN ('solved', 'closed') THEN now()
                     ELSE opened_at END,
    -- solved: nobody waits for an answer any more (a later message starts a new wait)
    awaiting_since = CASE WHEN $2 IN ('solved', 'closed') THEN NULL ELSE awaiting_since END,
    updated_at = now()
WHERE id = $1;

-- name: cancel_pending_offers
UPDATE offers SET status = 'cancelled', responded_at = clock_timestamp()
WHERE ticket_id = $1 AND status = 'pending';

-- name: insert_event
INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data) VALUES ($1, $2, $3, $4, $5);

-- name: list_events
SELECT id, kind, ticket_id, message_id, actor_user_id, data, created_at
FROM events WHERE ticket_id = $1 ORDER BY id;
