-- The journal learns 'skipped': a frozen recipient who must not get the issue after all.
-- PostgreSQL changes the CHECK constraint in place (SQLite rebuilds the table).
ALTER TABLE recipients DROP CONSTRAINT recipients_status,
    ADD CONSTRAINT recipients_status
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped'));

-- Why the last run stopped early (a policy rejection, a lost connection), for `status`.
ALTER TABLE sends ADD COLUMN note text;
