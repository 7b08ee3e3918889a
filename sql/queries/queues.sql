-- name: insert_queue
INSERT INTO queues (brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
                    max_attempts, overflow, after_hours_reply)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
          max_attempts, overflow, after_hours_reply, created_at;

-- name: get_queue
SELECT id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
       max_attempts, overflow, after_hours_reply, created_at
FROM queues WHERE id = $1;

-- name: list_queues
SELECT id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
       max_attempts, overflow, after_hours_reply, created_at
FROM queues
WHERE ($1::uuid IS NULL OR brand_id = $1)
  AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
ORDER BY created_at, id LIMIT $4;

-- name: waiting_count
SELECT count(*) FROM tickets WHERE queue_id = $1 AND status = 'new' AND assignee_id IS NULL;

-- name: existing_queue_ids
SELECT id FROM queues WHERE id = ANY($1::uuid[]);
