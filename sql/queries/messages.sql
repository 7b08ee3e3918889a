-- name: list_messages
-- Conversation order (invariant 6): platform time, then arrival. The cursor is the last
-- (sent_at, id) pair seen.
SELECT m.id, m.ticket_id, m.direction, m.kind, m.text, m.attachments, m.sender_kind,
       coalesce(m.sender_contact_id, m.sender_user_id) AS sender_id,
       coalesce(c.name, u.name) AS sender_name,
       m.platform_message_id, m.reply_to_platform_id, m.sent_at, m.received_at,
       m.delivery_status, m.delivery_error
FROM messages m
LEFT JOIN contacts c ON c.id = m.sender_contact_id
LEFT JOIN users u ON u.id = m.sender_user_id
WHERE m.ticket_id = $1
  AND ($2::timestamptz IS NULL OR (m.sent_at, m.id) > ($2, $3::bigint))
ORDER BY m.sent_at, m.id
LIMIT $4;

-- name: insert_agent_message
-- An agent's reply (outbound, queued for delivery) or internal note, on the ticket's account;
-- $6: the files it carries ([] for none), whose media rows `media.attach` adds.
WITH m AS (
    INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, kind, text,
                          attachments, sender_kind, sender_user_id, sent_at, delivery_status,
                          template)
    SELECT t.brand_id, t.id, t.channel_account_id, $2,
           CASE WHEN $5::jsonb IS NOT NULL THEN 'template'
                WHEN $3 = '' AND $6::jsonb <> '[]' THEN $6::jsonb->0->>'kind' ELSE 'text' END,
           $3, $6::jsonb, 'agent', $4, now(), CASE WHEN $2 = 'outbound' THEN 'queued' END,
           $5::jsonb
    FROM tickets t WHERE t.id = $1
    RETURNING *
)
SELECT m.id, m.ticket_id, m.direction, m.kind, m.text, m.attachments, m.sender_kind,
       m.sender_user_id AS sender_id, u.name AS sender_name, m.platform_message_id,
       m.reply_to_platform_id, m.sent_at, m.received_at, m.delivery_status, m.delivery_error
FROM m LEFT JOIN users u ON u.id = m.sender_user_id;

-- name: record_reply
-- A public agent reply answers the customer: it meets the running response clock (SLA) and a
-- new ticket becomes open. Returns the status before.
UPDATE tickets t SET
    first_replied_at = coalesce(t.first_replied_at, now()),
    last_replied_at = now(),
    last_replied_by = $2,
    awaiting_since = NULL,
    status = CASE WHEN t.status = 'new' THEN 'open' ELSE t.status END,
    last_message_at = now(),
    updated_at = now()
FROM (SELECT id, status FROM tickets WHERE id = $1 FOR UPDATE) old
WHERE t.id = old.id
RETURNING old.status AS previous, now() AS at, t.channel, t.last_inbound_at,
          t.platform_conversation_id;
