-- A caller ID can be spoofed with no effort (SMS senders and WhatsApp ids cannot, without the
-- carrier or Meta): calls no longer count as a verified phone number for automatic merging.
-- Supervisors still merge a caller by hand.
CREATE OR REPLACE FUNCTION verified_phone(channel text, external_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN channel IN ('whatsapp', 'twilio-sms')
                     AND regexp_replace(external_id, '^whatsapp:', '') ~ '^\+?[0-9]{6,15}$'
                THEN '+' || regexp_replace(external_id, '[^0-9]', '', 'g') END
$$;
REINDEX INDEX contact_identities_phone_idx;
