-- 018_serve_errors: counts of failed serving requests (package predlog), per endpoint,
-- minute, writer (one serving process), model version and class ('4xx' or '5xx'). A writer
-- rewrites its running totals of a minute, keeping the larger count, so writes are
-- idempotent and two nodes never write one row. model_name and model_version are '' when
-- no model was chosen. Times are INTEGER unix microseconds; minute is a whole minute.

CREATE TABLE serve_errors (
    endpoint      TEXT    NOT NULL,
    minute        INTEGER NOT NULL,
    writer        TEXT    NOT NULL,
    model_name    TEXT    NOT NULL DEFAULT '',
    model_version TEXT    NOT NULL DEFAULT '',
    class         TEXT    NOT NULL,
    count         INTEGER NOT NULL,
    last_status   INTEGER NOT NULL DEFAULT 0,
    last_message  TEXT    NOT NULL DEFAULT '',
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (endpoint, minute, writer, model_name, model_version, class)
) STRICT;

CREATE INDEX serve_errors_by_minute ON serve_errors (minute);
