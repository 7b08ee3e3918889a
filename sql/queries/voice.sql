-- name: call_ticket
-- The ticket a call (CallSid = the stored message's platform id) opened or joined.
SELECT t.id, t.brand_id, t.queue_id, t.assignee_id, u.name AS assignee_name
FROM messages m JOIN tickets t ON t.id = m.ticket_id
LEFT JOIN users u ON u.id = t.assignee_id
WHERE m.channel_account_id = $1 AND m.platform_message_id = $2;

-- name: call_note
-- What happened to the call, on the ticket as a system note (agents see it in the thread);
-- once per call and kind (Twilio may repeat a callback).
INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, kind,
                      platform_message_id, text, attachments, sender_kind, sent_at)
SELECT brand_id, id, channel_account_id, 'note', $3, $2 || ':' || $3, $4, $5::jsonb, 'system', now()
FROM tickets WHERE id = $1
ON CONFLICT (channel_account_id, platform_message_id) DO NOTHING
RETURNING id;

-- name: tag
UPDATE tickets SET tags = ARRAY(SELECT DISTINCT unnest(tags || $2::text[]) ORDER BY 1),
                   updated_at = now()
WHERE id = $1;

-- name: queue_hours
SELECT q.hours FROM channel_accounts a JOIN queues q ON q.id = a.queue_id WHERE a.id = $1;

-- name: answered
-- An agent took the call: that is the first answer (first response met, ASA, service level);
-- the SLA engine recomputes the ticket's clocks from here.
WITH t AS (
    UPDATE tickets SET first_replied_at = coalesce(first_replied_at, now()),
                       last_replied_at = now(), last_replied_by = assignee_id,
                       awaiting_since = NULL, updated_at = now()
    WHERE id = $1 RETURNING id
)
INSERT INTO sla_work (ticket_id, at) SELECT id, now() FROM t;
