-- 014_approvals: the requests of approval tasks for a person's answer, and the answers
-- (package approval; Airflow's hitl_detail). One row per task instance; a new try replaces
-- it. Lists are JSON arrays of strings and params JSON objects, as TEXT; times INTEGER unix
-- microseconds, 0 for none.

CREATE TABLE approvals (
    dag_id            TEXT    NOT NULL,
    run_id            TEXT    NOT NULL,
    task_id           TEXT    NOT NULL,
    map_index         INTEGER NOT NULL,
    subject           TEXT    NOT NULL,
    body              TEXT    NOT NULL DEFAULT '',
    options           TEXT    NOT NULL,
    defaults          TEXT    NOT NULL DEFAULT '[]',
    multiple          INTEGER NOT NULL DEFAULT 0,
    params            TEXT,
    assigned_users    TEXT    NOT NULL DEFAULT '[]',
    assigned_role     TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    timeout_at        INTEGER NOT NULL DEFAULT 0,
    state             TEXT    NOT NULL,
    chosen_options    TEXT    NOT NULL DEFAULT '[]',
    params_input      TEXT,
    comment           TEXT    NOT NULL DEFAULT '',
    responded_by      TEXT    NOT NULL DEFAULT '',
    responded_by_kind TEXT    NOT NULL DEFAULT '',
    responded_at      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dag_id, run_id, task_id, map_index)
) STRICT;

CREATE INDEX approvals_state ON approvals (state, created_at);
