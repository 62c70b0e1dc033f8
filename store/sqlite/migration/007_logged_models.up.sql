-- 007_logged_models: MLflow 3's logged models (package tracking, LoggedModel), the
-- models runs produced (runs/outputs) and registry webhooks. Numbered 007: 006 is taken
-- by another change.
--
-- model_id is the ID clients see ("m-" and 32 hex digits); id is the integer key the
-- per-model tables reference. A deleted model keeps its row (lifecycle_stage 'deleted') so
-- its ID is never reused. status is the LoggedModelStatus enum's name. Times are Unix
-- milliseconds.

CREATE TABLE logged_models (
    id                INTEGER NOT NULL PRIMARY KEY,
    model_id          TEXT    NOT NULL UNIQUE,
    experiment_id     INTEGER NOT NULL REFERENCES experiments (experiment_id),
    name              TEXT    NOT NULL,
    artifact_location TEXT    NOT NULL,
    creation_time     INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    model_type        TEXT    NOT NULL DEFAULT '',
    source_run_id     TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL,
    status_message    TEXT    NOT NULL DEFAULT '',
    lifecycle_stage   TEXT    NOT NULL DEFAULT 'active'
) STRICT;

CREATE INDEX logged_models_experiment ON logged_models (experiment_id, lifecycle_stage);

CREATE TABLE logged_model_tags (
    model INTEGER NOT NULL REFERENCES logged_models (id) ON DELETE CASCADE,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    PRIMARY KEY (model, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE logged_model_params (
    model INTEGER NOT NULL REFERENCES logged_models (id) ON DELETE CASCADE,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    PRIMARY KEY (model, key)
) STRICT, WITHOUT ROWID;

-- The logged models a run produced, and at which step.
CREATE TABLE run_outputs (
    run   INTEGER NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
    model INTEGER NOT NULL REFERENCES logged_models (id) ON DELETE CASCADE,
    step  INTEGER NOT NULL,
    PRIMARY KEY (run, model)
) STRICT, WITHOUT ROWID;

-- Registry webhooks (MLflow 3.3): events is a JSON list of "entity.action" names; status is
-- ACTIVE or DISABLED. A deleted webhook's row goes.
CREATE TABLE webhooks (
    id                TEXT    NOT NULL PRIMARY KEY,
    seq               INTEGER NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    secret            TEXT    NOT NULL,
    events            TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    creation_time     INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL
) STRICT;
