-- name: insert_account
INSERT INTO channel_accounts (brand_id, channel, name, queue_id, credentials)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, brand_id, channel, name, queue_id, credentials, created_at, disabled_at;

-- name: get_account
SELECT id, brand_id, channel, name, queue_id, credentials, created_at, disabled_at
FROM channel_accounts WHERE id = $1;

-- name: list_accounts
SELECT id, brand_id, channel, name, queue_id, credentials, created_at, disabled_at
FROM channel_accounts
WHERE ($1::uuid IS NULL OR brand_id = $1)
  AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
ORDER BY created_at, id LIMIT $4;
