-- name: tickets_with_sla
-- Tickets created in [$1, $2) with their SLA outcome per target (the latest clock of first
-- response and resolution; next responses counted), oldest first.
SELECT t.id, t.brand_id, q.name AS queue, t.channel, t.status, t.priority, t.created_at,
       t.first_replied_at, t.solved_at, t.assignee_id, u.name AS assignee,
       fr.due_at AS fr_due, fr.state AS fr_state, fr.breached_at AS fr_breached, fr.met_at AS fr_met,
       rs.due_at AS rs_due, rs.state AS rs_state, rs.breached_at AS rs_breached, rs.met_at AS rs_met,
       coalesce(nr.met, 0) AS nr_met, coalesce(nr.breached, 0) AS nr_breached,
       coalesce(p.paused_s, 0) AS paused_s
FROM tickets t
JOIN queues q ON q.id = t.queue_id
LEFT JOIN users u ON u.id = t.assignee_id
LEFT JOIN LATERAL (SELECT * FROM sla_clocks c WHERE c.ticket_id = t.id AND c.target = 'first_response'
                   ORDER BY c.started_at DESC LIMIT 1) fr ON true
LEFT JOIN LATERAL (SELECT * FROM sla_clocks c WHERE c.ticket_id = t.id AND c.target = 'resolution'
                   ORDER BY c.started_at DESC LIMIT 1) rs ON true
LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE c.met_at IS NOT NULL AND c.breached_at IS NULL) AS met,
                          count(*) FILTER (WHERE c.breached_at IS NOT NULL) AS breached
                   FROM sla_clocks c WHERE c.ticket_id = t.id AND c.target = 'next_response') nr ON true
LEFT JOIN LATERAL (SELECT sum(extract(epoch FROM coalesce(sp.resumed_at, now()) - sp.paused_at))::float8 AS paused_s
                   FROM sla_pauses sp JOIN sla_clocks c ON c.id = sp.clock_id
                   WHERE c.ticket_id = t.id AND c.target = 'resolution') p ON true
WHERE t.created_at >= $1 AND t.created_at < $2
  AND ($3::uuid IS NULL OR t.brand_id = $3)
  AND ($4::uuid IS NULL OR t.queue_id = $4)
  AND ($5::text IS NULL OR t.channel = $5)
  AND ($6::text[] IS NULL OR t.status = ANY($6))
ORDER BY t.created_at, t.id;
