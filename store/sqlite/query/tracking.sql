-- Queries of the tracking store (package tracking; tracking_*.go). Column order of
-- experiments is that of scanExperiment, of runs that of scanRunInfo, of model versions
-- that of scanModelVersion.

-- name: TrackingInsertExperiment
INSERT INTO experiments (name, artifact_location, creation_time, last_update_time)
VALUES (?1, ?2, ?3, ?3);

-- name: TrackingSetDefaultArtifactLocation
-- ?1 experiment ID: an experiment created without a location gets the proxied default.
UPDATE experiments SET artifact_location = 'mlflow-artifacts:/' || experiment_id
WHERE experiment_id = ?1;

-- name: TrackingGetExperiment
SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
FROM experiments WHERE experiment_id = ?;

-- name: TrackingGetExperimentByName
SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
FROM experiments WHERE name = ?;

-- name: TrackingListExperiments
SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
FROM experiments ORDER BY experiment_id;

-- name: TrackingListExperimentTags
-- Every experiment's tags (experiments are few).
SELECT experiment_id, key, value FROM experiment_tags ORDER BY experiment_id, key;

-- name: TrackingGetExperimentTags
SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key;

-- name: TrackingRenameExperiment
-- Only an active experiment is renamed (MLflow: "Cannot rename a non-active experiment").
UPDATE experiments SET name = ?2, last_update_time = ?3 WHERE experiment_id = ?1 AND lifecycle_stage = 'active';

-- name: TrackingSetExperimentStage
UPDATE experiments SET lifecycle_stage = ?2, last_update_time = ?3 WHERE experiment_id = ?1;

-- name: TrackingDeleteExperimentRuns
-- Deleting an experiment deletes its active runs, marked so restoring it restores them.
UPDATE tracking_runs SET lifecycle_stage = 'deleted', deleted_by_experiment = 1
WHERE experiment_id = ?1 AND lifecycle_stage = 'active';

-- name: TrackingRestoreExperimentRuns
UPDATE tracking_runs SET lifecycle_stage = 'active', deleted_by_experiment = 0
WHERE experiment_id = ?1 AND deleted_by_experiment = 1;

-- name: TrackingSetExperimentTag
INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)
ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value;

-- name: TrackingDeleteExperimentTag
DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2;

-- name: TrackingInsertRun
INSERT INTO tracking_runs (run_uuid, experiment_id, name, user_id, status, start_time, artifact_uri)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: TrackingGetRunInfo
SELECT r.id, r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time,
       r.artifact_uri, r.lifecycle_stage
FROM tracking_runs r WHERE r.run_uuid = ?;

-- name: TrackingUpdateRun
-- NULL arguments leave their column unchanged.
UPDATE tracking_runs SET
    status = coalesce(?2, status),
    end_time = coalesce(?3, end_time),
    name = coalesce(?4, name)
WHERE id = ?1;

-- name: TrackingSetRunStage
UPDATE tracking_runs SET lifecycle_stage = ?2, deleted_by_experiment = 0 WHERE id = ?1;

-- name: TrackingInsertParams
-- ?1 run, ?2 JSON list of [key, value]. A key already logged keeps its value; the caller
-- compares afterwards (TrackingConflictingParams) to report a different value.
INSERT INTO run_params (run, key, value)
SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2) WHERE true
ON CONFLICT (run, key) DO NOTHING;

-- name: TrackingConflictingParams
-- The params of ?2 (JSON list of [key, value]) logged on run ?1 with another value.
SELECT p.key, p.value, j.value ->> 1 FROM json_each(?2) j
JOIN run_params p ON p.run = ?1 AND p.key = j.value ->> 0
WHERE p.value != j.value ->> 1
LIMIT 1;

-- name: TrackingUpsertTags
-- ?1 run, ?2 JSON list of [key, value]; the last of one key wins.
INSERT INTO run_tags (run, key, value)
SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2) WHERE true
ON CONFLICT (run, key) DO UPDATE SET value = excluded.value;

-- name: TrackingDeleteRunTag
DELETE FROM run_tags WHERE run = ?1 AND key = ?2;

-- name: TrackingInsertMetrics
-- ?1 run, ?2 JSON list of [key, value, timestamp, step, is_nan]; a non-finite value is the
-- text "Infinity" or "-Infinity" (JSON has no infinity), 9e999 being SQLite's infinity.
INSERT INTO metric_history (run, key, value, timestamp, step, is_nan)
SELECT ?1, value ->> 0,
       CASE value ->> 1 WHEN 'Infinity' THEN 9e999 WHEN '-Infinity' THEN -9e999 ELSE value ->> 1 END,
       value ->> 2, value ->> 3, value ->> 4
