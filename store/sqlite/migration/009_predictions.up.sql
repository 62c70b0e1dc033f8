-- 009_predictions: the prediction log (package predlog). One row per prediction a served
-- model made (or per sampled prediction), written in batches off the request path; the
-- label is posted later, by id, as feedback. No foreign key: a prediction outlives its
-- deployment and model version. Times are INTEGER unix microseconds; shadow is 0 or 1;
-- inputs, output and label are JSON text (label NULL until feedback).

CREATE TABLE predictions (
    id             TEXT    NOT NULL PRIMARY KEY,
    endpoint       TEXT    NOT NULL,
    model_name     TEXT    NOT NULL DEFAULT '',
    model_version  TEXT    NOT NULL DEFAULT '',
    inputs         TEXT,
    output         TEXT,
    latency_micros INTEGER NOT NULL DEFAULT 0,
    predicted_at   INTEGER NOT NULL,
    shadow         INTEGER NOT NULL DEFAULT 0,
    label          TEXT,
    labelled_at    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX predictions_by_time ON predictions (predicted_at);
CREATE INDEX predictions_by_endpoint ON predictions (endpoint, predicted_at);
CREATE INDEX predictions_by_model ON predictions (model_name, model_version, predicted_at);
CREATE INDEX predictions_labelled ON predictions (endpoint, predicted_at) WHERE label IS NOT NULL;
