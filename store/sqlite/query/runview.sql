-- Queries of runview.go: what a view of a run needs, summed up by the database.

-- name: TaskSummaries
-- One row per task and state of a run's instances: the primary key (dag_id, run_id,
-- task_id, map_index) serves the scan and the grouping.
SELECT task_id, state, count(*), min(map_index), max(map_index), min(started_at), max(ended_at)
FROM task_instances
WHERE dag_id = ? AND run_id = ?
GROUP BY task_id, state
ORDER BY task_id;
