-- The board's rollups: 15-minute buckets of arrivals, handled tickets and SLA outcomes, and a
-- snapshot of the running SLA clocks per queue. The worker's sweep refreshes the recent buckets
-- every few seconds and all of them hourly (refresh_board); the board reads whole buckets from
-- here and computes only the edges of a period (and the time since the last refresh) from the
-- raw rows. Reads stay a few hundred rows however many tickets there are.

CREATE TABLE arrival_buckets (
    bucket     timestamptz NOT NULL,  -- 15 minutes starting here, by tickets.created_at
    brand_id   uuid NOT NULL,
    queue_id   uuid NOT NULL,
    channel    text NOT NULL,
    arrived    integer NOT NULL,
    answered   integer NOT NULL,
    in_sl      integer NOT NULL,      -- answered within the queue's service-level threshold
    answer_s   double precision NOT NULL,
    abandoned  integer NOT NULL,
    PRIMARY KEY (bucket, queue_id, channel)
);

CREATE TABLE handled_buckets (
    bucket     timestamptz NOT NULL,  -- by tickets.solved_at
    brand_id   uuid NOT NULL,
    queue_id   uuid NOT NULL,
    channel    text NOT NULL,
    agent_id   uuid NOT NULL,         -- the nil uuid: solved without an assignee
    solved     integer NOT NULL,
    handled    integer NOT NULL,
    handle_s   double precision NOT NULL,
    PRIMARY KEY (bucket, queue_id, channel, agent_id)
);

CREATE TABLE sla_buckets (
    bucket     timestamptz NOT NULL,  -- by stopped_at (done clocks) or breached_at (open ones)
    brand_id   uuid NOT NULL,
    queue_id   uuid NOT NULL,
    channel    text NOT NULL,
    priority   text NOT NULL,
    target     text NOT NULL,
    agent_id   uuid NOT NULL,         -- who met it (or holds the ticket); nil uuid: nobody
    met        integer NOT NULL,
    breached   integer NOT NULL,
    PRIMARY KEY (bucket, queue_id, channel, priority, target, agent_id)
);

CREATE TABLE sla_live (
    queue_id       uuid NOT NULL,
    channel        text NOT NULL,
    priority       text NOT NULL,
    target         text NOT NULL,
    brand_id       uuid NOT NULL,
    running        integer NOT NULL,
    paused         integer NOT NULL,
    at_risk        integer NOT NULL,
    breached_open  integer NOT NULL,
    PRIMARY KEY (queue_id, channel, priority, target)
);

CREATE TABLE board_refresh (
    name          text PRIMARY KEY,     -- 'recent' (every few seconds) or 'all' (hourly)
    covered_from  timestamptz NOT NULL, -- buckets in [covered_from, bucket15(refreshed_at))
    refreshed_at  timestamptz NOT NULL  -- are in the tables as of refreshed_at
);

-- Open clocks that breached: the few rows sla outcomes count before they end.
CREATE INDEX sla_clocks_open_breached_idx ON sla_clocks (breached_at)
    INCLUDE (brand_id, queue_id, channel, priority, target, ticket_id)
    WHERE state <> 'done' AND breached_at IS NOT NULL;

CREATE FUNCTION bucket15(at timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('15 minutes', at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
$$;

-- Recompute the buckets in [p_from, bucket15(now())) and the live snapshot. One refresher at a
-- time (others return false at once); readers see the old rows until it commits.
CREATE FUNCTION refresh_board(p_name text, p_from timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_until timestamptz := bucket15(now());
    v_from timestamptz := bucket15(p_from);
BEGIN
    IF NOT pg_try_advisory_xact_lock(7238114502) THEN
        RETURN false;
    END IF;
    DELETE FROM arrival_buckets WHERE bucket >= v_from AND bucket < v_until;
    INSERT INTO arrival_buckets
    SELECT bucket15(t.created_at), t.brand_id, t.queue_id, t.channel, count(*),
           count(t.first_replied_at),
           count(*) FILTER (WHERE t.first_replied_at <= t.created_at + make_interval(
               secs => coalesce(q.sl_threshold_s,
                                CASE WHEN t.kind IN ('voice', 'chat') THEN 20 ELSE 3600 END))),
           coalesce(sum(extract(epoch FROM t.first_replied_at - t.created_at)), 0),
           count(*) FILTER (WHERE (t.first_replied_at IS NULL AND t.status IN ('solved', 'closed'))
                                  OR 'abandoned' = ANY(t.tags))  -- a caller who hung up in the queue
    FROM tickets t JOIN queues q ON q.id = t.queue_id
    WHERE t.created_at >= v_from AND t.created_at < v_until
    GROUP BY 1, 2, 3, 4;

    DELETE FROM handled_buckets WHERE bucket >= v_from AND bucket < v_until;
    INSERT INTO handled_buckets
    SELECT bucket15(t.solved_at), t.brand_id, t.queue_id, t.channel,
           coalesce(t.assignee_id, '00000000-0000-0000-0000-000000000000'), count(*),
           count(t.assigned_at), coalesce(sum(extract(epoch FROM t.solved_at - t.assigned_at)), 0)
    FROM tickets t
    WHERE t.solved_at >= v_from AND t.solved_at < v_until
    GROUP BY 1, 2, 3, 4, 5;

    DELETE FROM sla_buckets WHERE bucket >= v_from AND bucket < v_until;
    INSERT INTO sla_buckets
    SELECT x.bucket, x.brand_id, x.queue_id, x.channel, x.priority, x.target, x.agent_id,
           sum(x.met), sum(x.breached)
    FROM (
        SELECT bucket15(c.stopped_at) AS bucket, c.brand_id, c.queue_id, c.channel, c.priority,
               c.target, coalesce(c.met_by, '00000000-0000-0000-0000-000000000000') AS agent_id,
               count(*) FILTER (WHERE c.met_at IS NOT NULL AND c.breached_at IS NULL) AS met,
               count(*) FILTER (WHERE c.breached_at IS NOT NULL) AS breached
        FROM sla_clocks c
        WHERE c.state = 'done' AND c.stopped_at >= v_from AND c.stopped_at < v_until
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        UNION ALL
        SELECT bucket15(c.breached_at), c.brand_id, c.queue_id, c.channel, c.priority, c.target,
               coalesce(t.assignee_id, '00000000-0000-0000-0000-000000000000'), 0, count(*)
        FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
        WHERE c.state <> 'done' AND c.breached_at >= v_from AND c.breached_at < v_until
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ) x
    GROUP BY 1, 2, 3, 4, 5, 6, 7;

    DELETE FROM sla_live;
    INSERT INTO sla_live
    SELECT c.queue_id, c.channel, c.priority, c.target, min(c.brand_id::text)::uuid,
           count(*) FILTER (WHERE c.state = 'running'),
           count(*) FILTER (WHERE c.state = 'paused'),
           count(*) FILTER (WHERE c.state = 'running' AND c.stage > 0 AND c.breached_at IS NULL),
           count(*) FILTER (WHERE c.breached_at IS NOT NULL)
    FROM sla_clocks c WHERE c.state <> 'done'
    GROUP BY 1, 2, 3, 4;

    INSERT INTO board_refresh (name, covered_from, refreshed_at) VALUES (p_name, v_from, now())
    ON CONFLICT (name) DO UPDATE SET covered_from = v_from, refreshed_at = now();
    RETURN true;
END $$;
