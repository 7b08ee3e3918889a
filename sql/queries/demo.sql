-- Idempotent inserts for config/demo.toml: existing rows are left as they are.

-- name: upsert_brand
INSERT INTO brands (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: upsert_team
INSERT INTO teams (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: upsert_queue
INSERT INTO queues (id, brand_id, name, team_id, required_skills)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING;

-- name: upsert_account
INSERT INTO channel_accounts (id, brand_id, channel, name, queue_id, credentials)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING;

-- name: upsert_user
INSERT INTO users (email, name, role, timezone, language, team_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT ((lower(email))) DO UPDATE SET name = users.name
RETURNING id;

-- name: set_password
UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash IS NULL;

-- name: upsert_token
INSERT INTO api_tokens (user_id, token_hash, label) VALUES ($1, $2, 'demo')
ON CONFLICT (token_hash) DO NOTHING;

-- name: upsert_policy
INSERT INTO sla_policies (id, brand_id, name, targets, calendar, pause_on, warn_at, channels,
                          is_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING;
