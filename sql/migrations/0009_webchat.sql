-- Web chat visitors: a random token per browser (stored as SHA-256, like API tokens), or per
-- signed-in user of the brand's site when it verifies identities (HMAC of the user id).
CREATE TABLE webchat_visitors (
    token_hash    bytea PRIMARY KEY,
    account_id    uuid NOT NULL,
    visitor_id    text NOT NULL,   -- the contact identity's external_id on channel 'webchat'
    display_name  text NOT NULL DEFAULT '',
    language      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webchat_visitors_account_idx ON webchat_visitors (account_id, visitor_id);
