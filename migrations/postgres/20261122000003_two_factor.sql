-- Two-factor authentication. The TOTP secret is stored sealed
-- (AES-256-GCM, hex of IV and ciphertext) under a key derived from the
-- server secret, which is not in the database; it is set while enrolling
-- (otp_enabled = 0) and kept once a code confirmed it (otp_enabled = 1).
ALTER TABLE users ADD COLUMN otp_secret TEXT;
ALTER TABLE users ADD COLUMN otp_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN otp_enabled_at BIGINT;
-- The last TOTP step accepted: codes of that step or older are replays.
ALTER TABLE users ADD COLUMN otp_last_step BIGINT;
-- Wrong second-step codes: how many since when, and the lock they caused.
ALTER TABLE users ADD COLUMN otp_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN otp_failures_since BIGINT;
ALTER TABLE users ADD COLUMN otp_locked_until BIGINT;

-- Single-use recovery codes, as keyed digests (HMAC-SHA-256).
CREATE TABLE recovery_codes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest     TEXT    NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, digest)
);