FROM json_each(?2) WHERE true
ON CONFLICT DO NOTHING;

-- name: TrackingLogMetricRow
-- One point appended to metric_log, as TrackingInsertMetricRow (multiRow expands it).
INSERT INTO metric_log (run, key, value, timestamp, step, is_nan) VALUES (?, ?, ?, ?, ?, ?);

-- name: TrackingUpsertLatestMetricRow
-- One key's latest point, as TrackingInsertMetricRow (multiRow expands it; one row per key):
-- a point replaces the latest if it is later by (step, timestamp, value).
INSERT INTO latest_metrics (run, key, value, timestamp, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (run, key) DO UPDATE SET
    value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value);

-- name: TrackingInsertInput
INSERT INTO run_inputs (run, seq, tags, dataset)
VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM run_inputs WHERE run = ?1), ?2, ?3);

-- name: TrackingRunParams
-- ?1 JSON list of run keys; rows by run then key.
SELECT run, key, value FROM run_params WHERE run IN (SELECT value FROM json_each(?1)) ORDER BY run, key;

-- name: TrackingRunTags
SELECT run, key, value FROM run_tags WHERE run IN (SELECT value FROM json_each(?1)) ORDER BY run, key;

-- name: TrackingRunMetrics
SELECT run, key, value, timestamp, step, is_nan FROM latest_metrics
WHERE run IN (SELECT value FROM json_each(?1)) ORDER BY run, key;

-- name: TrackingRunInputs
SELECT run, tags, dataset FROM run_inputs WHERE run IN (SELECT value FROM json_each(?1)) ORDER BY run, seq;

-- name: TrackingMetricHistory
-- ?1 run, ?2 key, ?3 limit (-1 for all), ?4 offset.
SELECT value, timestamp, step, is_nan FROM metric_history
WHERE run = ?1 AND key = ?2
ORDER BY step, timestamp, value
LIMIT ?3 OFFSET ?4;

-- name: TrackingMetricHistoryAfter
-- The points of series (?1 run, ?2 key) after the point (?3 step, ?4 timestamp, ?5 value,
-- ?6 is_nan), in key order: a page that starts where the previous one ended, by the
-- primary key (no OFFSET walking the pages before it).
SELECT value, timestamp, step, is_nan FROM metric_history
WHERE run = ?1 AND key = ?2 AND (step, timestamp, value, is_nan) > (?3, ?4, ?5, ?6)
ORDER BY step, timestamp, value, is_nan;

-- name: TrackingMetricLogSeries
-- The points of series (?1 run, ?2 key) still in metric_log, in history order.
SELECT value, timestamp, step, is_nan FROM metric_log
WHERE run = ?1 AND key = ?2
ORDER BY step, timestamp, value, is_nan;

-- name: TrackingMetricLogRange
-- As TrackingMetricLogSeries, steps in [?3, ?4].
SELECT value, timestamp, step, is_nan FROM metric_log
WHERE run = ?1 AND key = ?2 AND step BETWEEN ?3 AND ?4
ORDER BY step, timestamp, value, is_nan;

-- name: TrackingMetricLogCount
SELECT count(*) FROM metric_log;

-- name: TrackingMergeMetricLog
-- Moves metric_log into metric_history in the history's order (each series' pages written
-- once); a point already there is dropped, as a duplicate log call's is.
INSERT INTO metric_history (run, key, value, timestamp, step, is_nan)
SELECT run, key, value, timestamp, step, is_nan FROM metric_log WHERE true
ORDER BY run, key, step, timestamp, value, is_nan
ON CONFLICT DO NOTHING;

-- name: TrackingClearMetricLog
DELETE FROM metric_log;

-- name: TrackingMetricHistoryRange
-- ?1 run, ?2 key, ?3 first step, ?4 last step (inclusive).
SELECT value, timestamp, step, is_nan FROM metric_history
WHERE run = ?1 AND key = ?2 AND step BETWEEN ?3 AND ?4
ORDER BY step, timestamp, value;

