-- The routing state changes, each one transaction that re-checks its guards under row locks.
-- Lock order everywhere: tickets (by id), then agent_state (by user id).
-- Result codes are returned, not raised, so callers can tell "lost a race" from an error.

-- Offer tickets to agents: one (ticket, agent) pair per array position, as planned by the router
-- from a snapshot. After taking the locks, one statement (so one snapshot that sees every
-- change committed before them) keeps a pair only if the ticket is still waiting in that
-- queue, the agent never declined it or let it expire, is available, is on shift for longer
-- than the queue's drain time, and has room: capacity per kind counts what they hold plus the
-- pairs before this one in the batch; with voice_exclusive, a call excludes other work.
-- Custom plans (no forced generic plan): one call places a whole routing pass, and plans built
-- while a table was still empty must not stick.
CREATE FUNCTION create_offers(
    p_ticket bigint[], p_user uuid[], p_queue uuid[], p_timeout_s integer[], p_drain_s integer[]
) RETURNS TABLE (o_offer_id bigint, o_ticket_id bigint, o_user_id uuid, o_expires_at timestamptz,
                 o_attempt integer, o_brand_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
BEGIN
    PERFORM 1 FROM tickets WHERE id = ANY(p_ticket) ORDER BY id FOR UPDATE;
    PERFORM 1 FROM agent_state WHERE user_id = ANY(p_user) ORDER BY user_id FOR UPDATE;
    v_now := clock_timestamp();
    RETURN QUERY
    WITH input AS (
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
                      WHERE si.user_id = x.a AND si.starts_at <= v_now
                        AND si.ends_at > v_now + make_interval(secs => x.drain_s))
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
        SELECT c.t, c.a, c.q, c.kind, c.attempt, v_now + make_interval(secs => c.timeout_s), v_now
        FROM chosen c ORDER BY c.i
        RETURNING offers.id, offers.ticket_id, offers.user_id, offers.expires_at, offers.attempt
    ), routed AS (
        UPDATE tickets t SET routing = 'offered', attempts = m.attempt
        FROM made m WHERE t.id = m.ticket_id
    ), stamped AS (
        UPDATE agent_state s SET last_offer_at = v_now
        WHERE s.user_id IN (SELECT m.user_id FROM made m)
    ), logged AS (
        INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data, created_at)
        SELECT c.brand_id, 'offer.created', m.ticket_id, m.user_id,
               jsonb_build_object('offer_id', m.id, 'attempt', m.attempt, 'queue_id', c.q), v_now
        FROM made m JOIN chosen c ON c.t = m.ticket_id
    )
    SELECT m.id, m.ticket_id, m.user_id, m.expires_at, m.attempt, c.brand_id
    FROM made m JOIN chosen c ON c.t = m.ticket_id;
END $$;

-- Accept: the ticket becomes the agent's. The offer already reserved the capacity.
CREATE FUNCTION accept_offer(p_offer bigint, p_user uuid)
RETURNS TABLE (o_result text, o_ticket_id bigint, o_brand_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    v_ticket bigint;
    v_owner uuid;
    v_status text;
    v_expires timestamptz;
BEGIN
    SELECT ticket_id, user_id INTO v_ticket, v_owner FROM offers WHERE id = p_offer;
    IF NOT FOUND OR v_owner <> p_user THEN
        o_result := 'not_found'; RETURN NEXT; RETURN;
    END IF;
    PERFORM 1 FROM tickets WHERE id = v_ticket FOR UPDATE;
    PERFORM 1 FROM agent_state WHERE user_id = p_user FOR UPDATE;
    SELECT status, expires_at INTO v_status, v_expires FROM offers WHERE id = p_offer;
    o_ticket_id := v_ticket;
    IF v_status <> 'pending' THEN
        o_result := v_status; RETURN NEXT; RETURN;
    END IF;
    IF v_expires <= clock_timestamp() THEN
        o_result := 'expired'; RETURN NEXT; RETURN;
    END IF;
    UPDATE offers SET status = 'accepted', responded_at = clock_timestamp() WHERE id = p_offer;
    UPDATE tickets
    SET assignee_id = p_user, routing = 'assigned', updated_at = now(), assigned_at = clock_timestamp(),
        status = CASE WHEN status = 'new' THEN 'open' ELSE status END
    WHERE id = v_ticket
    RETURNING brand_id INTO o_brand_id;
    UPDATE agent_state SET last_assigned_at = clock_timestamp() WHERE user_id = p_user;
    INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data)
    VALUES (o_brand_id, 'offer.accepted', v_ticket, p_user, jsonb_build_object('offer_id', p_offer));
    o_result := 'accepted';
    RETURN NEXT;
