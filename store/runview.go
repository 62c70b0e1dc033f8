package store

import (
	"context"
	"encoding/json"
	"time"
)

// RunViewStore reads what a view of a run needs to show it as it ran: a summary of each
// task's instances counted by the store, and the fields each try rendered when it started.
type RunViewStore interface {
	// GetRenderedFields returns the fields a try of a task instance rendered when it
	// started (written by Apply, Batch.RenderedFields); tryNumber 0 means the latest try
	// that has them. ErrNotFound when none were saved (the instance never ran a templated
	// try, or its run was pruned: RenderedFields.KeepRuns).
	GetRenderedFields(ctx context.Context, dagID, runID, taskID string, mapIndex, tryNumber int) (*RenderedFields, error)
	// TaskSummaries returns one summary per task of a run that has instances, by task ID:
	// how many of its instances are in each state (counted with a GROUP BY, not by loading
	// them), its most pressing state (WorstState), its lowest map index and its earliest
	// start and latest end. A run without instances, or no run, gives an empty list.
	TaskSummaries(ctx context.Context, dagID, runID string) ([]*TaskSummary, error)
}

// TaskSummary sums up the instances of one task of a run: a mapped task's thousands of
// instances in a few numbers (Airflow's grid shows a mapped task as one square in the
// colour of its most pressing state, with the count of each state).
type TaskSummary struct {
	// TaskID names the task.
	TaskID string
	// Mapped reports that the task's instances have map indexes (≥ 0); an unmapped task has
	// one instance at map index −1 (a mapped task not expanded yet also has one there).
	Mapped bool
	// Total is the number of instances.
	Total int
	// States counts the instances in each state (TINone for those with no state yet); only
	// states with instances are present.
	States map[TIState]int
	// State is the most pressing of States (WorstState).
	State TIState
	// FirstMapIndex is the lowest map index (−1 for an unmapped task).
	FirstMapIndex int
	// StartedAt is the earliest start of an instance's current try, EndedAt the latest
	// end; zero when no instance started (ended).
	StartedAt, EndedAt time.Time
}

// worstOrder ranks the states a summary shows, most pressing first: what failed, then what
// is still going on, then what ended without failing (the order of the web UI's grid).
var worstOrder = []TIState{TIFailed, TIUpstreamFailed, TIUpForRetry, TIUpForReschedule, TIRunning,
	TIQueued, TIScheduled, TINone, TISkipped, TIRemoved, TISuccess}

// WorstState returns the most pressing state with a count above zero — failed before
// upstream_failed, up_for_retry, up_for_reschedule, running, queued, scheduled, none,
// skipped, removed and success — and TINone for no instances.
func WorstState(counts map[TIState]int) TIState {
	for _, s := range worstOrder {
		if counts[s] > 0 {
			return s
		}
	}
	return TINone
}

// DefaultKeepRenderedRuns is how many runs of a task keep their rendered fields by default,
// as Airflow's num_dag_runs_to_keep_rendered_fields.
const DefaultKeepRenderedRuns = 30

// RenderedFields are the template fields of one try of a task instance as rendered when the
// try started, secrets masked (Airflow's RenderedTaskInstanceFields): what the try ran with,
// kept as it was when a variable or connection it read changes later.
type RenderedFields struct {
	// DAGID, RunID, TaskID, MapIndex and TryNumber are the key; the task instance must exist.
	DAGID, RunID, TaskID string
	MapIndex, TryNumber  int
	// Fields is the JSON object of the task kind's spec fields by their JSON names, rendered
	// and masked, each field capped in length by the writer (the engine's
	// MaxTemplatedFieldLength).
	Fields json.RawMessage
	// RenderedAt is when the try rendered them (its start).
	RenderedAt time.Time
	// KeepRuns, when positive, prunes on the first write of a run of the task: the task's
	// fields in all but its KeepRuns newest runs (by logical date) are deleted in the same
	// transaction. Zero keeps every run. Not read back.
	KeepRuns int
}
