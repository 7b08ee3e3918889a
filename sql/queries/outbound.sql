-- name: claim
-- Take a due message for sending; NULL when another worker has it or it is not due.
UPDATE messages m SET delivery_status = 'sending', sending_since = now(),
                      send_attempts = m.send_attempts + 1
WHERE m.id = $1 AND m.direction = 'outbound' AND m.delivery_status = 'queued'
  AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())
RETURNING m.id, m.ticket_id, m.brand_id, m.channel_account_id, m.text, m.template,
          m.reply_to_platform_id, m.send_attempts, m.attachments <> '[]'::jsonb AS has_files;

-- name: target
-- Where a claimed message goes: the account and the conversation on the platform.
SELECT a.channel, a.credentials, t.platform_conversation_id, t.last_inbound_at
FROM tickets t JOIN channel_accounts a ON a.id = t.channel_account_id
WHERE t.id = $1;

-- name: sent
-- Sent: the platform's id, and any receipt that arrived before we knew that id.
UPDATE messages m SET platform_message_id = $2, delivery_error = NULL, sending_since = NULL,
    delivery_status = CASE WHEN delivery_rank(d.status) > 1 THEN d.status ELSE 'sent' END
FROM (SELECT $2::text AS pid) p
LEFT JOIN delivery_receipts d ON d.channel_account_id = $3 AND d.platform_message_id = p.pid
WHERE m.id = $1 AND m.delivery_status = 'sending'
RETURNING m.delivery_status;

-- name: retry
UPDATE messages SET delivery_status = 'queued', sending_since = NULL, next_attempt_at = $2,
                    delivery_error = $3
WHERE id = $1 AND delivery_status = 'sending';

-- name: failed
UPDATE messages SET delivery_status = 'failed', sending_since = NULL, delivery_error = $2
WHERE id = $1 AND delivery_status IN ('sending', 'queued');

-- name: due
SELECT id FROM messages
WHERE direction = 'outbound' AND delivery_status = 'queued'
  AND (next_attempt_at IS NULL OR next_attempt_at <= now())
ORDER BY id LIMIT $1;

-- name: abandoned
-- Claimed longer ago than any send takes: the worker died mid-send. The platform may have
-- the message, so it is failed, not sent again.
UPDATE messages SET delivery_status = 'failed', sending_since = NULL,
    delivery_error = 'The worker stopped while sending; the customer may or may not have it. '
                     || 'Check the conversation on the platform and send it again if needed.'
WHERE direction = 'outbound' AND delivery_status = 'sending'
  AND sending_since < now() - make_interval(secs => $1)
RETURNING id, ticket_id, brand_id;

-- name: x_reply_target
-- What a public reply answers (X, Facebook and Instagram comments): the customer's latest
-- post, comment or DM, and their @name on X.
SELECT m.platform_message_id, m.reply_to_platform_id, ci.username
FROM messages m
JOIN tickets t ON t.id = m.ticket_id
LEFT JOIN contact_identities ci ON ci.contact_id = t.contact_id AND ci.channel = 'x'
WHERE m.ticket_id = $1 AND m.direction = 'inbound'
ORDER BY m.sent_at DESC, m.id DESC LIMIT 1;
