-- Unused tokens revoked automatically (issue 22): after how many days
-- without use (0: never), and when each token's owner was warned of it
-- (a week before; again after any later use).
ALTER TABLE application_settings ADD COLUMN unused_token_revoke_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE personal_access_tokens ADD COLUMN unused_warning_notified_at INTEGER;
