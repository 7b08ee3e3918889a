-- Outbound delivery: every outbound message with delivery_status 'queued' is due to be sent
-- (agent replies, after-hours replies). A worker claims one by moving it to 'sending' (one
-- UPDATE, so two workers never both send it), calls the platform, then records 'sent' with the
-- platform's id, 'failed' with the platform's error, or 'queued' again with a later
-- next_attempt_at (timeouts, 5xx, 429). A message left in 'sending' by a dead worker is failed
-- by the sweep, never sent twice.

ALTER TABLE messages DROP CONSTRAINT messages_delivery_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_delivery_status_check
    CHECK (delivery_status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed'));
ALTER TABLE messages
    ADD COLUMN send_attempts    smallint NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at  timestamptz,  -- NULL: at once
    ADD COLUMN sending_since    timestamptz,
    ADD COLUMN template         jsonb;         -- WhatsApp outside the 24-hour window
CREATE INDEX messages_outbox_idx ON messages (id)
    WHERE direction = 'outbound' AND delivery_status IN ('queued', 'sending');

CREATE OR REPLACE FUNCTION delivery_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'queued' THEN 0 WHEN 'sending' THEN 0 WHEN 'sent' THEN 1
                       WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE -1 END
$$;
