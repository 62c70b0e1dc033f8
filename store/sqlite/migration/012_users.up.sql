-- 012_users: users, their grants and browser sessions (package auth), and the user an API
-- token belongs to. password_hash is an argon2id PHC string ('' for none: OIDC-only
-- users); a session is stored only as the hex SHA-256 of its cookie. Times are INTEGER
-- unix microseconds, 0 for none.

CREATE TABLE users (
    name          TEXT    NOT NULL PRIMARY KEY,
    password_hash TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE user_grants (
    user_name  TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    target     TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_name, target)
) STRICT;

CREATE TABLE user_sessions (
    hash       TEXT    NOT NULL PRIMARY KEY,
    user_name  TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX user_sessions_expires ON user_sessions (expires_at);

ALTER TABLE api_tokens ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
