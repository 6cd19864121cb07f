-- A keyed fingerprint of the server secret the database was first used
-- with (never the secret): an instance started with another secret would
-- reject every token, so it refuses to start instead.
CREATE TABLE instance_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret_fingerprint TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Changes that matter to a token check, written by triggers whatever
-- makes them (any instance, the command line, a hand-made UPDATE): each
-- instance reads them to forget what it remembers of those tokens and
-- users. Rows are kept an hour.
CREATE TABLE auth_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id INTEGER,
    user_id INTEGER,
    changed_at INTEGER NOT NULL
);
CREATE INDEX auth_changes_changed_at ON auth_changes (changed_at);

CREATE TRIGGER auth_changes_token_updated
AFTER UPDATE OF name, scopes, expires_at, revoked_at, rotated_at, family_id, user_id, impersonation
ON personal_access_tokens
BEGIN
    INSERT INTO auth_changes (token_id, changed_at)
    VALUES (NEW.id, CAST(strftime('%s', 'now') AS INTEGER));
END;

CREATE TRIGGER auth_changes_token_deleted
AFTER DELETE ON personal_access_tokens
BEGIN
    INSERT INTO auth_changes (token_id, changed_at)
    VALUES (OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;

CREATE TRIGGER auth_changes_user_updated
AFTER UPDATE ON users
WHEN OLD.username IS NOT NEW.username OR OLD.email IS NOT NEW.email
    OR OLD.is_admin IS NOT NEW.is_admin OR OLD.otp_enabled IS NOT NEW.otp_enabled
    OR OLD.session_epoch IS NOT NEW.session_epoch OR OLD.blocked_at IS NOT NEW.blocked_at
    OR OLD.last_sign_in_at IS NOT NEW.last_sign_in_at
BEGIN
    INSERT INTO auth_changes (user_id, changed_at)
    VALUES (NEW.id, CAST(strftime('%s', 'now') AS INTEGER));
END;

CREATE TRIGGER auth_changes_user_deleted
AFTER DELETE ON users
BEGIN
    INSERT INTO auth_changes (user_id, changed_at)
    VALUES (OLD.id, CAST(strftime('%s', 'now') AS INTEGER));
END;

-- Failed Git authentications per client address (domain::lockout,
-- AttemptLimit::GIT_HTTP_ADDRESS), shared by every instance: an address
-- is banned once, everywhere. (Checks in flight are counted by each
-- instance in memory.) Rows no longer in use are deleted.
CREATE TABLE address_attempts (
    address TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    window_start INTEGER,
    locked_until INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX address_attempts_updated_at ON address_attempts (updated_at);

-- Sign-ups per client address (domain::quota::HourlyQuota), shared by
-- every instance: the address's next arrival time. Rows whose time has
-- passed mean nothing and are deleted.
CREATE TABLE sign_up_quota (
    address TEXT PRIMARY KEY,
    arrival INTEGER NOT NULL
);
CREATE INDEX sign_up_quota_arrival ON sign_up_quota (arrival);
