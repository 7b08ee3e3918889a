-- A signed-in user of the brand's site may come with the e-mail address the site has verified
-- (signed together with the user id). Their web chat messages carry it, so the worker's linker
-- merges them with the person's e-mail and API conversations, as for any verified address.
ALTER TABLE webchat_visitors ADD COLUMN verified_email text;
