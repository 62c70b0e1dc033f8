package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/secrets"
	"github.com/weirhq/weir/store/sqlite"
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

// fanDAG maps a command over 40 items; items 7 and 23 fail, and a task after it is left
// upstream_failed.
const fanDAG = `
dag_id: fan
tasks:
  - id: start
    script: echo start
  - id: parts
    upstream: [start]
    expand: {x: [` + "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39" + `]}
    script: test "{{ args.x }}" != 7 && test "{{ args.x }}" != 23
  - id: after
    upstream: [parts]
    script: echo after
`

// Task summaries: the store's counts of each task's instances by state, and its most
// pressing state, as the grid's collapsed square of a mapped task shows them.
func TestTaskSummaries(t *testing.T) {
	t.Parallel()
	d, err := dag.LoadBytes("fan.yaml", []byte(fanDAG), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t, func(c *api.Config) { c.DAGs = append(c.DAGs.(api.StaticDAGs), d) })
	run := e.trigger("fan", "f1")
	if run.State != "failed" {
		t.Fatalf("run f1: %s, want failed", run.State)
	}
	var c client.TaskSummaryCollection
	e.json("GET", "/dags/fan/dagRuns/f1/taskSummaries", "", 200, &c)
	if c.TotalEntries != 3 || len(c.TaskSummaries) != 3 {
		t.Fatalf("summaries: %+v", c)
	}
	after, parts, start := c.TaskSummaries[0], c.TaskSummaries[1], c.TaskSummaries[2]
	str := func(p *string) string {
		if p == nil {
			return "none"
		}
		return *p
	}
	if parts.TaskID != "parts" || !parts.IsMapped || parts.Total != 40 || str(parts.State) != "failed" || parts.FirstMapIndex != 0 ||
		parts.States["success"] != 38 || parts.States["failed"] != 2 || len(parts.States) != 2 ||
		parts.StartDate == nil || parts.EndDate == nil || parts.EndDate.Before(*parts.StartDate) {
		t.Errorf("parts: %+v (state %s)", parts, str(parts.State))
	}
	if after.TaskID != "after" || after.IsMapped || after.Total != 1 || str(after.State) != "upstream_failed" || after.FirstMapIndex != -1 {
		t.Errorf("after: %+v (state %s)", after, str(after.State))
	}
	if start.TaskID != "start" || str(start.State) != "success" || start.States["success"] != 1 {
		t.Errorf("start: %+v (state %s)", start, str(start.State))
	}
	if cc, err := e.c.TaskSummaries(context.Background(), "fan", "f1"); err != nil || cc.TotalEntries != 3 {
		t.Errorf("client TaskSummaries: %+v, %v", cc, err)
	}
	if rt, err := e.c.RunTasks(context.Background(), "fan", "f1"); err != nil || rt.TotalEntries != 3 {
		t.Errorf("client RunTasks: %+v, %v", rt, err)
	}

	// ETags: unchanged is a 304; marking a failed instance success changes the counts.
	a := e.do("GET", "/dags/fan/dagRuns/f1/taskSummaries", "")
	tag := a.header.Get("ETag")
	if b := e.do("GET", "/dags/fan/dagRuns/f1/taskSummaries", "", "If-None-Match", tag); b.status != 304 {
		t.Errorf("If-None-Match: %d", b.status)
	}
	e.json("PATCH", "/dags/fan/dagRuns/f1/taskInstances/parts/7", `{"new_state":"success"}`, 200, nil)
	e.json("GET", "/dags/fan/dagRuns/f1/taskSummaries", "", 200, &c)
	if p := c.TaskSummaries[1]; p.States["success"] != 39 || p.States["failed"] != 1 || str(p.State) != "failed" {
		t.Errorf("parts after marking [7] success: %+v", p)
	}
	e.problem("GET", "/dags/fan/dagRuns/nope/taskSummaries", "", 404, client.CodeNotFound, "")
}

