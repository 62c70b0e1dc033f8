package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/weirhq/weir/tracking"
)

// historyCursor is the last point of a page of a metric's history, which the next page's
// token holds: the next page starts after it, through metric_history's key.
type historyCursor struct {
	Step      int64  `json:"step"`
	Timestamp int64  `json:"ts"`
	Value     uint64 `json:"v"` // math.Float64bits of the stored value (0 for NaN): exact, infinities too
	NaN       int    `json:"nan"`
}

func cursorOf(m tracking.Metric) historyCursor {
	c := historyCursor{Step: m.Step, Timestamp: m.Timestamp, Value: math.Float64bits(m.Value)}
	if math.IsNaN(m.Value) {
		c.Value, c.NaN = math.Float64bits(0), 1
	}
	return c
}

func (c historyCursor) metric() tracking.Metric {
	m := tracking.Metric{Step: c.Step, Timestamp: c.Timestamp, Value: math.Float64frombits(c.Value)}
	if c.NaN != 0 {
		m.Value = math.NaN()
	}
	return m
}

// historyToken is the page token of a metric history: {"after": cursor}. A token of the
// older form {"offset": n} is still read (the page then starts n points in).
type historyToken struct {
	After *historyCursor `json:"after,omitempty"`
}

func encodeHistoryToken(c historyCursor) string {
	b, _ := json.Marshal(historyToken{After: &c})
	return base64.URLEncoding.EncodeToString(b)
}

// decodeHistoryToken returns the cursor a token stands for (nil: from the start) and how
// many points to skip after it (tokens of the offset form).
func decodeHistoryToken(tok string) (*historyCursor, int, error) {
	if tok == "" {
		return nil, 0, nil
	}
	if b, err := base64.URLEncoding.DecodeString(tok); err == nil {
		var t historyToken
		if json.Unmarshal(b, &t) == nil && t.After != nil {
			return t.After, 0, nil
		}
	}
	offset, err := tracking.DecodePageToken(tok)
	if err != nil {
		return nil, 0, err
	}
	return nil, offset, nil
}

// StreamMetricHistory calls fn with each point of the page of a metric's history that p
// selects, in order, without holding the page in memory, and returns the next page's token
// ("" for the last page). Nothing is passed to fn before the run and the token were found
// valid, so a caller may still answer an error then. An error of fn stops the stream and is
// returned.
func (s *Tracking) StreamMetricHistory(ctx context.Context, p tracking.GetMetricHistoryParams, fn func(tracking.Metric) error) (string, error) {
	r, err := runInfo(ctx, s.r, p.RunID)
	if err != nil {
		return "", err
	}
	after, skip, err := decodeHistoryToken(p.PageToken)
	if err != nil {
		return "", err
	}
	// Points not yet moved out of metric_log (at most metricLogMerge in all): merged in.
	pending, err := s.r.QueryContext(ctx, query("TrackingMetricLogSeries"), r.id, p.Key)
	if err != nil {
		return "", err
	}
	logged, err := scanPoints(pending, p.Key)
	if err != nil {
		return "", err
	}
	text, args := query("TrackingMetricHistory"), []any{r.id, p.Key, int64(-1), int64(0)}
	if after != nil {
		c := after.metric()
		for len(logged) > 0 && pointOrder(logged[0], c) <= 0 {
			logged = logged[1:]
		}
		text = query("TrackingMetricHistoryAfter")
		args = []any{r.id, p.Key, after.Step, after.Timestamp, math.Float64frombits(after.Value), int64(after.NaN)}
	}
	// The rows are read through the driver itself: a history has millions, and
	// database/sql's Scan (reflection, conversions) cost as much as SQLite reading them.
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var next string
	err = conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("sqlite: the driver's connection cannot query")
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		rows, err := qc.QueryContext(ctx, text, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		next, err = mergeHistory(ctx, p, rows, logged, skip, fn)
		return err
	})
	return next, err
}

