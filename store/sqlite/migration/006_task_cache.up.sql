-- 006_task_cache: result caching (a task with cache: true). task_cache holds the result of
-- a successful task instance under its cache key (see package engine: "sha256:<hex>" of the
-- canonical JSON of the task's inputs); task_instances records, per instance, the key of its
-- last try and the instance a cache hit reused.
--
-- An entry outlives the run that produced it (no foreign key): clearing or deleting runs
-- does not clear the cache; `weir cache clear` does. Times are INTEGER unix microseconds.

CREATE TABLE task_cache (
    cache_key       TEXT    NOT NULL PRIMARY KEY,
    dag_id          TEXT    NOT NULL,
    task_id         TEXT    NOT NULL,
    run_id          TEXT    NOT NULL,
    map_index       INTEGER NOT NULL,
    output          TEXT,
    tracking_run_id TEXT    NOT NULL DEFAULT '',
    inputs          TEXT,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX task_cache_by_task ON task_cache (dag_id, task_id, created_at);

ALTER TABLE task_instances ADD COLUMN cache_key TEXT NOT NULL DEFAULT '';
ALTER TABLE task_instances ADD COLUMN cached_from TEXT NOT NULL DEFAULT '';
