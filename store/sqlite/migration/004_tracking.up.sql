-- 004_tracking: experiment tracking and the model registry (package tracking).
--
-- Runs have an integer key (id) that every per-run table references, so joins and indexes
-- stay small; run_uuid is the 32-hex ID clients see. Times are Unix milliseconds.
-- latest_metrics holds each run's latest point of each metric (greatest step, then
-- timestamp, then value), maintained by LogBatch, so runs/search filters and sorts on
-- metrics without touching the history. A NaN value is stored as 0 with is_nan = 1 (SQLite
-- stores NaN as NULL).

CREATE TABLE experiments (
    experiment_id     INTEGER NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE,
    artifact_location TEXT    NOT NULL,
    lifecycle_stage   TEXT    NOT NULL DEFAULT 'active',
    creation_time     INTEGER NOT NULL,
    last_update_time  INTEGER NOT NULL
) STRICT;

INSERT INTO experiments (experiment_id, name, artifact_location, creation_time, last_update_time)
VALUES (0, 'Default', 'mlflow-artifacts:/0', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));

CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    PRIMARY KEY (experiment_id, key)
) STRICT, WITHOUT ROWID;

-- deleted_by_experiment is 1 for a run deleted because its experiment was: restoring the
-- experiment restores exactly those.
CREATE TABLE tracking_runs (
    id                    INTEGER NOT NULL PRIMARY KEY,
    run_uuid              TEXT    NOT NULL UNIQUE,
    experiment_id         INTEGER NOT NULL REFERENCES experiments (experiment_id),
    name                  TEXT    NOT NULL,
    user_id               TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    start_time            INTEGER NOT NULL,
    end_time              INTEGER,
    lifecycle_stage       TEXT    NOT NULL DEFAULT 'active',
    artifact_uri          TEXT    NOT NULL,
    deleted_by_experiment INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX tracking_runs_experiment ON tracking_runs (experiment_id, lifecycle_stage, start_time DESC);

CREATE TABLE run_params (
    run   INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    PRIMARY KEY (run, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX run_params_key ON run_params (key, value);

CREATE TABLE run_tags (
    run   INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    PRIMARY KEY (run, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX run_tags_key ON run_tags (key, value);

-- The full series. Identical points (same step, timestamp and value) are kept once, as
-- MLflow's primary key does.
CREATE TABLE metric_history (
    run       INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    step      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, key, step, timestamp, value, is_nan)
) STRICT, WITHOUT ROWID;

CREATE TABLE latest_metrics (
    run       INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    step      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX latest_metrics_key ON latest_metrics (key, value);

-- Datasets a run consumed (runs/log-inputs): MLflow's DatasetInput, its dataset as JSON.
CREATE TABLE run_inputs (
    run     INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    tags    TEXT    NOT NULL,
    dataset TEXT    NOT NULL,
    PRIMARY KEY (run, seq)
) STRICT, WITHOUT ROWID;

-- next_version is the number the next version gets: numbers are never reused.
CREATE TABLE registered_models (
    id                INTEGER NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL UNIQUE,
    description       TEXT    NOT NULL DEFAULT '',
    creation_time     INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    next_version      INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE registered_model_tags (
    model INTEGER NOT NULL REFERENCES registered_models (id) ON DELETE CASCADE,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    PRIMARY KEY (model, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE model_versions (
    model             INTEGER NOT NULL REFERENCES registered_models (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    creation_time     INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    user_id           TEXT    NOT NULL DEFAULT '',
    current_stage     TEXT    NOT NULL DEFAULT 'None',
    source            TEXT    NOT NULL,
    run_id            TEXT    NOT NULL DEFAULT '',
    run_link          TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT 'READY',
    status_message    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (model, version)
) STRICT, WITHOUT ROWID;

CREATE INDEX model_versions_run ON model_versions (run_id);

CREATE TABLE model_version_tags (
    model   INTEGER NOT NULL,
    version INTEGER NOT NULL,
    key     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (model, version, key),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE registered_model_aliases (
    model   INTEGER NOT NULL,
    alias   TEXT    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (model, alias),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
