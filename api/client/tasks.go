package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Task is a task of a DAG as GET /dags/{dag_id}/tasks lists it: Airflow's Task object (the
// fields weir has), with weir's setup/teardown flags and task group.
type Task struct {
	// TaskID is the fully qualified task ID (group IDs joined by dots, then its own).
	TaskID string `json:"task_id"`
	// OperatorName is the task's kind (command, http, go, sensor, branch, …): Airflow's
	// operator name.
	OperatorName string `json:"operator_name"`
	// DownstreamTaskIDs are the tasks that depend on this one, sorted.
	DownstreamTaskIDs []string `json:"downstream_task_ids"`
	// UpstreamTaskIDs are the tasks this one depends on, sorted (weir; Airflow derives them).
	UpstreamTaskIDs []string `json:"upstream_task_ids"`
	// TriggerRule decides when the task runs given its upstream states.
	TriggerRule string `json:"trigger_rule"`
	// IsMapped is true for a task expanded at run time: mapped itself or in a mapped group.
	IsMapped bool `json:"is_mapped"`
	// IsSetup marks a setup task, IsTeardown a teardown (Airflow's setup_teardown_type).
	IsSetup    bool `json:"is_setup"`
	IsTeardown bool `json:"is_teardown"`
	// TaskGroupID is the fully qualified ID of the innermost task group holding the task,
	// null when none.
	TaskGroupID *string `json:"task_group_id"`
	// Retries is the retries a try may have.
	Retries int `json:"retries"`
	// Pool is the pool the task's tries take a slot of.
	Pool string `json:"pool"`
}

// TaskCollection is the tasks of a DAG, with its task groups (weir; Airflow nests them in
// its structure data).
type TaskCollection struct {
	Tasks        []Task      `json:"tasks"`
	TotalEntries int         `json:"total_entries"`
	TaskGroups   []TaskGroup `json:"task_groups"`
}

// TaskGroup is a task group of a DAG (weir; Airflow nests them in its structure data).
type TaskGroup struct {
	// GroupID is the fully qualified group ID ("outer.inner").
	GroupID string `json:"group_id"`
	// ParentGroupID is the group holding this one, null at the top.
	ParentGroupID *string `json:"parent_group_id"`
	// IsMapped is true for a mapped task group.
	IsMapped bool `json:"is_mapped"`
}

// RenderedFields are a task instance's template fields rendered (Airflow's rendered_fields),
// the secrets in them masked.
type RenderedFields struct {
	DAGID    string `json:"dag_id"`
	DAGRunID string `json:"dag_run_id"`
	TaskID   string `json:"task_id"`
	MapIndex int    `json:"map_index"`
	// RenderedFields are the fields of the task kind's spec by their JSON names, rendered;
	// null when rendering failed.
	RenderedFields map[string]any `json:"rendered_fields"`
	// Error says why rendering failed (a template error naming the field), "" when it did not.
	Error string `json:"error,omitempty"`
	// Source says where the fields come from: "try", saved when the try started (what it
	// ran with, kept when a variable or connection changes later), or "preview", rendered
	// now for an instance that saved none (it has not run, its task has no template, or its
	// run's fields were pruned; Note says which).
	Source string `json:"source"`
	// TryNumber is the try whose fields these are (0 in a preview of an instance that has
	// not run).
	TryNumber int `json:"try_number"`
	// RenderedAt is when the try rendered them; nil in a preview.
	RenderedAt *time.Time `json:"rendered_at"`
	// Note says why a preview was rendered now, "" for saved fields.
	Note string `json:"note,omitempty"`
}

// Tasks lists the tasks of a loaded DAG with their dependencies, and its task groups.
func (c *Client) Tasks(ctx context.Context, dagID string) (*TaskCollection, error) {
	return call[TaskCollection](ctx, c, "GET", path("dags", dagID, "tasks"), nil, nil)
}

// RenderedFields renders the template fields of a task instance (mapIndex −1 for an
// unmapped task), secrets masked.
func (c *Client) RenderedFields(ctx context.Context, dagID, runID, taskID string, mapIndex int) (*RenderedFields, error) {
	q := url.Values{}
	if mapIndex >= 0 {
		q.Set("map_index", strconv.Itoa(mapIndex))
	}
	return call[RenderedFields](ctx, c, "GET", path("dags", dagID, "dagRuns", runID, "taskInstances", taskID, "renderedFields"), q, nil)
}
