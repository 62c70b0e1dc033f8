package store

import "context"

// RunCounter counts runs without reading them: what a paged listing reports as its total.
type RunCounter interface {
	// CountRuns returns how many runs match p's DAGID, RunID and States (its Limit and
	// Offset are ignored).
	CountRuns(ctx context.Context, p ListRunsParams) (int, error)
}
