package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/store"
)

// Airflow's include_past and include_future extend a clear or a mark from one run to other
// runs of its DAG, chosen by logical date. The two operations choose differently, as in
// Airflow, and ClearSpan and MarkSpan choose as each does. Both take every run of the DAG
// (in any order) and return those chosen oldest first (by logical date, then run ID), the
// run started from always among them.

// ClearSpan returns the runs a clear from run `from` covers: with future, every run whose
// logical date is at or after from's and not after now (Airflow leaves runs dated in the
// future alone); with past, every run at or before it; whatever the DAG's schedule (Airflow's
// post_clear_task_instances and DAG.clear).
func ClearSpan(runs []*store.DAGRun, from *store.DAGRun, past, future bool, now time.Time) []*store.DAGRun {
	return span(runs, from, func(r *store.DAGRun) bool {
		switch {
		case !past && r.LogicalDate.Before(from.LogicalDate):
			return false
		case !future && r.LogicalDate.After(from.LogicalDate):
			return false
		case future && r.LogicalDate.After(now):
			return false
		}
		return true
	})
}

// MarkSpan returns the runs a mark from run `from` covers (Airflow's
// mark_tasks.get_run_ids): the logical dates from the first run's (past) or from's, to the
// last run's (future) or from's, and then, by the DAG's timetable tt: without a time
// schedule (none, or datasets only) every run in that span; for a periodic schedule (cron,
// "every") only the runs at its scheduled logical dates in the span and at the span's
// start; for @once and @continuous only `from`. Unlike Airflow, `from` is always included
// (Airflow drops a manual run off the schedule when past moves the span's start).
func MarkSpan(runs []*store.DAGRun, from *store.DAGRun, past, future bool, tt schedule.Timetable) []*store.DAGRun {
	start, end := from.LogicalDate, from.LogicalDate
	for _, r := range runs {
		if past && r.LogicalDate.Before(start) {
			start = r.LogicalDate
		}
		if future && r.LogicalDate.After(end) {
			end = r.LogicalDate
		}
	}
	keep := func(*store.DAGRun) bool { return false } // @once, @continuous
	switch tt.Kind() {
	case schedule.KindManual:
		keep = func(r *store.DAGRun) bool { return !r.LogicalDate.Before(start) && !r.LogicalDate.After(end) }
	case schedule.KindCron, schedule.KindDelta:
		dates := map[int64]bool{start.UnixMicro(): true}
		for iv := range tt.Backfill(start, end) {
			dates[iv.Start.UnixMicro()] = true
		}
		keep = func(r *store.DAGRun) bool { return dates[r.LogicalDate.UnixMicro()] }
	}
	return span(runs, from, keep)
}

// span returns from and the runs keep accepts, oldest first.
func span(runs []*store.DAGRun, from *store.DAGRun, keep func(*store.DAGRun) bool) []*store.DAGRun {
	out := []*store.DAGRun{from}
	for _, r := range runs {
		if r.RunID != from.RunID && keep(r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(x, y *store.DAGRun) int {
		if c := x.LogicalDate.Compare(y.LogicalDate); c != 0 {
			return c
		}
		return strings.Compare(x.RunID, y.RunID)
	})
	return out
}
