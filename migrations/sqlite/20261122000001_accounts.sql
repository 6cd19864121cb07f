-- Accounts. Booleans are 0/1 integers and instants are unix seconds, so the
-- same queries run through sqlx's Any driver on SQLite and PostgreSQL.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT    NOT NULL,
    username_key    TEXT    NOT NULL UNIQUE,
    email           TEXT    NOT NULL,
    email_key       TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    is_admin        INTEGER NOT NULL DEFAULT 0,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    session_epoch   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);

-- One row of instance-wide state.
CREATE TABLE instance_state (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    first_admin_claimed INTEGER NOT NULL DEFAULT 0
);
INSERT INTO instance_state (id, first_admin_claimed) VALUES (1, 0);
