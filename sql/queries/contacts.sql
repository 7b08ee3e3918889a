-- name: get_contact
SELECT id, brand_id, name, language, created_at, merged_into, no_auto_merge
FROM contacts WHERE id = $1;

-- name: identities
SELECT channel, external_id, display_name, username, verified_phone(channel, external_id) AS phone,
       verified_email, created_at, last_seen_at
FROM contact_identities WHERE contact_id = $1 ORDER BY created_at;

-- name: tickets
-- The contact's conversations on every channel, newest first, with the queue's team (access).
SELECT t.id, t.channel, t.status, t.priority, t.queue_id, q.team_id, t.assignee_id,
       t.created_at, t.last_message_at, t.solved_at
FROM tickets t JOIN queues q ON q.id = t.queue_id
WHERE t.contact_id = $1 ORDER BY t.created_at DESC LIMIT $2;

-- name: merges
SELECT id, into_id, from_id, reason, actor_user_id, identities, ticket_ids, created_at
FROM contact_merges WHERE into_id = $1 OR from_id = $1 ORDER BY id;

-- name: merge
SELECT merge_contacts($1, $2, $3, $4);

-- name: new_phone_identities
-- Identities with a verified phone created after $1, oldest first.
SELECT brand_id, contact_id, verified_phone(channel, external_id) AS value, created_at AS at
FROM contact_identities
WHERE created_at > $1 AND verified_phone(channel, external_id) IS NOT NULL
ORDER BY created_at LIMIT $2;

-- name: same_phone
-- Other live contacts of the brand with that verified phone, oldest first.
SELECT DISTINCT c.id, c.created_at, c.no_auto_merge
FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
WHERE ci.brand_id = $1 AND verified_phone(ci.channel, ci.external_id) = $2
  AND c.merged_into IS NULL
ORDER BY c.created_at, c.id;

-- name: new_email_identities
-- Identities whose e-mail address was verified after $1, oldest first.
SELECT brand_id, contact_id, verified_email AS value, email_verified_at AS at
FROM contact_identities
WHERE email_verified_at > $1
ORDER BY email_verified_at LIMIT $2;

-- name: same_email
-- Live contacts of the brand with that verified e-mail address, oldest first.
SELECT DISTINCT c.id, c.created_at, c.no_auto_merge
FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
WHERE ci.brand_id = $1 AND ci.verified_email = $2 AND c.merged_into IS NULL
ORDER BY c.created_at, c.id;

-- name: get_mark
SELECT at FROM sweep_marks WHERE name = $1;

-- name: set_mark
INSERT INTO sweep_marks (name, at) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET at = greatest(sweep_marks.at, EXCLUDED.at);

-- name: split
-- Move one identity, and the tickets of its conversations, to a new contact kept apart from
-- automatic merging. Returns the new contact's id (NULL when the identity is not this contact's).
WITH ident AS (
    SELECT ci.brand_id, ci.channel, ci.external_id, ci.display_name, c.language
    FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
    WHERE ci.contact_id = $1 AND ci.channel = $2 AND ci.external_id = $3
      AND (SELECT count(*) FROM contact_identities WHERE contact_id = $1) > 1
), fresh AS (
    INSERT INTO contacts (brand_id, name, language, no_auto_merge)
    SELECT brand_id, display_name, language, true FROM ident
    RETURNING id
), moved_identity AS (
    UPDATE contact_identities ci SET contact_id = fresh.id
    FROM fresh, ident WHERE ci.brand_id = ident.brand_id AND ci.channel = ident.channel
      AND ci.external_id = ident.external_id
), moved AS (
    UPDATE tickets t SET contact_id = fresh.id
    FROM fresh, ident
    WHERE t.contact_id = $1 AND t.channel = ident.channel
      AND (t.platform_conversation_id = ident.external_id  -- a one-to-one chat with them
           OR NOT EXISTS (  -- a public thread (post:, mention:, e-mail thread): theirs when the
                            -- contact has no other identity on that channel
               SELECT 1 FROM contact_identities o
               WHERE o.contact_id = $1 AND o.channel = ident.channel
                 AND o.external_id <> ident.external_id))
    RETURNING t.id
), moved_messages AS (
    UPDATE messages m SET sender_contact_id = fresh.id
    FROM fresh WHERE m.ticket_id IN (SELECT id FROM moved) AND m.sender_contact_id = $1
), logged AS (
    INSERT INTO contact_merges (brand_id, into_id, from_id, reason, actor_user_id, identities, ticket_ids)
    SELECT ident.brand_id, fresh.id, $1, 'split', $4,
           jsonb_build_array(jsonb_build_object('channel', ident.channel, 'external_id', ident.external_id)),
           coalesce((SELECT array_agg(id ORDER BY id) FROM moved), '{}')
    FROM fresh, ident
)
UPDATE contacts SET no_auto_merge = true FROM fresh WHERE contacts.id = $1
RETURNING fresh.id;

-- name: timeline
-- The contact's latest messages on every channel (merged contacts included: their tickets
-- moved here), newest first, with each ticket's team and assignee for the access check.
SELECT m.id, m.ticket_id, t.channel, m.direction, m.kind, m.text, m.sent_at,
       coalesce(c.name, u.name) AS sender_name, q.team_id, t.assignee_id
FROM tickets t
JOIN queues q ON q.id = t.queue_id
JOIN LATERAL (
    SELECT * FROM messages m WHERE m.ticket_id = t.id ORDER BY m.sent_at DESC, m.id DESC LIMIT $2
) m ON true
LEFT JOIN contacts c ON c.id = m.sender_contact_id
LEFT JOIN users u ON u.id = m.sender_user_id
WHERE t.contact_id = $1
ORDER BY m.sent_at DESC, m.id DESC
LIMIT $2;
