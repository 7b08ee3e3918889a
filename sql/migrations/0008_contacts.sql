-- Contacts across platforms: a person who writes on WhatsApp and by SMS from the same number
-- is one contact. Identities whose platform verified a phone number (WhatsApp's wa_id, the
-- sender of an SMS or a call) are merged automatically by the worker; supervisors merge and
-- split by hand. Every merge is recorded with what it moved, so it can be explained and undone.

ALTER TABLE contacts
    ADD COLUMN merged_into    uuid,                            -- set on the contact merged away
    ADD COLUMN no_auto_merge  boolean NOT NULL DEFAULT false;  -- split by hand: leave it alone

-- The E.164 phone number a platform verified for this identity, or NULL.
CREATE FUNCTION verified_phone(channel text, external_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN channel IN ('whatsapp', 'twilio-sms', 'twilio-voice')
                     AND regexp_replace(external_id, '^whatsapp:', '') ~ '^\+?[0-9]{6,15}$'
                THEN '+' || regexp_replace(external_id, '[^0-9]', '', 'g') END
$$;
CREATE INDEX contact_identities_phone_idx
    ON contact_identities (brand_id, verified_phone(channel, external_id), created_at)
    WHERE verified_phone(channel, external_id) IS NOT NULL;
CREATE INDEX contact_identities_created_idx ON contact_identities (created_at);

CREATE TABLE contact_merges (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id       uuid NOT NULL,
    into_id        uuid NOT NULL,
    from_id        uuid NOT NULL,
    reason         text NOT NULL CHECK (reason IN ('phone', 'manual', 'split')),
    actor_user_id  uuid,
    identities     jsonb NOT NULL DEFAULT '[]',   -- [{channel, external_id}] moved
    ticket_ids     bigint[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_merges_into_idx ON contact_merges (into_id);

-- Where background passes left off (e.g. the last identity the phone linker looked at).
CREATE TABLE sweep_marks (
    name  text PRIMARY KEY,
    at    timestamptz NOT NULL
);

-- Merge `p_from` into `p_into` (same brand): identities, tickets and their messages move; the
-- old contact points at the new one. Locks both contacts (by id) first, so a concurrent merge
-- of the same pair waits and then finds nothing to do. Raises 'open_ticket_conflict' when
-- both hold an open ticket on one channel account (one conversation each: solve one first).
CREATE FUNCTION merge_contacts(p_into uuid, p_from uuid, p_reason text, p_actor uuid)
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
