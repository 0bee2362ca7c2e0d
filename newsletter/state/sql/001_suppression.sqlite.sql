-- Who must never be mailed again, why, since when, and where we learnt it.
-- newsletter = '' means every newsletter (bounces, complaints, data-protection
-- requests); an unsubscribe names the newsletter it came from.
CREATE TABLE suppression (
    id           INTEGER PRIMARY KEY,
    address_hash TEXT NOT NULL,          -- sha256 of the normalised, lower-cased address
    address      TEXT,                   -- NULL once forgotten (only the hash is kept)
    newsletter   TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained', 'manual')),
    source       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (address_hash, newsletter)
);

CREATE INDEX suppression_newsletter ON suppression (newsletter);
