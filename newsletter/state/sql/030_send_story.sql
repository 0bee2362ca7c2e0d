-- The story of a send (delivery/runs.py): why its last run stopped, and the issue file it
-- sent; and corrections of an archived web version (`newsletter archive update`).
ALTER TABLE sends ADD COLUMN last_run TEXT;      -- running, finished, interrupted, aborted, policy, quota, error, limit
ALTER TABLE sends ADD COLUMN issue_sha256 TEXT;  -- SHA-256 of the issue file when the recipients were frozen
ALTER TABLE archive ADD COLUMN corrected_at TEXT;       -- when the web version was last corrected
ALTER TABLE archive ADD COLUMN corrected_sha256 TEXT;   -- SHA-256 of the issue file it was corrected from