// keptDAG reads a variable and a secret in a template; plain has no template; after never
// runs (what it follows fails).
const keptDAG = `
dag_id: kept
tasks:
  - id: hello
    script: echo "{{ var.value.greeting }} {{ var.value.api_password }}"
  - id: plain
    script: echo plain
  - id: gate
    script: exit 1
  - id: after
    upstream: [gate]
    script: echo "{{ var.value.greeting }}"
`

// The rendered fields a try saved when it started are answered as they were after the
// variable they read changes (source "try"); an instance that never ran, or a task without
// templates, is rendered now and says so (source "preview").
func TestRenderedFieldsKeptFromTheTry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sec, err := secrets.New(secrets.Config{Store: st, Keys: &secrets.KeySource{Home: home, Getenv: func(string) string { return "" }, Notice: &bytes.Buffer{}}})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Home: home, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	d, err := dag.LoadBytes("kept.yaml", []byte(keptDAG), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Store: st, Engine: eng, DAGs: api.StaticDAGs{d}, Home: home, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(validating(t, a.Handler()))
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, eng: eng, home: home, url: srv.URL}
	if e.c, err = client.New(srv.URL, srv.Client()); err != nil {
		t.Fatal(err)
	}
	e.json("POST", "/variables", `{"key":"greeting","value":"hello"}`, 200, nil)
	e.json("POST", "/variables", `{"key":"api_password","value":"s3cr3t-value"}`, 200, nil)
	e.trigger("kept", "k1")

	const base = "/dags/kept/dagRuns/k1/taskInstances/"
	var rf client.RenderedFields
	check := func(task string) {
		t.Helper()
		a := e.do("GET", base+task+"/renderedFields", "")
		if a.status != 200 || strings.Contains(string(a.body), "s3cr3t") {
			t.Fatalf("GET %s renderedFields: %d %s", task, a.status, a.body)
		}
		rf = client.RenderedFields{}
		if err := json.Unmarshal(a.body, &rf); err != nil {
			t.Fatal(err)
		}
	}
	check("hello")
	if rf.Source != "try" || rf.TryNumber != 1 || rf.RenderedAt == nil || rf.RenderedFields["script"] != `echo "hello ***"` || rf.Note != "" {
		t.Errorf("hello after its run: %+v", rf)
	}
	e.json("POST", "/variables", `{"key":"greeting","value":"bye"}`, 200, nil)
	check("hello")
	if rf.Source != "try" || rf.RenderedFields["script"] != `echo "hello ***"` {
		t.Errorf("hello after the variable changed: %+v, want what the try ran with", rf)
	}
	e.json("GET", base+"hello/renderedFields?try_number=1", "", 200, &rf)
	if rf.Source != "try" || rf.TryNumber != 1 {
		t.Errorf("hello try 1: %+v", rf)
	}
	check("after")
	if rf.Source != "preview" || rf.TryNumber != 0 || rf.RenderedAt != nil || rf.RenderedFields["script"] != `echo "bye"` || !strings.Contains(rf.Note, "has not run") {
		t.Errorf("after, which never ran: %+v, want a preview with the variable as it is now", rf)
	}
	check("plain")
	if rf.Source != "preview" || rf.TryNumber != 1 || rf.RenderedFields["script"] != "echo plain" || !strings.Contains(rf.Note, "without templates") {
		t.Errorf("plain, without templates: %+v", rf)
	}
	e.json("GET", base+"plain/renderedFields?try_number=1", "", 200, &rf)
	if rf.Source != "preview" || rf.TryNumber != 1 || !strings.Contains(rf.Note, "try 1 saved no") {
		t.Errorf("plain try 1: %+v", rf)
	}
	e.problem("GET", base+"hello/renderedFields?try_number=2", "", 404, client.CodeNotFound, "")
	e.problem("GET", base+"hello/renderedFields?try_number=0", "", 400, client.CodeInvalidField, "try_number")
}
