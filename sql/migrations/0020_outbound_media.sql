-- Files agents send: stored with the reply (status 'stored' from the start) and reachable for
-- the platforms that fetch a file by URL (WhatsApp, Messenger, Twilio, Viber, LINE) and for web
-- chat visitors through an unguessable link that expires. Inbound media never gets a link.
ALTER TABLE media
    ADD COLUMN link_token text,
    ADD COLUMN link_until timestamptz;
