package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/schedule"
	"github.com/weirhq/weir/store"
)

// dagRuns lists every run of a DAG, without snapshots.
func (a *API) dagRuns(ctx context.Context, dagID string) ([]*store.DAGRun, error) {
	return a.cfg.Store.ListRuns(ctx, store.ListRunsParams{DAGID: dagID, Limit: allRows})
}

// clearRuns returns the runs a clear from run covers with include_past and include_future
// (engine.ClearSpan), oldest first.
func (a *API) clearRuns(ctx context.Context, run *store.DAGRun, past, future bool) ([]*store.DAGRun, error) {
	if !past && !future {
		return []*store.DAGRun{run}, nil
	}
	all, err := a.dagRuns(ctx, run.DAGID)
	if err != nil {
		return nil, err
	}
	return engine.ClearSpan(all, run, past, future, a.now()), nil
}

// markRuns returns the runs a mark from run covers with include_past and include_future
// (engine.MarkSpan, with the DAG's timetable), oldest first.
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
	return engine.MarkSpan(all, run, past, future, tt), nil
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