END $$;

-- Decline, expire or cancel a pending offer; the ticket waits again (keeping its age), or is
-- escalated once it has used the queue's attempts. An expired offer sets the agent away.
-- A cancelled offer (agent went away, ticket moved) does not count as an attempt.
CREATE FUNCTION release_offer(p_offer bigint, p_user uuid, p_outcome text)
RETURNS TABLE (o_result text, o_ticket_id bigint, o_queue_id uuid, o_brand_id uuid,
               o_escalated boolean, o_agent_away boolean, o_user_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    v_ticket bigint;
    v_owner uuid;
    v_status text;
    v_expires timestamptz;
    v_routing text;
    v_attempts integer;
    v_max integer;
BEGIN
    SELECT ticket_id, user_id INTO v_ticket, v_owner FROM offers WHERE id = p_offer;
    IF NOT FOUND OR (p_user IS NOT NULL AND v_owner <> p_user) THEN
        o_result := 'not_found'; RETURN NEXT; RETURN;
    END IF;
    PERFORM 1 FROM tickets WHERE id = v_ticket FOR UPDATE;
    PERFORM 1 FROM agent_state WHERE user_id = v_owner FOR UPDATE;
    SELECT status, expires_at INTO v_status, v_expires FROM offers WHERE id = p_offer;
    o_ticket_id := v_ticket; o_escalated := false; o_agent_away := false; o_user_id := v_owner;
    IF v_status <> 'pending' THEN
        o_result := v_status; RETURN NEXT; RETURN;
    END IF;
    IF p_outcome = 'expired' AND v_expires > clock_timestamp() THEN
        o_result := 'not_due'; RETURN NEXT; RETURN;
    END IF;
    UPDATE offers SET status = p_outcome, responded_at = clock_timestamp() WHERE id = p_offer;
    SELECT t.routing, t.attempts, t.queue_id, t.brand_id, q.max_attempts
    INTO v_routing, v_attempts, o_queue_id, o_brand_id, v_max
    FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = v_ticket;
    IF p_outcome = 'cancelled' THEN
        v_attempts := v_attempts - 1;
    END IF;
    IF v_routing = 'offered' THEN
        o_escalated := p_outcome <> 'cancelled' AND v_attempts >= v_max;
        UPDATE tickets
        SET routing = CASE WHEN o_escalated THEN 'escalated' ELSE 'waiting' END, attempts = v_attempts
        WHERE id = v_ticket;
    END IF;
    INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data)
    VALUES (o_brand_id, 'offer.' || p_outcome, v_ticket, v_owner,
            jsonb_build_object('offer_id', p_offer, 'attempts', v_attempts));
    IF o_escalated THEN
        INSERT INTO events (brand_id, kind, ticket_id, data)
        VALUES (o_brand_id, 'ticket.escalated', v_ticket,
                jsonb_build_object('queue_id', o_queue_id, 'attempts', v_attempts));
    END IF;
    IF p_outcome = 'expired' THEN
        UPDATE agent_state SET presence = 'away', presence_since = clock_timestamp()
        WHERE user_id = v_owner AND presence = 'available';
        o_agent_away := FOUND;
        IF o_agent_away THEN
            INSERT INTO events (brand_id, kind, actor_user_id, data)
            VALUES (o_brand_id, 'presence.changed', v_owner,
                    '{"from": "available", "to": "away", "reason": "offer_timeout"}'::jsonb);
        END IF;
    END IF;
    o_result := p_outcome;
    RETURN NEXT;
END $$;

