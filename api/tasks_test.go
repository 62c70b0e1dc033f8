package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/weirhq/weir/api/client"
)

func TestTaskInstances(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("hello", "r1")
	var c client.TaskInstanceCollection
	e.json("GET", "/dags/hello/dagRuns/r1/taskInstances", "", 200, &c)
	if c.TotalEntries != 2 || len(c.TaskInstances) != 2 {
		t.Fatalf("%+v", c)
	}
	greet := c.TaskInstances[1]
	if greet.TaskID != "greet" || greet.StateName() != "success" || greet.TryNumber != 1 || greet.MaxTries != 1 ||
		greet.MapIndex != -1 || greet.Pool != "default_pool" || greet.PoolSlots != 1 || greet.Duration == nil ||
		greet.Hostname == "" || greet.PID == nil || greet.ExecutionDate == nil {
		t.Errorf("greet %+v", greet)
	}
	for _, tc := range []struct {
		query string
		want  []string
		total int
	}{
		{"?state=success", []string{"done", "greet"}, 2},
		{"?state=failed", nil, 0},
		{"?state=none,failed", nil, 0},
		{"?task_id=greet", []string{"greet"}, 1},
		{"?pool=default_pool&limit=1&offset=1", []string{"greet"}, 2},
		{"?pool=other", nil, 0},
	} {
		e.json("GET", "/dags/hello/dagRuns/r1/taskInstances"+tc.query, "", 200, &c)
		var got []string
		for _, ti := range c.TaskInstances {
			got = append(got, ti.TaskID)
		}
		if !slices.Equal(got, tc.want) || c.TotalEntries != tc.total {
			t.Errorf("%s: %v (total %d), want %v (total %d)", tc.query, got, c.TotalEntries, tc.want, tc.total)
		}
	}

	var ti client.TaskInstance
	e.json("GET", "/dags/hello/dagRuns/r1/taskInstances/greet", "", 200, &ti)
	if ti.TaskID != "greet" || ti.StateName() != "success" {
		t.Errorf("%+v", ti)
	}
	e.json("GET", "/dags/hello/dagRuns/r1/taskInstances/greet/-1", "", 200, &ti)
	if ti.TaskID != "greet" {
		t.Errorf("%+v", ti)
	}
	e.problem("GET", "/dags/hello/dagRuns/r1/taskInstances/nope", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/hello/dagRuns/r1/taskInstances/greet/0", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/hello/dagRuns/nope/taskInstances", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/hello/dagRuns/nope/taskInstances/greet", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/hello/dagRuns/r1/taskInstances/greet/x", "", 400, client.CodeInvalidField, "map_index")
}

func TestMappedTaskInstances(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("mapped", "m1")
	var c client.TaskInstanceCollection
	e.json("GET", "/dags/mapped/dagRuns/m1/taskInstances/square/listMapped", "", 200, &c)
	if c.TotalEntries != 3 {
		t.Fatalf("%+v", c)
	}
	for i, ti := range c.TaskInstances {
		if ti.MapIndex != i || ti.RenderedMapIndex == nil || *ti.RenderedMapIndex != "x="+string(rune('1'+i)) ||
			ti.StateName() != "success" || !strings.Contains(string(ti.Args), `"x":`) {
			t.Errorf("instance %d: %+v", i, ti)
		}
	}
	e.json("GET", "/dags/mapped/dagRuns/m1/taskInstances/square/listMapped?limit=1&offset=2&state=success", "", 200, &c)
	if c.TotalEntries != 3 || len(c.TaskInstances) != 1 || c.TaskInstances[0].MapIndex != 2 {
		t.Errorf("page: %+v", c)
	}
	var ti client.TaskInstance
	e.json("GET", "/dags/mapped/dagRuns/m1/taskInstances/square/1", "", 200, &ti)
	if ti.MapIndex != 1 {
		t.Errorf("%+v", ti)
	}
	p := e.problem("GET", "/dags/mapped/dagRuns/m1/taskInstances/square", "", 404, client.CodeNotFound, "")
	if !strings.Contains(p.Detail, "is mapped") {
		t.Errorf("detail %q", p.Detail)
	}
	e.problem("GET", "/dags/mapped/dagRuns/m1/taskInstances/nope/listMapped", "", 404, client.CodeNotFound, "")
	log, err := e.c.Log(context.Background(), "mapped", "m1", "square", 2, 1)
	if err != nil || !strings.Contains(string(log), "3") {
		t.Errorf("log of square[2]: %q, %v", log, err)
	}
	mapped, err := e.c.ListMapped(context.Background(), "mapped", "m1", "square", client.ListOptions{Limit: 2})
	if err != nil || len(mapped.TaskInstances) != 2 {
		t.Errorf("client ListMapped: %+v, %v", mapped, err)
	}
}

