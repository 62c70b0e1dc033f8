-- Bulk load of the search benchmark (bench_test.go), a text/template: {{.Runs}} runs in
-- experiment {{.Exp}}, each with params p0..p9 (values '0.0'..'0.9'), metrics m0..m9
-- (latest values spread over [0, 1); search reads no history, so none is written) and tag mlflow.runName.
INSERT INTO tracking_runs (id, run_uuid, experiment_id, name, user_id, status, start_time, artifact_uri)
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {{.Runs}})
SELECT i, printf('%032x', i), {{.Exp}}, 'run-' || i, 'bench',
       CASE i % 3 WHEN 0 THEN 'FINISHED' WHEN 1 THEN 'RUNNING' ELSE 'FAILED' END,
       1700000000000 + i, 'mlflow-artifacts:/{{.Exp}}/' || printf('%032x', i) || '/artifacts'
FROM c;

INSERT INTO run_params (run, key, value)
SELECT r.id, 'p' || k.value, '0.' || ((r.id + k.value) % 10)
FROM tracking_runs r, json_each('[0,1,2,3,4,5,6,7,8,9]') k
WHERE r.experiment_id = {{.Exp}};

INSERT INTO run_tags (run, key, value)
SELECT id, 'mlflow.runName', name FROM tracking_runs WHERE experiment_id = {{.Exp}};

INSERT INTO latest_metrics (run, key, step, timestamp, value)
SELECT r.id, 'm' || k.value, 0, 1700000000000 + r.id, ((r.id * 2654435761 + k.value * 40503) % 100000) / 100000.0
FROM tracking_runs r, json_each('[0,1,2,3,4,5,6,7,8,9]') k
WHERE r.experiment_id = {{.Exp}};
