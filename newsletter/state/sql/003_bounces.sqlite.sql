-- Soft bounces (mailbox full, delayed, refused for now) per address, by hash only:
-- `bounces import` suppresses the address after [bounces] soft_limit of them.
CREATE TABLE soft_bounces (
    address_hash TEXT PRIMARY KEY,       -- suppression.address_hash of the address
    count        INTEGER NOT NULL DEFAULT 0,
    first_seen   TEXT NOT NULL,          -- date of the first bounce counted
    last_seen    TEXT NOT NULL,          -- date of the last one
    last_status  TEXT NOT NULL DEFAULT '',   -- e.g. "4.2.2"
    last_message TEXT NOT NULL DEFAULT '',   -- Message-ID of the message that bounced last
    last_source  TEXT NOT NULL DEFAULT ''    -- "bounce 2026-11-30 from MAILER-DAEMON@...: ..."
) WITHOUT ROWID;

-- Every returned message `bounces import` has acted on: importing a mailbox twice
-- counts nothing twice. Messages it did not understand are not recorded here.
CREATE TABLE bounce_messages (
    key         TEXT PRIMARY KEY,        -- its Message-ID, else "sha256:" of its bytes
    kind        TEXT NOT NULL,           -- bounce, complaint, auto-reply, unsubscribe
    imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;
