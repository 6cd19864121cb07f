-- Where a token may be used from (issue 22): IP addresses and CIDR ranges,
-- space-separated; empty: anywhere. A check depends on it, so the change
-- feed's trigger watches it too.
ALTER TABLE personal_access_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';

DROP TRIGGER auth_changes_token_updated;
CREATE TRIGGER auth_changes_token_updated
AFTER UPDATE OF name, scopes, expires_at, revoked_at, rotated_at, family_id, user_id, impersonation,
    allowed_ips
ON personal_access_tokens
BEGIN
    INSERT INTO auth_changes (token_id, changed_at)
    VALUES (NEW.id, CAST(strftime('%s', 'now') AS INTEGER));
END;

-- The client addresses each token family (a token and its rotations) was
-- used from: the first use from any other is mailed to the owner.
CREATE TABLE token_addresses (
    family_id     INTEGER NOT NULL,
    address       TEXT    NOT NULL,
    first_seen_at INTEGER NOT NULL,
    PRIMARY KEY (family_id, address)
);

-- Requests refused because they came from outside a token's allowed
-- addresses: one row per token, address and UTC day, so the owner is
-- mailed (and the audit log written) once per address per day.
CREATE TABLE token_address_refusals (
    token_id INTEGER NOT NULL,
    address  TEXT    NOT NULL,
    day      INTEGER NOT NULL,
    PRIMARY KEY (token_id, address, day)
);
CREATE INDEX token_address_refusals_day ON token_address_refusals (day);
