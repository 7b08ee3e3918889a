-- The ingest statements (contactcenter/store/ingest.py). Messages go through the
-- ingest_messages() function (sql/migrations/0003_ingest_function.sql): one round trip per
-- group commit, however many webhooks it holds.

-- name: ingest_messages
SELECT o_idx, o_message_id, o_ticket_id, o_event
FROM ingest_messages($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                     $13::text[], $14::text[], $15::timestamptz[], $16::double precision);

-- name: read_up_to
-- Messenger's read watermark: our messages in that conversation sent up to then are read.
UPDATE messages m SET delivery_status = 'read'
FROM tickets t
WHERE t.channel_account_id = $1 AND t.platform_conversation_id = $2
  AND t.status IN ('new', 'open', 'pending')
  AND m.ticket_id = t.id AND m.direction = 'outbound' AND m.sent_at <= $3
  AND m.delivery_status IN ('sent', 'delivered')
RETURNING m.id, m.ticket_id, m.brand_id, m.delivery_status;

-- name: apply_receipts
-- Record each receipt (it may arrive before we stored the platform id of our own send) and move
-- matching outbound messages forward; receipts never move a message backwards.
WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
         AS r (account_id, platform_message_id, status, error, reported_at)
), kept AS (
    INSERT INTO delivery_receipts AS d (channel_account_id, platform_message_id, status, error, reported_at)
    SELECT * FROM r
    ON CONFLICT (channel_account_id, platform_message_id) DO UPDATE
        SET status = EXCLUDED.status, error = coalesce(EXCLUDED.error, d.error),
            reported_at = EXCLUDED.reported_at, updated_at = now()
        WHERE delivery_rank(EXCLUDED.status) > delivery_rank(d.status)
)
UPDATE messages m
SET delivery_status = r.status, delivery_error = coalesce(r.error, m.delivery_error)
FROM r
WHERE m.channel_account_id = r.account_id AND m.platform_message_id = r.platform_message_id
  AND m.direction = 'outbound'
  AND delivery_rank(r.status) > delivery_rank(coalesce(m.delivery_status, 'queued'))
RETURNING m.id, m.ticket_id, m.brand_id, m.delivery_status;
