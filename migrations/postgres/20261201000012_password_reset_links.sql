-- "Forgot your password?" (issue 20). Each mailed link's keyed digest
-- (never the link itself): single use (used_at), expiring (expires_at).
CREATE TABLE password_resets (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest     TEXT    NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);

-- Reset requests per client address (domain::quota::HourlyQuota), as
-- sign_up_quota counts sign-ups: the address's next arrival time.
CREATE TABLE password_reset_quota (
    address TEXT    PRIMARY KEY,
    arrival BIGINT NOT NULL
);
CREATE INDEX password_reset_quota_arrival ON password_reset_quota (arrival);

-- A mail's part for its recipient only (a reset link), sealed under a key
-- derived from the server secret: the body holds a placeholder, which the
-- Admin Area shows and delivery replaces.
ALTER TABLE outbox ADD COLUMN sealed TEXT;
