-- name: due_accounts
-- Active accounts of a polled channel whose platform has not asked us to wait, locked so that
-- two workers never poll one account at once (the other skips it).
SELECT a.id, a.brand_id, a.channel, a.name, a.queue_id, a.credentials, a.created_at,
       a.disabled_at, coalesce(p.cursor, '{}'::jsonb) AS cursor
FROM channel_accounts a LEFT JOIN poll_cursors p ON p.channel_account_id = a.id
WHERE a.channel = $1 AND a.disabled_at IS NULL
  AND (p.blocked_until IS NULL OR p.blocked_until <= now())
ORDER BY p.last_polled_at NULLS FIRST
FOR UPDATE OF a SKIP LOCKED;

-- name: save
INSERT INTO poll_cursors (channel_account_id, cursor, blocked_until, last_polled_at, last_error)
VALUES ($1, $2, $3, now(), $4)
ON CONFLICT (channel_account_id) DO UPDATE
SET cursor = EXCLUDED.cursor, blocked_until = EXCLUDED.blocked_until,
    last_polled_at = now(), last_error = EXCLUDED.last_error;

-- name: linkedin_textless
-- LinkedIn comments stored without their text (the notification does not carry it).
SELECT m.id, m.reply_to_platform_id, a.credentials
FROM messages m JOIN channel_accounts a ON a.id = m.channel_account_id
WHERE a.channel = 'linkedin' AND m.direction = 'inbound' AND m.text IS NULL
  AND m.reply_to_platform_id LIKE 'urn:li:comment:(%'
  AND m.received_at > now() - interval '7 days'
ORDER BY m.id LIMIT $1;

-- name: set_text
UPDATE messages SET text = $2 WHERE id = $1 AND text IS NULL;