func TestLogs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("fails", "f1")
	a := e.do("GET", "/dags/fails/dagRuns/f1/taskInstances/boom/logs/1", "")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(string(a.body), "about to fail") || !strings.Contains(string(a.body), "try 1 ended: failed") {
		t.Fatalf("%d %q: %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	full := a.body
	a = e.do("GET", "/dags/fails/dagRuns/f1/taskInstances/boom/logs/1?full_content=true&token=x", "", "Accept", "application/json")
	var j struct {
		Content string  `json:"content"`
		Token   *string `json:"continuation_token"`
	}
	if err := json.Unmarshal(a.body, &j); err != nil || j.Content != string(full) || j.Token != nil {
		t.Errorf("JSON log: %s (%v)", a.body, err)
	}
	a = e.do("GET", "/dags/fails/dagRuns/f1/taskInstances/boom/logs/1", "", "Range", "bytes=0-4")
	if a.status != 206 || string(a.body) != string(full[:5]) {
		t.Errorf("range: %d %q", a.status, a.body)
	}
	// A try that never ran is a 404; a task that did not run has no tries.
	e.problem("GET", "/dags/fails/dagRuns/f1/taskInstances/boom/logs/2", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/fails/dagRuns/f1/taskInstances/after/logs/1", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/fails/dagRuns/f1/taskInstances/boom/logs/1?map_index=0", "", 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/fails/dagRuns/f1/taskInstances/boom/logs/0", "", 400, client.CodeInvalidField, "task_try_number")
	e.problem("GET", "/dags/fails/dagRuns/nope/taskInstances/boom/logs/1", "", 404, client.CodeNotFound, "")
}

func TestMarkTaskInstance(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()

	// In a finished run: the instance changes, and failed tasks downstream run again.
	e.trigger("fails", "f1")
	var dry client.TaskInstanceCollection
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/boom", `{"new_state":"success","dry_run":true}`, 200, &dry)
	if dry.TotalEntries != 1 || dry.TaskInstances[0].StateName() != "failed" {
		t.Errorf("dry run: %+v", dry)
	}
	var c client.TaskInstanceCollection
	e.json("PATCH", "/dags/fails/dagRuns/f1/taskInstances/boom", `{"new_state":"success"}`, 200, &c)
	if c.TotalEntries != 1 || c.TaskInstances[0].StateName() != "success" || c.TaskInstances[0].Error != "marked success" {
		t.Errorf("marked: %+v", c)
	}
	if r := e.wait("fails", "f1"); r.State != "success" {
		t.Errorf("run after marking its failed task success: %s", r.State)
	}
	if got := e.states("fails", "f1"); !slices.Equal(got, []string{"after=success", "boom=success"}) {
		t.Errorf("states: %v", got)
	}

	// In a running run: through the engine, which kills the running try.
	if _, err := e.c.Trigger(ctx, "slow", client.TriggerRequest{DAGRunID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.MarkTaskInstance(ctx, "slow", "s1", "wait", -1, "skipped"); err != nil {
		t.Fatal(err)
	}
	if r := e.wait("slow", "s1"); r.State != "success" {
		t.Errorf("slow run after skipping wait: %s", r.State)
	}
	if got := e.states("slow", "s1"); !slices.Equal(got, []string{"after=skipped", "wait=skipped"}) {
		t.Errorf("states: %v", got)
	}

	// One instance of a mapped task, and all of them.
	e.trigger("mapped", "m1")
	e.json("PATCH", "/dags/mapped/dagRuns/m1/taskInstances/square/1", `{"new_state":"failed"}`, 200, &c)
	if c.TotalEntries != 1 || c.TaskInstances[0].MapIndex != 1 || c.TaskInstances[0].StateName() != "failed" {
		t.Errorf("marked square[1]: %+v", c)
	}
	e.json("PATCH", "/dags/mapped/dagRuns/m1/taskInstances/square", `{"new_state":"skipped"}`, 200, &c)
	if c.TotalEntries != 3 {
		t.Errorf("marked every square: %+v", c)
	}

	e.problem("PATCH", "/dags/mapped/dagRuns/m1/taskInstances/square/7", `{"new_state":"failed"}`, 404, client.CodeNotFound, "")
	e.problem("PATCH", "/dags/fails/dagRuns/f1/taskInstances/nope", `{"new_state":"failed"}`, 404, client.CodeNotFound, "")
	e.problem("PATCH", "/dags/fails/dagRuns/f1/taskInstances/boom", `{"new_state":"running"}`, 400, client.CodeInvalidField, "new_state")
}

func TestClearTaskInstances(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.trigger("fails", "f1")
	var c client.TaskInstanceCollection
	e.json("POST", "/dags/fails/clearTaskInstances", `{"dag_run_id":"f1","task_ids":["boom"]}`, 200, &c)
	if c.TotalEntries != 1 || c.TaskInstances[0].StateName() != "failed" {
		t.Errorf("dry run of boom: %+v", c)
	}
	e.json("POST", "/dags/fails/clearTaskInstances", `{"dag_run_id":"f1","task_ids":["boom"],"include_downstream":true,"reset_dag_runs":true,"dry_run":false}`, 200, &c)
	if c.TotalEntries != 2 || c.TaskInstances[0].TaskID != "after" || c.TaskInstances[0].State != nil || c.TaskInstances[1].TaskID != "boom" {
		t.Errorf("cleared: %+v", c)
	}
	e.wait("fails", "f1")
	if got := e.states("fails", "f1"); !slices.Equal(got, []string{"after=upstream_failed", "boom=failed"}) {
		t.Errorf("states after clear: %v", got)
	}

	// One instance of a mapped task.
	e.trigger("mapped", "m1")
	got, err := e.c.ClearTaskInstances(ctx, "mapped", client.ClearRequest{DAGRunID: "m1", TaskIDs: []string{"square"}, MapIndexes: []int{1}})
	if err != nil || got.TotalEntries != 1 || got.TaskInstances[0].MapIndex != 1 {
		t.Fatalf("clear square[1]: %+v, %v", got, err)
	}
	e.wait("mapped", "m1")
	sq, err := e.c.GetTaskInstance(ctx, "mapped", "m1", "square", 1)
	if err != nil || sq.TryNumber != 2 || sq.StateName() != "success" {
		t.Errorf("square[1] after clear: %+v, %v", sq, err)
	}
	// Only failed: nothing to clear.
	e.json("POST", "/dags/mapped/clearTaskInstances", `{"dag_run_id":"m1","only_failed":true,"dry_run":false}`, 200, &c)
	if c.TotalEntries != 0 {
		t.Errorf("only failed: %+v", c)
	}

	e.problem("POST", "/dags/fails/clearTaskInstances", `{"dag_run_id":"nope"}`, 404, client.CodeNotFound, "")
	e.problem("POST", "/dags/fails/clearTaskInstances", `{"dag_run_id":"f1","task_ids":["nope"]}`, 400, client.CodeInvalidField, "task_ids")
	e.problem("POST", "/dags/mapped/clearTaskInstances", `{"dag_run_id":"m1","task_ids":["square"],"map_indexes":[9]}`, 400, client.CodeInvalidField, "map_indexes")
	e.problem("POST", "/dags/fails/clearTaskInstances", `{"dag_run_id":"f1","map_indexes":[0]}`, 400, client.CodeInvalidField, "map_indexes")
}

// TestTaskInstanceCacheFields checks that a cached task's instances carry their cache key,
// and the instance they reused once a second run hits the cache.
func TestTaskInstanceCacheFields(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.trigger("hello", "r1")
	e.trigger("hello", "r2")
	var first, second, greet client.TaskInstance
	e.json("GET", "/dags/hello/dagRuns/r1/taskInstances/done", "", 200, &first)
	e.json("GET", "/dags/hello/dagRuns/r2/taskInstances/done", "", 200, &second)
	e.json("GET", "/dags/hello/dagRuns/r2/taskInstances/greet", "", 200, &greet)
	if first.CacheKey == nil || !strings.HasPrefix(*first.CacheKey, "sha256:") || first.CachedFrom != nil {
		t.Fatalf("first run's done: cache key %v, cached from %v; want a key, not cached", first.CacheKey, first.CachedFrom)
	}
	if second.StateName() != "success" || second.CacheKey == nil || *second.CacheKey != *first.CacheKey ||
		second.CachedFrom == nil || *second.CachedFrom != "hello/r1/done" {
		t.Fatalf("second run's done: %s, key %v, cached from %v; want success reusing hello/r1/done", second.StateName(), second.CacheKey, second.CachedFrom)
	}
	if greet.CacheKey != nil || greet.CachedFrom != nil {
		t.Fatalf("greet (not cached) has cache fields %v, %v", greet.CacheKey, greet.CachedFrom)
	}
}
