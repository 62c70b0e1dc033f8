-- Queries on task_instances and task_tries. Column orders are those of scanTI and scanTry
-- (task_instances.go).

-- name: InsertTI
INSERT INTO task_instances (
    dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool, pool_slots,
    priority_weight, queued_at, started_at, ended_at, next_try_at, hostname, pid, output, error,
    args, rendered_map_index, cache_key, cached_from
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: UpsertTI
INSERT INTO task_instances (
    dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool, pool_slots,
    priority_weight, queued_at, started_at, ended_at, next_try_at, hostname, pid, output, error,
    args, rendered_map_index, cache_key, cached_from
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dag_id, run_id, task_id, map_index) DO UPDATE SET
    state              = excluded.state,
    try_number         = excluded.try_number,
    max_tries          = excluded.max_tries,
    pool               = excluded.pool,
    pool_slots         = excluded.pool_slots,
    priority_weight    = excluded.priority_weight,
    queued_at          = excluded.queued_at,
    started_at         = excluded.started_at,
    ended_at           = excluded.ended_at,
    next_try_at        = excluded.next_try_at,
    hostname           = excluded.hostname,
    pid                = excluded.pid,
    output             = excluded.output,
    error              = excluded.error,
    args               = excluded.args,
    rendered_map_index = excluded.rendered_map_index,
    cache_key          = excluded.cache_key,
    cached_from        = excluded.cached_from;

-- name: DeleteTI
-- Deletes one task instance; its tries go with it (ON DELETE CASCADE, served by the prefix
-- of task_tries' primary key).
DELETE FROM task_instances
WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?;

-- name: GetTI
SELECT dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool, pool_slots,
       priority_weight, queued_at, started_at, ended_at, next_try_at, hostname, pid, output, error,
       args, rendered_map_index, cache_key, cached_from
FROM task_instances
WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?;

-- name: ListTIs
-- A text/template: the filters present select the variant used.
SELECT dag_id, run_id, task_id, map_index, state, try_number, max_tries, pool, pool_slots,
       priority_weight, queued_at, started_at, ended_at, next_try_at, hostname, pid, output, error,
       args, rendered_map_index, cache_key, cached_from
FROM task_instances
WHERE true
{{- if .DAGID}} AND dag_id = :dag_id{{end}}
{{- if .RunID}} AND run_id = :run_id{{end}}
{{- if .TaskIDs}} AND task_id IN (SELECT value FROM json_each(:task_ids)){{end}}
{{- if .States}} AND state IN (SELECT value FROM json_each(:states)){{end}}
ORDER BY dag_id, run_id, task_id, map_index
{{- if .Page}} LIMIT :limit OFFSET :offset{{end}};

-- name: UpsertTry
INSERT INTO task_tries (
    dag_id, run_id, task_id, map_index, try_number, state, started_at, ended_at,
    hostname, pid, error
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE SET
    state      = excluded.state,
    started_at = excluded.started_at,
    ended_at   = excluded.ended_at,
    hostname   = excluded.hostname,
    pid        = excluded.pid,
    error      = excluded.error;

-- name: ListTries
SELECT dag_id, run_id, task_id, map_index, try_number, state, started_at, ended_at,
       hostname, pid, error
FROM task_tries
WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?
ORDER BY try_number;

-- name: CountTIs
-- A text/template, as ListTIs.
SELECT count(*)
FROM task_instances
WHERE true
{{- if .DAGID}} AND dag_id = :dag_id{{end}}
{{- if .RunID}} AND run_id = :run_id{{end}}
{{- if .TaskIDs}} AND task_id IN (SELECT value FROM json_each(:task_ids)){{end}}
{{- if .States}} AND state IN (SELECT value FROM json_each(:states)){{end}};
