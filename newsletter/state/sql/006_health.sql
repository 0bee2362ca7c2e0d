-- One row that `/health` writes on every check: the web side is healthy only when it
-- can write to the database, as recording an unsubscribe must.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
);
