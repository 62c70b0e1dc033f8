package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
)

func TestTriggerAndGetRun(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var run client.DAGRun
	e.json("POST", "/dags/hello/dagRuns", `{"dag_run_id":"r1","logical_date":"2026-01-02T03:04:05Z","conf":{"n":3}}`, 200, &run)
	if run.DAGRunID != "r1" || run.DAGID != "hello" || run.RunType != "manual" || !run.ExternalTrigger ||
		!run.LogicalDate.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || !run.ExecutionDate.Equal(run.LogicalDate) {
		t.Errorf("run %+v", run)
	}
	if string(run.Conf) != `{"n":3}` || string(run.Params) != `{"n":3}` || run.DAGHash == "" {
		t.Errorf("conf %s params %s hash %q", run.Conf, run.Params, run.DAGHash)
	}
	done := e.wait("hello", "r1")
	if done.State != "success" || done.StartDate == nil || done.EndDate == nil {
		t.Errorf("run ended %+v", done)
	}
	var got client.DAGRun
	e.json("GET", "/dags/hello/dagRuns/r1", "", 200, &got)
	if got.State != "success" || got.DataIntervalStart == nil {
		t.Errorf("GET run %+v", got)
	}
	log, err := e.c.Log(context.Background(), "hello", "r1", "greet", -1, 1)
	if err != nil || !strings.Contains(string(log), "hello 3") {
		t.Errorf("log of greet: %q, %v", log, err)
	}

	// Defaults: a generated run ID, conf {}, the param's default.
	var def client.DAGRun
	e.json("POST", "/dags/hello/dagRuns", ``, 200, &def)
	if !strings.HasPrefix(def.DAGRunID, "manual__") || string(def.Conf) != "{}" || string(def.Params) != `{"n":1}` {
		t.Errorf("default run %+v", def)
	}
	e.wait("hello", def.DAGRunID)
	// execution_date is logical_date's alias; a data interval is taken.
	var alias client.DAGRun
	e.json("POST", "/dags/hello/dagRuns", `{"execution_date":"2026-02-01T00:00:00+01:00","data_interval_start":"2026-01-01T00:00:00Z","data_interval_end":"2026-01-31T00:00:00Z"}`, 200, &alias)
	if !alias.LogicalDate.Equal(time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("logical date %v", alias.LogicalDate)
	}
	e.wait("hello", alias.DAGRunID)

	// Errors: a bad param value names the param; a taken run ID; unknown DAG and run.
	p := e.problem("POST", "/dags/hello/dagRuns", `{"conf":{"n":-1}}`, 400, client.CodeInvalidParam, "conf.n")
	if p.Detail != "conf.n: minimum: got -1, want 0" {
		t.Errorf("detail %q", p.Detail)
	}
	e.problem("POST", "/dags/hello/dagRuns", `{"conf":{"n":"ten"}}`, 400, client.CodeInvalidParam, "conf.n")
	e.problem("POST", "/dags/hello/dagRuns", `{"dag_run_id":"r1"}`, 409, client.CodeAlreadyExists, "")
	e.problem("POST", "/dags/nope/dagRuns", `{}`, 404, client.CodeNotFound, "")
	e.problem("GET", "/dags/hello/dagRuns/nope", "", 404, client.CodeNotFound, "")
	_, err = e.c.GetRun(context.Background(), "hello", "nope")
	if !client.IsCode(err, client.CodeNotFound) {
		t.Errorf("client GetRun of an unknown run: %v", err)
	}
}

