package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/store"
)

// predictionObject is a stored prediction as the API answers it.
func predictionObject(p *store.Prediction) client.Prediction {
	out := client.Prediction{PredictionID: p.ID, Endpoint: p.Endpoint, ModelName: p.ModelName, ModelVersion: p.ModelVersion,
		Inputs: nullJSON(p.Inputs), Output: nullJSON(p.Output), LatencyMicros: p.LatencyMicros, Time: p.Time,
		Shadow: p.Shadow, Label: nullJSON(p.Label)}
	if !p.LabelledAt.IsZero() {
		at := p.LabelledAt
		out.LabelledAt = &at
	}
	return out
}

// nullJSON is m, or JSON null when m is empty.
func nullJSON(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("null")
	}
	return m
}

func (a *API) listPredictions(w http.ResponseWriter, r *http.Request) error {
	q := query(r.URL.Query())
	limit, err := q.int("limit", defaultLimit, 1)
	if err != nil {
		return err
	}
	f := store.PredictionFilter{Endpoint: q.str("endpoint"), ModelName: q.str("model_name"),
		ModelVersion: q.str("model_version"), Limit: min(limit, maxLimit)}
	if f.Since, err = q.time("since"); err != nil {
		return err
	}
	if f.Until, err = q.time("until"); err != nil {
		return err
	}
	labelled, err := q.bool("labelled")
	if err != nil {
		return err
	}
	f.Labelled = labelled != nil && *labelled
	ps, err := a.cfg.Store.ListPredictions(r.Context(), f)
	if err != nil {
		return err
	}
	out := client.PredictionCollection{Predictions: make([]client.Prediction, 0, len(ps)), TotalEntries: len(ps)}
	for _, p := range ps {
		out.Predictions = append(out.Predictions, predictionObject(p))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getPrediction(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("prediction_id")
	p, err := a.cfg.Store.GetPrediction(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no prediction %q (a prediction is logged up to the log's flush interval after it was made, or not at all if sampled out)", id)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, predictionObject(p))
}

// feedbackBody is the body of POST /predictions/{prediction_id}/feedback.
type feedbackBody struct {
	Label json.RawMessage `json:"label"`
}

func (a *API) postFeedback(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("prediction_id")
	var body feedbackBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if len(body.Label) == 0 || bytes.Equal(bytes.TrimSpace(body.Label), []byte("null")) {
		return badField("label", "required: the ground truth, any JSON value but null")
	}
	ctx := r.Context()
	err := a.cfg.Store.SetPredictionLabel(ctx, id, body.Label, a.cfg.Clock())
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no prediction %q to label (a prediction is logged up to the log's flush interval after it was made: retry then)", id)
	}
	if err != nil {
		return err
	}
	p, err := a.cfg.Store.GetPrediction(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, predictionObject(p))
}
