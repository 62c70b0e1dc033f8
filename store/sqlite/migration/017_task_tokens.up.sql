-- 017_task_tokens: the short-lived tokens of tracked tries (package auth, Mint), kept like
-- API tokens as the hex SHA-256 of the secret, with the try they belong to, so that a
-- restarted server accepts them. They are deleted when the try ends or once expired.
-- Times are INTEGER unix microseconds.

CREATE TABLE task_tokens (
    hash       TEXT    NOT NULL PRIMARY KEY,
    dag_id     TEXT    NOT NULL,
    run_id     TEXT    NOT NULL,
    task_id    TEXT    NOT NULL,
    map_index  INTEGER NOT NULL,
    try_number INTEGER NOT NULL,
    scope      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX task_tokens_expires ON task_tokens (expires_at);
CREATE INDEX task_tokens_try ON task_tokens (dag_id, run_id, task_id, map_index, try_number);
