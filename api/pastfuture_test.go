package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/api"
	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/dag"
)

// pastFutureDAGs are one DAG per kind of timetable, each with a task that fails (a) and
// one downstream of it (b).
func pastFutureDAGs(t *testing.T) []*dag.DAG {
	var out []*dag.DAG
	for id, sched := range map[string]string{"daily": "@daily", "adhoc": "", "once": "@once"} {
		y := fmt.Sprintf(`
dag_id: %s
schedule: %q
tasks:
  - id: a
    script: exit 1
  - id: b
    upstream: [a]
    command: ["true"]
`, id, sched)
		d, err := dag.LoadBytes(id+".yaml", []byte(y), dag.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// runsAt triggers one run of dagID per "run id=logical date" and waits for each to end.
func (e *env) runsAt(dagID string, runs map[string]string) {
	e.t.Helper()
	for id, at := range runs {
		ld, err := time.Parse(time.RFC3339, at)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.c.Trigger(e.t.Context(), dagID, client.TriggerRequest{DAGRunID: id, LogicalDate: &ld}); err != nil {
			e.t.Fatal(err)
		}
		e.wait(dagID, id)
	}
}

// runIDs returns the sorted run IDs of the instances of task a in c.
func runIDs(c client.TaskInstanceCollection, task string) []string {
	var out []string
	for _, ti := range c.TaskInstances {
		if ti.TaskID == task {
			out = append(out, ti.DAGRunID)
		}
	}
	slices.Sort(out)
	return out
}

// Which runs include_past and include_future take, as Airflow picks them: a clear by
// logical date (up to now with include_future), whatever the schedule; a mark by logical
// date for a DAG without a time schedule, only at the schedule's dates for a periodic one,
// only the run itself for @once.
func TestIncludePastAndFuture(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *api.Config) { c.DAGs = append(c.DAGs.(api.StaticDAGs), pastFutureDAGs(t)...) })
	// d2m is a manual run off the daily schedule; d9 is dated in the future.
	e.runsAt("daily", map[string]string{"d1": "2026-01-01T00:00:00Z", "d2": "2026-01-02T00:00:00Z",
		"d2m": "2026-01-02T12:00:00Z", "d3": "2026-01-03T00:00:00Z", "d9": "2099-01-01T00:00:00Z"})
	e.runsAt("adhoc", map[string]string{"h1": "2026-01-01T00:00:00Z", "h2": "2026-01-02T12:00:00Z", "h3": "2026-01-03T00:00:00Z"})
	e.runsAt("once", map[string]string{"o1": "2026-01-01T00:00:00Z", "o2": "2026-01-02T00:00:00Z"})

	var c client.TaskInstanceCollection
	clear := func(dagID, runID, opts string) []string {
		t.Helper()
		e.json("POST", "/dags/"+dagID+"/clearTaskInstances", `{"dag_run_id":"`+runID+`","task_ids":["a"]`+opts+`}`, 200, &c)
		return runIDs(c, "a")
	}
	mark := func(dagID, runID, opts string) []string {
		t.Helper()
		e.json("PATCH", "/dags/"+dagID+"/dagRuns/"+runID+"/taskInstances/a", `{"new_state":"success","dry_run":true`+opts+`}`, 200, &c)
		return runIDs(c, "a")
	}
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"clear daily d2", clear("daily", "d2", ""), []string{"d2"}},
		{"clear daily d2 past", clear("daily", "d2", `,"include_past":true`), []string{"d1", "d2"}},
		{"clear daily d2 future", clear("daily", "d2", `,"include_future":true`), []string{"d2", "d2m", "d3"}},
		{"clear daily d2 both", clear("daily", "d2", `,"include_past":true,"include_future":true`), []string{"d1", "d2", "d2m", "d3"}},
		{"clear once o1 future", clear("once", "o1", `,"include_future":true`), []string{"o1", "o2"}},
		{"mark daily d2 future", mark("daily", "d2", `,"include_future":true`), []string{"d2", "d3", "d9"}},
		{"mark daily d2m past", mark("daily", "d2m", `,"include_past":true`), []string{"d1", "d2", "d2m"}},
		{"mark daily d2 past", mark("daily", "d2", `,"include_past":true`), []string{"d1", "d2"}},
		{"mark adhoc h2 future", mark("adhoc", "h2", `,"include_future":true`), []string{"h2", "h3"}},
		{"mark adhoc h2 past", mark("adhoc", "h2", `,"include_past":true`), []string{"h1", "h2"}},
		{"mark once o1 future", mark("once", "o1", `,"include_future":true`), []string{"o1"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: runs %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	// The Go client's options say the same.
	mc, err := e.c.MarkTaskInstances(t.Context(), "daily", "d2", "a", -1, client.MarkOptions{State: "success", DryRun: true, IncludeFuture: true})
	if err != nil || !slices.Equal(runIDs(*mc, "a"), []string{"d2", "d3", "d9"}) {
		t.Errorf("client MarkTaskInstances with IncludeFuture: %+v, %v", mc, err)
	}
	cc, err := e.c.ClearTaskInstances(t.Context(), "daily", client.ClearRequest{DAGRunID: "d2", TaskIDs: []string{"a"}, IncludePast: true, DryRun: true})
	if err != nil || !slices.Equal(runIDs(*cc, "a"), []string{"d1", "d2"}) {
		t.Errorf("client ClearTaskInstances with IncludePast: %+v, %v", cc, err)
	}

	// A mark with include_upstream and include_future lists the relatives of every run.
	e.json("PATCH", "/dags/adhoc/dagRuns/h2/taskInstances/b", `{"new_state":"success","dry_run":true,"include_upstream":true,"include_future":true}`, 200, &c)
	if a, b := runIDs(c, "a"), runIDs(c, "b"); !slices.Equal(a, []string{"h2", "h3"}) || !slices.Equal(b, []string{"h2", "h3"}) {
		t.Errorf("dry mark of b with upstream and future: a in %v, b in %v; want h2 and h3 for both", a, b)
	}

	// Marking for real changes every run picked, and only those.
	e.json("PATCH", "/dags/adhoc/dagRuns/h2/taskInstances/a", `{"new_state":"success","include_future":true}`, 200, &c)
	if got := runIDs(c, "a"); !slices.Equal(got, []string{"h2", "h3"}) {
		t.Errorf("marked a in %v, want h2 and h3", got)
	}
	for _, id := range []string{"h2", "h3"} {
		e.wait("adhoc", id) // the mark clears b (upstream_failed) and runs it again
		if got := e.states("adhoc", id); !slices.Equal(got, []string{"a=success", "b=success"}) {
			t.Errorf("%s after the mark: %v", id, got)
		}
	}
	if got := e.states("adhoc", "h1"); !slices.Equal(got, []string{"a=failed", "b=upstream_failed"}) {
		t.Errorf("h1 (before h2) changed: %v", got)
	}
	// A second mark finds nothing left to change in the later runs.
	e.json("PATCH", "/dags/adhoc/dagRuns/h2/taskInstances/a", `{"new_state":"success","include_future":true,"dry_run":true}`, 200, &c)
	if got := runIDs(c, "a"); !slices.Equal(got, []string{"h2"}) {
		t.Errorf("second dry mark lists a in %v, want only h2 (the run named)", got)
	}

	// Clearing for real runs the task again in every run picked.
	e.json("POST", "/dags/daily/clearTaskInstances", `{"dag_run_id":"d2","task_ids":["a"],"include_past":true,"dry_run":false}`, 200, &c)
	if got := runIDs(c, "a"); !slices.Equal(got, []string{"d1", "d2"}) {
		t.Errorf("cleared a in %v, want d1 and d2", got)
	}
	for _, id := range []string{"d1", "d2", "d3"} {
		e.wait("daily", id)
		ti, err := e.c.GetTaskInstance(t.Context(), "daily", id, "a", -1)
		want := 2
		if id == "d3" {
			want = 1
		}
		if err != nil || ti.TryNumber != want {
			t.Errorf("a in %s: %+v, %v; want try %d", id, ti, err, want)
		}
	}
}
