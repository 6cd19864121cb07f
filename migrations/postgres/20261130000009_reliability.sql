-- A keyed fingerprint of the server secret the database was first used
-- with (never the secret): an instance started with another secret would
-- reject every token, so it refuses to start instead.
CREATE TABLE instance_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret_fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Changes that matter to a token check, written by triggers whatever
-- makes them (any instance, the command line, a hand-made UPDATE): each
-- instance reads them to forget what it remembers of those tokens and
-- users, at once when notified (channel forgekey_auth_changes). Rows are
-- kept an hour.
CREATE TABLE auth_changes (
    id BIGSERIAL PRIMARY KEY,
    token_id BIGINT,
    user_id BIGINT,
    changed_at BIGINT NOT NULL
);
CREATE INDEX auth_changes_changed_at ON auth_changes (changed_at);

CREATE FUNCTION forgekey_token_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO auth_changes (token_id, changed_at)
    VALUES (OLD.id, CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT));
    PERFORM pg_notify('forgekey_auth_changes', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION forgekey_user_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO auth_changes (user_id, changed_at)
    VALUES (OLD.id, CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT));
    PERFORM pg_notify('forgekey_auth_changes', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER auth_changes_token_updated
AFTER UPDATE OF name, scopes, expires_at, revoked_at, rotated_at, family_id, user_id, impersonation
ON personal_access_tokens
FOR EACH ROW EXECUTE FUNCTION forgekey_token_changed();

CREATE TRIGGER auth_changes_token_deleted
AFTER DELETE ON personal_access_tokens
FOR EACH ROW EXECUTE FUNCTION forgekey_token_changed();

CREATE TRIGGER auth_changes_user_updated
AFTER UPDATE ON users
FOR EACH ROW
WHEN (OLD.username IS DISTINCT FROM NEW.username OR OLD.email IS DISTINCT FROM NEW.email
    OR OLD.is_admin IS DISTINCT FROM NEW.is_admin OR OLD.otp_enabled IS DISTINCT FROM NEW.otp_enabled
    OR OLD.session_epoch IS DISTINCT FROM NEW.session_epoch
    OR OLD.blocked_at IS DISTINCT FROM NEW.blocked_at
    OR OLD.last_sign_in_at IS DISTINCT FROM NEW.last_sign_in_at)
EXECUTE FUNCTION forgekey_user_changed();

CREATE TRIGGER auth_changes_user_deleted
AFTER DELETE ON users
FOR EACH ROW EXECUTE FUNCTION forgekey_user_changed();

-- Failed Git authentications per client address (domain::lockout,
-- AttemptLimit::GIT_HTTP_ADDRESS), shared by every instance: an address
-- is banned once, everywhere. (Checks in flight are counted by each
-- instance in memory.) Rows no longer in use are deleted.
CREATE TABLE address_attempts (
    address TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    window_start BIGINT,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX address_attempts_updated_at ON address_attempts (updated_at);

-- Sign-ups per client address (domain::quota::HourlyQuota), shared by
-- every instance: the address's next arrival time. Rows whose time has
-- passed mean nothing and are deleted.
CREATE TABLE sign_up_quota (
    address TEXT PRIMARY KEY,
    arrival BIGINT NOT NULL
);
CREATE INDEX sign_up_quota_arrival ON sign_up_quota (arrival);
