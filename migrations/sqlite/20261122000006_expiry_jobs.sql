-- The daily jobs: each token gets each expiry notice once (these record
-- when), and one lease row per job lets instances sharing the database run
-- each job once a day between them.
ALTER TABLE personal_access_tokens ADD COLUMN expiring_soon_notified_at INTEGER;
ALTER TABLE personal_access_tokens ADD COLUMN expiring_today_notified_at INTEGER;

-- The notices look for unrevoked tokens by expiry date.
CREATE INDEX personal_access_tokens_expiry ON personal_access_tokens (expires_at)
    WHERE revoked_at IS NULL;
-- The purge looks for revoked tokens by revocation date.
CREATE INDEX personal_access_tokens_revoked ON personal_access_tokens (revoked_at)
    WHERE revoked_at IS NOT NULL;

CREATE TABLE job_runs (
    name        TEXT PRIMARY KEY,
    -- The last day (YYYY-MM-DD, UTC) the job ran for.
    last_day    TEXT,
    -- Who runs it now, and until when their lease holds.
    holder      TEXT,
    lease_until INTEGER
);
