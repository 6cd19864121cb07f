-- Attempts at a secret are reserved before the secret is checked
-- (domain::lockout): how many are being checked now, and until when those
-- reservations hold their slots should their checker never settle them.
-- For passwords (failed_sign_ins, locked_until) and the second sign-in step
-- (otp_failures, otp_failures_since, otp_locked_until).
ALTER TABLE users ADD COLUMN sign_in_in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sign_in_in_flight_until INTEGER;
ALTER TABLE users ADD COLUMN otp_in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN otp_in_flight_until INTEGER;

-- Set on tokens revoked because a rotated-away token of their family was
-- presented again (reuse detection): such a revocation is never undone.
ALTER TABLE personal_access_tokens ADD COLUMN revoked_for_reuse INTEGER NOT NULL DEFAULT 0;

-- The audit log records, besides who acted: whom they acted as (a Sudo
-- target, or the user an impersonation token acts as), how ("sudo",
-- "impersonation") and from which client address.
ALTER TABLE audit_events ADD COLUMN acted_as_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE audit_events ADD COLUMN acted_as_name TEXT;
ALTER TABLE audit_events ADD COLUMN acted_via TEXT;
ALTER TABLE audit_events ADD COLUMN ip_address TEXT;
