-- The journal learns 'skipped': a frozen recipient who must not get the issue after all
-- (unsubscribed or taken off the lists while the send was under way, forgotten on request).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt, rows kept.
CREATE TABLE recipients_new (
    send_id    INTEGER NOT NULL REFERENCES sends (id),
    seq        INTEGER NOT NULL,
    address    TEXT NOT NULL,
    address_id TEXT NOT NULL,            -- TokenSigner.address_id(address, newsletter)
    name       TEXT NOT NULL DEFAULT '',
    fields     TEXT NOT NULL DEFAULT '{}',
    status     TEXT NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    reply      TEXT,                     -- the server's last reply, e.g. "250 2.0.0 Ok: queued"
    updated_at TEXT,
    PRIMARY KEY (send_id, seq)
) WITHOUT ROWID;

INSERT INTO recipients_new SELECT send_id, seq, address, address_id, name, fields, status,
    attempts, message_id, reply, updated_at FROM recipients;

DROP TABLE recipients;

ALTER TABLE recipients_new RENAME TO recipients;

CREATE INDEX recipients_status ON recipients (send_id, status);

CREATE INDEX recipients_address_id ON recipients (address_id);

-- Why the last run stopped early (a policy rejection, a lost connection), for `status`.
ALTER TABLE sends ADD COLUMN note TEXT;
