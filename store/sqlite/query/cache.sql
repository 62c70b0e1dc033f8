-- Queries on task_cache (cache.go). Column orders are those of scanCacheEntry.

-- name: UpsertCacheEntry
INSERT INTO task_cache (
    cache_key, dag_id, task_id, run_id, map_index, output, tracking_run_id, inputs, created_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (cache_key) DO UPDATE SET
    dag_id          = excluded.dag_id,
    task_id         = excluded.task_id,
    run_id          = excluded.run_id,
    map_index       = excluded.map_index,
    output          = excluded.output,
    tracking_run_id = excluded.tracking_run_id,
    inputs          = excluded.inputs,
    created_at      = excluded.created_at;

-- name: GetCacheEntry
SELECT cache_key, dag_id, task_id, run_id, map_index, output, tracking_run_id, inputs, created_at
FROM task_cache
WHERE cache_key = ?;

-- name: ListCacheEntries
-- An empty filter value matches every row.
SELECT cache_key, dag_id, task_id, run_id, map_index, output, tracking_run_id, NULL, created_at
FROM task_cache
WHERE (:dag_id = '' OR dag_id = :dag_id)
  AND (:task_id = '' OR task_id = :task_id)
ORDER BY created_at DESC, cache_key
LIMIT :limit;

-- name: DeleteCacheEntries
DELETE FROM task_cache
WHERE (:dag_id = '' OR dag_id = :dag_id)
  AND (:task_id = '' OR task_id = :task_id);
