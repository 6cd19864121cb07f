-- Administrators may allow tokens without an expiry date ("expiry
-- required", on by default). SQLite cannot drop NOT NULL in place, so the
-- table is rebuilt with every row and index; nothing references it.
ALTER TABLE application_settings ADD COLUMN token_expiry_required INTEGER NOT NULL DEFAULT 1;

CREATE TABLE personal_access_tokens_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_digest TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    -- NULL: no expiry (only while administrators allow it).
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    last_used_ips TEXT   NOT NULL DEFAULT '',
    family_id    INTEGER,
    rotated_at   INTEGER,
    impersonation INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    expiring_soon_notified_at  INTEGER,
    expiring_today_notified_at INTEGER
);
INSERT INTO personal_access_tokens_new
    (id, user_id, name, token_digest, scopes, created_at, expires_at, last_used_at, revoked_at,
     last_used_ips, family_id, rotated_at, impersonation, created_by,
     expiring_soon_notified_at, expiring_today_notified_at)
SELECT id, user_id, name, token_digest, scopes, created_at, expires_at, last_used_at, revoked_at,
     last_used_ips, family_id, rotated_at, impersonation, created_by,
     expiring_soon_notified_at, expiring_today_notified_at
FROM personal_access_tokens;
DROP TABLE personal_access_tokens;
ALTER TABLE personal_access_tokens_new RENAME TO personal_access_tokens;
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, id);
CREATE INDEX personal_access_tokens_family ON personal_access_tokens (family_id);
CREATE INDEX personal_access_tokens_expiry ON personal_access_tokens (expires_at)
    WHERE revoked_at IS NULL;
CREATE INDEX personal_access_tokens_revoked ON personal_access_tokens (revoked_at)
    WHERE revoked_at IS NOT NULL;

-- The upgrade rule (as GitLab 16.0's): a token without an expiry date is
-- given one 365 days after this migration, at 00:00 UTC.
UPDATE personal_access_tokens
SET expires_at = CAST(strftime('%s', date('now', '+365 days')) AS INTEGER)
WHERE expires_at IS NULL;
