-- E-mail threading: each inbound message's subject and References, so a reply can carry
-- "Re: <subject>", In-Reply-To and References (RFC 5322 §3.6.4) and land in the customer's
-- thread. Written right after the message is stored; a missing row only costs the "Re:".
CREATE TABLE email_threads (
    channel_account_id  uuid NOT NULL,
    message_id          text NOT NULL,  -- the Message-ID (= messages.platform_message_id)
    subject             text NOT NULL DEFAULT '',
    refs                text NOT NULL DEFAULT '',
    PRIMARY KEY (channel_account_id, message_id)
);
-- Inbound SMTP finds the account by the recipient address.
CREATE INDEX channel_accounts_email_idx ON channel_accounts (lower(credentials->>'address'))
    WHERE channel = 'email';
