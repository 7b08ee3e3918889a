-- Routing schema: agents' skills, languages and capacity; presence; shifts; queue routing settings;
-- offers; the routing state of tickets.
--
-- Lock order, for every transaction that locks both: tickets first (by id), then agent_state
-- rows (by user id). Offers, accepts, declines, expiries and supervisor assignments all follow
-- it, so concurrent routers cannot deadlock each other.

CREATE FUNCTION channel_kind(channel text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN channel = 'twilio-voice' THEN 'voice'
        WHEN channel = 'email' THEN 'email'
        WHEN channel IN ('facebook', 'x', 'linkedin', 'youtube', 'flickr', 'google-reviews') THEN 'social'
        ELSE 'chat' END
$$;

ALTER TABLE users
    ADD COLUMN skills          jsonb NOT NULL DEFAULT '{}',      -- {"billing": 3, "german": 2}
    ADD COLUMN languages       text[] NOT NULL DEFAULT '{}',     -- ISO 639-1 codes
    ADD COLUMN capacity        jsonb NOT NULL DEFAULT '{"voice": 1, "chat": 4, "social": 6, "email": 10}',
    ADD COLUMN voice_exclusive boolean NOT NULL DEFAULT true;     -- a call excludes all other work

CREATE TABLE agent_queues (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    queue_id  uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, queue_id)
);
CREATE INDEX agent_queues_queue_idx ON agent_queues (queue_id, user_id);

-- One row per agent who ever set a presence. Its row lock serialises every change to what the
-- agent holds (offers, assignments) and their presence.
CREATE TABLE agent_state (
    user_id           uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    presence          text NOT NULL DEFAULT 'offline' CHECK (presence IN ('available', 'away', 'offline')),
    presence_since    timestamptz NOT NULL DEFAULT now(),
    last_offer_at     timestamptz,     -- round robin: least recently offered first
    last_assigned_at  timestamptz      -- longest idle: least recently given work first
);

-- Weekly patterns in the agent's time zone; materialised into shift_intervals.
CREATE TABLE shift_plans (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    timezone    text NOT NULL,
    weekly      jsonb NOT NULL DEFAULT '[]',
    exceptions  jsonb NOT NULL DEFAULT '[]',
    leave       jsonb NOT NULL DEFAULT '[]',
    holidays    jsonb,                          -- {"country": "DE", "region": "BY"}: off on those days
    updated_at  timestamptz NOT NULL DEFAULT now(),
    materialized_until  timestamptz NOT NULL DEFAULT '-infinity'  -- intervals exist up to here
);

CREATE TABLE shift_intervals (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
    PRIMARY KEY (user_id, starts_at)
);
-- "Who is on shift now" is an index scan: tstzrange(starts_at, ends_at) @> now().
CREATE INDEX shift_intervals_span_idx ON shift_intervals USING gist (tstzrange(starts_at, ends_at));

ALTER TABLE queues
    ADD COLUMN hours              jsonb,           -- NULL: always open; else {timezone, weekly, holidays}
    ADD COLUMN language_required  boolean NOT NULL DEFAULT true,
    ADD COLUMN escalate_after_s   integer NOT NULL DEFAULT 600 CHECK (escalate_after_s > 0),
    ADD COLUMN sticky_s           integer NOT NULL DEFAULT 60 CHECK (sticky_s >= 0),
    ADD COLUMN shift_end_drain_s  integer NOT NULL DEFAULT 600 CHECK (shift_end_drain_s >= 0),
    ADD COLUMN shift_end_policy   text NOT NULL DEFAULT 'keep' CHECK (shift_end_policy IN ('keep', 'requeue'));

ALTER TABLE tickets
    ADD COLUMN kind                    text GENERATED ALWAYS AS (channel_kind(channel)) STORED,
    ADD COLUMN routing                 text NOT NULL DEFAULT 'waiting'
                                       CHECK (routing IN ('waiting', 'offered', 'assigned', 'escalated', 'done')),
    ADD COLUMN queued_at               timestamptz NOT NULL DEFAULT now(),  -- entered its current queue
    ADD COLUMN attempts                integer NOT NULL DEFAULT 0,
    ADD COLUMN last_assignee_id        uuid,        -- sticky routing when the ticket returns
    ADD COLUMN assigned_at             timestamptz, -- when the current assignee got it
    ADD COLUMN sla_due_at              timestamptz, -- earliest running SLA deadline (SLA engine)
    ADD COLUMN after_hours_replied_at  timestamptz;
CREATE INDEX tickets_routing_idx ON tickets (queue_id, queued_at)
    WHERE routing = 'waiting' AND status IN ('new', 'open', 'pending');

CREATE TABLE offers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    queue_id      uuid NOT NULL,
    kind          text NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'cancelled')),
    attempt       integer NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at    timestamptz NOT NULL,
    responded_at  timestamptz
);
-- Invariant 2: a ticket is offered to at most one agent at a time.
CREATE UNIQUE INDEX offers_one_pending_key ON offers (ticket_id) WHERE status = 'pending';
CREATE INDEX offers_user_pending_idx ON offers (user_id) WHERE status = 'pending';
CREATE INDEX offers_expiry_idx ON offers (expires_at) WHERE status = 'pending';
CREATE INDEX offers_ticket_user_idx ON offers (ticket_id, user_id);

-- What an agent holds, per channel kind: assigned active tickets plus pending offers.
CREATE FUNCTION agent_load(p_user uuid) RETURNS TABLE (kind text, n integer) LANGUAGE sql STABLE AS $$
    SELECT x.kind, count(*)::integer FROM (
        SELECT t.kind FROM tickets t
        WHERE t.assignee_id = p_user AND t.status IN ('new', 'open', 'pending')
        UNION ALL
        SELECT o.kind FROM offers o WHERE o.user_id = p_user AND o.status = 'pending'
    ) x GROUP BY x.kind
$$;

-- May this agent take one more ticket of this kind now? Capacity per kind; voice is exclusive
-- both ways when the agent's voice_exclusive is set. The caller holds the agent_state row lock.
CREATE FUNCTION has_room(p_user uuid, p_kind text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_cap jsonb;
    v_exclusive boolean;
    v_this integer := 0;
    v_voice integer := 0;
    v_other integer := 0;
    r record;
BEGIN
    SELECT capacity, voice_exclusive INTO v_cap, v_exclusive FROM users WHERE id = p_user;
    FOR r IN SELECT * FROM agent_load(p_user) LOOP
        IF r.kind = p_kind THEN v_this := r.n; END IF;
        IF r.kind = 'voice' THEN v_voice := v_voice + r.n; ELSE v_other := v_other + r.n; END IF;
    END LOOP;
    IF v_exclusive AND ((p_kind = 'voice' AND v_other > 0) OR (p_kind <> 'voice' AND v_voice > 0)) THEN
        RETURN false;
    END IF;
    RETURN v_this < coalesce((v_cap ->> p_kind)::integer, 0);
END $$;
