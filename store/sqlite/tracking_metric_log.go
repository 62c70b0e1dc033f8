package sqlite

import (
	"cmp"
	"math"

	"github.com/weirhq/weir/tracking"
)

// metricLogMerge is how many rows metric_log holds before the writer moves them into
// metric_history (Store.metricLogMax, which tests lower): enough that each series gets
// many points per move, few enough that a reader merges them in a moment.
const metricLogMerge = 20_000

// writeDeferred writes d: its points appended to metric_log (a group's points share a few
// pages: see migration 016), its latest values upserted into latest_metrics. When the log
// is full it moves it into metric_history in the same transaction.
func (s *Store) writeDeferred(w *writer, d *deferredPoints) error {
	if err := s.insertRows(w, logPointsSQLs(), d.points); err != nil {
		return err
	}
	// latest_metrics: one row per run and key of each batch. Rows of the same key from
	// different requests may share a statement: SQLite applies a multi-row upsert row by
	// row, so the later point still wins.
	if err := s.insertRows(w, upsertLatestSQLs(), d.latest); err != nil {
		return err
	}
	if s.metricLog.Load()+int64(len(d.points)) < s.metricLogMax {
		s.metricLog.Add(int64(len(d.points)))
		return nil
	}
	return s.mergeMetricLog(w)
}

// mergeMetricLog moves metric_log into metric_history. The count is reset only once the
// transaction's statements succeeded; if the commit then fails, the rows stay in the log
// and the next group moves them.
func (s *Store) mergeMetricLog(w *writer) error {
	if _, err := w.tx.ExecContext(w.nc, query("TrackingMergeMetricLog")); err != nil {
		return interpretError(err)
	}
	if _, err := w.tx.ExecContext(w.nc, query("TrackingClearMetricLog")); err != nil {
		return interpretError(err)
	}
	s.metricLog.Store(0)
	return nil
}

// pointOrder orders the points of a series as metric_history's key does: by step,
// timestamp, value (a NaN stored as 0), then NaN after a 0.
func pointOrder(a, b tracking.Metric) int {
	stored := func(m tracking.Metric) (float64, int) {
		if math.IsNaN(m.Value) {
			return 0, 1
		}
		return m.Value, 0
	}
	av, an := stored(a)
	bv, bn := stored(b)
	if c := cmp.Compare(a.Step, b.Step); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Timestamp, b.Timestamp); c != 0 {
		return c
	}
	if c := cmp.Compare(av, bv); c != 0 {
		return c
	}
	return cmp.Compare(an, bn)
}

// mergeSeries merges a series' points from metric_history and from metric_log, both in
// pointOrder, into one list in that order without duplicates (a point logged twice is
// kept once, as metric_history's key keeps it).
func mergeSeries(history, logged []tracking.Metric) []tracking.Metric {
	if len(logged) == 0 {
		return history
	}
	out := make([]tracking.Metric, 0, len(history)+len(logged))
	push := func(m tracking.Metric) {
		if n := len(out); n > 0 && pointOrder(out[n-1], m) == 0 {
			return
		}
		out = append(out, m)
	}
	i, j := 0, 0
	for i < len(history) || j < len(logged) {
		if j == len(logged) || (i < len(history) && pointOrder(history[i], logged[j]) <= 0) {
			push(history[i])
			i++
		} else {
			push(logged[j])
			j++
		}
	}
	return out
}
