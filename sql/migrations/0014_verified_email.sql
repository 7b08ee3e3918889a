-- Contacts merge on a verified e-mail address too: an e-mail whose From domain authenticated
-- (DMARC, aligned DKIM, as a trusted MTA or provider reports), or an address the brand's own
-- signed API vouches for. The address is kept on the identity with when it was verified; the
-- worker's linker merges contacts sharing one, as it does for phone numbers.
ALTER TABLE contact_identities
    ADD COLUMN verified_email     text,
    ADD COLUMN email_verified_at  timestamptz;
CREATE INDEX contact_identities_email_idx
    ON contact_identities (brand_id, verified_email) WHERE verified_email IS NOT NULL;
CREATE INDEX contact_identities_email_at_idx
    ON contact_identities (email_verified_at) WHERE email_verified_at IS NOT NULL;

ALTER TABLE contact_merges DROP CONSTRAINT contact_merges_reason_check;
ALTER TABLE contact_merges ADD CONSTRAINT contact_merges_reason_check
    CHECK (reason IN ('phone', 'email', 'manual', 'split'));
