-- A session opened with an API token ends when that token is revoked.
ALTER TABLE web_sessions ADD COLUMN token_hash bytea;
