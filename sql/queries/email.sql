-- name: account_by_address
SELECT id FROM channel_accounts
WHERE channel = 'email' AND disabled_at IS NULL AND lower(credentials->>'address') = lower($1);

-- name: verify_email
-- The platform vouched for this identity's e-mail address (the linker merges on it).
UPDATE contact_identities SET verified_email = $4, email_verified_at = now()
WHERE brand_id = $1 AND channel = $2 AND external_id = $3
  AND verified_email IS DISTINCT FROM $4;

-- name: conversations_of
-- The conversations that messages with these ids (per account) belong to: a customer's mail
-- answering one of ours, or naming an earlier mail only in In-Reply-To, joins its thread.
SELECT m.channel_account_id AS account_id, m.platform_message_id AS message_id,
       t.platform_conversation_id AS conversation
FROM unnest($1::uuid[], $2::text[]) AS w (account_id, message_id)
JOIN messages m ON m.channel_account_id = w.account_id AND m.platform_message_id = w.message_id
JOIN tickets t ON t.id = m.ticket_id;

-- name: save_inline
INSERT INTO inline_media (message_id, position, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING;

-- name: save_thread
INSERT INTO email_threads (channel_account_id, message_id, subject, refs, from_address)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING;

-- name: reply_thread
-- What a reply on this ticket answers: the customer's latest e-mail and its thread.
SELECT m.platform_message_id AS message_id, coalesce(e.subject, '') AS subject,
       coalesce(e.refs, '') AS refs,
       coalesce(e.from_address, (  -- older mail: the sender's e-mail identity
           SELECT ci.external_id FROM contact_identities ci
           WHERE ci.contact_id = m.sender_contact_id AND ci.channel = 'email'
           ORDER BY ci.last_seen_at DESC LIMIT 1)) AS from_address
FROM messages m
LEFT JOIN email_threads e ON e.channel_account_id = m.channel_account_id
                         AND e.message_id = m.platform_message_id
WHERE m.ticket_id = $1 AND m.direction = 'inbound'
ORDER BY m.sent_at DESC, m.id DESC LIMIT 1;
