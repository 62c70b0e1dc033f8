package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
)

// setupChanging serves graphDAG and returns the served DAG list, so a test can replace the
// DAG's definition after a run (as a reloaded DAG file does).
func setupChanging(t *testing.T) (*env, api.StaticDAGs) {
	t.Helper()
	d, err := dag.LoadBytes("graph.yaml", []byte(graphDAG), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var served api.StaticDAGs
	e := setup(t, func(c *api.Config) {
		served = append(c.DAGs.(api.StaticDAGs), d)
		c.DAGs = served
	})
	return e, served
}

// replaceDAG swaps the served definition of the DAG with the same ID for the YAML's.
func replaceDAG(t *testing.T, served api.StaticDAGs, yamlText string) {
	t.Helper()
	d, err := dag.LoadBytes("graph.yaml", []byte(yamlText), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(served, func(x *dag.DAG) bool { return x.ID == d.ID })
	if i < 0 {
		t.Fatalf("no served DAG %s", d.ID)
	}
	served[i] = d
}

func taskIDs(c client.TaskCollection) []string {
	var ids []string
	for _, x := range c.Tasks {
		ids = append(ids, x.TaskID)
	}
	return ids
}

// A run's tasks are those of the DAG it ran with: after the DAG loses a task and gains
// another, the old run still lists the lost one (with its edges) and not the new one,
// while the DAG's own task list is the new definition.
func TestRunTasksFromSnapshot(t *testing.T) {
	t.Parallel()
	e, served := setupChanging(t)
	e.trigger("graph", "old")
	changed := strings.Replace(graphDAG, `  - id: peek
    upstream: [make]
    script: echo "{{ var.value.api_password }}"
`, `  - id: added
    upstream: [make]
    script: echo added
`, 1)
	if changed == graphDAG {
		t.Fatal("the test's edit of graphDAG did not apply")
	}
	replaceDAG(t, served, changed)

	var now, old client.TaskCollection
	e.json("GET", "/dags/graph/tasks", "", 200, &now)
	e.json("GET", "/dags/graph/dagRuns/old/tasks", "", 200, &old)
	if ids := taskIDs(now); !slices.Contains(ids, "added") || slices.Contains(ids, "peek") {
		t.Errorf("the DAG's tasks now: %v, want added and not peek", ids)
	}
	ids := taskIDs(old)
	if want := []string{"drop", "etl.inner.check", "etl.load", "fan", "first", "make", "peek"}; !slices.Equal(ids, want) || old.TotalEntries != len(want) {
		t.Errorf("the old run's tasks: %v (total %d), want %v", ids, old.TotalEntries, want)
	}
	for _, x := range old.Tasks {
		if x.TaskID == "make" && (!slices.Contains(x.DownstreamTaskIDs, "peek") || slices.Contains(x.DownstreamTaskIDs, "added")) {
			t.Errorf("make in the old run: downstream %v, want peek and not added", x.DownstreamTaskIDs)
		}
	}
	if len(old.TaskGroups) != 2 {
		t.Errorf("the old run's groups: %+v", old.TaskGroups)
	}

	// A run started after the change has the new structure.
	e.trigger("graph", "new")
	var fresh client.TaskCollection
	e.json("GET", "/dags/graph/dagRuns/new/tasks?order_by=-task_id", "", 200, &fresh)
	if ids := taskIDs(fresh); !slices.Contains(ids, "added") || slices.Contains(ids, "peek") || ids[0] != "make" || ids[len(ids)-1] != "added" {
		t.Errorf("the new run's tasks (descending): %v", ids)
	}

	// ETags, as on the DAG's task list.
	a := e.do("GET", "/dags/graph/dagRuns/old/tasks", "")
	tag := a.header.Get("ETag")
	if a.status != 200 || tag == "" {
		t.Fatalf("GET run tasks: %d, ETag %q", a.status, tag)
	}
	if b := e.do("GET", "/dags/graph/dagRuns/old/tasks", "", "If-None-Match", tag); b.status != 304 || len(b.body) != 0 {
		t.Errorf("GET run tasks If-None-Match: %d %q", b.status, b.body)
	}
	e.problem("GET", "/dags/graph/dagRuns/nope/tasks", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/graph/dagRuns/old/tasks?order_by=x", "", 400, client.CodeInvalidField, "order_by")
}
