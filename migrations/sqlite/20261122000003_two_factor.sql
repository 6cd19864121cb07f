-- Two-factor authentication. The TOTP secret is stored sealed
-- (AES-256-GCM, hex of IV and ciphertext) under a key derived from the
-- server secret, which is not in the database; it is set while enrolling
-- (otp_enabled = 0) and kept once a code confirmed it (otp_enabled = 1).
ALTER TABLE users ADD COLUMN otp_secret TEXT;
ALTER TABLE users ADD COLUMN otp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN otp_enabled_at INTEGER;
-- The last TOTP step accepted: codes of that step or older are replays.
ALTER TABLE users ADD COLUMN otp_last_step INTEGER;
-- Wrong second-step codes: how many since when, and the lock they caused.
ALTER TABLE users ADD COLUMN otp_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN otp_failures_since INTEGER;
ALTER TABLE users ADD COLUMN otp_locked_until INTEGER;

-- Single-use recovery codes, as keyed digests (HMAC-SHA-256).
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest     TEXT    NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, digest)
);
