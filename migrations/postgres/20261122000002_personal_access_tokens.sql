-- Personal access tokens. Only the HMAC-SHA-256 digest of a secret is kept
-- (hex); instants are unix seconds; scopes are names separated by spaces.
-- A rotation revokes a token (rotated_at set) and issues its successor in the
-- same family (family_id: the id of the family's first token).
-- Impersonation tokens are made by an administrator (created_by) to act as
-- the user; they are not shown on the user's own page.
CREATE TABLE personal_access_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    token_digest TEXT   NOT NULL UNIQUE,
    scopes       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    last_used_ips TEXT  NOT NULL DEFAULT '',
    family_id    BIGINT,
    rotated_at   BIGINT,
    impersonation BIGINT NOT NULL DEFAULT 0,
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, id);
CREATE INDEX personal_access_tokens_family ON personal_access_tokens (family_id);
