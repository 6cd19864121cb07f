-- Projects: a bare Git repository each, stored under the data directory by
-- id (repositories/<id>.git), so renames never move files.
CREATE TABLE projects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    -- Lower-case path, unique per owner.
    path_key    TEXT    NOT NULL,
    visibility  TEXT    NOT NULL CHECK (visibility IN ('private', 'public')),
    created_at  INTEGER NOT NULL,
    UNIQUE (owner_id, path_key)
);

-- Instance settings an administrator changes (one row).
CREATE TABLE application_settings (
    id                          INTEGER PRIMARY KEY CHECK (id = 1),
    -- Whether passwords (of users without 2FA) authenticate Git over HTTP.
    git_password_auth           INTEGER NOT NULL DEFAULT 1,
    -- Whether Git over HTTP needs the username to be the token's owner.
    git_token_username_match    INTEGER NOT NULL DEFAULT 0,
    -- Admin mode: administrators' tokens act as administrators only with
    -- the admin_mode scope.
    admin_mode                  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO application_settings (id) VALUES (1);
