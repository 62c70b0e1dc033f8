-- 013_secrets: Airflow's variables and connections (package secrets). Values, passwords and
-- extras are stored only as ciphertext (AES-256-GCM, "v1:<key id>:<base64>"), never in
-- clear; '' means none. Times are INTEGER unix microseconds.

CREATE TABLE variables (
    key         TEXT    NOT NULL PRIMARY KEY,
    value       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    is_secret   INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE connections (
    conn_id     TEXT    NOT NULL PRIMARY KEY,
    conn_type   TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    host        TEXT    NOT NULL DEFAULT '',
    schema      TEXT    NOT NULL DEFAULT '',
    login       TEXT    NOT NULL DEFAULT '',
    port        INTEGER NOT NULL DEFAULT 0,
    password    TEXT    NOT NULL DEFAULT '',
    extra       TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL
) STRICT;
