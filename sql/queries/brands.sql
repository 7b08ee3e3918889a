-- name: insert_brand
INSERT INTO brands (name) VALUES ($1) RETURNING id, name, created_at;

-- name: list_brands
SELECT id, name, created_at FROM brands
WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2::uuid))
ORDER BY created_at, id LIMIT $3;

-- name: get_brand
SELECT id, name, created_at FROM brands WHERE id = $1;

-- name: insert_team
INSERT INTO teams (name) VALUES ($1) RETURNING id, name, created_at;

-- name: list_teams
SELECT id, name, created_at FROM teams ORDER BY lower(name);

-- name: get_team
SELECT id, name, created_at FROM teams WHERE id = $1;
