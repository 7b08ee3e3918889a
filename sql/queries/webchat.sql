-- name: insert_visitor
INSERT INTO webchat_visitors (token_hash, account_id, visitor_id, display_name, language,
                              verified_email)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: visitor
UPDATE webchat_visitors SET last_seen_at = now()
WHERE token_hash = $1 AND account_id = $2
RETURNING visitor_id, display_name, language, verified_email;

-- name: history
-- The visitor's latest $3 messages and the replies sent to them (never notes, nothing still
-- queued or failed), oldest first; with the links of the files agents sent, while valid.
SELECT * FROM (
    SELECT m.id, m.direction, m.text, m.sent_at, m.delivery_status, m.attachments,
           m.platform_message_id,
           CASE WHEN m.direction = 'outbound' AND m.attachments <> '[]'::jsonb THEN (
               SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'id', d.id, 'token', d.link_token, 'name', d.name,
                          'mime_type', d.mime_type) ORDER BY d.position), '[]'::jsonb)
               FROM media d
               WHERE d.message_id = m.id AND d.link_token IS NOT NULL AND d.link_until > now()
           ) ELSE '[]'::jsonb END AS files
    FROM tickets t JOIN messages m ON m.ticket_id = t.id
    WHERE t.channel_account_id = $1 AND t.platform_conversation_id = $2
      AND (m.direction = 'inbound'
           OR (m.direction = 'outbound' AND m.delivery_status IN ('sent', 'delivered', 'read')))
    ORDER BY m.sent_at DESC, m.id DESC
    LIMIT $3
) latest ORDER BY sent_at, id;
