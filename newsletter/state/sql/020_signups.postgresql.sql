-- Readers who signed themselves up on the web (double opt-in), with their consent on record
-- (GDPR art. 7(1): the organisation must be able to show when and how each reader consented).
-- The same tables as 020_signups.sqlite.sql, in PostgreSQL's words.

-- The exact consent statements readers were shown, by version (sha256 of the text).
CREATE TABLE consent_texts (
    version     text PRIMARY KEY,        -- sha256 hex of text
    language    text NOT NULL,
    text        text NOT NULL,           -- what the form showed, the privacy notice's address included
    first_shown text NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
);

-- Sign-ups waiting for their confirmation link; deleted when confirmed or expired.
CREATE TABLE pending_signups (
    newsletter      text NOT NULL,
    address_hash    text NOT NULL,       -- suppression.address_hash of the address
    address         text NOT NULL,
    address_id      text NOT NULL,       -- TokenSigner.address_id: what a confirmation link names
    name            text NOT NULL DEFAULT '',
    requested_at    text NOT NULL,       -- when the last confirmation mail was asked for
    consent_version text NOT NULL REFERENCES consent_texts (version),
    language        text NOT NULL,
    source          text NOT NULL,       -- 'web form', 'embedded form'
    client          text NOT NULL DEFAULT '',  -- keyed hash of the client's address, never the address
    PRIMARY KEY (newsletter, address_hash)
);

CREATE INDEX pending_signups_id ON pending_signups (address_id);

CREATE INDEX pending_signups_requested ON pending_signups (requested_at);

-- Confirmed readers: a list of their newsletter, sent to with its CSV lists.
CREATE TABLE signups (
    newsletter      text NOT NULL,
    address_hash    text NOT NULL,
    address         text NOT NULL,
    address_id      text NOT NULL,
    name            text NOT NULL DEFAULT '',
    signed_up_at    text NOT NULL,
    confirmed_at    text NOT NULL,
    consent_version text NOT NULL REFERENCES consent_texts (version),
    language        text NOT NULL,
    source          text NOT NULL,
    client          text NOT NULL DEFAULT '',
    PRIMARY KEY (newsletter, address_hash)
);

CREATE INDEX signups_id ON signups (address_id);

-- Every confirmation mail sent, for the limit per address and day; kept one day.
CREATE TABLE signup_mails (
    address_hash text NOT NULL,
    sent_at      text NOT NULL
);

CREATE INDEX signup_mails_address ON signup_mails (address_hash, sent_at);

CREATE INDEX signup_mails_sent ON signup_mails (sent_at);
