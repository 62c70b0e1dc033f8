-- Queries on predictions (predictions.go). Column orders are those of scanPrediction.

-- name: InsertPrediction
INSERT INTO predictions (
    id, endpoint, model_name, model_version, inputs, output, latency_micros, predicted_at,
    shadow, label, labelled_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetPrediction
SELECT id, endpoint, model_name, model_version, inputs, output, latency_micros, predicted_at,
       shadow, label, labelled_at
FROM predictions
WHERE id = ?;

-- name: ListPredictions
-- A text/template: the filters present select the variant (and so the index) used.
SELECT id, endpoint, model_name, model_version, inputs, output, latency_micros, predicted_at,
       shadow, label, labelled_at
FROM predictions
WHERE true
{{- if .Endpoint}} AND endpoint = :endpoint{{end}}
{{- if .ModelName}} AND model_name = :model_name{{end}}
{{- if .ModelVersion}} AND model_version = :model_version{{end}}
{{- if .Since}} AND predicted_at >= :since{{end}}
{{- if .Until}} AND predicted_at < :until{{end}}
{{- if .Labelled}} AND label IS NOT NULL{{end}}
ORDER BY predicted_at DESC, id DESC
LIMIT :limit;

-- name: SetPredictionLabel
UPDATE predictions SET label = ?, labelled_at = ? WHERE id = ?;