// mergeHistory passes the points of rows (value, timestamp, step, is_nan in key order)
// merged with logged (in the same order) to fn, without duplicates, skipping skip first and
// stopping after p.MaxResults (0: all); it returns the next page's token.
func mergeHistory(ctx context.Context, p tracking.GetMetricHistoryParams, rows driver.Rows, logged []tracking.Metric, skip int, fn func(tracking.Metric) error) (string, error) {
	dest := make([]driver.Value, 4)
	var (
		last    tracking.Metric // the last point sent or skipped
		seen    bool
		emitted int
		have    bool // a row of rows is read into row
		row     tracking.Metric
	)
	readRow := func() error {
		have = false
		switch err := rows.Next(dest); {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
		row = tracking.Metric{Key: p.Key}
		var ok1, ok2, ok3, ok4 bool
		row.Value, ok1 = asFloat(dest[0])
		row.Timestamp, ok2 = dest[1].(int64)
		row.Step, ok3 = dest[2].(int64)
		nan, ok4 := dest[3].(int64)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return fmt.Errorf("sqlite: metric history row of unexpected types %T %T %T %T", dest[0], dest[1], dest[2], dest[3])
		}
		if nan != 0 {
			row.Value = math.NaN()
		}
		have = true
		return nil
	}
	if err := readRow(); err != nil {
		return "", err
	}
	for have || len(logged) > 0 {
		var m tracking.Metric
		if have && (len(logged) == 0 || pointOrder(row, logged[0]) <= 0) {
			m = row
			if err := readRow(); err != nil {
				return "", err
			}
		} else {
			m, logged = logged[0], logged[1:]
		}
		if seen && pointOrder(last, m) == 0 {
			continue // the same point in metric_history and metric_log, or logged twice
		}
		if p.MaxResults > 0 && emitted == p.MaxResults {
			// One more point exists: the next page starts after the last one sent.
			return encodeHistoryToken(cursorOf(last)), nil
		}
		last, seen = m, true
		if skip > 0 {
			skip--
			continue
		}
		if err := fn(m); err != nil {
			return "", err
		}
		emitted++
		if emitted%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return "", err
			}
		}
	}
	return "", nil
}

// asFloat reads a REAL column's value (an INTEGER one too).
func asFloat(v driver.Value) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// MetricHistories implements tracking.HistoriesReader: the whole history of metric key of
// each run, in history order (points still in metric_log merged in, duplicates dropped),
// read with three queries for all the runs instead of three per run. A run that does not
// exist fails the call with tracking.ErrNotFound naming it.
func (s *Tracking) MetricHistories(ctx context.Context, runIDs []string, key string) (map[string][]tracking.Metric, error) {
	out := make(map[string][]tracking.Metric, len(runIDs))
	if len(runIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(runIDs)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, query("TrackingRunIDsOf"), string(ids))
	if err != nil {
		return nil, interpretError(err)
	}
	uuidOf := map[int64]string{}
	var storeIDs []int64
	for rows.Next() {
		var id int64
		var uuid string
		if err := rows.Scan(&id, &uuid); err != nil {
			rows.Close()
			return nil, err
		}
		uuidOf[id] = uuid
		storeIDs = append(storeIDs, id)
		out[uuid] = []tracking.Metric{}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for _, id := range runIDs {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("run %q: %w", id, tracking.ErrNotFound)
		}
	}
	sids, err := json.Marshal(storeIDs)
	if err != nil {
		return nil, err
	}
	read := func(name string) (map[string][]tracking.Metric, error) {
		rows, err := s.r.QueryContext(ctx, query(name), string(sids), key)
		if err != nil {
			return nil, interpretError(err)
		}
		defer rows.Close()
		got := map[string][]tracking.Metric{}
		for rows.Next() {
			var run int64
			var nan bool
			m := tracking.Metric{Key: key}
			if err := rows.Scan(&run, &m.Value, &m.Timestamp, &m.Step, &nan); err != nil {
				return nil, err
			}
			if nan {
				m.Value = math.NaN()
			}
			uuid := uuidOf[run]
			got[uuid] = append(got[uuid], m)
		}
		return got, rows.Err()
	}
	// The log first, then the history: a point moved between the two reads is seen twice
	// (and dropped as a duplicate), never missed.
	logged, err := read("TrackingMetricLogOfRuns")
	if err != nil {
		return nil, err
	}
	hist, err := read("TrackingMetricHistoryOfRuns")
	if err != nil {
		return nil, err
	}
	for uuid, ms := range hist {
		out[uuid] = ms
	}
	for uuid, ms := range logged {
		all := append(out[uuid], ms...)
		slices.SortFunc(all, pointOrder)
		out[uuid] = slices.CompactFunc(all, func(a, b tracking.Metric) bool { return pointOrder(a, b) == 0 })
	}
	return out, nil
}
