-- The fingerprint of the key that signed a send's unsubscribe links
-- (tokens.key_fingerprint: a truncated HMAC, never the key or a hash of it). `send` and
-- `serve` refuse to start with another key while the last send's links need this one.
ALTER TABLE sends ADD COLUMN key_fingerprint TEXT;
