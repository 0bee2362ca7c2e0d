-- The send journal: a send's recipient set is frozen here before the first message.
CREATE TABLE sends (
    id          INTEGER PRIMARY KEY,
    newsletter  TEXT NOT NULL,
    slug        TEXT NOT NULL,           -- Issue.slug
    subject     TEXT NOT NULL,
    lists       TEXT NOT NULL,           -- JSON array of the list files used
    fingerprint TEXT NOT NULL,           -- sha256 of the frozen recipient set
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    finished_at TEXT,
    UNIQUE (newsletter, slug)
);

-- One row per recipient: queued -> sending -> sent | failed.
CREATE TABLE recipients (
    send_id    INTEGER NOT NULL REFERENCES sends (id),
    seq        INTEGER NOT NULL,
    address    TEXT NOT NULL,
    address_id TEXT NOT NULL,            -- TokenSigner.address_id(address, newsletter)
    name       TEXT NOT NULL DEFAULT '',
    fields     TEXT NOT NULL DEFAULT '{}',
    status     TEXT NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    reply      TEXT,                     -- the server's last reply, e.g. "250 2.0.0 Ok: queued"
    updated_at TEXT,
    PRIMARY KEY (send_id, seq)
) WITHOUT ROWID;

CREATE INDEX recipients_status ON recipients (send_id, status);
CREATE INDEX recipients_address_id ON recipients (address_id);

-- The public web version of every issue that has been sent, as the web side serves it.
CREATE TABLE archive (
    newsletter   TEXT NOT NULL,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    language     TEXT NOT NULL,
    issue_date   TEXT,                   -- ISO date of the issue, if it has one
    published_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    html         TEXT NOT NULL,          -- the web version, nothing personal in it
    text         TEXT NOT NULL,
    calendar     TEXT NOT NULL DEFAULT '{}',  -- JSON object: file name -> .ics text
    PRIMARY KEY (newsletter, slug)
);
