package api_test

import (
	"slices"
	"testing"

	"github.com/weirhq/weir/api/client"
)

// Marking with include_upstream and include_downstream marks the task's relatives in the
// run too (those not in the new state yet).
func TestMarkTaskInstanceWithRelatives(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("fails", "f1") // boom failed, after upstream_failed

	names := func(c client.TaskInstanceCollection) []string {
		var s []string
		for _, ti := range c.TaskInstances {
			s = append(s, ti.TaskID+"="+ti.StateName())
		}
		slices.Sort(s)
		return s
	}
	var c client.TaskInstanceCollection
	// Without include_upstream only the task itself.
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/after", `{"new_state":"success","dry_run":true}`, 200, &c)
	if got := names(c); !slices.Equal(got, []string{"after=upstream_failed"}) {
		t.Errorf("dry run without upstream: %v", got)
	}
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/after", `{"new_state":"success","dry_run":true,"include_upstream":true}`, 200, &c)
	if got := names(c); !slices.Equal(got, []string{"after=upstream_failed", "boom=failed"}) {
		t.Errorf("dry run with upstream: %v", got)
	}
	if got := e.states("fails", "f1"); !slices.Equal(got, []string{"after=upstream_failed", "boom=failed"}) {
		t.Errorf("a dry run changed states: %v", got)
	}
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/after", `{"new_state":"success","include_upstream":true}`, 200, &c)
	if got := names(c); !slices.Equal(got, []string{"after=success", "boom=success"}) {
		t.Errorf("marked with upstream: %v", got)
	}
	// Nothing was cleared to run again, so the finished run keeps its state, as in Airflow
	// (mark the run to change it).
	if got := e.states("fails", "f1"); !slices.Equal(got, []string{"after=success", "boom=success"}) {
		t.Errorf("states after marking success with upstream: %v", got)
	}

	// include_downstream from boom: after follows; a task already in the state is not listed.
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/boom", `{"new_state":"failed","include_downstream":true}`, 200, &c)
	if got := names(c); !slices.Equal(got, []string{"after=failed", "boom=failed"}) {
		t.Errorf("marked with downstream: %v", got)
	}
	if got := e.states("fails", "f1"); !slices.Equal(got, []string{"after=failed", "boom=failed"}) {
		t.Errorf("states after marking failed with downstream: %v", got)
	}
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/boom", `{"new_state":"failed","include_downstream":true,"dry_run":true}`, 200, &c)
	if got := names(c); !slices.Equal(got, []string{"boom=failed"}) {
		t.Errorf("dry run when downstream is already failed: %v", got)
	}

	e.problem("PATCH", "/dags/fails/dagRuns/f1/taskInstances/boom", `{"new_state":"success","include_upstream":"yes"}`, 400, client.CodeInvalidField, "include_upstream")
}
