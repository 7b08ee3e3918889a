-- Offers are stamped with a time read while the placing statement runs, after its snapshot was
-- taken, instead of just before it. Before, a solve (or any release that does not take the
-- agent's row lock) committed in the gap between the two was seen by the statement, yet its
-- solved_at was later than the offer's created_at: the history then showed the agent holding
-- more than their capacity for that gap, which never happened. Replaying the history (audit,
-- occupancy, tests/routing/test_concurrency.py) needs the stamps in the order the database saw.
CREATE OR REPLACE FUNCTION create_offers(
    p_ticket bigint[], p_user uuid[], p_queue uuid[], p_timeout_s integer[], p_drain_s integer[]
) RETURNS TABLE (o_offer_id bigint, o_ticket_id bigint, o_user_id uuid, o_expires_at timestamptz,
                 o_attempt integer, o_brand_id uuid)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM tickets WHERE id = ANY(p_ticket) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM agent_state WHERE user_id = ANY(p_user) ORDER BY user_id FOR UPDATE;
    RETURN QUERY
    WITH clock AS MATERIALIZED (  -- read while this statement runs: after its snapshot
        SELECT clock_timestamp() AS at
    ), input AS (
        SELECT u.* FROM unnest(p_ticket, p_user, p_queue, p_timeout_s, p_drain_s)
                        WITH ORDINALITY AS u (t, a, q, timeout_s, drain_s, i)
    ), eligible AS (  -- every guard but capacity; one pair per ticket
        SELECT DISTINCT ON (x.t) x.*, t.kind, t.brand_id, t.attempts + 1 AS attempt
        FROM input x
        JOIN tickets t ON t.id = x.t AND t.routing = 'waiting' AND t.queue_id = x.q
                      AND t.status IN ('new', 'open', 'pending')
        JOIN agent_state s ON s.user_id = x.a AND s.presence = 'available'
        JOIN users du ON du.id = x.a AND du.deactivated_at IS NULL
        WHERE EXISTS (SELECT 1 FROM shift_intervals si
                      WHERE si.user_id = x.a AND si.starts_at <= (SELECT k.at FROM clock k)
                        AND si.ends_at > (SELECT k.at FROM clock k) + make_interval(secs => x.drain_s))
          AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.ticket_id = x.t AND o.user_id = x.a
                                                   AND o.status IN ('declined', 'expired'))
        ORDER BY x.t, x.i
    ), held AS (  -- what each agent holds now, per kind
        SELECT h.user_id, h.kind, count(*)::integer AS n FROM (
            SELECT t.assignee_id AS user_id, t.kind FROM tickets t
            WHERE t.assignee_id IN (SELECT e.a FROM eligible e) AND t.status IN ('new', 'open', 'pending')
            UNION ALL
            SELECT o.user_id, o.kind FROM offers o
            WHERE o.user_id IN (SELECT e.a FROM eligible e) AND o.status = 'pending'
        ) h GROUP BY h.user_id, h.kind
    ), ranked AS (
        SELECT e.*, u.capacity, u.voice_exclusive,
               coalesce((SELECT h.n FROM held h WHERE h.user_id = e.a AND h.kind = e.kind), 0) AS load,
               coalesce((SELECT sum(h.n) FROM held h WHERE h.user_id = e.a AND h.kind = 'voice'), 0) AS voice,
               coalesce((SELECT sum(h.n) FROM held h WHERE h.user_id = e.a AND h.kind <> 'voice'), 0) AS other,
               row_number() OVER (PARTITION BY e.a, e.kind ORDER BY e.i) AS nth,
               first_value(e.kind) OVER (PARTITION BY e.a ORDER BY e.i) AS first_kind
        FROM eligible e JOIN users u ON u.id = e.a
    ), chosen AS (
        SELECT r.* FROM ranked r
        WHERE r.load + r.nth <= coalesce((r.capacity ->> r.kind)::integer, 0)
          AND (NOT r.voice_exclusive
               OR (r.kind = r.first_kind
                   AND ((r.kind = 'voice' AND r.other = 0) OR (r.kind <> 'voice' AND r.voice = 0))))
    ), made AS (
        INSERT INTO offers (ticket_id, user_id, queue_id, kind, attempt, expires_at, created_at)
        SELECT c.t, c.a, c.q, c.kind, c.attempt, (SELECT k.at FROM clock k) + make_interval(secs => c.timeout_s), (SELECT k.at FROM clock k)
        FROM chosen c ORDER BY c.i
        RETURNING offers.id, offers.ticket_id, offers.user_id, offers.expires_at, offers.attempt
    ), routed AS (
        UPDATE tickets t SET routing = 'offered', attempts = m.attempt
        FROM made m WHERE t.id = m.ticket_id
    ), stamped AS (
        UPDATE agent_state s SET last_offer_at = (SELECT k.at FROM clock k)
        WHERE s.user_id IN (SELECT m.user_id FROM made m)
    ), logged AS (
        INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data, created_at)
        SELECT c.brand_id, 'offer.created', m.ticket_id, m.user_id,
               jsonb_build_object('offer_id', m.id, 'attempt', m.attempt, 'queue_id', c.q), (SELECT k.at FROM clock k)
        FROM made m JOIN chosen c ON c.t = m.ticket_id
    )
    SELECT m.id, m.ticket_id, m.user_id, m.expires_at, m.attempt, c.brand_id
    FROM made m JOIN chosen c ON c.t = m.ticket_id;
END $$;
