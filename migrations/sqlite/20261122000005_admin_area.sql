-- Admin Area: the token lifetime policy, blocked users, the audit log and
-- the mail outbox.

-- The latest expiry a new token may have is today plus this many days.
ALTER TABLE application_settings ADD COLUMN token_max_lifetime_days INTEGER NOT NULL DEFAULT 365;
-- When off, expired tokens keep authenticating (GitLab's "enforce
-- personal access token expiration").
ALTER TABLE application_settings ADD COLUMN token_expiry_enforced INTEGER NOT NULL DEFAULT 1;
-- Revoked tokens are deleted this many days after their revocation.
ALTER TABLE application_settings ADD COLUMN revoked_token_retention_days INTEGER NOT NULL DEFAULT 30;

-- A blocked user cannot sign in and their tokens do not authenticate.
ALTER TABLE users ADD COLUMN blocked_at INTEGER;

-- What administrators did. Names are copied so that an entry still reads
-- well after the user or token is gone.
CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      INTEGER NOT NULL,
    actor_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_name      TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    target_user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    target_name     TEXT,
    token_id        INTEGER,
    token_name      TEXT,
    details         TEXT    NOT NULL DEFAULT ''
);

-- Mail, when no SMTP server is configured: each message is kept here for
-- administrators to read.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    recipient   TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL
);