-- name: TrackingSearchRuns
-- A template over a search.RunQuery (package tracking/search, which plans the query and
-- binds the arguments: arg, args, glob). The joins in From are nested loops in that order
-- (CROSS JOIN fixes SQLite's join order). SQLite's LIKE ignores ASCII case: MLflow's LIKE
-- is GLOB here and ILIKE is LIKE. A metric's NaN is stored as 0 with is_nan = 1 and
-- compares with nothing.
{{- define "table"}}{{if eq . "metric"}}latest_metrics{{else if eq . "param"}}run_params{{else if eq . "tag"}}run_tags{{else}}tracking_runs{{end}}{{end}}
{{- define "attr"}}{{if eq . "run_id"}}r.run_uuid{{else if eq . "run_name"}}r.name{{else}}r.{{.}}{{end}}{{end}}
{{- define "dataset"}}{{if eq . "context"}}(SELECT t.value ->> 1 FROM json_each(i.tags) t WHERE t.value ->> 0 = 'mlflow.data.context'){{else}}i.dataset ->> '$.{{.}}'{{end}}{{end}}
{{- define "compare"}}{{if eq .Op "LIKE"}} GLOB {{arg (glob .Value)}}{{else if eq .Op "ILIKE"}} LIKE {{arg .Value}}{{else if eq .Op "IN"}} IN ({{args .Values}}){{else if eq .Op "NOT IN"}} NOT IN ({{args .Values}}){{else}} {{.Op}} {{arg .Value}}{{end}}{{end}}
{{- define "sortkey"}}{{if eq .Kind "attribute"}}{{template "attr" .Key}}{{else}}{{.Alias}}.value{{end}}{{end}}
SELECT {{if .Count}}count(*){{else}}r.id, r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time,
       r.artifact_uri, r.lifecycle_stage{{end}}
FROM {{range $i, $j := .From}}{{if $i}} CROSS JOIN {{end}}{{template "table" $j.Kind}} {{$j.Alias}}{{end}}
{{- range .Left}}
LEFT JOIN {{template "table" .Kind}} {{.Alias}} ON {{.Alias}}.run = r.id AND {{.Alias}}.key = {{arg .Key}}
{{- end}}
WHERE {{range .From}}{{if .Kind}}{{.Alias}}.key = {{arg .Key}} AND {{.Alias}}.run = r.id AND {{end}}{{end}}
{{- if eq (len .ExperimentIDs) 1}} r.experiment_id = {{arg (index .ExperimentIDs 0)}}{{else}} r.experiment_id IN ({{args .ExperimentIDs}}){{end}}
{{- if eq .View "ACTIVE_ONLY"}} AND r.lifecycle_stage = 'active'{{else if eq .View "DELETED_ONLY"}} AND r.lifecycle_stage = 'deleted'{{end}}
{{- range .Conds}}
  AND {{if eq .Op "MISSING"}}NOT EXISTS (SELECT 1 FROM {{template "table" .Kind}} x WHERE x.run = r.id AND x.key = {{arg .Key}})
  {{- else if eq .Kind "dataset"}}EXISTS (SELECT 1 FROM run_inputs i WHERE i.run = r.id AND {{template "dataset" .Key}}{{template "compare" .}})
  {{- else if eq .Kind "attribute"}}{{template "attr" .Key}}{{template "compare" .}}
  {{- else}}{{if eq .Kind "metric"}}{{.Alias}}.is_nan = 0 AND {{end}}{{.Alias}}.value{{template "compare" .}}
  {{- end}}
{{- end}}
{{- if not .Count}}
ORDER BY {{range .Order}}{{if .NullsLast}}({{template "sortkey" .}} IS NULL), {{end}}{{template "sortkey" .}}{{if .Desc}} DESC{{end}}, {{end}}r.start_time DESC, r.run_uuid
LIMIT {{arg .Limit}} OFFSET {{arg .Offset}}
{{- end}};

-- name: TrackingInsertModel
INSERT INTO registered_models (name, description, creation_time, last_updated_time)
VALUES (?1, ?2, ?3, ?3);

-- name: TrackingGetModel
SELECT id, name, description, creation_time, last_updated_time FROM registered_models WHERE name = ?;

-- name: TrackingListModels
SELECT id, name, description, creation_time, last_updated_time FROM registered_models ORDER BY name;

-- name: TrackingRenameModel
UPDATE registered_models SET name = ?2, last_updated_time = ?3 WHERE id = ?1;

-- name: TrackingUpdateModel
UPDATE registered_models SET description = ?2, last_updated_time = ?3 WHERE id = ?1;

-- name: TrackingTouchModel
UPDATE registered_models SET last_updated_time = ?2 WHERE id = ?1;

-- name: TrackingDeleteModel
DELETE FROM registered_models WHERE id = ?;

-- name: TrackingModelTags
-- ?1 a model key, or NULL for every model's.
SELECT model, key, value FROM registered_model_tags WHERE ?1 IS NULL OR model = ?1 ORDER BY model, key;

-- name: TrackingSetModelTag
INSERT INTO registered_model_tags (model, key, value) VALUES (?1, ?2, ?3)
ON CONFLICT (model, key) DO UPDATE SET value = excluded.value;

-- name: TrackingDeleteModelTag
DELETE FROM registered_model_tags WHERE model = ?1 AND key = ?2;

-- name: TrackingAliases
-- ?1 a model key, or NULL for every model's.
SELECT model, alias, version FROM registered_model_aliases WHERE ?1 IS NULL OR model = ?1 ORDER BY model, alias;

-- name: TrackingSetAlias
INSERT INTO registered_model_aliases (model, alias, version) VALUES (?1, ?2, ?3)
ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version;

-- name: TrackingDeleteAlias
DELETE FROM registered_model_aliases WHERE model = ?1 AND alias = ?2;

-- name: TrackingGetAlias
SELECT version FROM registered_model_aliases WHERE model = ?1 AND alias = ?2;

-- name: TrackingNextVersion
-- Takes the next version number of model ?1 and returns it.
UPDATE registered_models SET next_version = next_version + 1, last_updated_time = ?2
WHERE id = ?1 RETURNING next_version - 1;

-- name: TrackingInsertVersion
INSERT INTO model_versions (model, version, creation_time, last_updated_time, description, user_id,
                            source, run_id, run_link)
VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8);

