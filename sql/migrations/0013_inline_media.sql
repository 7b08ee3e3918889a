-- Attachments that arrive inside the message (e-mail: MIME parts) instead of behind a platform
-- URL. Stored with the message in the same transaction, so a redelivered e-mail keeps nothing
-- twice; the media worker moves each into the media store and deletes the row.
CREATE TABLE inline_media (
    message_id  bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position    smallint NOT NULL,     -- index in messages.attachments
    data        bytea NOT NULL,
    PRIMARY KEY (message_id, position)
);
