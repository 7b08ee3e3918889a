-- name: insert_user
INSERT INTO users (email, name, role, timezone, language, team_id, supervisor_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, email, name, role, timezone, language, team_id, supervisor_id, created_at,
          skills, languages, capacity, voice_exclusive, '{}'::uuid[] AS queue_ids;

-- name: insert_token
INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, $3);

-- name: user_by_token
SELECT u.id, u.email, u.name, u.role, u.timezone, u.language, u.team_id, u.supervisor_id, u.created_at,
       u.skills, u.languages, u.capacity, u.voice_exclusive,
       (SELECT coalesce(array_agg(aq.queue_id), '{}') FROM agent_queues aq WHERE aq.user_id = u.id) AS queue_ids
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deactivated_at IS NULL;

-- name: get_user
SELECT id, email, name, role, timezone, language, team_id, supervisor_id, created_at,
       skills, languages, capacity, voice_exclusive,
       (SELECT coalesce(array_agg(aq.queue_id), '{}') FROM agent_queues aq WHERE aq.user_id = users.id) AS queue_ids
FROM users WHERE id = $1;

-- name: list_users
SELECT id, email, name, role, timezone, language, team_id, supervisor_id, created_at,
       skills, languages, capacity, voice_exclusive,
       (SELECT coalesce(array_agg(aq.queue_id), '{}') FROM agent_queues aq WHERE aq.user_id = users.id) AS queue_ids
FROM users
WHERE deactivated_at IS NULL AND ($1::text IS NULL OR lower(email) > $1)
ORDER BY lower(email) LIMIT $2;

-- name: update_user
-- Each column changes only when its flag is set, so PATCH can also set a field to null.
UPDATE users SET
    name = CASE WHEN $2 THEN $3 ELSE name END,
    role = CASE WHEN $4 THEN $5 ELSE role END,
    timezone = CASE WHEN $6 THEN $7 ELSE timezone END,
    language = CASE WHEN $8 THEN $9 ELSE language END,
    team_id = CASE WHEN $10 THEN $11::uuid ELSE team_id END,
    supervisor_id = CASE WHEN $12 THEN $13::uuid ELSE supervisor_id END
WHERE id = $1
RETURNING id;
