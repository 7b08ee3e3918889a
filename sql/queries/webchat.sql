-- name: insert_visitor
INSERT INTO webchat_visitors (token_hash, account_id, visitor_id, display_name, language)
VALUES ($1, $2, $3, $4, $5);

-- name: visitor
UPDATE webchat_visitors SET last_seen_at = now()
WHERE token_hash = $1 AND account_id = $2
RETURNING visitor_id, display_name, language;

-- name: history
-- The visitor's latest $3 messages and the replies sent to them (never notes, nothing still
-- queued or failed), oldest first.
SELECT * FROM (
    SELECT m.id, m.direction, m.text, m.sent_at, m.delivery_status
    FROM tickets t JOIN messages m ON m.ticket_id = t.id
    WHERE t.channel_account_id = $1 AND t.platform_conversation_id = $2
      AND (m.direction = 'inbound'
           OR (m.direction = 'outbound' AND m.delivery_status IN ('sent', 'delivered', 'read')))
    ORDER BY m.sent_at DESC, m.id DESC
    LIMIT $3
) latest ORDER BY sent_at, id;
