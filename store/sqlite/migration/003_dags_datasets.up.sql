-- 003_dags_datasets: DAG metadata (pause, scheduling bookkeeping), import errors, datasets,
-- dataset events and their consumer queue; data intervals and trigger events on runs.
--
-- ADD COLUMN without a default rewrites no row: existing runs get no data interval (NULL)
-- and no trigger events (NULL).

ALTER TABLE dag_runs ADD COLUMN data_interval_start INTEGER;
ALTER TABLE dag_runs ADD COLUMN data_interval_end INTEGER;
-- trigger_events is the JSON list of the dataset events that triggered a dataset-scheduled
-- run, NULL otherwise.
ALTER TABLE dag_runs ADD COLUMN trigger_events TEXT;

-- One row per DAG the store knows. Booleans are 0 or 1. last_scheduled_start and
-- last_scheduled_end are the data interval of the latest run the scheduler created on the
-- DAG's time schedule, NULL before the first.
CREATE TABLE dags (
    dag_id               TEXT    NOT NULL PRIMARY KEY,
    is_paused            INTEGER NOT NULL DEFAULT 0,
    source               TEXT    NOT NULL DEFAULT '',
    hash                 TEXT    NOT NULL DEFAULT '',
    schedule             TEXT    NOT NULL DEFAULT '',
    last_scheduled_start INTEGER,
    last_scheduled_end   INTEGER,
    is_active            INTEGER NOT NULL DEFAULT 1,
    updated_at           INTEGER
) STRICT;

-- The DAG files that failed to load, one row per file; a file that loads again loses its row.
CREATE TABLE import_errors (
    file    TEXT    NOT NULL PRIMARY KEY,
    message TEXT    NOT NULL,
    at      INTEGER
) STRICT;

CREATE TABLE datasets (
    uri        TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER,
    updated_at INTEGER
) STRICT;

-- AUTOINCREMENT: an ID is never reused, even after the newest events were deleted, so IDs
-- order events and a consumer that remembers the last ID it saw misses none.
CREATE TABLE dataset_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uri              TEXT    NOT NULL REFERENCES datasets (uri),
    extra            TEXT,
    source_dag_id    TEXT    NOT NULL DEFAULT '',
    source_run_id    TEXT    NOT NULL DEFAULT '',
    source_task_id   TEXT    NOT NULL DEFAULT '',
    source_map_index INTEGER NOT NULL DEFAULT 0,
    timestamp        INTEGER
) STRICT;

-- ListDatasetEvents filters by one of these and orders by id, which every index holds
-- (as the rowid), so a filtered list with a limit reads only what it returns.
CREATE INDEX dataset_events_uri ON dataset_events (uri);
CREATE INDEX dataset_events_source_dag_id ON dataset_events (source_dag_id);

-- Airflow's dataset DAG run queue: the events each consumer DAG has not yet had a run for.
-- The primary key serves a consumer's queue in event order and TriggerFromQueue's delete.
-- There is deliberately no index on event_id: the queue holds only pending events, so the
-- whole queue is sorted cheaply and a delete of events (which nothing does yet) scans it
-- cheaply for the foreign key, while an index would cost every queued event a page write.
CREATE TABLE dataset_queue (
    dag_id   TEXT    NOT NULL,
    event_id INTEGER NOT NULL REFERENCES dataset_events (id) ON DELETE CASCADE,
    PRIMARY KEY (dag_id, event_id)
) STRICT, WITHOUT ROWID;