func TestListRuns(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for i, day := range []int{3, 1, 2} {
		ld := time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC)
		run, err := e.c.Trigger(ctx, "hello", client.TriggerRequest{DAGRunID: "h" + string(rune('a'+i)), LogicalDate: &ld})
		if err != nil {
			t.Fatal(err)
		}
		e.wait("hello", run.DAGRunID)
	}
	e.trigger("fails", "f1")

	ids := func(q string, dagID string) ([]string, int) {
		t.Helper()
		var c client.DAGRunCollection
		e.json("GET", "/dags/"+dagID+"/dagRuns"+q, "", 200, &c)
		var out []string
		for _, r := range c.DAGRuns {
			out = append(out, r.DAGRunID)
		}
		return out, c.TotalEntries
	}
	for _, tc := range []struct {
		dag, query string
		want       []string
		total      int
	}{
		{"hello", "", []string{"hc", "hb", "ha"}, 3}, // newest queued first
		{"~", "", []string{"f1", "hc", "hb", "ha"}, 4},
		{"hello", "?order_by=logical_date", []string{"hb", "hc", "ha"}, 3},
		{"hello", "?order_by=-execution_date&limit=2", []string{"ha", "hc"}, 3},
		{"hello", "?order_by=dag_run_id&offset=1", []string{"hb", "hc"}, 3},
		{"hello", "?order_by=dag_run_id&offset=5", nil, 3},
		{"~", "?state=failed", []string{"f1"}, 1},
		{"~", "?state=success&state=failed&order_by=dag_run_id&limit=1", []string{"f1"}, 4},
		{"hello", "?logical_date_gte=2026-01-02T00:00:00Z&order_by=dag_run_id", []string{"ha", "hc"}, 2},
		{"hello", "?execution_date_lte=2026-01-02T00:00:00%2B00:00&order_by=dag_run_id", []string{"hb", "hc"}, 2},
		{"hello", "?execution_date_lte=2026-01-02T00:00:00+00:00&order_by=dag_run_id", []string{"hb", "hc"}, 2},
		{"~", "?run_type=scheduled", nil, 0},
		{"hello", "?start_date_gte=2000-01-01T00:00:00Z&end_date_lte=2100-01-01T00:00:00Z&limit=100000", []string{"hc", "hb", "ha"}, 3},
		{"hello", "?end_date_gte=2100-01-01T00:00:00Z", nil, 0},
		// Pages in the store's order come from the store (a count and a page): the same as
		// the filtered-in-Go path (a run_type filter of every type) gives.
		{"~", "?limit=2&offset=1", []string{"hc", "hb"}, 4},
		{"~", "?order_by=-queued_at&limit=2&offset=1", []string{"hc", "hb"}, 4},
		{"~", "?order_by=-queued_at&limit=2&offset=1&run_type=manual&run_type=scheduled", []string{"hc", "hb"}, 4},
		{"~", "?state=success&limit=1&offset=2", []string{"ha"}, 3},
		{"~", "?limit=2&offset=9", nil, 4},
	} {
		got, total := ids(tc.query, tc.dag)
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("%s%s: %v (total %d), want %v (total %d)", tc.dag, tc.query, got, total, tc.want, tc.total)
		}
	}
	all, err := e.c.ListRuns(ctx, "", client.ListRunsOptions{States: []string{"success"}, OrderBy: "dag_run_id"})
	if err != nil || all.TotalEntries != 3 || all.DAGRuns[0].DAGRunID != "ha" {
		t.Errorf("client ListRuns: %+v, %v", all, err)
	}
	e.problem("GET", "/dags/nope/dagRuns", "", 404, client.CodeNotFound, "")
}

func TestMarkRun(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()

	// A finished run only changes state.
	e.trigger("hello", "done")
	var run client.DAGRun
	e.json("PATCH", "/dags/hello/dagRuns/done", `{"state":"failed"}`, 200, &run)
	if run.State != "failed" {
		t.Errorf("marked finished run: %s", run.State)
	}
	if got := e.states("hello", "done"); !slices.Equal(got, []string{"done=success", "greet=success"}) {
		t.Errorf("task instances of a marked finished run: %v", got)
	}

	// A running run is marked through the engine: the running try is killed.
	if _, err := e.c.Trigger(ctx, "slow", client.TriggerRequest{DAGRunID: "s1"}); err != nil {
		t.Fatal(err)
	}
	marked, err := e.c.MarkRun(ctx, "slow", "s1", "failed")
	if err != nil {
		t.Fatal(err)
	}
	if marked.DAGRunID != "s1" {
		t.Errorf("mark answered %+v", marked)
	}
	if r := e.wait("slow", "s1"); r.State != "failed" {
		t.Errorf("marked running run ended %s", r.State)
	}
	if got := e.states("slow", "s1"); got[0] != "after=skipped" || (got[1] != "wait=failed" && got[1] != "wait=skipped") {
		t.Errorf("task instances of a marked running run: %v", got)
	}

	// A run whose process died is marked in the store.
	dead := e.deadRun(t, "hello", "orphan")
	_ = dead
	e.json("PATCH", "/dags/hello/dagRuns/orphan", `{"state":"success"}`, 200, &run)
	if run.State != "success" || run.EndDate == nil {
		t.Errorf("marked orphaned run: %+v", run)
	}
	if got := e.states("hello", "orphan"); !slices.Equal(got, []string{"done=success", "greet=success"}) {
		t.Errorf("task instances of a marked orphaned run: %v", got)
	}

	e.problem("PATCH", "/dags/hello/dagRuns/done", `{"state":"queued"}`, 400, client.CodeInvalidField, "state")
	e.problem("PATCH", "/dags/hello/dagRuns/nope", `{"state":"success"}`, 404, client.CodeNotFound, "")
}

