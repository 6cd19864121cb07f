-- Reports of leaked tokens per client address (issue 22: the public
-- POST /api/v4/personal_access_tokens/revoke_leaked), counted as
-- sign_up_quota counts sign-ups: the address's next arrival time.
CREATE TABLE leak_report_quota (
    address TEXT    PRIMARY KEY,
    arrival INTEGER NOT NULL
);
CREATE INDEX leak_report_quota_arrival ON leak_report_quota (arrival);

-- The earlier expiry notices (GitLab 17.6): 60 and 30 days ahead, each
-- sent once per token, as the 7-day and same-day ones.
ALTER TABLE personal_access_tokens ADD COLUMN expiring_60_days_notified_at INTEGER;
ALTER TABLE personal_access_tokens ADD COLUMN expiring_30_days_notified_at INTEGER;
