-- Tokens restricted to projects (issue 22): project ids, space-separated;
-- empty: every project the owner may reach. A check depends on it, so the
-- change feed's trigger watches it too.
ALTER TABLE personal_access_tokens ADD COLUMN project_ids TEXT NOT NULL DEFAULT '';

DROP TRIGGER auth_changes_token_updated ON personal_access_tokens;
CREATE TRIGGER auth_changes_token_updated
AFTER UPDATE OF name, scopes, expires_at, revoked_at, rotated_at, family_id, user_id, impersonation,
    allowed_ips, project_ids
ON personal_access_tokens
FOR EACH ROW EXECUTE FUNCTION forgekey_token_changed();
