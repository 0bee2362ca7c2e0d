-- Soft bounces per address, by hash only, and every returned message acted on.
-- The same tables as 003_bounces.sqlite.sql, in PostgreSQL's words.
CREATE TABLE soft_bounces (
    address_hash text PRIMARY KEY,       -- suppression.address_hash of the address
    count        integer NOT NULL DEFAULT 0,
    first_seen   text NOT NULL,          -- date of the first bounce counted
    last_seen    text NOT NULL,          -- date of the last one
    last_status  text NOT NULL DEFAULT '',   -- e.g. "4.2.2"
    last_message text NOT NULL DEFAULT '',   -- Message-ID of the message that bounced last
    last_source  text NOT NULL DEFAULT ''    -- "bounce 2026-11-30 from MAILER-DAEMON@...: ..."
);

CREATE TABLE bounce_messages (
    key         text PRIMARY KEY,        -- its Message-ID, else "sha256:" of its bytes
    kind        text NOT NULL,           -- bounce, complaint, auto-reply, unsubscribe
    imported_at text NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
);
