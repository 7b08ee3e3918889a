-- Pollers (YouTube comments; Flickr and Google reviews later): where each account's last poll
-- left off, and until when a platform asked us to stay away (quota, rate limit).
CREATE TABLE poll_cursors (
    channel_account_id  uuid PRIMARY KEY,
    cursor              jsonb NOT NULL DEFAULT '{}',   -- e.g. {"after": "<RFC 3339>"}
    blocked_until       timestamptz,
    last_polled_at      timestamptz,
    last_error          text
);