-- name: TrackingListVersions
-- Every version with its model's name, by model name then version.
SELECT m.name, v.model, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id,
       v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message
FROM model_versions v JOIN registered_models m ON m.id = v.model
ORDER BY m.name, v.version;

-- name: TrackingGetVersion
SELECT m.name, v.model, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id,
       v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message
FROM model_versions v JOIN registered_models m ON m.id = v.model
WHERE v.model = ?1 AND v.version = ?2;

-- name: TrackingModelVersions
SELECT m.name, v.model, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id,
       v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message
FROM model_versions v JOIN registered_models m ON m.id = v.model
WHERE v.model = ?1 ORDER BY v.version;

-- name: TrackingUpdateVersion
UPDATE model_versions SET description = ?3, last_updated_time = ?4 WHERE model = ?1 AND version = ?2;

-- name: TrackingSetVersionStage
UPDATE model_versions SET current_stage = ?3, last_updated_time = ?4 WHERE model = ?1 AND version = ?2;

-- name: TrackingArchiveStage
-- Moves the versions of model ?1 in stage ?2, but version ?3, to Archived.
UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?4
WHERE model = ?1 AND current_stage = ?2 AND version != ?3;

-- name: TrackingDeleteVersion
DELETE FROM model_versions WHERE model = ?1 AND version = ?2;

-- name: TrackingVersionTags
-- ?1 a model key, or NULL for every model's.
SELECT model, version, key, value FROM model_version_tags WHERE ?1 IS NULL OR model = ?1 ORDER BY model, version, key;

-- name: TrackingSetVersionTag
INSERT INTO model_version_tags (model, version, key, value) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (model, version, key) DO UPDATE SET value = excluded.value;

-- name: TrackingDeleteVersionTag
DELETE FROM model_version_tags WHERE model = ?1 AND version = ?2 AND key = ?3;

-- name: TrackingInsertMetricRow
-- One point of a series, as Apply's multi-row statements expand it (multiRow): run, key,
-- value (0 for NaN), timestamp, step, is_nan.
INSERT INTO metric_history (run, key, value, timestamp, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: TrackingRunIDsOf
-- The store ids of runs named by their 32-hex ids (?1 a JSON array of them).
SELECT id, run_uuid FROM tracking_runs WHERE run_uuid IN (SELECT value FROM json_each(?1));

-- name: TrackingMetricLogOfRuns
-- The points of metric ?2 of the runs ?1 (a JSON array of store ids) still in metric_log.
SELECT run, value, timestamp, step, is_nan FROM metric_log
WHERE key = ?2 AND run IN (SELECT value FROM json_each(?1));

-- name: TrackingMetricHistoryOfRuns
-- The history of metric ?2 of the runs ?1 (a JSON array of store ids), each in history
-- order: one seek of metric_history's key per run.
SELECT run, value, timestamp, step, is_nan FROM metric_history
WHERE run IN (SELECT value FROM json_each(?1)) AND key = ?2
ORDER BY run, step, timestamp, value;