func TestClearRun(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	e.trigger("fails", "f1")

	// Airflow's default: a dry run, listing what would be cleared.
	var dry client.TaskInstanceCollection
	e.json("POST", "/dags/fails/dagRuns/f1/clear", `{}`, 200, &dry)
	if dry.TotalEntries != 2 || dry.TaskInstances[0].TaskID != "after" || dry.TaskInstances[0].StateName() != "upstream_failed" {
		t.Errorf("dry run: %+v", dry)
	}
	if got := e.states("fails", "f1"); !slices.Equal(got, []string{"after=upstream_failed", "boom=failed"}) {
		t.Errorf("a dry run changed the run: %v", got)
	}

	var run client.DAGRun
	e.json("POST", "/dags/fails/dagRuns/f1/clear", `{"dry_run":false,"only_failed":true}`, 200, &run)
	if run.DAGRunID != "f1" {
		t.Errorf("clear answered %+v", run)
	}
	e.wait("fails", "f1")
	boom, err := e.c.GetTaskInstance(ctx, "fails", "f1", "boom", -1)
	if err != nil || boom.TryNumber != 2 || boom.StateName() != "failed" {
		t.Errorf("boom after clear: %+v, %v", boom, err)
	}
	if _, err := e.c.ClearRun(ctx, "fails", "f1", false); err != nil {
		t.Errorf("client ClearRun: %v", err)
	}
	e.wait("fails", "f1")

	// A run still executing is cleared in the engine, as Airflow clears a running DAG run:
	// its running try is killed and runs again.
	if _, err := e.c.Trigger(ctx, "slow", client.TriggerRequest{DAGRunID: "s1"}); err != nil {
		t.Fatal(err)
	}
	e.until("wait of s1 to run", func() bool { return slices.Contains(e.states("slow", "s1"), "wait=running") })
	e.json("POST", "/dags/slow/dagRuns/s1/clear", `{"dry_run":false}`, 200, &run)
	if run.State != "running" {
		t.Errorf("a running run after a clear: %s, want running", run.State)
	}
	e.until("wait of s1 to run its second try", func() bool {
		ti, err := e.c.GetTaskInstance(ctx, "slow", "s1", "wait", -1)
		return err == nil && ti.TryNumber == 2 && ti.StateName() == "running"
	})
	e.c.MarkRun(ctx, "slow", "s1", "failed")
	e.wait("slow", "s1")
	e.problem("POST", "/dags/fails/dagRuns/nope/clear", `{}`, 404, client.CodeNotFound, "")
}

// deadRun creates a run of dagID as a process that died while executing it would leave it:
// running, its first task running, owned by a process that is gone.
func (e *env) deadRun(t *testing.T, dagID, runID string) *client.DAGRun {
	t.Helper()
	ctx := context.Background()
	run, err := e.c.Trigger(ctx, dagID, client.TriggerRequest{DAGRunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	e.wait(dagID, runID)
	r, err := e.st.GetRun(ctx, dagID, runID)
	if err != nil {
		t.Fatal(err)
	}
	tis, err := e.st.ListTaskInstances(ctx, storeTIParams(dagID, runID))
	if err != nil {
		t.Fatal(err)
	}
	r.State, r.Owner, r.EndedAt, r.DAG = "running", deadOwner(t), time.Time{}, nil
	for _, ti := range tis {
		ti.State = "running"
		ti.EndedAt = time.Time{}
		break
	}
	for _, ti := range tis[1:] {
		ti.State = ""
	}
	if err := e.st.Apply(ctx, storeBatch(r, tis)); err != nil {
		t.Fatal(err)
	}
	return run
}

// deadOwner returns the owner string of a process of this host that has exited.
func deadOwner(t *testing.T) string {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:1", host, cmd.Process.Pid)
}

func TestTriggerConfIsJSONObject(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, conf := range []string{`[]`, `"x"`, `1`, `true`} {
		p := e.problem("POST", "/dags/hello/dagRuns", `{"conf":`+conf+`}`, 400, client.CodeInvalidField, "conf")
		if p.Detail != "conf: must be a JSON object" {
			t.Errorf("conf %s: %q", conf, p.Detail)
		}
	}
	var run client.DAGRun
	e.json("POST", "/dags/hello/dagRuns", `{"conf":null,"dag_run_id":"`+url.PathEscape("a:b+c~d")+`"}`, 200, &run)
	e.wait("hello", run.DAGRunID)
	var raw map[string]json.RawMessage
	e.json("GET", "/dags/hello/dagRuns/"+url.PathEscape(run.DAGRunID), "", 200, &raw)
	if string(raw["conf"]) != "{}" || string(raw["note"]) != "null" {
		t.Errorf("conf %s note %s", raw["conf"], raw["note"])
	}
}
