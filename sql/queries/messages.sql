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
