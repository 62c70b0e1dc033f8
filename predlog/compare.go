package predlog

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weirhq/weir/store"
)

// VersionStats summarises the logged predictions of one model version behind an endpoint:
// what a canary analysis compares before an alias move.
type VersionStats struct {
	// Model and Version name the registered model version (Version is empty for a model
	// served from a file or run reference).
	Model   string `json:"model"`
	Version string `json:"version"`
	// Shadow reports a mirrored model's predictions (answers logged, never returned).
	Shadow bool `json:"shadow"`
	// Requests counts the logged predictions.
	Requests int `json:"requests"`
	// LatencyP50Micros and LatencyP99Micros are latency percentiles, in microseconds.
	LatencyP50Micros int64 `json:"latency_p50_us"`
	LatencyP99Micros int64 `json:"latency_p99_us"`
	// Labelled counts the predictions whose label arrived and could be scored.
	Labelled int `json:"labelled"`
	// MAE and RMSE are the numeric predictions' errors against their labels; nil when no
	// numeric prediction was labelled.
	MAE  *float64 `json:"mae,omitempty"`
	RMSE *float64 `json:"rmse,omitempty"`
	// Accuracy is the share of class predictions equal to their labels; nil when no class
	// prediction was labelled.
	Accuracy *float64 `json:"accuracy,omitempty"`
	// Errors4xx and Errors5xx count the failed requests of the version: refused as the
	// client's fault (4xx) or failed by the server (5xx). Requests counts only answered
	// ones. Failed requests for which no model was chosen are on a row of their own, with
	// an empty Model and Version VersionNone.
	Errors4xx int64 `json:"errors_4xx"`
	Errors5xx int64 `json:"errors_5xx"`
	// ErrorRate is the share of failed requests: (Errors4xx+Errors5xx) / (Requests +
	// Errors4xx + Errors5xx), 0 when there were none. Errors are counted whole while
	// Requests counts logged predictions, so a prediction log sampling below 1 raises it.
	ErrorRate float64 `json:"error_rate"`
	// LastError, LastErrorStatus and LastErrorAt are the message, HTTP status and time of
	// the latest failed request; empty when none failed.
	LastError       string     `json:"last_error,omitempty"`
	LastErrorStatus int        `json:"last_error_status,omitempty"`
	LastErrorAt     *time.Time `json:"last_error_at,omitempty"`
}

// CompareLimit caps the predictions Compare reads per endpoint (the newest first), and the
// rows of error counts (one per minute, serving process, version and class).
const CompareLimit = 100_000

