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

-- Mail delivery through SMTP, when configured: each outbox message is sent
-- once (sent_at), retried with a growing delay after failures, and claimed
-- for a short while by the instance sending it.
ALTER TABLE outbox ADD COLUMN sent_at INTEGER;
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
