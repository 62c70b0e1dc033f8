-- 011_monitors: live monitors of serving deployments (package monitor/live) and their
-- results. spec is the monitor's definition as JSON (owned by monitor/live); drifting,
-- last_run_at and last_fired_at are the runner's state between evaluations (actions fire
-- on the transition into drift, with a cool-down). A result's document is JSON; drift and
-- fired are copied out of it for listing. Times are Unix microseconds (0 for none).

CREATE TABLE monitors (
    name          TEXT    NOT NULL PRIMARY KEY,
    endpoint      TEXT    NOT NULL,
    spec          TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_run_at   INTEGER NOT NULL DEFAULT 0,
    drifting      INTEGER NOT NULL DEFAULT 0,
    last_fired_at INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE monitor_results (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor    TEXT    NOT NULL REFERENCES monitors (name) ON DELETE CASCADE,
    run_at     INTEGER NOT NULL,
    drift      INTEGER NOT NULL DEFAULT 0,
    fired      INTEGER NOT NULL DEFAULT 0,
    result     TEXT
) STRICT;

CREATE INDEX monitor_results_by_time ON monitor_results (monitor, run_at);