// Compare reads the endpoint's predictions made since the given time (zero for all, up to
// CompareLimit of the newest) and summarises them per model version: requests, latency and,
// where labels were posted, the error against them. A label is scored when the prediction
// has one row and the label is a scalar, or when the label is an array as long as the
// prediction's rows. Failed requests are counted per version from the store's error counts
// (written by Writer.RecordError; counted by the minute, so a since in the middle of a
// minute counts that minute's errors). The result is ordered by version (numerically when
// both are numbers), served models before shadows, and last the row of the failed requests
// for which no model was chosen.
func Compare(ctx context.Context, st store.Store, endpoint string, since time.Time) ([]VersionStats, error) {
	if err := store.ValidateDAGID(endpoint); err != nil {
		return nil, fmt.Errorf("endpoint name: %w", err)
	}
	ps, err := st.ListPredictions(ctx, store.PredictionFilter{Endpoint: endpoint, Since: since, Limit: CompareLimit})
	if err != nil {
		return nil, err
	}
	type key struct {
		model, version string
		shadow         bool
	}
	type acc struct {
		lat              []int64
		nNum, nCls, hits int
		absErr, sqErr    float64
		n4xx, n5xx       int64
		lastAt           time.Time
		lastMsg          string
		lastStatus       int
	}
	accs := map[key]*acc{}
	get := func(k key) *acc {
		a := accs[k]
		if a == nil {
			a = &acc{}
			accs[k] = a
		}
		return a
	}
	errs, err := st.ListServeErrors(ctx, store.ServeErrorFilter{Endpoint: endpoint, Since: since, Limit: CompareLimit})
	if err != nil {
		return nil, err
	}
	for _, c := range errs {
		k := key{c.ModelName, c.ModelVersion, false}
		if c.ModelName == "" {
			k.version = VersionNone
		}
		a := get(k)
		if c.Class == store.ServeError5xx {
			a.n5xx += c.Count
		} else {
			a.n4xx += c.Count
		}
		if a.lastAt.IsZero() || c.LastAt.After(a.lastAt) {
			a.lastAt, a.lastMsg, a.lastStatus = c.LastAt, c.LastMessage, c.LastStatus
		}
	}
	for _, p := range ps {
		a := get(key{p.ModelName, p.ModelVersion, p.Shadow})
		a.lat = append(a.lat, p.LatencyMicros)
		if len(p.Label) == 0 {
			continue
		}
		preds, labels := scoredPairs(p.Output, p.Label)
		for i := range preds {
			pv, lv := preds[i], labels[i]
			pf, pNum := pv.(float64)
			lf, lNum := lv.(float64)
			switch {
			case pNum && lNum:
				d := pf - lf
				a.nNum++
				a.absErr += math.Abs(d)
				a.sqErr += d * d
			default:
				a.nCls++
				if fmt.Sprint(pv) == fmt.Sprint(lv) {
					a.hits++
				}
			}
		}
	}
	out := make([]VersionStats, 0, len(accs))
	for k, a := range accs {
		slices.Sort(a.lat)
		vs := VersionStats{Model: k.model, Version: k.version, Shadow: k.shadow, Requests: len(a.lat),
			LatencyP50Micros: percentile(a.lat, 0.50), LatencyP99Micros: percentile(a.lat, 0.99),
			Labelled: a.nNum + a.nCls}
		if a.nNum > 0 {
			mae, rmse := a.absErr/float64(a.nNum), math.Sqrt(a.sqErr/float64(a.nNum))
			vs.MAE, vs.RMSE = &mae, &rmse
		}
		if a.nCls > 0 {
			accu := float64(a.hits) / float64(a.nCls)
			vs.Accuracy = &accu
		}
		vs.Errors4xx, vs.Errors5xx = a.n4xx, a.n5xx
		if n := a.n4xx + a.n5xx; n > 0 {
			vs.ErrorRate = float64(n) / float64(n+int64(vs.Requests))
			at := a.lastAt.UTC()
			vs.LastError, vs.LastErrorStatus, vs.LastErrorAt = a.lastMsg, a.lastStatus, &at
		}
		out = append(out, vs)
	}
	slices.SortFunc(out, func(a, b VersionStats) int {
		if none := a.Model == "" && a.Version == VersionNone; none != (b.Model == "" && b.Version == VersionNone) {
			if none {
				return 1
			}
			return -1
		}
		if a.Shadow != b.Shadow {
			if a.Shadow {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		return compareVersions(a.Version, b.Version)
	})
	return out, nil
}

// scoredPairs returns the prediction values and the labels to compare them with, or nothing
// when the label does not line up with the prediction.
func scoredPairs(output, label json.RawMessage) (preds, labels []any) {
	var out struct {
		Predictions []any `json:"predictions"`
	}
	if json.Unmarshal(output, &out) != nil || len(out.Predictions) == 0 {
		return nil, nil
	}
	var l any
	if json.Unmarshal(label, &l) != nil {
		return nil, nil
	}
	if arr, ok := l.([]any); ok {
		if len(arr) != len(out.Predictions) {
			return nil, nil
		}
		return out.Predictions, arr
	}
	if len(out.Predictions) != 1 {
		return nil, nil
	}
	return out.Predictions, []any{l}
}

// percentile returns the nearest-rank percentile of sorted values.
func percentile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// compareVersions orders registry versions numerically, other strings as text.
func compareVersions(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil && x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
