-- SLA engine: policies, clocks with a pause ledger, warnings and breaches recorded once; the
-- ticket facts the clocks are computed from; the metrics and coverage settings of a queue.
--
-- The clocks are computed in Python (business calendars, DST, holidays: contactcenter/sla/)
-- from facts on the ticket: awaiting_since (the first customer message not yet answered),
-- first_replied_at / last_replied_at (public agent replies), opened_at (start of the current
-- resolution period), status and priority. Ingest stays one statement: it records the facts
-- and appends the ticket to sla_work, a durable to-do list the worker drains (API changes
-- recompute in their own transaction). Nothing is lost if Redis is: the sweep drains it too.

CREATE TABLE sla_policies (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    brand_id    uuid NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    targets     jsonb NOT NULL,                  -- {priority: {first_response_s, next_response_s, resolution_s}}
    calendar    jsonb,                           -- NULL: 24/7; else {timezone, hours, holidays}
    pause_on    text[] NOT NULL DEFAULT '{pending}',
    warn_at     double precision[] NOT NULL DEFAULT '{0.5,0.8}',  -- fractions of the target
    channels    text[] NOT NULL DEFAULT '{}',    -- the brand's policy for these channels
    is_default  boolean NOT NULL DEFAULT false,  -- the brand's policy when nothing else applies
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sla_policies_brand_name_key ON sla_policies (brand_id, lower(name));
CREATE UNIQUE INDEX sla_policies_brand_default_key ON sla_policies (brand_id) WHERE is_default;

ALTER TABLE queues
    ADD CONSTRAINT queues_sla_policy_fk FOREIGN KEY (sla_policy_id) REFERENCES sla_policies (id),
    -- Service level: answered within sl_threshold_s (NULL: 20 s for voice and chat, 1 h for
    -- social and e-mail) for sl_target of arrivals. Coverage: shrinkage and maximum occupancy.
    ADD COLUMN sl_threshold_s  integer CHECK (sl_threshold_s > 0),
    ADD COLUMN sl_target       double precision NOT NULL DEFAULT 0.8 CHECK (sl_target > 0 AND sl_target < 1),
    ADD COLUMN shrinkage       double precision NOT NULL DEFAULT 0.3 CHECK (shrinkage >= 0 AND shrinkage < 1),
    ADD COLUMN max_occupancy   double precision NOT NULL DEFAULT 0.85 CHECK (max_occupancy > 0 AND max_occupancy <= 1),
    -- An admin's forecast: {"interval_min": 30, "weekly": {"mon": [arrivals per interval, ...]}, "aht_s": 240}
    ADD COLUMN forecast        jsonb;

ALTER TABLE tickets
    ADD COLUMN awaiting_since    timestamptz,   -- first customer message since the last agent reply
    ADD COLUMN first_replied_at  timestamptz,   -- first public agent reply (first response, ASA)
    ADD COLUMN last_replied_at   timestamptz,
    ADD COLUMN last_replied_by   uuid,
    ADD COLUMN opened_at         timestamptz NOT NULL DEFAULT now();  -- resolution period start
CREATE INDEX tickets_sla_due_idx ON tickets (sla_due_at) WHERE sla_due_at IS NOT NULL;
-- Metrics from index-only scans: arrivals per period (service level, ASA, abandons), handled
-- per period (AHT), and the waiting now (count, longest wait). Their included columns change
-- at most a few times per ticket (reply, assignment, status), never per message.
CREATE INDEX tickets_created_idx ON tickets (created_at)
    INCLUDE (brand_id, queue_id, channel, kind, status, first_replied_at);
CREATE INDEX tickets_solved_idx ON tickets (solved_at)
    INCLUDE (brand_id, queue_id, channel, assigned_at, assignee_id) WHERE solved_at IS NOT NULL;
CREATE INDEX tickets_waiting_idx ON tickets (queue_id, created_at)
    INCLUDE (queued_at, channel, priority)
    WHERE assignee_id IS NULL AND status IN ('new', 'open');
CREATE INDEX offers_user_created_idx ON offers (user_id, created_at);

-- Tickets whose clocks must be recomputed (appended by ingest; drained by the worker).
CREATE TABLE sla_work (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()   -- when the fact changed
);

-- One row per target and period: first_response once per ticket, next_response per customer
-- turn, resolution per (re)opening. State: running, paused or done; the outcome of a done
-- clock is met (done, breached_at NULL, met_at set), breached (breached_at set) or stopped
-- (solved without a reply: neither met nor breached).
CREATE TABLE sla_clocks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id     uuid NOT NULL,
    ticket_id    bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    target       text NOT NULL CHECK (target IN ('first_response', 'next_response', 'resolution')),
    started_at   timestamptz NOT NULL,
    policy_id    uuid NOT NULL,
    -- denormalised for metrics: where the ticket was when the clock last changed
    queue_id     uuid NOT NULL,
    channel      text NOT NULL,
    priority     text NOT NULL,
    target_s     integer NOT NULL CHECK (target_s > 0),
    consumed_s   double precision NOT NULL DEFAULT 0,  -- business seconds used before resumed_at
    resumed_at   timestamptz,                          -- start of the running segment
    due_at       timestamptz,                          -- NULL while paused or done
    state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused', 'done')),
    stage        smallint NOT NULL DEFAULT 0,          -- warning stages passed (breach: all)
    next_fire_at timestamptz,                          -- next warning or the breach
    breached_at  timestamptz,
    met_at       timestamptz,
    met_by       uuid,                                 -- the agent whose reply or solve met it
    stopped_at   timestamptz,
    stop_reason  text,
    UNIQUE (ticket_id, target, started_at)
);
CREATE INDEX sla_clocks_fire_idx ON sla_clocks (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX sla_clocks_open_idx ON sla_clocks (ticket_id) WHERE state <> 'done';
-- Metrics: outcomes per period, and the running clocks now (index-only scans).
CREATE INDEX sla_clocks_stopped_idx ON sla_clocks (stopped_at)
    INCLUDE (brand_id, target, queue_id, channel, priority, breached_at, met_at, met_by)
    WHERE state = 'done';
CREATE INDEX sla_clocks_live_idx ON sla_clocks (queue_id)
    INCLUDE (brand_id, target, channel, priority, state, stage, breached_at)
    WHERE state <> 'done';

-- The pause ledger: when a clock stopped counting, why, and for how long.
CREATE TABLE sla_pauses (
    clock_id    bigint NOT NULL REFERENCES sla_clocks (id) ON DELETE CASCADE,
    paused_at   timestamptz NOT NULL,
    resumed_at  timestamptz,
    reason      text NOT NULL,
    PRIMARY KEY (clock_id, paused_at)
);

-- Every warning (stage 1..n) and breach (stage 0) of a clock, once: the primary key makes a
-- second worker's insert a no-op even if it raced past the row lock.
CREATE TABLE sla_alerts (
    clock_id    bigint NOT NULL REFERENCES sla_clocks (id) ON DELETE CASCADE,
    stage       smallint NOT NULL,
    brand_id    uuid NOT NULL,
    ticket_id   bigint NOT NULL,
    target      text NOT NULL,
    due_at      timestamptz NOT NULL,   -- the instant it was due (warning: that stage's instant)
    fired_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (clock_id, stage)
);
CREATE INDEX sla_alerts_brand_idx ON sla_alerts (brand_id, fired_at);

-- Ingest records the SLA facts and appends to sla_work (same function as 0003 otherwise).
CREATE OR REPLACE FUNCTION ingest_messages(
    p_brand uuid[], p_account uuid[], p_channel text[], p_queue uuid[],
    p_sender text[], p_sender_name text[], p_username text[], p_language text[],
    p_conversation text[], p_platform_id text[], p_kind text[], p_text text[],
    p_attachments text[], p_reply_to text[], p_sent_at timestamptz[],
    p_reopen_window_s double precision
) RETURNS TABLE (o_idx bigint, o_message_id bigint, o_ticket_id bigint, o_event text)
LANGUAGE plpgsql
-- Plan once per session. With array parameters the planner otherwise re-plans these statements
-- on every call (custom plans), which measured 2.1 ms of PostgreSQL CPU per call against 0.75.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_contact uuid[];
    v_fresh boolean[];
BEGIN
    WITH input AS (
        SELECT DISTINCT ON (t.b, t.ch, t.s) t.b, t.ch, t.s, t.nm, t.un, t.lang
        FROM unnest(p_brand, p_channel, p_sender, p_sender_name, p_username, p_language)
             WITH ORDINALITY AS t (b, ch, s, nm, un, lang, i)
        ORDER BY t.b, t.ch, t.s, t.i DESC  -- the latest message's name wins
    ), up AS (
        INSERT INTO contact_identities AS ci (brand_id, channel, external_id, contact_id, display_name, username)
        SELECT input.b, input.ch, input.s, gen_random_uuid(), coalesce(input.nm, ''), input.un
        FROM input ORDER BY input.b, input.ch, input.s
        ON CONFLICT (brand_id, channel, external_id) DO UPDATE
            SET display_name = CASE WHEN EXCLUDED.display_name <> '' THEN EXCLUDED.display_name
                                    ELSE ci.display_name END,
                username = coalesce(EXCLUDED.username, ci.username),
                last_seen_at = now()
        RETURNING ci.brand_id, ci.channel, ci.external_id, ci.contact_id, ci.display_name,
                  (ci.xmax = 0) AS created
    ), new_contacts AS (
        INSERT INTO contacts (id, brand_id, name, language)
        SELECT up.contact_id, up.brand_id, up.display_name, input.lang
        FROM up JOIN input ON input.b = up.brand_id AND input.ch = up.channel AND input.s = up.external_id
        WHERE up.created
    )
    SELECT array_agg(up.contact_id ORDER BY t.i) INTO v_contact
    FROM unnest(p_brand, p_channel, p_sender) WITH ORDINALITY AS t (b, ch, s, i)
    JOIN up ON up.brand_id = t.b AND up.channel = t.ch AND up.external_id = t.s;

    -- Lock the tickets these customers' messages may join, by id (the order every routing path
    -- uses), so an agent's or supervisor's status change cannot slip in between our decision
    -- and our write (they do not take identity locks).
    PERFORM 1 FROM tickets t
    WHERE t.contact_id = ANY(v_contact) AND t.channel_account_id = ANY(p_account)
      AND (t.status IN ('new', 'open', 'pending')
           OR (t.status = 'solved' AND t.solved_at > now() - make_interval(secs => p_reopen_window_s)))
    ORDER BY t.id
    FOR UPDATE;

    -- A new statement, so a new snapshot: copies committed while we waited for a lock are seen.
    SELECT array_agg(m.id IS NULL AND t.rn = 1 ORDER BY t.i) INTO v_fresh
    FROM (SELECT u.a, u.pid, u.i, row_number() OVER (PARTITION BY u.a, u.pid ORDER BY u.i) AS rn
          FROM unnest(p_account, p_platform_id) WITH ORDINALITY AS u (a, pid, i)) t
    LEFT JOIN LATERAL (
        SELECT m.id FROM messages m
        WHERE m.channel_account_id = t.a AND m.platform_message_id = t.pid
        LIMIT 1
    ) m ON true;

    RETURN QUERY
    WITH msg AS (
        SELECT u.*
        FROM unnest(p_account, v_contact, p_brand, p_channel, p_queue, p_conversation, p_platform_id,
                    p_kind, p_text, p_attachments, p_reply_to, p_sent_at, v_fresh)
             WITH ORDINALITY AS u (a, c, b, ch, q, conv, pid, kind, txt, att, reply, sent, fresh, i)
        WHERE u.fresh
    ), pairs AS (
        SELECT DISTINCT ON (m.a, m.c) m.a, m.c, m.b, m.ch, m.q, m.conv, m.i AS first_i
        FROM msg m ORDER BY m.a, m.c, m.i
    ), latest AS (
        SELECT m.a, m.c, max(m.sent) AS sent FROM msg m GROUP BY m.a, m.c
    ), cur AS (  -- one index probe per pair, however many tickets are open
        SELECT p.a, p.c, t.id, t.status, t.awaiting_since
        FROM pairs p
        CROSS JOIN LATERAL (
            SELECT t.id, t.status, t.awaiting_since FROM tickets t
            WHERE t.contact_id = p.c AND t.channel_account_id = p.a
              AND (t.status IN ('new', 'open', 'pending')
                   OR (t.status = 'solved' AND t.solved_at > now() - make_interval(secs => p_reopen_window_s)))
            ORDER BY (t.status <> 'solved') DESC, t.id DESC
            LIMIT 1
        ) t
    ), touched AS (
        UPDATE tickets t
        SET status = CASE WHEN cur.status IN ('solved', 'pending') THEN 'open' ELSE t.status END,
            solved_at = CASE WHEN cur.status = 'solved' THEN NULL ELSE t.solved_at END,
            reopened_count = t.reopened_count + (cur.status = 'solved')::integer,
            -- A reopened ticket is routed again (its last agent first, see sticky routing): handing
            -- it straight back could put that agent over capacity.
            routing = CASE WHEN cur.status = 'solved' THEN 'waiting' ELSE t.routing END,
            queued_at = CASE WHEN cur.status = 'solved' THEN now() ELSE t.queued_at END,
            attempts = CASE WHEN cur.status = 'solved' THEN 0 ELSE t.attempts END,
            last_assignee_id = CASE WHEN cur.status = 'solved' THEN coalesce(t.assignee_id, t.last_assignee_id)
                                    ELSE t.last_assignee_id END,
            assignee_id = CASE WHEN cur.status = 'solved' THEN NULL ELSE t.assignee_id END,
            last_message_at = now(),
            last_inbound_at = greatest(t.last_inbound_at, l.sent),
            -- SLA facts: the customer waits for an answer from their first unanswered message;
            -- a reopen starts a new resolution period.
            awaiting_since = coalesce(t.awaiting_since, now()),
            opened_at = CASE WHEN cur.status = 'solved' THEN now() ELSE t.opened_at END,
            updated_at = now()
        FROM cur JOIN latest l ON l.a = cur.a AND l.c = cur.c
        WHERE t.id = cur.id
        RETURNING t.id
    ), created AS (
        INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id,
                             platform_conversation_id, last_inbound_at, awaiting_since)
        SELECT p.b, p.a, p.ch, p.q, p.c, p.conv, l.sent, now()
        FROM pairs p JOIN latest l ON l.a = p.a AND l.c = p.c
        WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.a = p.a AND cur.c = p.c)
        RETURNING tickets.id, tickets.channel_account_id AS a, tickets.contact_id AS c
    ), resolved AS (
        SELECT p.a, p.c, p.b, p.ch, p.q, p.first_i, coalesce(cur.id, created.id) AS tid,
               (cur.id IS NULL OR cur.awaiting_since IS NULL OR cur.status IN ('solved', 'pending')) AS sla_changed,
               CASE WHEN created.id IS NOT NULL THEN 'ticket.created'
                    WHEN cur.status = 'solved' THEN 'ticket.reopened'
                    WHEN cur.status = 'pending' THEN 'ticket.status_changed' END AS ev
        FROM pairs p
        LEFT JOIN cur ON cur.a = p.a AND cur.c = p.c
        LEFT JOIN created ON created.a = p.a AND created.c = p.c
    ), logged AS (
        INSERT INTO events (brand_id, kind, ticket_id, data)
        SELECT r.b, r.ev, r.tid,
               jsonb_build_object('channel', r.ch, 'queue_id', r.q)
               || CASE WHEN r.ev = 'ticket.status_changed'
                       THEN '{"from": "pending", "to": "open", "reason": "customer_replied"}'::jsonb
                       ELSE '{}'::jsonb END
        FROM resolved r WHERE r.ev IS NOT NULL
    ), sla AS (  -- the SLA engine recomputes these tickets' clocks (workers/sla.py)
        INSERT INTO sla_work (ticket_id, at)
        SELECT r.tid, now() FROM resolved r WHERE r.sla_changed
    ), ins AS (
        INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, kind,
                              platform_message_id, text, attachments, sender_kind,
                              sender_contact_id, reply_to_platform_id, sent_at)
        SELECT m.b, r.tid, m.a, 'inbound', m.kind, m.pid, m.txt, m.att::jsonb, 'contact', m.c, m.reply, m.sent
        FROM msg m JOIN resolved r ON r.a = m.a AND r.c = m.c
        ORDER BY m.i
        ON CONFLICT (channel_account_id, platform_message_id) DO NOTHING
        RETURNING messages.id, messages.channel_account_id AS a, messages.platform_message_id AS pid
    )
    SELECT u.i, ins.id, r.tid, CASE WHEN r.first_i = u.i THEN r.ev END
    FROM unnest(p_account, v_contact, p_platform_id, v_fresh) WITH ORDINALITY AS u (a, c, pid, fresh, i)
    LEFT JOIN resolved r ON u.fresh AND r.a = u.a AND r.c = u.c
    LEFT JOIN ins ON u.fresh AND ins.a = u.a AND ins.pid = u.pid
    ORDER BY u.i;
END
$$;
