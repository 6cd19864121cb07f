-- Administrators may allow tokens without an expiry date ("expiry
-- required", on by default).
ALTER TABLE application_settings ADD COLUMN token_expiry_required BIGINT NOT NULL DEFAULT 1;
-- NULL: no expiry (only while administrators allow it).
ALTER TABLE personal_access_tokens ALTER COLUMN expires_at DROP NOT NULL;

-- The upgrade rule (as GitLab 16.0's): a token without an expiry date is
-- given one 365 days after this migration, at 00:00 UTC.
UPDATE personal_access_tokens
SET expires_at = EXTRACT(EPOCH FROM (CURRENT_DATE + 365)::timestamp AT TIME ZONE 'UTC')::BIGINT
WHERE expires_at IS NULL;
