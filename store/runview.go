package store

import (
	"context"
	"time"
)

// RunViewStore reads what a view of a run needs without loading its task instances: a
// summary of each task's instances, counted by the store.
type RunViewStore interface {
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
