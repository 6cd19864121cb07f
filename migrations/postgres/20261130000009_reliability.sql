-- A keyed fingerprint of the server secret the database was first used
-- with (never the secret): an instance started with another secret would
-- reject every token, so it refuses to start instead.
CREATE TABLE instance_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret_fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
