package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
)

// graphDAG has a setup and its teardown, a task group with a nested group, a mapped task
// and templated commands, one reading a param, one a secret variable (the test's engine has
// no secrets: that one fails to render there, and the run fails).
const graphDAG = `
dag_id: graph
params:
  name: {type: string, default: world}
tasks:
  - id: make
    setup: true
    script: echo make
  - id: first
    upstream: [make]
    script: echo "hello {{ params.name }} {{ ds }}"
  - id: peek
    upstream: [make]
    script: echo "{{ var.value.api_password }}"
  - id: fan
    upstream: [first]
    expand: {x: [1, 2]}
    script: echo "{{ args.x }}"
  - id: drop
    upstream: [etl]
    teardown: {setups: [make]}
    script: echo drop
groups:
  - id: etl
    upstream: [fan]
    tasks:
      - {id: load, script: echo load}
    groups:
      - id: inner
        upstream: [load]
        tasks:
          - {id: check, script: echo check, trigger_rule: all_done}
`

func setupGraph(t *testing.T) *env {
	t.Helper()
	d, err := dag.LoadBytes("graph.yaml", []byte(graphDAG), dag.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return setup(t, func(c *api.Config) { c.DAGs = append(c.DAGs.(api.StaticDAGs), d) })
}

// The tasks of a DAG with their dependencies, groups, setup and teardown; ETags on it.
func TestListTasks(t *testing.T) {
	t.Parallel()
	e := setupGraph(t)
	var c client.TaskCollection
	e.json("GET", "/dags/graph/tasks", "", 200, &c)
	byID := map[string]client.Task{}
	var ids []string
	for _, x := range c.Tasks {
		byID[x.TaskID] = x
		ids = append(ids, x.TaskID)
	}
	want := []string{"drop", "etl.inner.check", "etl.load", "fan", "first", "make", "peek"}
	if !slices.Equal(ids, want) || c.TotalEntries != 7 {
		t.Fatalf("tasks %v (total %d), want %v", ids, c.TotalEntries, want)
	}
	if m := byID["make"]; !m.IsSetup || m.IsTeardown || !slices.Contains(m.DownstreamTaskIDs, "first") || !slices.Contains(m.DownstreamTaskIDs, "drop") {
		t.Errorf("make: %+v", m)
	}
	if d := byID["drop"]; !d.IsTeardown || d.IsSetup || !slices.Contains(d.UpstreamTaskIDs, "make") || !slices.Contains(d.UpstreamTaskIDs, "etl.inner.check") {
		t.Errorf("drop: %+v", d)
	}
	if f := byID["fan"]; !f.IsMapped || f.OperatorName != "command" || f.TriggerRule != "all_success" || f.TaskGroupID != nil {
		t.Errorf("fan: %+v", f)
	}
	if ch := byID["etl.inner.check"]; ch.TaskGroupID == nil || *ch.TaskGroupID != "etl.inner" || ch.TriggerRule != "all_done" ||
		!slices.Equal(ch.UpstreamTaskIDs, []string{"etl.load"}) {
		t.Errorf("etl.inner.check: %+v", ch)
	}
	if len(c.TaskGroups) != 2 || c.TaskGroups[1].ParentGroupID == nil || *c.TaskGroups[1].ParentGroupID != "etl" {
		t.Errorf("groups %+v", c.TaskGroups)
	}
	e.json("GET", "/dags/graph/tasks?order_by=-task_id", "", 200, &c)
	if c.Tasks[0].TaskID != "peek" {
		t.Errorf("order_by=-task_id: first %s", c.Tasks[0].TaskID)
	}
	if cc, err := e.c.Tasks(context.Background(), "graph"); err != nil || cc.TotalEntries != 7 {
		t.Errorf("client Tasks: %+v, %v", cc, err)
	}
	e.problem("GET", "/dags/nope/tasks", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/graph/tasks?order_by=x", "", 400, client.CodeInvalidField, "order_by")

	// ETags: the same answer is a 304 with no body; a changed one a 200 with a new tag.
	for _, path := range []string{"/dags/graph/tasks", "/dags", "/dags/graph/dagRuns"} {
		a := e.do("GET", path, "")
		tag := a.header.Get("ETag")
		if a.status != 200 || tag == "" {
			t.Fatalf("GET %s: %d, ETag %q", path, a.status, tag)
		}
		if b := e.do("GET", path, "", "If-None-Match", tag); b.status != 304 || len(b.body) != 0 || b.header.Get("ETag") != tag {
			t.Errorf("GET %s If-None-Match %s: %d %q", path, tag, b.status, b.body)
		}
		if b := e.do("GET", path, "", "If-None-Match", `"other", W/`+tag); b.status != 304 {
			t.Errorf("GET %s If-None-Match weak %s: %d", path, tag, b.status)
		}
		if b := e.do("GET", path, "", "If-None-Match", `"other"`); b.status != 200 || len(b.body) == 0 {
			t.Errorf("GET %s If-None-Match other: %d", path, b.status)
		}
	}
	before := e.do("GET", "/dags", "").header.Get("ETag")
	e.json("PATCH", "/dags/graph", `{"is_paused":true}`, 200, nil)
	if after := e.do("GET", "/dags", "", "If-None-Match", before); after.status != 200 || after.header.Get("ETag") == before {
		t.Errorf("after a pause: %d, ETag %s (before %s)", after.status, after.header.Get("ETag"), before)
	}
}

// Rendered fields: templates evaluated as the try saw them, the secret masked.
func TestRenderedFieldsAndClearUpstream(t *testing.T) {
	t.Parallel()
	e := setupGraph(t)
	e.json("POST", "/variables", `{"key":"api_password","value":"s3cr3t-value"}`, 200, nil)
	run := e.trigger("graph", "r1")
	states := e.states("graph", "r1")
	if run.State != "failed" || !slices.Contains(states, "etl.load=success") || !slices.Contains(states, "peek=failed") {
		t.Fatalf("run %s: %v", run.State, states)
	}
	var rf client.RenderedFields
	e.json("GET", "/dags/graph/dagRuns/r1/taskInstances/first/renderedFields", "", 200, &rf)
	if s, _ := rf.RenderedFields["script"].(string); !strings.HasPrefix(s, `echo "hello world 20`) || rf.Error != "" {
		t.Errorf("rendered first: %+v", rf)
	}
	a := e.do("GET", "/dags/graph/dagRuns/r1/taskInstances/peek/renderedFields", "")
	e.json("GET", "/dags/graph/dagRuns/r1/taskInstances/peek/renderedFields", "", 200, &rf)
	if s, _ := rf.RenderedFields["script"].(string); s != `echo "***"` || strings.Contains(string(a.body), "s3cr3t") {
		t.Errorf("rendered peek: %+v\n%s", rf, a.body)
	}
	e.json("GET", "/dags/graph/dagRuns/r1/taskInstances/fan/renderedFields?map_index=1", "", 200, &rf)
	if s, _ := rf.RenderedFields["script"].(string); s != `echo "2"` || rf.MapIndex != 1 {
		t.Errorf("rendered fan[1]: %+v", rf)
	}
	if cf, err := e.c.RenderedFields(context.Background(), "graph", "r1", "fan", 0); err != nil || cf.RenderedFields["script"] != `echo "1"` {
		t.Errorf("client RenderedFields: %+v, %v", cf, err)
	}
	e.problem("GET", "/dags/graph/dagRuns/r1/taskInstances/fan/renderedFields?map_index=7", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/graph/dagRuns/r1/taskInstances/nope/renderedFields", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/graph/dagRuns/r1/taskInstances/first/renderedFields?map_index=-2", "", 400, client.CodeInvalidField, "map_index")

	// Clear with upstream: the chosen task and everything upstream of it, recursively (and
	// the setup's teardown, as a clear of work in a setup's scope does); not what is only
	// downstream.
	var dry client.TaskInstanceCollection
	e.json("POST", "/dags/graph/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["etl.load"],"include_upstream":true,"dry_run":true}`, 200, &dry)
	var got []string
	for _, ti := range dry.TaskInstances {
		if !slices.Contains(got, ti.TaskID) {
			got = append(got, ti.TaskID)
		}
	}
	want := []string{"drop", "etl.load", "fan", "first", "make"}
	if !slices.Equal(got, want) {
		t.Errorf("dry clear with upstream: %v, want %v", got, want)
	}
	e.problem("POST", "/dags/graph/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["fan"],"map_indexes":[0],"include_upstream":true}`,
		400, client.CodeInvalidField, "include_upstream")
	if _, err := e.c.ClearTaskInstances(context.Background(), "graph", client.ClearRequest{DAGRunID: "r1", TaskIDs: []string{"etl.load"}, IncludeUpstream: true}); err != nil {
		t.Fatal(err)
	}
	run = e.wait("graph", "r1")
	tis, err := e.c.ListTaskInstances(context.Background(), "graph", "r1", client.ListTIsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tries := map[string]int{}
	for _, ti := range tis.TaskInstances {
		tries[ti.TaskID] = ti.TryNumber
	}
	if tries["etl.load"] != 2 || tries["first"] != 2 || tries["make"] != 2 || tries["drop"] != 2 || tries["etl.inner.check"] != 1 || tries["peek"] != 1 {
		t.Errorf("after clearing etl.load with upstream: run %s, tries %v", run.State, tries)
	}
}
