-- Queries of runview.go: what a view of a run needs, summed up by the database.

-- name: TaskSummaries
-- One row per task and state of a run's instances: the primary key (dag_id, run_id,
-- task_id, map_index) serves the scan and the grouping.
SELECT task_id, state, count(*), min(map_index), max(map_index), min(started_at), max(ended_at)
FROM task_instances
WHERE dag_id = ? AND run_id = ?
GROUP BY task_id, state
ORDER BY task_id;

-- name: UpsertRenderedFields
INSERT INTO rendered_fields (dag_id, run_id, task_id, map_index, try_number, fields, rendered_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE SET
    fields      = excluded.fields,
    rendered_at = excluded.rendered_at;

-- name: HasRenderedFields
-- Whether a run of a task has saved fields already (then its pruning was done).
SELECT EXISTS (SELECT 1 FROM rendered_fields WHERE dag_id = ? AND run_id = ? AND task_id = ?);

-- name: PruneRenderedFields
-- Deletes the fields of a task in all but its KEEP newest runs (by logical date, then
-- queue time; a run since deleted counts as oldest). Parameters: dag, task, keep.
DELETE FROM rendered_fields
WHERE dag_id = ?1 AND task_id = ?2 AND run_id IN (
    SELECT f.run_id
    FROM (SELECT DISTINCT run_id FROM rendered_fields WHERE dag_id = ?1 AND task_id = ?2) AS f
    LEFT JOIN dag_runs AS r ON r.dag_id = ?1 AND r.run_id = f.run_id
    ORDER BY r.logical_date DESC NULLS LAST, r.queued_at DESC NULLS LAST, f.run_id DESC
    LIMIT -1 OFFSET ?3
);

-- name: GetRenderedFields
-- The fields of one try, or of the latest try saved when the try number is 0.
SELECT dag_id, run_id, task_id, map_index, try_number, fields, rendered_at
FROM rendered_fields
WHERE dag_id = ?1 AND run_id = ?2 AND task_id = ?3 AND map_index = ?4 AND (?5 = 0 OR try_number = ?5)
ORDER BY try_number DESC
LIMIT 1;
