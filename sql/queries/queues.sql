-- name: insert_queue
INSERT INTO queues (brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
                    max_attempts, overflow, after_hours_reply, hours, language_required,
                    escalate_after_s, sticky_s, shift_end_drain_s, shift_end_policy,
                    sla_policy_id, sl_threshold_s, sl_target, shrinkage, max_occupancy, forecast)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21)
RETURNING id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
       max_attempts, overflow, after_hours_reply, hours, language_required, escalate_after_s,
       sticky_s, shift_end_drain_s, shift_end_policy, sla_policy_id, sl_threshold_s, sl_target,
       shrinkage, max_occupancy, forecast, created_at;

-- name: update_queue
-- Each column changes only when its flag ($2, $4, ...) is set, so PATCH can also set null.
UPDATE queues SET
    name = CASE WHEN $2 THEN $3 ELSE name END,
    team_id = CASE WHEN $4 THEN $5::uuid ELSE team_id END,
    required_skills = CASE WHEN $6 THEN $7::jsonb ELSE required_skills END,
    strategy = CASE WHEN $8 THEN $9 ELSE strategy END,
    offer_timeout_s = CASE WHEN $10 THEN $11::integer ELSE offer_timeout_s END,
    max_attempts = CASE WHEN $12 THEN $13::integer ELSE max_attempts END,
    overflow = CASE WHEN $14 THEN $15::jsonb ELSE overflow END,
    after_hours_reply = CASE WHEN $16 THEN $17 ELSE after_hours_reply END,
    hours = CASE WHEN $18 THEN $19::jsonb ELSE hours END,
    language_required = CASE WHEN $20 THEN $21::boolean ELSE language_required END,
    escalate_after_s = CASE WHEN $22 THEN $23::integer ELSE escalate_after_s END,
    sticky_s = CASE WHEN $24 THEN $25::integer ELSE sticky_s END,
    shift_end_drain_s = CASE WHEN $26 THEN $27::integer ELSE shift_end_drain_s END,
    shift_end_policy = CASE WHEN $28 THEN $29 ELSE shift_end_policy END,
    sla_policy_id = CASE WHEN $30 THEN $31::uuid ELSE sla_policy_id END,
    sl_threshold_s = CASE WHEN $32 THEN $33::integer ELSE sl_threshold_s END,
    sl_target = CASE WHEN $34 THEN $35::float8 ELSE sl_target END,
    shrinkage = CASE WHEN $36 THEN $37::float8 ELSE shrinkage END,
    max_occupancy = CASE WHEN $38 THEN $39::float8 ELSE max_occupancy END,
    forecast = CASE WHEN $40 THEN $41::jsonb ELSE forecast END
WHERE id = $1
RETURNING id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
       max_attempts, overflow, after_hours_reply, hours, language_required, escalate_after_s,
       sticky_s, shift_end_drain_s, shift_end_policy, sla_policy_id, sl_threshold_s, sl_target,
       shrinkage, max_occupancy, forecast, created_at;

-- name: get_queue
SELECT id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
       max_attempts, overflow, after_hours_reply, hours, language_required, escalate_after_s,
       sticky_s, shift_end_drain_s, shift_end_policy, sla_policy_id, sl_threshold_s, sl_target,
       shrinkage, max_occupancy, forecast, created_at
FROM queues WHERE id = $1;

-- name: list_queues
SELECT id, brand_id, name, team_id, required_skills, strategy, offer_timeout_s,
       max_attempts, overflow, after_hours_reply, hours, language_required, escalate_after_s,
       sticky_s, shift_end_drain_s, shift_end_policy, sla_policy_id, sl_threshold_s, sl_target,
       shrinkage, max_occupancy, forecast, created_at
FROM queues
WHERE ($1::uuid IS NULL OR brand_id = $1)
  AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
ORDER BY created_at, id LIMIT $4;

-- name: waiting_count
SELECT count(*) FROM tickets WHERE queue_id = $1 AND status = 'new' AND assignee_id IS NULL;

-- name: existing_queue_ids
SELECT id FROM queues WHERE id = ANY($1::uuid[]);
