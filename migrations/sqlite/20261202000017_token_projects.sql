-- Tokens restricted to projects (issue 22): project ids, space-separated;
-- empty: every project the owner may reach. A check depends on it, so the
-- change feed's trigger watches it too.
ALTER TABLE personal_access_tokens ADD COLUMN project_ids TEXT NOT NULL DEFAULT '';

DROP TRIGGER auth_changes_token_updated;
CREATE TRIGGER auth_changes_token_updated
AFTER UPDATE OF name, scopes, expires_at, revoked_at, rotated_at, family_id, user_id, impersonation,
    allowed_ips, project_ids
ON personal_access_tokens
BEGIN
    INSERT INTO auth_changes (token_id, changed_at)
    VALUES (NEW.id, CAST(strftime('%s', 'now') AS INTEGER));
END;
