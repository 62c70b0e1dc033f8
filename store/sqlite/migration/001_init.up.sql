-- 001_init: DAG runs, task instances, their tries, and pools.
--
-- Times are INTEGER unix microseconds, NULL when unset. JSON documents are TEXT, NULL when
-- absent. Tables are STRICT so a value of the wrong type is an error, not a silent
-- conversion. Upserts use ON CONFLICT DO UPDATE, never INSERT OR REPLACE, which would delete
-- the row first and cascade the delete to its children.

CREATE TABLE dag_runs (
    dag_id       TEXT    NOT NULL,
    run_id       TEXT    NOT NULL,
    logical_date INTEGER,
    run_type     TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL,
    conf         TEXT,
    params       TEXT,
    dag          TEXT,
    queued_at    INTEGER,
    started_at   INTEGER,
    ended_at     INTEGER,
    owner        TEXT    NOT NULL DEFAULT '',
    heartbeat_at INTEGER,
    PRIMARY KEY (dag_id, run_id)
) STRICT;

-- ListRuns orders by queued_at DESC, dag_id, run_id; each index below ends with that order
-- after its equality columns, so a filtered list with a limit reads only what it returns.
CREATE INDEX dag_runs_queued_at ON dag_runs (queued_at DESC, dag_id, run_id);
CREATE INDEX dag_runs_dag_id ON dag_runs (dag_id, queued_at DESC, run_id);
CREATE INDEX dag_runs_run_id ON dag_runs (run_id, queued_at DESC, dag_id);
CREATE INDEX dag_runs_state ON dag_runs (state, queued_at DESC, dag_id, run_id);

CREATE TABLE task_instances (
    dag_id          TEXT    NOT NULL,
    run_id          TEXT    NOT NULL,
    task_id         TEXT    NOT NULL,
    map_index       INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT '',
    try_number      INTEGER NOT NULL DEFAULT 0,
    max_tries       INTEGER NOT NULL DEFAULT 1,
    pool            TEXT    NOT NULL DEFAULT '',
    pool_slots      INTEGER NOT NULL DEFAULT 1,
    priority_weight INTEGER NOT NULL DEFAULT 1,
    queued_at       INTEGER,
    started_at      INTEGER,
    ended_at        INTEGER,
    next_try_at     INTEGER,
    hostname        TEXT    NOT NULL DEFAULT '',
    pid             INTEGER NOT NULL DEFAULT 0,
    output          TEXT,
    error           TEXT    NOT NULL DEFAULT '',
    -- The primary key also serves ListTaskInstances by run, in its order.
    PRIMARY KEY (dag_id, run_id, task_id, map_index),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE task_tries (
    dag_id     TEXT    NOT NULL,
    run_id     TEXT    NOT NULL,
    task_id    TEXT    NOT NULL,
    map_index  INTEGER NOT NULL,
    try_number INTEGER NOT NULL,
    state      TEXT    NOT NULL DEFAULT '',
    started_at INTEGER,
    ended_at   INTEGER,
    hostname   TEXT    NOT NULL DEFAULT '',
    pid        INTEGER NOT NULL DEFAULT 0,
    error      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number),
    FOREIGN KEY (dag_id, run_id, task_id, map_index)
        REFERENCES task_instances (dag_id, run_id, task_id, map_index) ON DELETE CASCADE
) STRICT;

CREATE TABLE pools (
    name        TEXT    NOT NULL PRIMARY KEY,
    slots       INTEGER NOT NULL,
    description TEXT    NOT NULL DEFAULT ''
) STRICT;

INSERT INTO pools (name, slots, description) VALUES ('default_pool', 128, 'Default pool');
