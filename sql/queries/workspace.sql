-- name: my_tickets
-- An agent's open tickets, the most urgent SLA deadline first (tickets_assignee_idx).
SELECT t.id, t.brand_id, t.channel, t.channel_account_id, t.queue_id, q.team_id, t.assignee_id,
       t.contact_id, c.name AS contact_name, t.status, t.priority, t.tags, t.created_at,
       t.updated_at, t.last_message_at, t.solved_at, t.last_inbound_at
FROM tickets t
JOIN queues q ON q.id = t.queue_id
JOIN contacts c ON c.id = t.contact_id
WHERE t.assignee_id = $1 AND t.status IN ('new', 'open', 'pending')
ORDER BY t.sla_due_at NULLS LAST, t.last_message_at
LIMIT $2;

-- name: waiting
-- A queue's waiting tickets, longest waiting first (tickets_routing_idx).
SELECT t.id, t.brand_id, t.channel, t.channel_account_id, t.queue_id, q.team_id, t.assignee_id,
       t.contact_id, c.name AS contact_name, t.status, t.priority, t.tags, t.created_at,
       t.updated_at, t.last_message_at, t.solved_at, t.last_inbound_at
FROM tickets t
JOIN queues q ON q.id = t.queue_id
JOIN contacts c ON c.id = t.contact_id
WHERE t.queue_id = $1 AND t.routing = 'waiting' AND t.status IN ('new', 'open', 'pending')
ORDER BY t.queued_at
LIMIT $2;

-- name: last_inbound
-- When the account last received a customer message on an open ticket (the connection
-- check; tickets_one_active_key).
SELECT max(last_inbound_at) FROM tickets
WHERE channel_account_id = $1 AND status IN ('new', 'open', 'pending');
