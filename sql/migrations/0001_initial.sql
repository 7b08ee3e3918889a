-- The first schema: brands, teams, users and their API tokens, queues, channel accounts,
-- contacts and their platform identities, tickets, messages, delivery receipts, events.
--
-- Conventions: every brand-owned table carries brand_id (so it can later be distributed by
-- brand with Citus); times are timestamptz in UTC; configuration rows use uuid ids (they appear
-- in URLs and must not be guessable), high-volume rows use bigint identities.
--
-- High-volume tables (contacts, identities, tickets, messages, events) carry no foreign key to
-- configuration rows (brands, channel accounts, queues): every insert would take a KEY SHARE
-- lock on the same few parent rows, and concurrent ingest transactions then serialise on
-- MultiXact bookkeeping (measured: about a third of PostgreSQL's CPU per message). Those parents
-- are never deleted, only disabled, and ingest takes their ids from the row it just read.

CREATE TABLE brands (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX brands_name_key ON brands (lower(name));

CREATE TABLE teams (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text NOT NULL CHECK (position('@' in email) > 1),
    name            text NOT NULL DEFAULT '',
    role            text NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    timezone        text NOT NULL DEFAULT 'UTC',
    language        text NOT NULL DEFAULT 'en',
    team_id         uuid REFERENCES teams (id) ON DELETE SET NULL,
    supervisor_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    password_hash   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    deactivated_at  timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Random tokens, stored as SHA-256 of the token. The plain token is shown once.
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE queues (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    brand_id           uuid NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    team_id            uuid REFERENCES teams (id) ON DELETE SET NULL,
    required_skills    jsonb NOT NULL DEFAULT '{}',
    strategy           text NOT NULL DEFAULT 'longest_idle'
                       CHECK (strategy IN ('longest_idle', 'least_occupied', 'round_robin')),
    offer_timeout_s    integer NOT NULL DEFAULT 120 CHECK (offer_timeout_s > 0),
    max_attempts       integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    overflow           jsonb NOT NULL DEFAULT '[]',
    after_hours_reply  text,
    sla_policy_id      uuid,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX queues_brand_name_key ON queues (brand_id, lower(name));

CREATE TABLE channel_accounts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    brand_id     uuid NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    channel      text NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    queue_id     uuid NOT NULL REFERENCES queues (id),
    -- Write-only through the API: secrets the platform gave us (app secret, bot token, ...).
    credentials  jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);
CREATE UNIQUE INDEX channel_accounts_brand_name_key ON channel_accounts (brand_id, channel, lower(name));

CREATE TABLE contacts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    brand_id    uuid NOT NULL,
    name        text NOT NULL DEFAULT '',
    language    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (brand, platform, platform user id). Ingest upserts it first: the row lock taken
-- by that upsert serialises concurrent webhooks of one customer, so two processes cannot both
-- open a ticket for them. The contact row is written later in the same transaction, hence the
-- deferred foreign key.
CREATE TABLE contact_identities (
    brand_id      uuid NOT NULL,
    channel       text NOT NULL,
    external_id   text NOT NULL,
    contact_id    uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE
                  DEFERRABLE INITIALLY DEFERRED,
    display_name  text NOT NULL DEFAULT '',
    username      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (brand_id, channel, external_id)
) WITH (fillfactor = 80);  -- every message refreshes last_seen_at: keep those updates HOT
CREATE INDEX contact_identities_contact_idx ON contact_identities (contact_id);

CREATE TABLE tickets (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id                  uuid NOT NULL,
    channel_account_id        uuid NOT NULL,
    channel                   text NOT NULL,
    queue_id                  uuid NOT NULL,
    contact_id                uuid NOT NULL REFERENCES contacts (id),
    platform_conversation_id  text NOT NULL,
    status                    text NOT NULL DEFAULT 'new'
                              CHECK (status IN ('new', 'open', 'pending', 'solved', 'closed')),
    priority                  text NOT NULL DEFAULT 'normal'
                              CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id               uuid REFERENCES users (id) ON DELETE SET NULL,
    tags                      text[] NOT NULL DEFAULT '{}',
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    last_message_at           timestamptz NOT NULL DEFAULT now(),
    last_inbound_at           timestamptz,
    solved_at                 timestamptz,
    closed_at                 timestamptz,
    reopened_count            integer NOT NULL DEFAULT 0
) WITH (fillfactor = 80);  -- room on each page for HOT updates of last_message_at
-- A customer has at most one active ticket per channel account: new messages join it.
CREATE UNIQUE INDEX tickets_one_active_key ON tickets (channel_account_id, contact_id)
    WHERE status IN ('new', 'open', 'pending');
CREATE INDEX tickets_brand_idx ON tickets (brand_id, id DESC);
CREATE INDEX tickets_queue_status_idx ON tickets (queue_id, status, id DESC);
CREATE INDEX tickets_status_idx ON tickets (status, id DESC);
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id, status, id DESC) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_contact_idx ON tickets (contact_id, created_at DESC);

CREATE TABLE messages (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id               uuid NOT NULL,
    ticket_id              bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    channel_account_id     uuid NOT NULL,
    direction              text NOT NULL CHECK (direction IN ('inbound', 'outbound', 'note')),
    kind                   text NOT NULL DEFAULT 'text',
    platform_message_id    text,
    text                   text,
    attachments            jsonb NOT NULL DEFAULT '[]',
    sender_kind            text NOT NULL CHECK (sender_kind IN ('contact', 'agent', 'system')),
    sender_contact_id      uuid,
    sender_user_id         uuid,
    reply_to_platform_id   text,
    sent_at                timestamptz NOT NULL,
    received_at            timestamptz NOT NULL DEFAULT now(),
    delivery_status        text CHECK (delivery_status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    delivery_error         text
);
-- Invariant 1: a platform message is stored once per channel account, however often it arrives.
CREATE UNIQUE INDEX messages_platform_key ON messages (channel_account_id, platform_message_id);
-- Invariant 6: conversation order is platform time, then arrival.
CREATE INDEX messages_ticket_order_idx ON messages (ticket_id, sent_at, id);

-- Delivery receipts (sent/delivered/read/failed) as the platform reports them. Kept apart from
-- messages because a receipt can arrive before we have recorded the platform id of our own send.
CREATE TABLE delivery_receipts (
    channel_account_id   uuid NOT NULL,
    platform_message_id  text NOT NULL,
    status               text NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error                text,
    reported_at          timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_account_id, platform_message_id)
);

-- Append-only history of everything that happened: ticket created, reopened, status changed,
-- message received, delivery status changed. UPDATE and DELETE are refused by a trigger.
CREATE TABLE events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id       uuid,
    kind           text NOT NULL,
    ticket_id      bigint,
    message_id     bigint,
    actor_user_id  uuid,
    data           jsonb NOT NULL DEFAULT '{}',
    -- clock time, not transaction start: a change made after waiting for a lock is stamped
    -- after the change it waited for, so the history replays in the order it happened.
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_ticket_idx ON events (ticket_id, id) WHERE ticket_id IS NOT NULL;
CREATE INDEX events_brand_idx ON events (brand_id, id);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP;
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- Receipts only move forward: a late "delivered" never overwrites "read".
CREATE FUNCTION delivery_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
                       WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE -1 END
$$;
