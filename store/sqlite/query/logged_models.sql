-- name: TrackingInsertLoggedModel
INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_time, last_updated_time,
    model_type, source_run_id, status)
VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, 'LOGGED_MODEL_PENDING');

-- name: TrackingLoggedModelKey
-- ?1 model_id: the key of a live logged model.
SELECT id FROM logged_models WHERE model_id = ?1 AND lifecycle_stage = 'active';

-- name: TrackingGetLoggedModel
SELECT id, model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, model_type,
    source_run_id, status, status_message
FROM logged_models WHERE model_id = ?1 AND lifecycle_stage = 'active';

-- name: TrackingListLoggedModels
-- ?1 JSON list of experiment IDs: their live logged models.
SELECT id, model_id, experiment_id, name, artifact_location, creation_time, last_updated_time, model_type,
    source_run_id, status, status_message
FROM logged_models
WHERE experiment_id IN (SELECT value FROM json_each(?1)) AND lifecycle_stage = 'active';

-- name: TrackingLoggedModelTags
-- ?1 JSON list of model keys.
SELECT model, key, value FROM logged_model_tags WHERE model IN (SELECT value FROM json_each(?1)) ORDER BY model, key;

-- name: TrackingLoggedModelParams
-- ?1 JSON list of model keys.
SELECT model, key, value FROM logged_model_params WHERE model IN (SELECT value FROM json_each(?1)) ORDER BY model, key;

-- name: TrackingFinalizeLoggedModel
UPDATE logged_models SET status = ?2, last_updated_time = ?3 WHERE id = ?1;

-- name: TrackingTouchLoggedModel
UPDATE logged_models SET last_updated_time = ?2 WHERE id = ?1;

-- name: TrackingDeleteLoggedModel
UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_time = ?2 WHERE id = ?1;

-- name: TrackingSetLoggedModelTag
INSERT INTO logged_model_tags (model, key, value) VALUES (?1, ?2, ?3)
ON CONFLICT (model, key) DO UPDATE SET value = excluded.value;

-- name: TrackingDeleteLoggedModelTag
DELETE FROM logged_model_tags WHERE model = ?1 AND key = ?2;

-- name: TrackingInsertLoggedModelParam
-- A key already logged keeps its value; the caller compares (TrackingLoggedModelParam).
INSERT INTO logged_model_params (model, key, value) VALUES (?1, ?2, ?3)
ON CONFLICT (model, key) DO NOTHING;

-- name: TrackingLoggedModelParam
SELECT value FROM logged_model_params WHERE model = ?1 AND key = ?2;

-- name: TrackingUpsertRunOutput
INSERT INTO run_outputs (run, model, step) VALUES (?1, ?2, ?3)
ON CONFLICT (run, model) DO UPDATE SET step = excluded.step;

-- name: TrackingRunOutputs
-- ?1 JSON list of run keys: the live models each produced.
SELECT o.run, m.model_id, o.step
FROM run_outputs o JOIN logged_models m ON m.id = o.model
WHERE o.run IN (SELECT value FROM json_each(?1)) AND m.lifecycle_stage = 'active'
ORDER BY o.run, m.model_id;

-- name: TrackingExperimentStage
SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?1;

-- name: TrackingInsertWebhook
INSERT INTO webhooks (id, seq, name, description, url, secret, events, status, creation_time, last_updated_time)
VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM webhooks), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);

-- name: TrackingGetWebhook
SELECT id, name, description, url, secret, events, status, creation_time, last_updated_time FROM webhooks WHERE id = ?1;

-- name: TrackingListWebhooks
-- ?1 offset, ?2 limit (-1: all).
SELECT id, name, description, url, secret, events, status, creation_time, last_updated_time
FROM webhooks ORDER BY seq LIMIT ?2 OFFSET ?1;

-- name: TrackingUpdateWebhook
UPDATE webhooks SET name = ?2, description = ?3, url = ?4, secret = ?5, events = ?6, status = ?7, last_updated_time = ?8
WHERE id = ?1;

-- name: TrackingDeleteWebhook
DELETE FROM webhooks WHERE id = ?1;
