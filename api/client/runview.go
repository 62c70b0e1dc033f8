package client

import (
	"context"
	"time"
)

// TaskSummary sums up the instances of one task of a run (GET
// /dags/{dag_id}/dagRuns/{dag_run_id}/taskSummaries): a mapped task's thousands of instances
// in a few numbers, counted by the server, as Airflow 3's grid sums up a mapped task.
type TaskSummary struct {
	TaskID string `json:"task_id"`
	// State is the most pressing state of its instances (failed before upstream_failed,
	// up_for_retry, up_for_reschedule, running, queued, scheduled, none, skipped, removed,
	// success); nil is none.
	State *string `json:"state"`
	// IsMapped reports that the instances have map indexes.
	IsMapped bool `json:"is_mapped"`
	// Total is the number of instances.
	Total int `json:"total"`
	// States counts the instances in each state ("none" for no state yet); only states with
	// instances are present.
	States map[string]int `json:"states"`
	// FirstMapIndex is the lowest map index, −1 for an unmapped task.
	FirstMapIndex int `json:"first_map_index"`
	// StartDate is the earliest start of an instance's try, EndDate the latest end; nil when
	// none started (ended).
	StartDate *time.Time `json:"start_date"`
	EndDate   *time.Time `json:"end_date"`
}

// TaskSummaryCollection is the summaries of a run's tasks, by task ID.
type TaskSummaryCollection struct {
	TaskSummaries []TaskSummary `json:"task_summaries"`
	TotalEntries  int           `json:"total_entries"`
}

// RunTasks returns the tasks and task groups of a run as of the DAG definition it ran
// with (its snapshot).
func (c *Client) RunTasks(ctx context.Context, dagID, runID string) (*TaskCollection, error) {
	return call[TaskCollection](ctx, c, "GET", path("dags", dagID, "dagRuns", runID, "tasks"), nil, nil)
}

// TaskSummaries returns a summary of the instances of each task of a run.
func (c *Client) TaskSummaries(ctx context.Context, dagID, runID string) (*TaskSummaryCollection, error) {
	return call[TaskSummaryCollection](ctx, c, "GET", path("dags", dagID, "dagRuns", runID, "taskSummaries"), nil, nil)
}
