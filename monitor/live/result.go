package live

import (
	"time"

	"github.com/weirhq/weir/monitor/drift"
)

// Result is one evaluation of a monitor: what store.MonitorResult.Result holds.
type Result struct {
	// Monitor and Endpoint name the monitor and the deployment it watches.
	Monitor  string `json:"monitor"`
	Endpoint string `json:"endpoint"`
	// Model and Version name the primary model version whose predictions were read.
	Model   string `json:"model"`
	Version string `json:"version,omitempty"`
	// Time is when the evaluation ran.
	Time time.Time `json:"time"`
	// Rows is the number of input rows in the window; Predictions the number of logged
	// predictions (requests) they came from. From and To bound their times.
	Rows        int       `json:"rows"`
	Predictions int       `json:"predictions"`
	From        time.Time `json:"from,omitzero"`
	To          time.Time `json:"to,omitzero"`
	// Judged is false when the window had fewer than MinRows rows: nothing is decided
	// and Note says why.
	Judged bool   `json:"judged"`
	Note   string `json:"note,omitempty"`
	// Data is the per-feature data drift against the model's reference statistics.
	Data *drift.Report `json:"data,omitempty"`
	// Prediction is the drift of the model's outputs.
	Prediction *PredictionDrift `json:"prediction,omitempty"`
	// Performance is the model's metric on the window's labelled rows.
	Performance *Performance `json:"performance,omitempty"`
	// Drift is the verdict: data set drift, prediction drift or a performance drop.
	Drift bool `json:"drift"`
	// Reasons says what drifted, for people.
	Reasons []string `json:"reasons,omitempty"`
	// Fired says this evaluation fired the actions; Actions are their outcomes.
	Fired   bool     `json:"fired"`
	Actions []Action `json:"actions,omitempty"`
	// Error is why the evaluation could not run (the model did not load, …).
	Error string `json:"error,omitempty"`
}

// PredictionDrift compares the window's predictions with a reference distribution.
type PredictionDrift struct {
	// Reference says what the predictions were compared with: "training target" (the
	// model's reference statistics hold the target column) or "previous window" (the
	// same number of rows just before the window: the model saved no statistics of its
	// outputs).
	Reference string `json:"reference"`
	// Feature is the test's result on the column "prediction"; nil when there was
	// nothing to compare with (Note says why).
	Feature *drift.Feature `json:"feature,omitempty"`
	Note    string         `json:"note,omitempty"`
	// Counts says the result counts in the verdict: only against the training target.
	// Against the previous window it is reported, not judged: traffic returning to
	// normal would look like drift too.
	Counts bool `json:"counts"`
}

// Performance is the model's metric on the labelled rows of the window.
type Performance struct {
	// Labelled is the number of labelled rows.
	Labelled int `json:"labelled"`
	// Metric, Value and Training are the metric, its value on the window and its value
	// at training time (Training is absent when the model recorded none).
	Metric   string   `json:"metric"`
	Value    float64  `json:"value"`
	Training *float64 `json:"training,omitempty"`
	// Degradation is the relative worsening against Training (positive is worse);
	// Allowed the spec's MaxDegradation.
	Degradation float64 `json:"degradation"`
	Allowed     float64 `json:"allowed"`
	// Degraded is true when Degradation > Allowed and at least MinLabels rows were
	// labelled.
	Degraded bool `json:"degraded"`
	// Metrics are every metric computed on the window.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Note    string             `json:"note,omitempty"`
}

// Action is the outcome of one action a firing triggered.
type Action struct {
	// Kind is "webhook" or "dataset"; Target the URL or the dataset URI.
	Kind   string `json:"kind"`
	Target string `json:"target"`
	// OK says the delivery succeeded; Attempts counts the webhook's tries; Status is
	// the last HTTP status; Error the last failure.
	OK       bool   `json:"ok"`
	Attempts int    `json:"attempts,omitempty"`
	Status   int    `json:"status,omitempty"`
	Error    string `json:"error,omitempty"`
	// EventID is the dataset event's ID.
	EventID int64 `json:"event_id,omitempty"`
}