-- Set an agent's presence (locks only the agent's row). When an agent leaves `available`, the
-- caller then cancels their pending offers one by one with release_offer(), which takes the
-- ticket lock first; meanwhile no new offer can reach them. Returns the previous presence.
CREATE FUNCTION set_presence(p_user uuid, p_presence text, p_reason text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_previous text;
BEGIN
    INSERT INTO agent_state (user_id) VALUES (p_user) ON CONFLICT DO NOTHING;
    SELECT presence INTO v_previous FROM agent_state WHERE user_id = p_user FOR UPDATE;
    IF v_previous <> p_presence THEN
        UPDATE agent_state SET presence = p_presence, presence_since = clock_timestamp()
        WHERE user_id = p_user;
        INSERT INTO events (kind, actor_user_id, data)
        VALUES ('presence.changed', p_user,
                jsonb_build_object('from', v_previous, 'to', p_presence, 'reason', p_reason));
    END IF;
    RETURN v_previous;
END $$;

-- Supervisor assignment (also reassignment). Capacity is respected unless p_override.
CREATE FUNCTION assign_ticket(p_ticket bigint, p_user uuid, p_actor uuid, p_override boolean)
RETURNS TABLE (o_result text, o_brand_id uuid, o_previous uuid, o_cancelled_offer bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_kind text;
BEGIN
    SELECT status, kind, brand_id, assignee_id INTO v_status, v_kind, o_brand_id, o_previous
    FROM tickets WHERE id = p_ticket FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found'; RETURN NEXT; RETURN;
    END IF;
    IF v_status NOT IN ('new', 'open', 'pending') THEN
        o_result := 'not_active'; RETURN NEXT; RETURN;
    END IF;
    IF o_previous = p_user THEN
        o_result := 'unchanged'; RETURN NEXT; RETURN;
    END IF;
    INSERT INTO agent_state (user_id) VALUES (p_user) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM agent_state WHERE user_id = p_user FOR UPDATE;
    UPDATE offers SET status = 'cancelled', responded_at = clock_timestamp()
    WHERE ticket_id = p_ticket AND status = 'pending'
    RETURNING id INTO o_cancelled_offer;
    IF NOT p_override AND NOT has_room(p_user, v_kind) THEN
        -- Undo the offer cancellation above with the rest of the transaction.
        RAISE EXCEPTION 'no_capacity' USING ERRCODE = 'P0001';
    END IF;
    UPDATE tickets
    SET assignee_id = p_user, routing = 'assigned', last_assignee_id = coalesce(o_previous, last_assignee_id),
        assigned_at = clock_timestamp(),
        status = CASE WHEN status = 'new' THEN 'open' ELSE status END, updated_at = now()
    WHERE id = p_ticket;
    INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data)
    VALUES (o_brand_id, 'ticket.assigned', p_ticket, p_actor,
            jsonb_build_object('from', o_previous, 'to', p_user, 'override', p_override));
    o_result := 'assigned';
    RETURN NEXT;
END $$;

-- Back to waiting in a queue (a transfer, a supervisor's unassign, a shift end with the
-- queue's `requeue` policy): unassigned, any pending offer cancelled, attempts reset; the
-- ticket keeps its age (created_at) and restarts its time in the queue.
CREATE FUNCTION requeue_ticket(p_ticket bigint, p_queue uuid, p_actor uuid, p_reason text)
RETURNS TABLE (o_result text, o_brand_id uuid, o_from_queue uuid, o_previous uuid)
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
BEGIN
    SELECT status, brand_id, queue_id, assignee_id INTO v_status, o_brand_id, o_from_queue, o_previous
    FROM tickets WHERE id = p_ticket FOR UPDATE;
    IF NOT FOUND THEN
        o_result := 'not_found'; RETURN NEXT; RETURN;
    END IF;
    IF v_status NOT IN ('new', 'open', 'pending') THEN
        o_result := 'not_active'; RETURN NEXT; RETURN;
    END IF;
    UPDATE offers SET status = 'cancelled', responded_at = clock_timestamp()
    WHERE ticket_id = p_ticket AND status = 'pending';
    UPDATE tickets
    SET queue_id = p_queue, routing = 'waiting', attempts = 0, assignee_id = NULL,
        last_assignee_id = coalesce(assignee_id, last_assignee_id),
        queued_at = CASE WHEN queue_id = p_queue THEN queued_at ELSE now() END, updated_at = now()
    WHERE id = p_ticket;
    INSERT INTO events (brand_id, kind, ticket_id, actor_user_id, data)
    VALUES (o_brand_id, CASE WHEN o_from_queue = p_queue THEN 'ticket.requeued' ELSE 'ticket.transferred' END,
            p_ticket, p_actor,
            jsonb_build_object('from_queue', o_from_queue, 'to_queue', p_queue,
                               'previous_assignee', o_previous, 'reason', p_reason));
    o_result := 'requeued';
    RETURN NEXT;
END $$;
