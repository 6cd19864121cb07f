-- Projects: a bare Git repository each, stored under the data directory by
-- id (repositories/<id>.git), so renames never move files.
CREATE TABLE projects (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    -- Lower-case path, unique per owner.
    path_key    TEXT    NOT NULL,
    visibility  TEXT    NOT NULL CHECK (visibility IN ('private', 'public')),
    created_at  BIGINT NOT NULL,
    UNIQUE (owner_id, path_key)
);

-- Instance settings an administrator changes (one row).
CREATE TABLE application_settings (
    id                          BIGINT PRIMARY KEY CHECK (id = 1),
    -- Whether passwords (of users without 2FA) authenticate Git over HTTP.
    git_password_auth           BIGINT NOT NULL DEFAULT 1,
    -- Whether Git over HTTP needs the username to be the token's owner.
    git_token_username_match    BIGINT NOT NULL DEFAULT 0,
    -- Admin mode: administrators' tokens act as administrators only with
    -- the admin_mode scope.
    admin_mode                  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO application_settings (id) VALUES (1);
