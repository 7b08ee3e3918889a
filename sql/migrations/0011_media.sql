-- Inbound media: each attachment of a customer's message is fetched by the worker from the
-- platform (which deletes or expires it: WhatsApp after 30 days, Messenger CDN URLs sooner) into
-- our storage, within size and type limits. Agents download it through an authenticated URL.
CREATE TABLE media (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id      uuid NOT NULL,
    message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position      smallint NOT NULL,          -- index in messages.attachments
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'stored', 'refused', 'failed')),
    mime_type     text,
    size          bigint,
    name          text,
    storage_key   text,                       -- where the bytes are, in the media store
    attempts      smallint NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,              -- after a temporary failure: not before this
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    stored_at     timestamptz,
    UNIQUE (message_id, position)
);
CREATE INDEX media_pending_idx ON media (id) WHERE status = 'pending';
