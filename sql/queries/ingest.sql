-- Statements of the ingest transaction (contactcenter/actions/ingest.py). Each takes arrays,
-- so one group commit writes any number of webhook requests in a fixed number of round trips.

-- name: upsert_identities
-- Locks each customer's identity row (in key order, so concurrent batches cannot deadlock) and
-- creates it with a fresh contact id when new. The caller inserts the contacts it created.
INSERT INTO contact_identities AS ci (brand_id, channel, external_id, contact_id, display_name, username)
SELECT brand_id, channel, external_id, gen_random_uuid(), display_name, username
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
     AS t (brand_id, channel, external_id, display_name, username)
ORDER BY brand_id, channel, external_id
ON CONFLICT (brand_id, channel, external_id) DO UPDATE
    SET display_name = CASE WHEN EXCLUDED.display_name <> '' THEN EXCLUDED.display_name
                            ELSE ci.display_name END,
        username = coalesce(EXCLUDED.username, ci.username),
        last_seen_at = now()
RETURNING brand_id, channel, external_id, contact_id, (xmax = 0) AS created;

-- name: insert_contacts
INSERT INTO contacts (id, brand_id, name, language)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]);

-- name: existing_messages
SELECT m.channel_account_id, m.platform_message_id
FROM messages m
JOIN unnest($1::uuid[], $2::text[]) AS k (account_id, platform_message_id)
  ON m.channel_account_id = k.account_id AND m.platform_message_id = k.platform_message_id;

-- name: current_tickets
-- Per (account, contact): the active ticket, else the latest ticket solved within the reopen
-- window ($3 seconds), else nothing.
SELECT DISTINCT ON (t.channel_account_id, t.contact_id)
       t.id, t.channel_account_id, t.contact_id, t.status, t.queue_id
FROM tickets t
JOIN unnest($1::uuid[], $2::uuid[]) AS k (account_id, contact_id)
  ON t.contact_id = k.contact_id AND t.channel_account_id = k.account_id
WHERE t.status IN ('new', 'open', 'pending')
   OR (t.status = 'solved' AND t.solved_at > now() - make_interval(secs => $3))
ORDER BY t.channel_account_id, t.contact_id, (t.status <> 'solved') DESC, t.id DESC;

-- name: reopen_tickets
UPDATE tickets
SET status = 'open', solved_at = NULL, reopened_count = reopened_count + 1, updated_at = now()
WHERE id = ANY($1::bigint[]) AND status = 'solved';

-- name: create_tickets
INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id, platform_conversation_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[])
RETURNING id, channel_account_id, contact_id;

-- name: insert_messages
INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, kind, platform_message_id,
                      text, attachments, sender_kind, sender_contact_id, reply_to_platform_id, sent_at)
SELECT brand_id, ticket_id, account_id, 'inbound', kind, platform_message_id,
       text, attachments::jsonb, 'contact', contact_id, reply_to, sent_at
FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::uuid[], $9::text[], $10::timestamptz[])
     AS t (brand_id, ticket_id, account_id, kind, platform_message_id, text, attachments,
           contact_id, reply_to, sent_at)
ON CONFLICT (channel_account_id, platform_message_id) DO NOTHING
RETURNING id, ticket_id, platform_message_id;

-- name: touch_tickets
-- A customer message moves a pending ticket back to open and stamps activity times.
UPDATE tickets t
SET last_message_at = now(),
    last_inbound_at = greatest(t.last_inbound_at, u.sent_at),
    status = CASE WHEN t.status = 'pending' THEN 'open' ELSE t.status END,
    updated_at = now()
FROM unnest($1::bigint[], $2::timestamptz[]) AS u (id, sent_at)
WHERE t.id = u.id;

-- name: insert_events
INSERT INTO events (brand_id, kind, ticket_id, data)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::jsonb[]);

-- name: upsert_receipts
INSERT INTO delivery_receipts AS r (channel_account_id, platform_message_id, status, error, reported_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
ON CONFLICT (channel_account_id, platform_message_id) DO UPDATE
    SET status = EXCLUDED.status, error = coalesce(EXCLUDED.error, r.error),
        reported_at = EXCLUDED.reported_at, updated_at = now()
    WHERE delivery_rank(EXCLUDED.status) > delivery_rank(r.status);

-- name: apply_receipts
UPDATE messages m
SET delivery_status = r.status, delivery_error = coalesce(r.error, m.delivery_error)
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS r (account_id, platform_message_id, status, error)
WHERE m.channel_account_id = r.account_id AND m.platform_message_id = r.platform_message_id
  AND m.direction = 'outbound'
  AND delivery_rank(r.status) > delivery_rank(coalesce(m.delivery_status, 'queued'))
RETURNING m.id, m.ticket_id, m.brand_id, m.delivery_status;
