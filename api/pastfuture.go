package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/store"
)

// Airflow's include_past and include_future extend a clear or a mark from one run to other
// runs of its DAG, chosen by logical date. The two operations choose differently, as in
// Airflow:
//
//   - a clear (POST /dags/{dag_id}/clearTaskInstances; Airflow's post_clear_task_instances
//     and DAG.clear) takes every run whose logical date is at or after the run's with
//     include_future (and not later than now: Airflow leaves runs dated in the future
//     alone), at or before it with include_past, whatever the DAG's schedule;
//   - a mark (PATCH …/taskInstances/{task_id}; Airflow's mark_tasks.get_run_ids) spans the
//     logical dates from the first run's (include_past) or the run's, to the last run's
//     (include_future) or the run's, and then asks the DAG's timetable: a DAG without a time
//     schedule (none, or datasets only) takes every run in that span; a periodic one (cron,
//     "every") only the runs at its scheduled logical dates in the span, and at the span's
//     start; @once and @continuous only the run itself. Unlike Airflow, the run named is
//     always included (Airflow drops a manual run that is off the schedule when
//     include_past moves the span's start).
//
// Runs come back oldest first (by logical date, then run ID), the run named among them.

// dagRuns lists every run of a DAG, without snapshots, oldest first.
func (a *API) dagRuns(ctx context.Context, dagID string) ([]*store.DAGRun, error) {
	runs, err := a.cfg.Store.ListRuns(ctx, store.ListRunsParams{DAGID: dagID, Limit: allRows})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(runs, func(x, y *store.DAGRun) int {
		if c := x.LogicalDate.Compare(y.LogicalDate); c != 0 {
			return c
		}
		if x.RunID < y.RunID {
			return -1
		}
		if x.RunID > y.RunID {
			return 1
		}
		return 0
	})
	return runs, nil
}

// clearRuns returns the runs a clear from run covers with include_past and include_future.
func (a *API) clearRuns(ctx context.Context, run *store.DAGRun, past, future bool) ([]*store.DAGRun, error) {
	if !past && !future {
		return []*store.DAGRun{run}, nil
	}
	all, err := a.dagRuns(ctx, run.DAGID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	var out []*store.DAGRun
	for _, r := range all {
		switch {
		case r.RunID == run.RunID:
		case !past && r.LogicalDate.Before(run.LogicalDate):
			continue
		case !future && r.LogicalDate.After(run.LogicalDate):
			continue
		case future && r.LogicalDate.After(now):
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// markRuns returns the runs a mark from run covers with include_past and include_future.
func (a *API) markRuns(ctx context.Context, run *store.DAGRun, past, future bool) ([]*store.DAGRun, error) {
	if !past && !future {
		return []*store.DAGRun{run}, nil
	}
	tt, err := a.timetable(ctx, run)
	if err != nil {
		return nil, err
	}
	all, err := a.dagRuns(ctx, run.DAGID)
	if err != nil {
		return nil, err
	}
	start, end := run.LogicalDate, run.LogicalDate
	if past && len(all) > 0 {
		start = all[0].LogicalDate
	}
	if future && len(all) > 0 {
		end = all[len(all)-1].LogicalDate
	}
	var keep func(t time.Time) bool
	switch tt.Kind() {
	case schedule.KindManual:
		keep = func(t time.Time) bool { return !t.Before(start) && !t.After(end) }
	case schedule.KindCron, schedule.KindDelta:
		dates := map[int64]bool{start.UnixMicro(): true}
		for iv := range tt.Backfill(start, end) {
			dates[iv.Start.UnixMicro()] = true
		}
		keep = func(t time.Time) bool { return dates[t.UnixMicro()] }
	default: // @once, @continuous
		keep = func(time.Time) bool { return false }
	}
	var out []*store.DAGRun
	for _, r := range all {
		if r.RunID == run.RunID || keep(r.LogicalDate) {
			out = append(out, r)
		}
	}
	return out, nil
}

// timetable returns the timetable of the DAG of run: the loaded DAG's, or, when the DAG is
// not loaded any more, the one of the run's snapshot.
func (a *API) timetable(ctx context.Context, run *store.DAGRun) (schedule.Timetable, error) {
	d, ok := a.cfg.DAGs.DAG(run.DAGID)
	if !ok {
		full, err := a.cfg.Store.GetRun(ctx, run.DAGID, run.RunID)
		if err != nil {
			return schedule.Timetable{}, err
		}
		d = &dag.DAG{}
		if err := json.Unmarshal(full.DAG, d); err != nil {
			return schedule.Timetable{}, fmt.Errorf("run %s of DAG %s: decode the DAG snapshot: %w", run.RunID, run.DAGID, err)
		}
	}
	tt, err := schedule.Parse(d.Schedule, d.Timezone)
	if err != nil {
		return schedule.Timetable{}, fmt.Errorf("DAG %s: %w", run.DAGID, err)
	}
	return tt, nil
}
