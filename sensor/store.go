package sensor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// eventsPerPoke is how many of a dataset's newest events a poke reads.
const eventsPerPoke = 100

// datasetChecker holds once the dataset has an event with a timestamp after the run's
// logical date; the output is the newest such event.
func (s *Sensor) datasetChecker(job *executor.Job, spec *dag.SensorSpec) (checker, error) {
	if s.deps.Store == nil {
		return nil, errors.New("dataset sensor: no store (sensor.Deps.Store)")
	}
	if spec.URI == "" {
		return nil, errors.New("dataset sensor: no uri")
	}
	since := job.LogicalDate
	return func(ctx context.Context) (poke, error) {
		evs, err := s.deps.Store.ListDatasetEvents(ctx, store.ListEventsParams{URI: spec.URI, Limit: eventsPerPoke})
		if err != nil {
			return poke{}, fmt.Errorf("dataset sensor: %w", err)
		}
		for _, e := range evs {
			if e.URI == spec.URI && e.Timestamp.After(since) {
				// The output has the shape of triggering_dataset_events.
				return poke{done: true, output: e.Triggering(), status: fmt.Sprintf("dataset %s updated at %s (event %d)",
					spec.URI, e.Timestamp.UTC().Format(time.RFC3339Nano), e.ID)}, nil
			}
		}
		return poke{status: fmt.Sprintf("no event of dataset %s after %s", spec.URI, since.UTC().Format(time.RFC3339))}, nil
	}, nil
}

// runsPerPoke is how many of the external DAG's newest runs a poke searches for the one with
// the wanted logical date (the store cannot filter by logical date).
const runsPerPoke = 1000

// externalChecker holds once the other DAG's run with the wanted logical date (or its task)
// is in one of the wanted states; a failed state ends it at once.
func (s *Sensor) externalChecker(job *executor.Job, spec *dag.SensorSpec) (checker, error) {
	if s.deps.Store == nil {
		return nil, errors.New("external_task sensor: no store (sensor.Deps.Store)")
	}
	if spec.DAGID == "" {
		return nil, errors.New("external_task sensor: no dag_id")
	}
	states, failed := spec.States, spec.FailedStates
	if len(states) == 0 {
		states = []string{string(store.TISuccess)}
	}
	if len(failed) == 0 {
		failed = []string{string(store.TIFailed), string(store.TIUpstreamFailed)}
		if spec.TaskID == "" {
			failed = []string{string(store.RunFailed)}
		}
	}
	target := job.LogicalDate.Add(-spec.ExecutionDelta.D()).UTC().Truncate(time.Microsecond)
	what := "dag " + spec.DAGID
	if spec.TaskID != "" {
		what = "task " + spec.DAGID + "." + spec.TaskID
	}
	return func(ctx context.Context) (poke, error) {
		runs, err := s.deps.Store.ListRuns(ctx, store.ListRunsParams{DAGID: spec.DAGID, Limit: runsPerPoke})
		if err != nil {
			return poke{}, fmt.Errorf("external_task sensor: %w", err)
		}
		var run *store.DAGRun
		for _, r := range runs {
			if r.LogicalDate.UTC().Truncate(time.Microsecond).Equal(target) {
				run = r
				break
			}
		}
		if run == nil {
			return poke{status: fmt.Sprintf("%s has no run with logical date %s", spec.DAGID, target.Format(time.RFC3339Nano))}, nil
		}
		out := map[string]any{"dag_id": run.DAGID, "run_id": run.RunID}
		if spec.TaskID == "" {
			st := string(run.State)
			out["state"] = st
			switch {
			case slices.Contains(failed, st):
				return poke{}, &failFast{fmt.Sprintf("external_task sensor: run %s of dag %s is %s (failed_states)", run.RunID, spec.DAGID, st)}
			case slices.Contains(states, st):
				return poke{done: true, output: out, status: fmt.Sprintf("%s run %s is %s", what, run.RunID, st)}, nil
			}
			return poke{status: fmt.Sprintf("%s run %s is %s", what, run.RunID, st)}, nil
		}
		tis, err := s.deps.Store.ListTaskInstances(ctx, store.ListTIParams{DAGID: spec.DAGID, RunID: run.RunID, TaskIDs: []string{spec.TaskID}})
		if err != nil {
			return poke{}, fmt.Errorf("external_task sensor: %w", err)
		}
		if len(tis) == 0 {
			return poke{status: fmt.Sprintf("run %s of dag %s has no task %s", run.RunID, spec.DAGID, spec.TaskID)}, nil
		}
		out["task_id"] = spec.TaskID
		counts := map[string]int{}
		done := 0
		for _, ti := range tis {
			st := ti.State.String()
			counts[st]++
			if slices.Contains(failed, st) {
				inst := ""
				if ti.MapIndex >= 0 {
					inst = fmt.Sprintf(" [%d]", ti.MapIndex)
				}
				return poke{}, &failFast{fmt.Sprintf("external_task sensor: task %s%s of run %s of dag %s is %s (failed_states)",
					spec.TaskID, inst, run.RunID, spec.DAGID, st)}
			}
			if slices.Contains(states, st) {
				done++
			}
		}
		status := fmt.Sprintf("%s run %s is %s", what, run.RunID, summary(counts))
		if done == len(tis) {
			if len(tis) == 1 {
				out["state"] = tis[0].State.String()
			} else {
				out["states"] = counts
			}
			return poke{done: true, output: out, status: status}, nil
		}
		return poke{status: status}, nil
	}, nil
}

// summary writes state counts as "running" or "success: 3, running: 1", sorted by state.
func summary(counts map[string]int) string {
	if len(counts) == 1 {
		for st, n := range counts {
			if n == 1 {
				return st
			}
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}
