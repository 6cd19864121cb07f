-- Accounts. Booleans are 0/1 integers and instants are unix seconds, so the
-- same queries run through sqlx's Any driver on SQLite and PostgreSQL.
CREATE TABLE users (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        TEXT    NOT NULL,
    username_key    TEXT    NOT NULL UNIQUE,
    email           TEXT    NOT NULL,
    email_key       TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    is_admin        BIGINT  NOT NULL DEFAULT 0,
    failed_sign_ins BIGINT  NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    session_epoch   BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    last_sign_in_at BIGINT
);

-- One row of instance-wide state.
CREATE TABLE instance_state (
    id                  BIGINT PRIMARY KEY CHECK (id = 1),
    first_admin_claimed BIGINT NOT NULL DEFAULT 0
);
INSERT INTO instance_state (id, first_admin_claimed) VALUES (1, 0);
