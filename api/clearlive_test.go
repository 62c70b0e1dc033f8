package api_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
)

// liveDAG has a failing branch (boom, then after) beside a task that runs until the test
// lets it end (hold); boom succeeds once the test has written boom.ok in the home.
const liveDAG = `
dag_id: live
tasks:
  - id: boom
    script: test -f "$WEIR_HOME/boom.ok"
  - id: after
    upstream: [boom]
    command: ["true"]
  - id: hold
    script: while [ ! -f "$WEIR_HOME/hold.go" ]; do sleep 0.02; done
`

func setupLive(t *testing.T) *env {
	t.Helper()
	d, err := dag.LoadBytes("live.yaml", []byte(liveDAG), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return setup(t, func(c *api.Config) { c.DAGs = append(c.DAGs.(api.StaticDAGs), d) })
}

// touch creates a file in the engine's home.
func (e *env) touch(name string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.home, name), nil, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// startLive triggers a run of live and waits until boom failed and hold runs.
func (e *env) startLive(runID string) {
	e.t.Helper()
	if _, err := e.c.Trigger(e.t.Context(), "live", client.TriggerRequest{DAGRunID: runID}); err != nil {
		e.t.Fatal(err)
	}
	e.until("boom to fail while hold runs", func() bool {
		return slices.Equal(e.states("live", runID), []string{"after=upstream_failed", "boom=failed", "hold=running"})
	})
}

func tiNames(c client.TaskInstanceCollection) []string {
	var s []string
	for _, ti := range c.TaskInstances {
		s = append(s, ti.TaskID+"="+ti.StateName())
	}
	slices.Sort(s)
	return s
}

// Clearing a failed branch of a run that still runs other tasks is done by the engine, as
// Airflow does: the branch runs again and the run ends success.
func TestClearTaskInstancesInRunningRun(t *testing.T) {
	t.Parallel()
	e := setupLive(t)
	e.startLive("r1")
	var c client.TaskInstanceCollection
	e.json("POST", "/dags/live/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["boom"],"include_downstream":true}`, 200, &c)
	if got := tiNames(c); !slices.Equal(got, []string{"after=upstream_failed", "boom=failed"}) {
		t.Errorf("dry clear lists %v, want boom and after as they are", got)
	}
	e.touch("boom.ok")
	e.json("POST", "/dags/live/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["boom"],"include_downstream":true,"dry_run":false}`, 200, &c)
	if got := tiNames(c); !slices.Equal(got, []string{"after=none", "boom=none"}) {
		t.Errorf("clear answered %v, want boom and after back to none", got)
	}
	e.until("the branch to run again", func() bool {
		return slices.Equal(e.states("live", "r1"), []string{"after=success", "boom=success", "hold=running"})
	})
	e.touch("hold.go")
	if run := e.wait("live", "r1"); run.State != "success" {
		t.Errorf("run %s, want success", run.State)
	}
	boom, err := e.c.GetTaskInstance(t.Context(), "live", "r1", "boom", -1)
	if err != nil || boom.TryNumber != 2 {
		t.Errorf("boom: %+v, %v; want try 2", boom, err)
	}
	e.problem("POST", "/dags/live/clearTaskInstances", `{"dag_run_id":"r1","only_failed":true,"only_running":true}`, 400, client.CodeInvalidField, "only_running")
}

// Marking with include_upstream and include_downstream in a run that is still running marks
// the relatives through the engine.
func TestMarkRelativesInRunningRun(t *testing.T) {
	t.Parallel()
	e := setupLive(t)
	e.startLive("r2")
	var c client.TaskInstanceCollection
	e.json("PATCH", "/dags/live/dagRuns/r2/taskInstances/after", `{"new_state":"success","include_upstream":true,"dry_run":true}`, 200, &c)
	if got := tiNames(c); !slices.Equal(got, []string{"after=upstream_failed", "boom=failed"}) {
		t.Errorf("dry mark with upstream lists %v", got)
	}
	e.json("PATCH", "/dags/live/dagRuns/r2/taskInstances/after", `{"new_state":"success","include_upstream":true}`, 200, &c)
	if got := tiNames(c); !slices.Equal(got, []string{"after=success", "boom=success"}) {
		t.Errorf("marked with upstream: %v", got)
	}
	if got := e.states("live", "r2"); !slices.Equal(got, []string{"after=success", "boom=success", "hold=running"}) {
		t.Errorf("run after the mark: %v, want hold still running", got)
	}
	e.json("PATCH", "/dags/live/dagRuns/r2/taskInstances/boom", `{"new_state":"failed","include_downstream":true}`, 200, &c)
	if got := tiNames(c); !slices.Equal(got, []string{"after=failed", "boom=failed"}) {
		t.Errorf("marked with downstream: %v", got)
	}
	// Marking the running task kills its try; the run then ends failed (after, a leaf, is).
	e.json("PATCH", "/dags/live/dagRuns/r2/taskInstances/hold", `{"new_state":"success"}`, 200, &c)
	if run := e.wait("live", "r2"); run.State != "failed" {
		t.Errorf("run %s, want failed", run.State)
	}
	if got := e.states("live", "r2"); !slices.Equal(got, []string{"after=failed", "boom=failed", "hold=success"}) {
		t.Errorf("final states %v", got)
	}
}
