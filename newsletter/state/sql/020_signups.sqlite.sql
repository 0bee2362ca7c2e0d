-- Readers who signed themselves up on the web (double opt-in), with their consent on record
-- (GDPR art. 7(1): the organisation must be able to show when and how each reader consented).

-- The exact consent statements readers were shown, by version (sha256 of the text).
CREATE TABLE consent_texts (
    version     TEXT PRIMARY KEY,        -- sha256 hex of text
    language    TEXT NOT NULL,
    text        TEXT NOT NULL,           -- what the form showed, the privacy notice's address included
    first_shown TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;

-- Sign-ups waiting for their confirmation link; deleted when confirmed or expired.
CREATE TABLE pending_signups (
    newsletter      TEXT NOT NULL,
    address_hash    TEXT NOT NULL,       -- suppression.address_hash of the address
    address         TEXT NOT NULL,
    address_id      TEXT NOT NULL,       -- TokenSigner.address_id: what a confirmation link names
    name            TEXT NOT NULL DEFAULT '',
    requested_at    TEXT NOT NULL,       -- when the last confirmation mail was asked for
    consent_version TEXT NOT NULL REFERENCES consent_texts (version),
    language        TEXT NOT NULL,
    source          TEXT NOT NULL,       -- 'web form', 'embedded form'
    client          TEXT NOT NULL DEFAULT '',  -- keyed hash of the client's address, never the address
    PRIMARY KEY (newsletter, address_hash)
) WITHOUT ROWID;

CREATE INDEX pending_signups_id ON pending_signups (address_id);

CREATE INDEX pending_signups_requested ON pending_signups (requested_at);

-- Confirmed readers: a list of their newsletter, sent to with its CSV lists.
CREATE TABLE signups (
    newsletter      TEXT NOT NULL,
    address_hash    TEXT NOT NULL,
    address         TEXT NOT NULL,
    address_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    signed_up_at    TEXT NOT NULL,
    confirmed_at    TEXT NOT NULL,
    consent_version TEXT NOT NULL REFERENCES consent_texts (version),
    language        TEXT NOT NULL,
    source          TEXT NOT NULL,
    client          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (newsletter, address_hash)
) WITHOUT ROWID;

CREATE INDEX signups_id ON signups (address_id);

-- Every confirmation mail sent, for the limit per address and day; kept one day.
CREATE TABLE signup_mails (
    address_hash TEXT NOT NULL,
    sent_at      TEXT NOT NULL
);

CREATE INDEX signup_mails_address ON signup_mails (address_hash, sent_at);

CREATE INDEX signup_mails_sent ON signup_mails (sent_at);
