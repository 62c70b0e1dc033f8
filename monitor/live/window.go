package live

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/store"
)

// window is the rows of logged predictions a monitor judges, newest first.
type window struct {
	preds    int
	from, to time.Time
	values   map[string][]any // input column → one value per row (nil when absent)
	outputs  []any            // one prediction per row
	labels   []any            // one label per row; nil when unlabelled
	rows     int
	complete bool // the store had at least the rows asked for
}

// maxScan caps the predictions one window reads.
const maxScan = 100_000

// readWindow reads up to rows input rows (0: no limit) of the endpoint's model version
// made in [since, until) (zero bounds are open), newest first, skipping shadow rows.
func readWindow(ctx context.Context, st store.Store, endpoint, model, version string, rows int, since, until time.Time) (*window, error) {
	limit := maxScan
	if rows > 0 {
		limit = min(maxScan, 2*rows+16) // a prediction holds one row or more; shadows are skipped
	}
	ps, err := st.ListPredictions(ctx, store.PredictionFilter{Endpoint: endpoint, ModelName: model, ModelVersion: version,
		Since: since, Until: until, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("read the prediction log of endpoint %s: %w", endpoint, err)
	}
	w := &window{values: map[string][]any{}}
	for _, p := range ps {
		if p.Shadow {
			continue
		}
		if rows > 0 && w.rows >= rows {
			w.complete = true
			break
		}
		var in struct {
			Columns []string `json:"columns"`
			Data    [][]any  `json:"data"`
		}
		if len(p.Inputs) == 0 || json.Unmarshal(p.Inputs, &in) != nil {
			continue // not recorded (or not dataframe_split): nothing to judge
		}
		var out struct {
			Predictions []any `json:"predictions"`
		}
		_ = json.Unmarshal(p.Output, &out)
		var labels []any
		if len(p.Label) > 0 {
			var l any
			if json.Unmarshal(p.Label, &l) == nil {
				if arr, ok := l.([]any); ok && len(in.Data) != 1 {
					labels = arr
				} else {
					labels = []any{l}
				}
			}
		}
		n := len(in.Data)
		if rows > 0 {
			n = min(n, rows-w.rows)
		}
		for i := range n {
			row := in.Data[i]
			for j, c := range in.Columns {
				vals, ok := w.values[c]
				if !ok {
					vals = make([]any, w.rows) // rows before had no such column
				}
				var v any
				if j < len(row) {
					v = row[j]
				}
				w.values[c] = append(vals, v)
			}
			var o, l any
			if i < len(out.Predictions) {
				o = out.Predictions[i]
			}
			if i < len(labels) {
				l = labels[i]
			}
			w.outputs = append(w.outputs, o)
			w.labels = append(w.labels, l)
			w.rows++
			for c, vals := range w.values { // columns this row lacks
				if len(vals) < w.rows {
					w.values[c] = append(vals, nil)
				}
			}
		}
		w.preds++
		if w.to.IsZero() {
			w.to = p.Time
		}
		w.from = p.Time
	}
	if rows > 0 && w.rows >= rows {
		w.complete = true
	}
	return w, nil
}

// column builds a frame column of type t from JSON values (nil is missing; a value of
// another type is missing too).
func column(name string, t frame.Type, vals []any, keep func(i int) bool) *frame.Column {
	var idx []int
	for i := range vals {
		if keep == nil || keep(i) {
			idx = append(idx, i)
		}
	}
	valid := make([]bool, len(idx))
	switch t {
	case frame.String:
		out := make([]string, len(idx))
		for k, i := range idx {
			switch v := vals[i].(type) {
			case string:
				out[k], valid[k] = v, true
			case float64:
				out[k], valid[k] = strconv.FormatFloat(v, 'g', -1, 64), true
			case bool:
				out[k], valid[k] = strconv.FormatBool(v), true
			}
		}
		return frame.NewString(name, out, valid)
	case frame.Bool:
		out := make([]bool, len(idx))
		for k, i := range idx {
			switch v := vals[i].(type) {
			case bool:
				out[k], valid[k] = v, true
			case float64:
				out[k], valid[k] = v != 0, true
			}
		}
		return frame.NewBool(name, out, valid)
	case frame.Int:
		out := make([]int64, len(idx))
		for k, i := range idx {
			if f, ok := number(vals[i]); ok && f == math.Trunc(f) {
				out[k], valid[k] = int64(f), true
			}
		}
		return frame.NewInt(name, out, valid)
	default:
		out := make([]float64, len(idx))
		for k, i := range idx {
			if f, ok := number(vals[i]); ok {
				out[k], valid[k] = f, true
			}
		}
		return frame.NewFloat(name, out, valid)
	}
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// outputType is the type of a window's predictions: Float when they are all numbers,
// String otherwise.
func outputType(vals []any) frame.Type {
	for _, v := range vals {
		if _, ok := v.(string); ok {
			return frame.String
		}
	}
	return frame.Float
}
