-- name: discover
-- Media rows for attachments of inbound messages (and of call notes: voicemail recordings)
-- stored after the mark (once per attachment).
WITH m AS (
    SELECT id, brand_id, attachments FROM messages
    WHERE id > $1 AND direction IN ('inbound', 'note') AND attachments <> '[]'::jsonb
      AND NOT EXISTS (SELECT 1 FROM media d WHERE d.message_id = messages.id)
    ORDER BY id LIMIT $2
), ins AS (
    INSERT INTO media (brand_id, message_id, position, mime_type, name)
    SELECT m.brand_id, m.id, (a.ordinality - 1)::smallint, a.value->>'mime_type', a.value->>'name'
    FROM m, jsonb_array_elements(m.attachments) WITH ORDINALITY AS a (value, ordinality)
    ON CONFLICT (message_id, position) DO NOTHING
)
SELECT max(id) FROM m;

-- name: newest
-- The newest message discovery has seen (agents' files are written with their message).
SELECT coalesce(max(message_id), 0) FROM media WHERE NOT by_agent;

-- name: claim
-- A pending media row, leased to this worker for 10 minutes: the download runs without a
-- database connection; if the worker dies, the lease runs out and another worker takes it.
WITH d AS (
    SELECT id FROM media
    WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now())
    ORDER BY id LIMIT 1
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE media SET next_attempt_at = now() + interval '10 minutes'
    FROM d WHERE media.id = d.id
    RETURNING media.id, media.position, media.attempts, media.message_id,
              media.next_attempt_at AS lease
)
SELECT l.id, l.position, l.attempts, l.lease, m.attachments->(l.position) AS attachment,
       m.channel_account_id, a.channel, a.credentials, m.brand_id, i.data AS inline
FROM leased l JOIN messages m ON m.id = l.message_id
JOIN channel_accounts a ON a.id = m.channel_account_id
LEFT JOIN inline_media i ON i.message_id = l.message_id AND i.position = l.position;

-- name: stored
-- Only while this worker's lease ($5) holds: after it ran out, another worker owns the row.
UPDATE media SET status = 'stored', storage_key = $2, size = $3,
                 mime_type = coalesce($4, mime_type), stored_at = now(), error = NULL
WHERE id = $1 AND status = 'pending' AND next_attempt_at = $5;

-- name: drop_inline
-- The part is in the store (or refused): its copy in the database goes.
DELETE FROM inline_media
WHERE (message_id, position) = (SELECT message_id, position FROM media WHERE id = $1);

-- name: give_up
UPDATE media SET status = $2, error = $3, attempts = attempts + 1
WHERE id = $1 AND status = 'pending' AND next_attempt_at = $4;

-- name: retry_later
-- A temporary failure: again in 1, 4, 9, 16 minutes (the platforms keep media for days).
UPDATE media SET attempts = attempts + 1, error = $2,
                 next_attempt_at = now() + make_interval(mins => (attempts + 1) * (attempts + 1))
WHERE id = $1 AND status = 'pending' AND next_attempt_at = $3;

-- name: for_messages
SELECT id, message_id, position, status FROM media WHERE message_id = ANY($1::bigint[]);

-- name: get
SELECT d.id, d.status, d.mime_type, d.name, d.size, d.storage_key, m.ticket_id
FROM media d JOIN messages m ON m.id = d.message_id WHERE d.id = $1;

-- name: attach
-- The files of an agent's reply or note, already in the store: one stored row per file, in
-- the message's attachment order. $7: each file's link token (a reply's files get one, which
-- the platforms fetch them with), valid until $8.
INSERT INTO media (brand_id, message_id, position, status, mime_type, size, name, storage_key,
                   stored_at, link_token, link_until, by_agent)
SELECT $1, $2, (f.ordinality - 1)::smallint, 'stored', f.mime, f.size, f.name, f.key, now(),
       f.token, CASE WHEN f.token IS NOT NULL THEN $8::timestamptz END, true
FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])
     WITH ORDINALITY AS f (mime, size, name, key, token, ordinality);

-- name: outgoing
-- A reply's files for the sender, in order.
SELECT id, mime_type, size, name, storage_key, link_token
FROM media WHERE message_id = $1 AND status = 'stored' ORDER BY position;

-- name: by_link
SELECT status, mime_type, name, storage_key, link_token, link_until FROM media WHERE id = $1;
