package approval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/approval"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// env is a node on a real SQLite file over a DAG folder.
type env struct {
	t    *testing.T
	ctx  context.Context
	home string
	dags string
	st   *sqlite.Store
	n    *node.Node
}

// newEnv starts a node in mode over dags (a folder, or files to write into a new one).
func newEnv(t *testing.T, mode node.Mode, dags string, files map[string]string) *env {
	t.Helper()
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	if dags == "" {
		dags = t.TempDir()
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dags, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, ctx: ctx, home: home, dags: dags, st: st}
	e.start(mode)
	return e
}

func (e *env) start(mode node.Mode) {
	e.t.Helper()
	cfg := node.Config{Mode: mode, Store: e.st, Tracking: e.st.Tracking(), Home: e.home, DAGsDir: e.dags}
	if mode == node.ModeServer {
		cfg.Addr, cfg.ScanInterval, cfg.TickInterval, cfg.GracePeriod = "127.0.0.1:0", 50*time.Millisecond, 50*time.Millisecond, time.Second
		cfg.RecoverInterval = 100 * time.Millisecond
	}
	n, err := node.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := n.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.n = n
	e.t.Cleanup(n.Stop)
}

func (e *env) trigger(dagID string) *store.DAGRun {
	e.t.Helper()
	d, ok := e.n.Registry().DAG(dagID)
	if !ok {
		e.t.Fatalf("%s did not load: %v", dagID, e.n.Registry().Errors())
	}
	run, err := e.n.Engine().Trigger(e.ctx, d, engine.TriggerOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

// eventually polls cond until it holds or the test's context ends.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	for !cond() {
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pending waits until the task's approval request is pending and returns it.
func (e *env) pending(run *store.DAGRun, taskID string) *store.Approval {
	e.t.Helper()
	var a *store.Approval
	e.eventually("the approval request of "+taskID, func() bool {
		var err error
		a, err = e.st.GetApproval(e.ctx, run.DAGID, run.RunID, taskID, -1)
		return err == nil && a.State == store.ApprovalPending
	})
	return a
}

func (e *env) ti(run *store.DAGRun, taskID string) *store.TaskInstance {
	e.t.Helper()
	ti, err := e.st.GetTaskInstance(e.ctx, run.DAGID, run.RunID, taskID, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	return ti
}

func (e *env) wait(run *store.DAGRun) *store.DAGRun {
	e.t.Helper()
	final, err := e.n.Engine().Wait(e.ctx, run.DAGID, run.RunID)
	if err != nil {
		e.t.Fatal(err)
	}
	return final
}

// answer answers as a local user and wakes the waiting task, as the API does.
func (e *env) answer(run *store.DAGRun, taskID string, options ...string) {
	e.t.Helper()
	_, err := approval.Respond(e.ctx, e.st, run.DAGID, run.RunID, taskID, -1, approval.Answer{ChosenOptions: options,
		Comment: "test"}, approval.Responder{Name: "tester", Kind: "local"}, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	e.n.Engine().WakeTask(run.DAGID, run.RunID, taskID, -1)
}

func output(t *testing.T, ti *store.TaskInstance) approval.Output {
	t.Helper()
	var o approval.Output
	if err := json.Unmarshal(ti.Output, &o); err != nil {
		t.Fatalf("output %s: %v", ti.Output, err)
	}
	return o
}

func examplesDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../examples/dags")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The example gate: the deployment does not happen while the approval waits (the gate
// holds no worker slot), and happens once approved.
func TestApprovalGatesTheDeploy(t *testing.T) {
	e := newEnv(t, node.ModeRun, examplesDir(t), nil)
	run := e.trigger("approve_deploy")
	a := e.pending(run, "approve")
	if !strings.HasPrefix(a.Subject, "Deploy diabetes_gated version ") || a.Subject == "Deploy diabetes_gated version " {
		t.Errorf("subject %q: want the rendered version", a.Subject)
	}
	e.eventually("the gate waiting in up_for_reschedule", func() bool { return e.ti(run, "approve").State == store.TIUpForReschedule })
	if st := e.n.Engine().Stats(); st.Running != 0 {
		t.Errorf("%d tries running while the gate waits, want 0 (the gate holds no slot)", st.Running)
	}
	if ti := e.ti(run, "deploy"); ti.State != store.TINone || ti.TryNumber != 0 {
		t.Fatalf("deploy is %s (try %d) before the approval, want not started", ti.State, ti.TryNumber)
	}
	if _, err := e.st.GetDeployment(e.ctx, "diabetes"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deployment before the approval: %v, want none", err)
	}
	e.answer(run, "approve", approval.Approve)
	if final := e.wait(run); final.State != store.RunSuccess {
		t.Fatalf("run %s after approval, want success", final.State)
	}
	if ti := e.ti(run, "deploy"); ti.State != store.TISuccess {
		t.Fatalf("deploy %s after approval, want success", ti.State)
	}
	d, err := e.st.GetDeployment(e.ctx, "diabetes")
	if err != nil || !strings.HasPrefix(d.Model, "models:/diabetes_gated/") {
		t.Fatalf("deployment after approval: %+v, %v", d, err)
	}
	o := output(t, e.ti(run, "approve"))
	if len(o.ChosenOptions) != 1 || o.ChosenOptions[0] != approval.Approve || o.RespondedBy != "tester" || o.TimedOut {
		t.Fatalf("gate output %+v, want Approve by tester", o)
	}
}

const gate = `
dag_id: gate
tasks:
  - id: ask
    approval:
      subject: "Go on?"
      poke_interval: 100ms
      %s
  - id: after
    upstream: ask
    script: |
      echo '{"chose": "{{ outputs.ask.chosen_options[0] }}"}' > "$WEIR_OUTPUT"
  - id: cleanup
    upstream: after
    trigger_rule: all_done
    command: ["true"]
`

// Reject succeeds and skips the direct downstream tasks, as Airflow's ApprovalOperator;
// fail_on_reject fails instead.
func TestRejectSkipsOrFails(t *testing.T) {
	for _, c := range []struct {
		name, extra    string
		ask, after     store.TIState
		run, cleanupTI store.TIState
	}{
		{"Skip", "", store.TISuccess, store.TISkipped, store.TIState(store.RunSuccess), store.TISuccess},
		// The run's state follows its leaves (as Airflow's): cleanup, all_done, succeeds.
		{"FailOnReject", "fail_on_reject: true", store.TIFailed, store.TIUpstreamFailed, store.TIState(store.RunSuccess), store.TISuccess},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, node.ModeRun, "", map[string]string{"gate.yaml": fmt.Sprintf(gate, c.extra)})
			run := e.trigger("gate")
			e.pending(run, "ask")
			e.answer(run, "ask", approval.Reject)
			final := e.wait(run)
			if got := []store.TIState{e.ti(run, "ask").State, e.ti(run, "after").State, store.TIState(final.State), e.ti(run, "cleanup").State}; fmt.Sprint(got) != fmt.Sprint([]store.TIState{c.ask, c.after, c.run, c.cleanupTI}) {
				t.Fatalf("ask, after, run, cleanup = %v; want %v", got, []store.TIState{c.ask, c.after, c.run, c.cleanupTI})
			}
		})
	}
}

// The timeout takes the defaults as the answer; without defaults the task fails.
func TestTimeoutTakesTheDefault(t *testing.T) {
	t.Run("Default", func(t *testing.T) {
		e := newEnv(t, node.ModeRun, "", map[string]string{"gate.yaml": fmt.Sprintf(gate, "timeout: 300ms\n      defaults: Approve")})
		run := e.trigger("gate")
		if final := e.wait(run); final.State != store.RunSuccess {
			t.Fatalf("run %s, want success with the default", final.State)
		}
		o := output(t, e.ti(run, "ask"))
		if !o.TimedOut || o.RespondedBy != "weir" || len(o.ChosenOptions) != 1 || o.ChosenOptions[0] != approval.Approve {
			t.Fatalf("output %+v, want the default Approve, timed out", o)
		}
		var after struct{ Chose string }
		_ = json.Unmarshal(e.ti(run, "after").Output, &after)
		if after.Chose != approval.Approve {
			t.Fatalf("downstream saw %q, want Approve", after.Chose)
		}
		a, _ := e.st.GetApproval(e.ctx, "gate", run.RunID, "ask", -1)
		if a.State != store.ApprovalTimedOut {
			t.Fatalf("request state %s, want timed_out", a.State)
		}
		if _, err := approval.Respond(e.ctx, e.st, "gate", run.RunID, "ask", -1, approval.Answer{ChosenOptions: []string{approval.Reject}},
			approval.Responder{Name: "late", Kind: "local"}, time.Now()); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("an answer after the timeout: %v, want a conflict", err)
		}
		entries, _ := e.st.ListAudit(e.ctx, store.AuditFilter{Action: "approval.timeout"})
		if len(entries) != 1 || entries[0].Actor != "weir" {
			t.Fatalf("audit entries of the timeout: %+v, want one by weir", entries)
		}
	})
	t.Run("NoDefault", func(t *testing.T) {
		e := newEnv(t, node.ModeRun, "", map[string]string{"gate.yaml": fmt.Sprintf(gate, "timeout: 300ms")})
		run := e.trigger("gate")
		e.wait(run)
		if ti := e.ti(run, "ask"); ti.State != store.TIFailed || !strings.Contains(ti.Error, "no answer within the timeout") {
			t.Fatalf("ask %s %q, want failed for the timeout", ti.State, ti.Error)
		}
	})
}

