-- Queries on dag_runs. Column order is the order of scanRun (runs.go).

-- name: InsertRun
INSERT INTO dag_runs (
    dag_id, run_id, logical_date, run_type, state, conf, params, dag, dag_hash,
    queued_at, started_at, ended_at, owner, heartbeat_at,
    data_interval_start, data_interval_end, trigger_events
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: UpsertRun
-- Replaces the whole row but for dag: a NULL snapshot keeps the stored one, so that writers
-- need not carry it.
INSERT INTO dag_runs (
    dag_id, run_id, logical_date, run_type, state, conf, params, dag, dag_hash,
    queued_at, started_at, ended_at, owner, heartbeat_at,
    data_interval_start, data_interval_end, trigger_events
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dag_id, run_id) DO UPDATE SET
    logical_date        = excluded.logical_date,
    run_type            = excluded.run_type,
    state               = excluded.state,
    conf                = excluded.conf,
    params              = excluded.params,
    dag                 = COALESCE(excluded.dag, dag_runs.dag),
    dag_hash            = excluded.dag_hash,
    queued_at           = excluded.queued_at,
    started_at          = excluded.started_at,
    ended_at            = excluded.ended_at,
    owner               = excluded.owner,
    heartbeat_at        = excluded.heartbeat_at,
    data_interval_start = excluded.data_interval_start,
    data_interval_end   = excluded.data_interval_end,
    trigger_events      = excluded.trigger_events;

-- name: GetRun
SELECT dag_id, run_id, logical_date, run_type, state, conf, params, dag, dag_hash,
       queued_at, started_at, ended_at, owner, heartbeat_at,
       data_interval_start, data_interval_end, trigger_events
FROM dag_runs
WHERE dag_id = ? AND run_id = ?;

-- name: ListRuns
-- A text/template: the filters present select the variant (and so the index) used.
-- Unset queued_at (NULL) sorts last, as the oldest. The DAG snapshot is not read (NULL):
-- listings do not need it, and it can weigh megabytes per run.
SELECT dag_id, run_id, logical_date, run_type, state, conf, params, NULL, dag_hash,
       queued_at, started_at, ended_at, owner, heartbeat_at,
       data_interval_start, data_interval_end, trigger_events
FROM dag_runs
WHERE true
{{- if .DAGID}} AND dag_id = :dag_id{{end}}
{{- if .RunID}} AND run_id = :run_id{{end}}
{{- if .States}} AND state IN (SELECT value FROM json_each(:states)){{end}}
ORDER BY queued_at DESC, dag_id, run_id
LIMIT :limit OFFSET :offset;

-- name: CountRuns
-- A text/template, the filters of ListRuns: how many runs match (through the same indexes).
SELECT count(*)
FROM dag_runs
WHERE true
{{- if .DAGID}} AND dag_id = :dag_id{{end}}
{{- if .RunID}} AND run_id = :run_id{{end}}
{{- if .States}} AND state IN (SELECT value FROM json_each(:states)){{end}};
