-- Browser sessions for the dashboards: a random id in an HttpOnly cookie, stored here as its
-- SHA-256 (a database leak gives no usable cookie), with the CSRF token the page sends back on
-- every change. Sessions end after 12 hours or at sign-out; deactivating a user ends theirs.
CREATE TABLE web_sessions (
    id_hash     bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);
