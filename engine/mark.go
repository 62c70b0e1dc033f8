package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/store"
)

// MarkRunStored marks a run that no engine executes (it finished, or its owner is gone) as
// success or failed, in the store, as Airflow's "mark run" does: if the run had not
// finished, its unfinished instances end as the engine's MarkRun ends them (success when
// marked success; running ones failed and the others skipped when marked failed). It is one
// transaction (store.Store.UpdateRun) guarded by the states read, and it revokes the run's
// lease; it refuses a run whose lease another live owner holds (ErrRunOwned). now is the
// time recorded as the instances' and the run's end.
func MarkRunStored(ctx context.Context, st store.Store, dagID, runID string, state store.RunState, now time.Time) error {
	if state != store.RunSuccess && state != store.RunFailed {
		return fmt.Errorf("a run can be marked success or failed, not %q", state)
	}
	return st.UpdateRun(ctx, dagID, runID, func(v *store.RunView) (*store.Batch, error) {
		if err := clearable(v); err != nil {
			return nil, err
		}
		run := v.Run
		b := &store.Batch{Guards: []store.RunGuard{{DAGID: dagID, RunID: runID, Epoch: leaseEpoch(v.Lease), State: run.State, Release: true}}}
		if !run.State.Finished() {
			for _, ti := range v.TIs {
				if ti.State.Finished() {
					continue
				}
				b.TIGuards = append(b.TIGuards, tiGuard(ti))
				switch {
				case state == store.RunSuccess:
					ti.State = store.TISuccess
				case ti.State == store.TIRunning:
					ti.State = store.TIFailed
				default:
					ti.State = store.TISkipped
				}
				if ti.StartedAt.IsZero() {
					ti.StartedAt = now
				}
				ti.EndedAt, ti.NextTryAt, ti.Error = now, time.Time{}, "marked "+string(state)
				b.TIs = append(b.TIs, ti)
			}
			run.EndedAt = now
		}
		run.State, run.Owner, run.DAG = state, "", nil
		if run.EndedAt.IsZero() {
			run.EndedAt = now
		}
		b.Runs = append(b.Runs, run)
		return b, nil
	})
}

// MarkTasksStored sets the instances of a task of a run that no engine executes to success,
// failed or skipped, in the store: those with a map index in mapIndexes, or every instance
// of the task when mapIndexes is nil. Like MarkRunStored it is one guarded transaction that
// revokes the run's lease, and refuses a run another live owner holds (ErrRunOwned). It
// returns the instances as written.
func MarkTasksStored(ctx context.Context, st store.Store, dagID, runID, taskID string, mapIndexes []int, state store.TIState, now time.Time) ([]*store.TaskInstance, error) {
	if state != store.TISuccess && state != store.TIFailed && state != store.TISkipped {
		return nil, fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	var marked []*store.TaskInstance
	err := st.UpdateRun(ctx, dagID, runID, func(v *store.RunView) (*store.Batch, error) {
		if err := clearable(v); err != nil {
			return nil, err
		}
		marked = nil
		b := &store.Batch{Guards: []store.RunGuard{{DAGID: dagID, RunID: runID, Epoch: leaseEpoch(v.Lease), State: v.Run.State, Release: true}}}
		for _, ti := range v.TIs {
			if ti.TaskID != taskID || (mapIndexes != nil && !containsInt(mapIndexes, ti.MapIndex)) {
				continue
			}
			b.TIGuards = append(b.TIGuards, tiGuard(ti))
			if ti.StartedAt.IsZero() {
				ti.StartedAt = now
			}
			ti.State, ti.EndedAt, ti.NextTryAt, ti.Error = state, now, time.Time{}, "marked "+string(state)
			b.TIs = append(b.TIs, ti)
			marked = append(marked, ti)
		}
		if len(marked) == 0 {
			return nil, fmt.Errorf("run %s of dag %s: task %s has no instance with map index %v: %w", runID, dagID, taskID, mapIndexes, store.ErrNotFound)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return marked, nil
}

// leaseEpoch is the epoch of a lease as read, 0 for a run never leased.
func leaseEpoch(l *store.Lease) int64 {
	if l == nil {
		return 0
	}
	return l.Epoch
}

// tiGuard is the guard of an instance in the state it was read in.
func tiGuard(ti *store.TaskInstance) store.TIGuard {
	return store.TIGuard{TIKey: store.TIKey{DAGID: ti.DAGID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex}, State: ti.State}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
