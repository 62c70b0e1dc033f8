package serve

import (
	"encoding/json"
	"time"
)

// Prediction is one answered request, as a PredictionSink receives it.
type Prediction struct {
	// ID is the prediction id the response carried (X-Weir-Prediction-Id). A shadow
	// prediction has the id of the request it mirrors.
	ID string `json:"id"`
	// Endpoint is the deployment's name.
	Endpoint string `json:"endpoint"`
	// Model and Version name the model version that predicted: the registered model's name
	// and version, or the reference itself and "" for a model outside the registry.
	Model   string `json:"model"`
	Version string `json:"version"`
	// Inputs are the input rows the model saw, as MLflow's dataframe_split:
	// {"columns": [...], "data": [[...], ...]}.
	Inputs json.RawMessage `json:"inputs"`
	// Output is the model's answer: {"predictions": [...]}, with "probabilities" for a
	// classifier.
	Output json.RawMessage `json:"output"`
	// Latency is the time from the request's arrival to its answer (for a shadow
	// prediction, the time its model took).
	Latency time.Duration `json:"latency"`
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// Shadow says the prediction was made by the deployment's shadow model and was not
	// returned to the caller.
	Shadow bool `json:"shadow"`
}

// PredictionSink receives every prediction a Server makes. Record is called on the
// request's path (or a shadow's goroutine), concurrently, and must not block: a sink
// that writes somewhere queues the prediction and drops or batches off the request path.
// p.Inputs and p.Output are never modified after the call, so keeping them is safe.
type PredictionSink interface {
	Record(p Prediction)
}

// NopSink is a PredictionSink that discards every prediction; the default.
type NopSink struct{}

// Record implements PredictionSink.
func (NopSink) Record(Prediction) {}

// FailedRequest is a prediction request of a deployment that was refused or failed, as an
// ErrorSink receives it. Requests to an unknown deployment are not reported (their names
// are the client's to choose).
type FailedRequest struct {
	// Endpoint is the deployment's name.
	Endpoint string
	// Model and Version name the model version chosen for the request (as in Prediction);
	// both are empty when it failed before one was chosen: the deployment was not ready,
	// or a V2 request named a version not loaded.
	Model, Version string
	// Status is the HTTP status answered: 4xx for the client's fault (a malformed body,
	// a column missing or of the wrong type, a body too large), 5xx for the server's (the
	// model failed or answered a non-finite value, its Python worker died, not ready).
	Status int
	// Message is the error answered.
	Message string
	// Time is when the request failed.
	Time time.Time
}

// ErrorSink receives every failed request of a deployment. RecordError is called on the
// request's path, concurrently, and must not block.
type ErrorSink interface {
	RecordError(e FailedRequest)
}