// With branch, the chosen option names the downstream task that runs.
func TestBranchFollowsTheChosenOption(t *testing.T) {
	e := newEnv(t, node.ModeRun, "", map[string]string{"b.yaml": `
dag_id: b
tasks:
  - id: pick
    approval:
      subject: Which model?
      options: [Ridge, Forest]
      branch: true
      options_mapping: {Ridge: ridge}
  - {id: ridge, upstream: pick, command: ["true"]}
  - {id: Forest, upstream: pick, command: ["true"]}
`})
	run := e.trigger("b")
	e.pending(run, "pick")
	e.answer(run, "pick", "Ridge")
	if final := e.wait(run); final.State != store.RunSuccess {
		t.Fatalf("run %s", final.State)
	}
	if r, f := e.ti(run, "ridge").State, e.ti(run, "Forest").State; r != store.TISuccess || f != store.TISkipped {
		t.Fatalf("ridge %s, Forest %s; want success and skipped", r, f)
	}
}

// A server killed while an approval waits resumes waiting after a restart; an answer
// through the new server's API lets the run finish.
func TestWaitSurvivesARestart(t *testing.T) {
	e := newEnv(t, node.ModeServer, "", map[string]string{"gate.yaml": fmt.Sprintf(gate, "")})
	run := e.trigger("gate")
	e.pending(run, "ask")
	e.eventually("the gate waiting", func() bool { return e.ti(run, "ask").State == store.TIUpForReschedule })
	e.n.Stop()
	if ti := e.ti(run, "ask"); ti.State != store.TIUpForReschedule {
		t.Fatalf("after the stop the gate is %s, want still up_for_reschedule", ti.State)
	}
	e.start(node.ModeServer)
	// The new server adopts the run and keeps the gate waiting.
	e.eventually("the new server owning the run", func() bool { return e.n.Engine().Active(e.ctx, "gate", run.RunID) })
	if a, _ := e.st.GetApproval(e.ctx, "gate", run.RunID, "ask", -1); a.State != store.ApprovalPending {
		t.Fatalf("request %s after the restart, want still pending", a.State)
	}
	url := "http://" + e.n.Addr() + "/api/v1/approvals/gate/" + run.RunID + "/ask/respond"
	req, _ := http.NewRequestWithContext(e.ctx, "POST", url, strings.NewReader(`{"chosen_options":["Approve"],"comment":"after restart"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("respond: %s", resp.Status)
	}
	e.eventually("the run finished", func() bool {
		r, _ := e.st.GetRun(e.ctx, "gate", run.RunID)
		return r.State == store.RunSuccess
	})
	if ti := e.ti(run, "after"); ti.State != store.TISuccess {
		t.Fatalf("after: %s", ti.State)
	}
}

// Who may answer: the role the task asks for, the assignees, a valid option.
func TestRespondChecks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutApproval(ctx, &store.Approval{DAGID: "d", RunID: "r", TaskID: "t", MapIndex: -1, Subject: "s",
		Options: []string{"Approve", "Reject"}, AssignedUsers: []string{"ana"}, AssignedRole: "operator",
		Params: json.RawMessage(`{"ticket":""}`)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ans  approval.Answer
		who  approval.Responder
		want error
	}{
		{"Viewer", approval.Answer{ChosenOptions: []string{"Approve"}}, approval.Responder{Name: "ana", Kind: "token", Role: "viewer"}, approval.ErrForbidden},
		{"NotAssigned", approval.Answer{ChosenOptions: []string{"Approve"}}, approval.Responder{Name: "bo", Kind: "token", Role: "admin"}, approval.ErrForbidden},
		{"UnknownOption", approval.Answer{ChosenOptions: []string{"Maybe"}}, approval.Responder{Name: "ana", Kind: "token", Role: "operator"}, approval.ErrInvalid},
		{"TwoOptions", approval.Answer{ChosenOptions: []string{"Approve", "Reject"}}, approval.Responder{Name: "ana", Kind: "token", Role: "operator"}, approval.ErrInvalid},
		{"UnknownParam", approval.Answer{ChosenOptions: []string{"Approve"}, ParamsInput: map[string]any{"x": 1}}, approval.Responder{Name: "ana", Kind: "token", Role: "operator"}, approval.ErrInvalid},
		{"NoRequest", approval.Answer{ChosenOptions: []string{"Approve"}}, approval.Responder{Name: "ana", Kind: "token", Role: "operator"}, store.ErrNotFound},
	} {
		task := "t"
		if c.name == "NoRequest" {
			task = "other"
		}
		if _, err := approval.Respond(ctx, st, "d", "r", task, -1, c.ans, c.who, time.Now()); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	a, err := approval.Respond(ctx, st, "d", "r", "t", -1, approval.Answer{ChosenOptions: []string{"Approve"},
		ParamsInput: map[string]any{"ticket": "OPS-1"}, Comment: "ok"}, approval.Responder{Name: "ana", Kind: "token", Role: "editor"}, time.Now())
	if err != nil || a.State != store.ApprovalResponded || a.RespondedBy != "ana" || string(a.ParamsInput) != `{"ticket":"OPS-1"}` {
		t.Fatalf("the assignee's answer: %+v, %v", a, err)
	}
}

// A request whose task no longer waits (its run was marked failed) cannot be answered.
func TestAnswerToATaskThatNoLongerWaits(t *testing.T) {
	e := newEnv(t, node.ModeRun, "", map[string]string{"gate.yaml": fmt.Sprintf(gate, "")})
	run := e.trigger("gate")
	e.pending(run, "ask")
	if err := e.n.Engine().MarkRun(e.ctx, "gate", run.RunID, store.RunFailed); err != nil {
		t.Fatal(err)
	}
	e.wait(run)
	_, err := approval.Respond(e.ctx, e.st, "gate", run.RunID, "ask", -1, approval.Answer{ChosenOptions: []string{approval.Approve}},
		approval.Responder{Name: "late", Kind: "local"}, time.Now())
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "no longer waits") {
		t.Fatalf("an answer after the run was marked: %v, want a conflict saying the task no longer waits", err)
	}
}

// A poke interrupted by the death of its process (the instance is left running in the
// store) is poked again by the next server, not counted as a failed try: the gate keeps
// waiting, as Airflow's triggerer re-runs a deferred trigger (dag.KindDef.Repokes).
func TestInterruptedPokeIsPokedAgain(t *testing.T) {
	e := newEnv(t, node.ModeServer, "", map[string]string{"gate.yaml": fmt.Sprintf(gate, "")})
	run := e.trigger("gate")
	e.pending(run, "ask")
	e.eventually("the gate waiting", func() bool { return e.ti(run, "ask").State == store.TIUpForReschedule })
	e.n.Stop()
	// What a kill -9 in the middle of a poke leaves: the instance running, its try counted.
	ti := e.ti(run, "ask")
	ti.State, ti.TryNumber = store.TIRunning, ti.TryNumber+1
	if err := e.st.Apply(e.ctx, &store.Batch{TIs: []*store.TaskInstance{ti}}); err != nil {
		t.Fatal(err)
	}
	e.start(node.ModeServer)
	e.eventually("the new server owning the run", func() bool { return e.n.Engine().Active(e.ctx, "gate", run.RunID) })
	e.eventually("the gate waiting again", func() bool { return e.ti(run, "ask").State == store.TIUpForReschedule })
	if got := e.ti(run, "ask"); got.TryNumber != ti.TryNumber-1 {
		t.Fatalf("after the interrupted poke the gate is at try %d, want %d (a poke does not count)", got.TryNumber, ti.TryNumber-1)
	}
	e.answer(run, "ask", "Approve")
	if final := e.wait(run); final.State != store.RunSuccess {
		t.Fatalf("run %s after the answer", final.State)
	}
}
