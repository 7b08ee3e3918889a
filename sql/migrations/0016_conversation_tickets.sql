-- A ticket is one conversation, not one customer: the same person's DM and their public
-- mention on X, their Instagram DM and their comment under a post, two YouTube threads or two
-- e-mail threads are separate tickets, so a reply always goes back where the customer wrote
-- (never a private answer into a public thread). The active-ticket key and ingest's ticket
-- lookup gain the platform conversation; for one-conversation channels (WhatsApp, SMS, …) the
-- conversation is the sender, so nothing changes there.
DROP INDEX tickets_one_active_key;
CREATE UNIQUE INDEX tickets_one_active_key
    ON tickets (channel_account_id, contact_id, platform_conversation_id)
    WHERE status IN ('new', 'open', 'pending');

-- E-mail replies go to the address of the customer's latest mail in the thread.
ALTER TABLE email_threads ADD COLUMN from_address text;

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
      AND t.platform_conversation_id = ANY(p_conversation)
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
        SELECT DISTINCT ON (m.a, m.c, m.conv) m.a, m.c, m.b, m.ch, m.q, m.conv, m.i AS first_i
        FROM msg m ORDER BY m.a, m.c, m.conv, m.i
    ), latest AS (
        SELECT m.a, m.c, m.conv, max(m.sent) AS sent FROM msg m GROUP BY m.a, m.c, m.conv
    ), cur AS (  -- one index probe per pair, however many tickets are open
        SELECT p.a, p.c, p.conv, t.id, t.status, t.awaiting_since
        FROM pairs p
        CROSS JOIN LATERAL (
            SELECT t.id, t.status, t.awaiting_since FROM tickets t
            WHERE t.contact_id = p.c AND t.channel_account_id = p.a
              AND t.platform_conversation_id = p.conv
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
        FROM cur JOIN latest l ON l.a = cur.a AND l.c = cur.c AND l.conv = cur.conv
        WHERE t.id = cur.id
        RETURNING t.id
    ), created AS (
        INSERT INTO tickets (brand_id, channel_account_id, channel, queue_id, contact_id,
                             platform_conversation_id, last_inbound_at, awaiting_since)
        SELECT p.b, p.a, p.ch, p.q, p.c, p.conv, l.sent, now()
        FROM pairs p JOIN latest l ON l.a = p.a AND l.c = p.c AND l.conv = p.conv
        WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.a = p.a AND cur.c = p.c AND cur.conv = p.conv)
        RETURNING tickets.id, tickets.channel_account_id AS a, tickets.contact_id AS c,
                  tickets.platform_conversation_id AS conv
    ), resolved AS (
        SELECT p.a, p.c, p.conv, p.b, p.ch, p.q, p.first_i, coalesce(cur.id, created.id) AS tid,
               (cur.id IS NULL OR cur.awaiting_since IS NULL OR cur.status IN ('solved', 'pending')) AS sla_changed,
               CASE WHEN created.id IS NOT NULL THEN 'ticket.created'
                    WHEN cur.status = 'solved' THEN 'ticket.reopened'
                    WHEN cur.status = 'pending' THEN 'ticket.status_changed' END AS ev
        FROM pairs p
        LEFT JOIN cur ON cur.a = p.a AND cur.c = p.c AND cur.conv = p.conv
        LEFT JOIN created ON created.a = p.a AND created.c = p.c AND created.conv = p.conv
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
        FROM msg m JOIN resolved r ON r.a = m.a AND r.c = m.c AND r.conv = m.conv
        ORDER BY m.i
        ON CONFLICT (channel_account_id, platform_message_id) DO NOTHING
        RETURNING messages.id, messages.channel_account_id AS a, messages.platform_message_id AS pid
    )
    SELECT u.i, ins.id, r.tid, CASE WHEN r.first_i = u.i THEN r.ev END
    FROM unnest(p_account, v_contact, p_conversation, p_platform_id, v_fresh)
         WITH ORDINALITY AS u (a, c, conv, pid, fresh, i)
    LEFT JOIN resolved r ON u.fresh AND r.a = u.a AND r.c = u.c AND r.conv = u.conv
    LEFT JOIN ins ON u.fresh AND ins.a = u.a AND ins.pid = u.pid
    ORDER BY u.i;
END
$$;

-- Merging: a conflict is two open tickets of one conversation on one account.
CREATE OR REPLACE FUNCTION merge_contacts(p_into uuid, p_from uuid, p_reason text, p_actor uuid)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_brand uuid;
    v_identities jsonb;
    v_tickets bigint[];
    v_id bigint;
BEGIN
    PERFORM 1 FROM contacts WHERE id IN (p_into, p_from) ORDER BY id FOR UPDATE;
    SELECT brand_id INTO v_brand FROM contacts
    WHERE id = p_from AND merged_into IS NULL
      AND brand_id = (SELECT brand_id FROM contacts WHERE id = p_into AND merged_into IS NULL);
    IF v_brand IS NULL OR p_into = p_from THEN
        RETURN NULL;  -- merged already, another brand, or the same contact
    END IF;
    IF EXISTS (SELECT 1 FROM tickets a JOIN tickets b ON b.channel_account_id = a.channel_account_id
                                             AND b.platform_conversation_id = a.platform_conversation_id
               WHERE a.contact_id = p_into AND b.contact_id = p_from
                 AND a.status IN ('new', 'open', 'pending') AND b.status IN ('new', 'open', 'pending')) THEN
        RAISE EXCEPTION 'open_ticket_conflict';
    END IF;
    WITH moved AS (
        UPDATE contact_identities SET contact_id = p_into WHERE contact_id = p_from
        RETURNING channel, external_id
    ) SELECT coalesce(jsonb_agg(jsonb_build_object('channel', channel, 'external_id', external_id)), '[]')
      INTO v_identities FROM moved;
    WITH moved AS (
        UPDATE tickets SET contact_id = p_into WHERE contact_id = p_from RETURNING id
    ) SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_tickets FROM moved;
    UPDATE messages SET sender_contact_id = p_into
    WHERE ticket_id = ANY(v_tickets) AND sender_contact_id = p_from;
    UPDATE contacts SET merged_into = p_into, updated_at = now() WHERE id = p_from;
    UPDATE contacts SET merged_into = p_into WHERE merged_into = p_from;  -- keep chains flat
    INSERT INTO contact_merges (brand_id, into_id, from_id, reason, actor_user_id, identities, ticket_ids)
    VALUES (v_brand, p_into, p_from, p_reason, p_actor, v_identities, v_tickets)
    RETURNING id INTO v_id;
    INSERT INTO events (brand_id, kind, actor_user_id, data)
    VALUES (v_brand, 'contact.merged', p_actor, jsonb_build_object(
        'into', p_into, 'from', p_from, 'reason', p_reason, 'tickets', to_jsonb(v_tickets)));
    RETURN v_id;
END $$;
