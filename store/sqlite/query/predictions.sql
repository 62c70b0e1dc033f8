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
-- An empty (or zero) filter value matches every row.
SELECT id, endpoint, model_name, model_version, inputs, output, latency_micros, predicted_at,
       shadow, label, labelled_at
FROM predictions
WHERE (:endpoint = '' OR endpoint = :endpoint)
  AND (:model_name = '' OR model_name = :model_name)
  AND (:model_version = '' OR model_version = :model_version)
  AND (:since = 0 OR predicted_at >= :since)
  AND (:until = 0 OR predicted_at < :until)
  AND (:labelled = 0 OR label IS NOT NULL)
ORDER BY predicted_at DESC, id
LIMIT :limit;

-- name: SetPredictionLabel
UPDATE predictions SET label = ?, labelled_at = ? WHERE id = ?;
