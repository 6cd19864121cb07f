-- Admin Area: the token lifetime policy, blocked users, the audit log and
-- the mail outbox.

-- The latest expiry a new token may have is today plus this many days.
ALTER TABLE application_settings ADD COLUMN token_max_lifetime_days BIGINT  NOT NULL DEFAULT 365;
-- When off, expired tokens keep authenticating (GitLab's "enforce
-- personal access token expiration").
ALTER TABLE application_settings ADD COLUMN token_expiry_enforced BIGINT  NOT NULL DEFAULT 1;
-- Revoked tokens are deleted this many days after their revocation.
ALTER TABLE application_settings ADD COLUMN revoked_token_retention_days BIGINT  NOT NULL DEFAULT 30;

-- A blocked user cannot sign in and their tokens do not authenticate.
ALTER TABLE users ADD COLUMN blocked_at BIGINT;

-- What administrators did. Names are copied so that an entry still reads
-- well after the user or token is gone.
CREATE TABLE audit_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      BIGINT  NOT NULL,
    actor_id        BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    actor_name      TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    target_user_id  BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    target_name     TEXT,
    token_id        BIGINT,
    token_name      TEXT,
    details         TEXT    NOT NULL DEFAULT ''
);

-- Mail, when no SMTP server is configured: each message is kept here for
-- administrators to read.
CREATE TABLE outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  BIGINT  NOT NULL,
    recipient   TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL
);
