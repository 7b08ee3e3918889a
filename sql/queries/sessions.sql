-- name: login_candidate
-- The active user with this e-mail and their password hash (NULL: no password set).
SELECT id, password_hash FROM users WHERE lower(email) = lower($1) AND deactivated_at IS NULL;

-- name: user_id_by_token
SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL;

-- name: create
INSERT INTO web_sessions (id_hash, user_id, csrf, expires_at, token_hash)
VALUES ($1, $2, $3, $4, $5);

-- name: user_by_session
-- The session's user (as user_by_token gives it) and its CSRF token, while it is valid.
SELECT u.id, u.email, u.name, u.role, u.timezone, u.language, u.team_id, u.supervisor_id, u.created_at,
       u.skills, u.languages, u.capacity, u.voice_exclusive,
       (SELECT coalesce(array_agg(aq.queue_id), '{}') FROM agent_queues aq WHERE aq.user_id = u.id) AS queue_ids,
       s.csrf
FROM web_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = $1 AND s.expires_at > now() AND u.deactivated_at IS NULL
  AND (s.token_hash IS NULL OR EXISTS (
        SELECT 1 FROM api_tokens t WHERE t.token_hash = s.token_hash AND t.revoked_at IS NULL));

-- name: delete
DELETE FROM web_sessions WHERE id_hash = $1;

-- name: purge_expired
DELETE FROM web_sessions WHERE expires_at < now();

-- name: set_password
-- A new password ends the user's sessions (signed in with the old one, or stolen).
WITH u AS (
    UPDATE users SET password_hash = $2 WHERE lower(email) = lower($1) RETURNING id
), ended AS (
    DELETE FROM web_sessions WHERE user_id IN (SELECT id FROM u)
)
SELECT id FROM u;

-- name: set_language
UPDATE users SET language = $2 WHERE id = $1;
