package live

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/monitor/drift"
)

// Duration is a time.Duration written in JSON as Go's duration text ("1m", "30s").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	if d == 0 {
		return []byte(`""`), nil
	}
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler: a duration text or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return fmt.Errorf("want a duration such as \"1m\" or a number of seconds, got %s", b)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %v (write it as 30s, 5m or 1h)", s, err)
	}
	*d = Duration(v)
	return nil
}

// Spec is a monitor's definition, stored as JSON in store.Monitor.Spec. Zero fields take
// the documented defaults (Normalize fills them in).
type Spec struct {
	// Rows is the window's size in input rows: the latest Rows rows the deployment's
	// primary model version predicted. 0 with Span set means no row limit; 0 with Span 0
	// means DefaultRows.
	Rows int `json:"rows,omitempty"`
	// Span bounds the window in time: only predictions made within Span before the
	// evaluation. 0 means no time bound.
	Span Duration `json:"span,omitempty"`
	// Interval is how often the server evaluates the monitor. Default 1m.
	Interval Duration `json:"interval,omitempty"`
	// Method is the test of every feature: "auto" (or empty) for Evidently's default
	// choice, or one of ks, wasserstein, psi, jensenshannon, chisquare, z.
	Method string `json:"method,omitempty"`
	// Threshold overrides the test's default threshold for every feature (0 keeps it);
	// Thresholds overrides it per feature ("prediction" for the model's outputs).
	Threshold  float64            `json:"threshold,omitempty"`
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
	// Features are the features checked; empty means every model input with reference
	// statistics.
	Features []string `json:"features,omitempty"`
	// DriftShare is the share of drifted features at which the data set drifts. Default
	// 0.5.
	DriftShare float64 `json:"drift_share,omitempty"`
	// MinRows is the number of window rows below which the monitor does not judge (the
	// result says so). Default 30.
	MinRows int `json:"min_rows,omitempty"`
	// Metric is the performance metric compared with the training metrics once labels
	// arrive: default rmse for regression, accuracy for classification (any metric
	// steps/scoring computes: r2, mae, f1, log_loss, …).
	Metric string `json:"metric,omitempty"`
	// MaxDegradation is the relative worsening of Metric against its training value
	// that counts as a performance drop (0.1: 10% worse). Default 0.1.
	MaxDegradation float64 `json:"max_degradation,omitempty"`
	// MinLabels is the number of labelled rows in the window below which performance is
	// measured but not judged. Default 10.
	MinLabels int `json:"min_labels,omitempty"`
	// Webhooks are URLs POSTed a JSON document when the monitor fires.
	Webhooks []string `json:"webhooks,omitempty"`
	// Secret, when set, signs each webhook delivery: X-Weir-Signature is "v1," and the
	// base64 HMAC-SHA256, keyed by Secret, of X-Weir-Delivery + "." + X-Weir-Timestamp +
	// "." + body. The API never returns it (it shows "***").
	Secret string `json:"secret,omitempty"`
	// Dataset is a dataset URI the monitor emits an event to when it fires: DAGs
	// scheduled on it (a retraining DAG) then run.
	Dataset string `json:"dataset,omitempty"`
	// Cooldown is the least time between two firings. Default 10m.
	Cooldown Duration `json:"cooldown,omitempty"`
}

// Defaults of Spec.
const (
	DefaultRows           = 1000
	DefaultInterval       = time.Minute
	DefaultDriftShare     = 0.5
	DefaultMinRows        = 30
	DefaultMaxDegradation = 0.1
	DefaultMinLabels      = 10
	DefaultCooldown       = 10 * time.Minute
)

// Normalize fills in the defaults and checks the spec; the error names the field.
func (s *Spec) Normalize() error {
	if s.Rows < 0 {
		return fmt.Errorf("rows: %d; want a positive number of rows", s.Rows)
	}
	if s.Span < 0 || s.Interval < 0 || s.Cooldown < 0 {
		return fmt.Errorf("span, interval and cooldown must not be negative")
	}
	if s.Rows == 0 && s.Span == 0 {
		s.Rows = DefaultRows
	}
	if s.Interval == 0 {
		s.Interval = Duration(DefaultInterval)
	}
	if s.Interval < Duration(time.Second) {
		return fmt.Errorf("interval %s: want at least 1s", time.Duration(s.Interval))
	}
	if s.Method == "auto" {
		s.Method = ""
	}
	if s.Method != "" && !slices.Contains(drift.Tests, drift.Test(s.Method)) {
		return fmt.Errorf("method %q: want auto or one of ks, wasserstein, psi, jensenshannon, chisquare, z", s.Method)
	}
	if s.Threshold < 0 {
		return fmt.Errorf("threshold %g: want a positive number (0 keeps the test's default)", s.Threshold)
	}
	for f, v := range s.Thresholds {
		if v <= 0 {
			return fmt.Errorf("thresholds.%s: %g: want a positive number", f, v)
		}
	}
	if s.DriftShare == 0 {
		s.DriftShare = DefaultDriftShare
	}
	if s.DriftShare < 0 || s.DriftShare > 1 {
		return fmt.Errorf("drift_share %g: want a share in (0, 1]", s.DriftShare)
	}
	if s.MinRows == 0 {
		s.MinRows = DefaultMinRows
	}
	if s.MinRows < 0 || s.MinLabels < 0 || s.MaxDegradation < 0 {
		return fmt.Errorf("min_rows, min_labels and max_degradation must not be negative")
	}
	if s.MinLabels == 0 {
		s.MinLabels = DefaultMinLabels
	}
	if s.MaxDegradation == 0 {
		s.MaxDegradation = DefaultMaxDegradation
	}
	if s.Cooldown == 0 {
		s.Cooldown = Duration(DefaultCooldown)
	}
	for _, w := range s.Webhooks {
		u, err := url.Parse(w)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook %q: want an http:// or https:// URL", w)
		}
	}
	if strings.ContainsFunc(s.Dataset, func(r rune) bool { return r <= ' ' }) {
		return fmt.Errorf("dataset %q: a URI must not hold spaces or control characters", s.Dataset)
	}
	return nil
}

// Redacted returns a copy of s whose Secret, if any, is "***".
func (s Spec) Redacted() Spec {
	if s.Secret != "" {
		s.Secret = "***"
	}
	return s
}

// ParseSpec decodes a stored spec (empty means every default) and normalizes it.
func ParseSpec(b json.RawMessage) (Spec, error) {
	var s Spec
	if len(b) > 0 && string(b) != "null" {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("monitor spec: %w", err)
		}
	}
	if err := s.Normalize(); err != nil {
		return s, fmt.Errorf("monitor spec: %w", err)
	}
	return s, nil
}
