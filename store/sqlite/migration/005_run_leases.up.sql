-- 005_run_leases: a run is owned through a lease with a TTL and a fencing epoch (see the
-- package store documentation). One row per run that was ever leased; releasing a lease keeps
-- the row (owner '') so the epoch only ever grows.
--
-- Times are INTEGER unix microseconds; expires_at is 0 for a released lease.

CREATE TABLE run_leases (
    dag_id       TEXT    NOT NULL,
    run_id       TEXT    NOT NULL,
    owner        TEXT    NOT NULL DEFAULT '',
    epoch        INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    heartbeat_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dag_id, run_id),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE
) STRICT;
