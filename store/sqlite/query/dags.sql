-- Queries on dags and import_errors. Column order of dags is that of scanDAG (dags.go).

-- name: UpsertDAG
-- An existing row keeps is_paused (the user's choice) and last_scheduled_* (the scheduler's
-- bookkeeping, written by SetLastScheduled only); the WHERE clause leaves a row whose other
-- columns are unchanged untouched, updated_at included.
INSERT INTO dags (
    dag_id, is_paused, source, hash, schedule, last_scheduled_start, last_scheduled_end,
    is_active, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dag_id) DO UPDATE SET
    source     = excluded.source,
    hash       = excluded.hash,
    schedule   = excluded.schedule,
    is_active  = excluded.is_active,
    updated_at = excluded.updated_at
WHERE source IS NOT excluded.source
   OR hash IS NOT excluded.hash
   OR schedule IS NOT excluded.schedule
   OR is_active IS NOT excluded.is_active;

-- name: GetDAG
SELECT dag_id, is_paused, source, hash, schedule, last_scheduled_start, last_scheduled_end,
       is_active, updated_at
FROM dags
WHERE dag_id = ?;

-- name: ListDAGs
SELECT dag_id, is_paused, source, hash, schedule, last_scheduled_start, last_scheduled_end,
       is_active, updated_at
FROM dags
ORDER BY dag_id;

-- name: SetPaused
-- ?1 paused (0 or 1), ?2 now, ?3 DAG ID. updated_at changes only with is_paused; the row
-- counts as changed either way, so that zero changes means no such DAG.
UPDATE dags SET
    updated_at = CASE WHEN is_paused = ?1 THEN updated_at ELSE ?2 END,
    is_paused  = ?1
WHERE dag_id = ?3;

-- name: SetLastScheduled
UPDATE dags SET
    last_scheduled_start = ?,
    last_scheduled_end   = ?,
    updated_at           = ?
WHERE dag_id = ?;

-- name: UpsertImportError
INSERT INTO import_errors (file, message, at) VALUES (?, ?, ?)
ON CONFLICT (file) DO UPDATE SET
    message = excluded.message,
    at      = excluded.at;

-- name: DeleteImportError
DELETE FROM import_errors WHERE file = ?;

-- name: ListImportErrors
SELECT file, message, at FROM import_errors ORDER BY file;
