-- Files agents send: stored with the reply (status 'stored' from the start) and reachable for
-- the platforms that fetch a file by URL (WhatsApp, Messenger, Twilio, Viber, LINE) and for web
-- chat visitors through an unguessable link that expires. Inbound media never gets a link.
ALTER TABLE media
    ADD COLUMN link_token text,
    ADD COLUMN link_until timestamptz,
    ADD COLUMN by_agent boolean NOT NULL DEFAULT false;
-- The discovery mark (media.newest) counts only rows discovery made: an agent's file, written at
-- once with a newer message id, must not move it past customers' attachments not seen yet.
CREATE INDEX media_discovered_idx ON media (message_id) WHERE NOT by_agent;
