package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func TestMain(m *testing.M) {
	if home := os.Getenv(orphanHelperEnv); home != "" {
		os.Exit(orphanHelper(home))
	}
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// env is an engine on a real SQLite file in a temporary home.
type env struct {
	t     *testing.T
	home  string
	st    store.Store
	eng   *engine.Engine
	funcs *executor.Funcs
	mu    sync.Mutex
	evs   []engine.Event
}

type setupOpts struct {
	parallelism int
	register    func(f *executor.Funcs)
}

func setup(t *testing.T, o setupOpts) *env {
	t.Helper()
	home := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, home: home, st: st, funcs: executor.NewFuncs()}
	if o.register != nil {
		o.register(e.funcs)
	}
	eng, err := engine.New(engine.Config{
		Store: st, Kinds: executor.NewRegistry(e.funcs), Home: home, Parallelism: o.parallelism,
		OnEvent: func(ev engine.Event) { e.mu.Lock(); e.evs = append(e.evs, ev); e.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e.eng = eng
	t.Cleanup(func() {
		eng.Stop()
		st.Close()
	})
	return e
}

// run triggers d and waits for the run to end.
func (e *env) run(d *dag.DAG, o engine.TriggerOptions) (*store.DAGRun, map[string]*store.TaskInstance) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if d.Source == "" {
		d.Source = "go:test"
	}
	r, err := e.eng.Trigger(ctx, d, o)
	if err != nil {
		e.t.Fatalf("trigger: %v", err)
	}
	final, err := e.eng.Wait(ctx, r.DAGID, r.RunID)
	if err != nil {
		e.t.Fatalf("wait: %v", err)
	}
	return final, e.tis(final)
}

func (e *env) tis(r *store.DAGRun) map[string]*store.TaskInstance {
	e.t.Helper()
	tis, err := e.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: r.DAGID, RunID: r.RunID})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]*store.TaskInstance{}
	for _, ti := range tis {
		m[ti.TaskID] = ti
	}
	return m
}

func goTask(id, fn string, args any, up ...string) *dag.Task {
	return &dag.Task{ID: id, Kind: dag.KindGo, Go: &dag.GoSpec{Func: fn, Args: args}, Upstream: up}
}

func script(id, s string, up ...string) *dag.Task {
	return &dag.Task{ID: id, Kind: dag.KindCommand, Command: &dag.CommandSpec{Script: s}, Upstream: up}
}

func ptr[T any](v T) *T { return &v }

func wantStates(t *testing.T, tis map[string]*store.TaskInstance, want map[string]store.TIState) {
	t.Helper()
	for id, st := range want {
		ti, ok := tis[id]
		if !ok {
			t.Errorf("no task instance %s", id)
			continue
		}
		if ti.State != st {
			t.Errorf("task %s: state %s, want %s (error %q)", id, ti.State, st, ti.Error)
		}
	}
}

func TestChainPassesOutputsThroughTemplates(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("double", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
			var in struct{ N float64 }
			if err := json.Unmarshal(args, &in); err != nil {
				return nil, err
			}
			return json.Marshal(map[string]any{"n": in.N * 2})
		})
	}})
	d := &dag.DAG{ID: "chain", Params: map[string]dag.Param{"start": {Schema: map[string]any{"type": "integer", "default": 3}}},
		Tasks: []*dag.Task{
			goTask("a", "double", map[string]any{"n": "{{ params.start }}"}),
			goTask("b", "double", map[string]any{"n": "{{ outputs.a.n }}"}, "a"),
			script("c", `echo "{\"seen\": {{ outputs.b.n }}, \"from_inputs\": $(python3 -c 'import json,os; print(json.load(open(os.environ["WEIR_INPUTS"]))["b"]["n"])')}" > "$WEIR_OUTPUT"`, "b"),
		}}
	run, tis := e.run(d, engine.TriggerOptions{Params: map[string]any{"start": "5"}})
	if run.State != store.RunSuccess {
		t.Fatalf("run %s, tis %+v", run.State, tis["c"])
	}
	if got := string(tis["b"].Output); got != `{"n":20}` {
		t.Errorf("b output %s, want {\"n\":20}", got)
	}
	var c struct{ Seen, FromInputs float64 }
	if err := json.Unmarshal(tis["c"].Output, &c); err != nil || c.Seen != 20 {
		t.Errorf("c output %s (%v), want seen 20", tis["c"].Output, err)
	}
}

func TestFailurePropagatesByTriggerRules(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	d := &dag.DAG{ID: "fail", Tasks: []*dag.Task{
		script("ok", "true"),
		script("bad", "echo boom >&2; exit 3"),
		script("after_bad", "true", "bad"),
		script("after_after", "true", "after_bad"),
		{ID: "cleanup", Kind: dag.KindCommand, Command: &dag.CommandSpec{Script: "true"}, Upstream: []string{"bad", "ok"}, TriggerRule: dag.AllDone},
		{ID: "alert", Kind: dag.KindCommand, Command: &dag.CommandSpec{Script: "true"}, Upstream: []string{"bad", "ok"}, TriggerRule: dag.OneFailed},
	}}
	run, tis := e.run(d, engine.TriggerOptions{})
	if run.State != store.RunFailed {
		t.Errorf("run %s, want failed (leaf after_after is upstream_failed)", run.State)
	}
	wantStates(t, tis, map[string]store.TIState{
		"ok": store.TISuccess, "bad": store.TIFailed, "after_bad": store.TIUpstreamFailed,
		"after_after": store.TIUpstreamFailed, "cleanup": store.TISuccess, "alert": store.TISuccess,
	})
	if !strings.Contains(tis["bad"].Error, "exit status 3") {
		t.Errorf("bad error %q, want exit status 3", tis["bad"].Error)
	}
	logPath, err := engine.LogPath(e.home, "fail", run.RunID, "bad", -1, 1)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), "boom") {
		t.Errorf("log of bad lacks its stderr: %q", log)
	}
}

func TestRetriesThenSuccessRecordsEveryTry(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("flaky", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			if calls.Add(1) < 3 {
				return nil, errors.New("transient")
			}
			return json.RawMessage(`"ok"`), nil
		})
	}})
	tk := goTask("f", "flaky", nil)
	tk.Retries = ptr(2)
	tk.RetryDelay = ptr(dag.Duration(10 * time.Millisecond))
	run, tis := e.run(&dag.DAG{ID: "retry", Tasks: []*dag.Task{tk}}, engine.TriggerOptions{})
	if run.State != store.RunSuccess || tis["f"].TryNumber != 3 {
		t.Fatalf("run %s, try %d; want success on try 3", run.State, tis["f"].TryNumber)
	}
	tries, err := e.st.ListTries(context.Background(), "retry", run.RunID, "f", -1)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, tr := range tries {
		states = append(states, string(tr.State))
	}
	if got := strings.Join(states, ","); got != "up_for_retry,up_for_retry,success" {
		t.Errorf("tries %s", got)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	retries := 0
	for _, ev := range e.evs {
		if ev.State == store.TIUpForRetry {
			retries++
		}
	}
	if retries != 2 {
		t.Errorf("%d up_for_retry events, want 2", retries)
	}
}

func TestRetriesExhaustedFailNowAndSkip(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	always := script("always", "exit 1")
	always.Retries = ptr(1)
	always.RetryDelay = ptr(dag.Duration(0))
	failFast := script("fail_fast", "exit 98")
	failFast.Retries = ptr(5)
	d := &dag.DAG{ID: "outcomes", Tasks: []*dag.Task{
		always, failFast,
		script("skipper", "exit 99"),
		script("after_skip", "true", "skipper"),
	}}
	_, tis := e.run(d, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"always": store.TIFailed, "fail_fast": store.TIFailed, "skipper": store.TISkipped, "after_skip": store.TISkipped})
	if tis["always"].TryNumber != 2 {
		t.Errorf("always ran %d tries, want 2 (retries 1)", tis["always"].TryNumber)
	}
	if tis["fail_fast"].TryNumber != 1 {
		t.Errorf("fail_fast ran %d tries, want 1 (exit 98 fails without retry)", tis["fail_fast"].TryNumber)
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	dir := t.TempDir()
	// The timeout must fire after the shell has started its child, and on a busy machine a
	// shell can take longer to start than any fixed timeout. So the test tries longer
	// timeouts until one fires after the child exists (its pid file is written); the first
	// one does, on a quiet machine.
	for i, timeout := range []time.Duration{300 * time.Millisecond, 2 * time.Second, 10 * time.Second} {
		pidFile := filepath.Join(dir, fmt.Sprintf("child-%d.pid", i))
		tk := script("slow", "sleep 120 & echo $! > "+pidFile+".tmp && mv "+pidFile+".tmp "+pidFile+"; wait")
		tk.Timeout = ptr(dag.Duration(timeout))
		start := time.Now()
		_, tis := e.run(&dag.DAG{ID: fmt.Sprintf("timeout_%d", i), Tasks: []*dag.Task{tk}}, engine.TriggerOptions{})
		if tis["slow"].State != store.TIFailed || !strings.Contains(tis["slow"].Error, "timed out") {
			t.Fatalf("slow: %s %q, want failed with a timeout", tis["slow"].State, tis["slow"].Error)
		}
		if time.Since(start) > timeout+40*time.Second {
			t.Errorf("the run waited for the sleep instead of killing it")
		}
		b, err := os.ReadFile(pidFile)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("the shell had not started its child when the %s timeout fired; trying a longer one", timeout)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		// The kill is a signal to the process group: wait until the grandchild is gone (or a
		// zombie waiting for init), which the kernel does soon after, however busy.
		pid := strings.TrimSpace(string(b))
		alive := func() bool {
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			return err == nil && !strings.Contains(string(stat), ") Z")
		}
		for deadline := time.Now().Add(10 * time.Second); alive() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if alive() {
			t.Errorf("grandchild sleep (pid %s) survived the timeout", pid)
		}
		return
	}
	t.Fatal("the shell never started its child before the timeout, even with 10s")
}

func TestRunTimeoutFailsTheRun(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	d := &dag.DAG{ID: "run_timeout", RunTimeout: dag.Duration(300 * time.Millisecond), Tasks: []*dag.Task{
		script("slow", "sleep 30"),
		script("next", "true", "slow"),
	}}
	run, tis := e.run(d, engine.TriggerOptions{})
	if run.State != store.RunFailed {
		t.Errorf("run %s, want failed", run.State)
	}
	wantStates(t, tis, map[string]store.TIState{"slow": store.TIFailed, "next": store.TISkipped})
	if !strings.Contains(tis["slow"].Error, "run_timeout") {
		t.Errorf("slow error %q", tis["slow"].Error)
	}
}

func TestPoolLimitsConcurrencyAndPriorityOrders(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int32
	var mu sync.Mutex
	var order []string
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("work", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			mu.Lock()
			order = append(order, executor.InfoFrom(ctx).TaskID)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			return nil, nil
		})
	}})
	if err := e.st.UpsertPool(context.Background(), &store.Pool{Name: "gpu", Slots: 1}); err != nil {
		t.Fatal(err)
	}
	d := &dag.DAG{ID: "pool"}
	for i, w := range []int{1, 5, 3} {
		tk := goTask([]string{"low", "high", "mid"}[i], "work", nil)
		tk.Pool = "gpu"
		tk.PriorityWeight = ptr(w)
		d.Tasks = append(d.Tasks, tk)
	}
	// The engine learns of the pool created after its start when a task names it.
	run, _ := e.run(d, engine.TriggerOptions{})
	if run.State != store.RunSuccess {
		t.Fatalf("run %s", run.State)
	}
	if peak.Load() != 1 {
		t.Errorf("peak concurrency %d in a 1-slot pool", peak.Load())
	}
	if got := strings.Join(order, ","); got != "high,mid,low" {
		t.Errorf("order %s, want high,mid,low by priority weight", got)
	}
}

func TestUnknownPoolFailsWithAHint(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	tk := script("a", "true")
	tk.Pool = "nope"
	_, tis := e.run(&dag.DAG{ID: "nopool", Tasks: []*dag.Task{tk}}, engine.TriggerOptions{})
	if tis["a"].State != store.TIFailed || !strings.Contains(tis["a"].Error, "weir pools set nope") {
		t.Errorf("a: %s %q", tis["a"].State, tis["a"].Error)
	}
}

func TestOutputLimit(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	tk := script("big", `python3 -c 'import json; print(json.dumps("x"*5000))' > "$WEIR_OUTPUT"`)
	tk.OutputLimit = ptr(1000)
	_, tis := e.run(&dag.DAG{ID: "limit", Tasks: []*dag.Task{tk, script("bad_json", `echo '{nope' > "$WEIR_OUTPUT"`)}}, engine.TriggerOptions{})
	if tis["big"].State != store.TIFailed || !strings.Contains(tis["big"].Error, "over the limit") {
		t.Errorf("big: %s %q", tis["big"].State, tis["big"].Error)
	}
	if tis["bad_json"].State != store.TIFailed || !strings.Contains(tis["bad_json"].Error, "not valid JSON") {
		t.Errorf("bad_json: %s %q", tis["bad_json"].State, tis["bad_json"].Error)
	}
}

func TestCallbacksWebhookAndCommand(t *testing.T) {
	t.Parallel()
	got := make(chan engine.CallbackEvent, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev engine.CallbackEvent
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &ev)
		got <- ev
	}))
	defer srv.Close()
	e := setup(t, setupOpts{})
	marker := filepath.Join(t.TempDir(), "retry-callback")
	tk := script("bad", "exit 1")
	tk.Retries = ptr(1)
	tk.RetryDelay = ptr(dag.Duration(0))
	tk.OnRetry = []dag.Callback{{Command: []string{"sh", "-c", "cat > " + marker}}}
	tk.OnFailure = []dag.Callback{{Webhook: srv.URL}}
	d := &dag.DAG{ID: "callbacks", Tasks: []*dag.Task{tk}, OnFailure: []dag.Callback{{Webhook: srv.URL}}}
	run, _ := e.run(d, engine.TriggerOptions{})
	seen := map[string]engine.CallbackEvent{}
	timeout := time.After(10 * time.Second)
	for len(seen) < 2 {
		select {
		case ev := <-got:
			seen[ev.Scope+":"+ev.Event] = ev
		case <-timeout:
			t.Fatalf("callbacks received: %v", seen)
		}
	}
	if ev := seen["task:failure"]; ev.TaskID != "bad" || ev.TryNumber != 2 || ev.RunID != run.RunID {
		t.Errorf("task failure callback %+v", ev)
	}
	if ev := seen["run:failure"]; ev.State != "failed" {
		t.Errorf("run failure callback %+v", ev)
	}
	e.eng.Stop() // waits for callbacks in flight
	b, err := os.ReadFile(marker)
	if err != nil || !strings.Contains(string(b), `"event":"retry"`) {
		t.Errorf("retry callback command got %q (%v)", b, err)
	}
}

func TestBadParamCreatesNoRun(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	d := &dag.DAG{ID: "params", Source: "go:test", Params: map[string]dag.Param{"epochs": {Schema: map[string]any{"type": "integer", "default": 3}}},
		Tasks: []*dag.Task{script("a", "true")}}
	_, err := e.eng.Trigger(context.Background(), d, engine.TriggerOptions{Params: map[string]any{"epochs": "ten"}})
	if err == nil || !strings.Contains(err.Error(), "epochs") {
		t.Fatalf("err %v, want an error naming epochs", err)
	}
	runs, _ := e.st.ListRuns(context.Background(), store.ListRunsParams{DAGID: "params"})
	if len(runs) != 0 {
		t.Errorf("%d runs created", len(runs))
	}
}

func TestHTTPTask(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"method":"` + r.Method + `","body":` + string(b) + `,"token":"` + r.Header.Get("X-Token") + `"}`))
	}))
	defer srv.Close()
	e := setup(t, setupOpts{})
	d := &dag.DAG{ID: "http", Tasks: []*dag.Task{
		{ID: "post", Kind: dag.KindHTTP, HTTP: &dag.HTTPSpec{Method: "POST", URL: srv.URL + "/x", Headers: map[string]string{"X-Token": "{{ run_id }}"}, Body: `{"n": 1}`}},
		{ID: "missing", Kind: dag.KindHTTP, HTTP: &dag.HTTPSpec{URL: srv.URL + "/missing"}},
		{ID: "missing_ok", Kind: dag.KindHTTP, HTTP: &dag.HTTPSpec{URL: srv.URL + "/missing", ExpectStatus: []int{404}}},
	}}
	run, tis := e.run(d, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"post": store.TISuccess, "missing": store.TIFailed, "missing_ok": store.TISuccess})
	var out struct {
		Status int
		Body   struct {
			Method, Token string
			Body          struct{ N int }
		}
	}
	if err := json.Unmarshal(tis["post"].Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.Status != 200 || out.Body.Method != "POST" || out.Body.Body.N != 1 || out.Body.Token != run.RunID {
		t.Errorf("post output %s", tis["post"].Output)
	}
	if !strings.Contains(tis["missing"].Error, "status 404") {
		t.Errorf("missing error %q", tis["missing"].Error)
	}
}

func TestClearRerunsFromATask(t *testing.T) {
	t.Parallel()
	counts := map[string]*atomic.Int32{"a": {}, "b": {}, "c": {}}
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("count", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			counts[executor.InfoFrom(ctx).TaskID].Add(1)
			return nil, nil
		})
	}})
	d := &dag.DAG{ID: "clear", Tasks: []*dag.Task{goTask("a", "count", nil), goTask("b", "count", nil, "a"), goTask("c", "count", nil, "b")}}
	run, _ := e.run(d, engine.TriggerOptions{})
	ctx := context.Background()
	cleared, err := engine.Clear(ctx, e.st, "clear", run.RunID, engine.ClearOptions{TaskIDs: []string{"b"}, Downstream: true})
	if err != nil || strings.Join(cleared, ",") != "b,c" {
		t.Fatalf("cleared %v, %v", cleared, err)
	}
	if _, _, err := e.eng.Resume(ctx, "clear", run.RunID); err != nil {
		t.Fatal(err)
	}
	final, err := e.eng.Wait(ctx, "clear", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("after clear: %v %v", final, err)
	}
	if a, b, c := counts["a"].Load(), counts["b"].Load(), counts["c"].Load(); a != 1 || b != 2 || c != 2 {
		t.Errorf("runs a=%d b=%d c=%d, want 1,2,2", a, b, c)
	}
	tis := e.tis(final)
	if tis["b"].TryNumber != 2 || tis["b"].MaxTries != 2 {
		t.Errorf("b try %d max %d, want 2 and 2 (retries renewed)", tis["b"].TryNumber, tis["b"].MaxTries)
	}
	if _, _, err := e.eng.Resume(ctx, "clear", run.RunID); !errors.Is(err, engine.ErrRunFinished) {
		t.Errorf("resume of a finished run: %v, want ErrRunFinished", err)
	}
}

func TestRetryDelayFollowsAirflow(t *testing.T) {
	t.Parallel()
	o := engine.EffectiveOptions{RetryDelay: 10 * time.Second, MaxRetryDelay: time.Hour}
	if d := engine.RetryDelay(o, "d", "t", time.Unix(0, 0), 3); d != 10*time.Second {
		t.Errorf("without backoff: %s, want 10s", d)
	}
	o.ExponentialBackoff = true
	for try := 1; try <= 4; try++ {
		base := 10 * time.Second << (try - 1)
		d := engine.RetryDelay(o, "d", "t", time.Unix(0, 0), try)
		if d < base || d >= 2*base {
			t.Errorf("try %d: %s, want in [%s, %s)", try, d, base, 2*base)
		}
		if d != engine.RetryDelay(o, "d", "t", time.Unix(0, 0), try) {
			t.Errorf("try %d: delay is not deterministic", try)
		}
	}
	o.MaxRetryDelay = 30 * time.Second
	if d := engine.RetryDelay(o, "d", "t", time.Unix(0, 0), 5); d != 30*time.Second {
		t.Errorf("capped: %s, want 30s", d)
	}
}

// Issue 4, alerts: a try or a run still going past its SLA fires the SLA-miss callbacks
// once, while the work goes on.
func TestSLAMissCallbacks(t *testing.T) {
	t.Parallel()
	got := make(chan engine.CallbackEvent, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev engine.CallbackEvent
		_ = json.NewDecoder(r.Body).Decode(&ev)
		got <- ev
	}))
	defer srv.Close()
	e := setup(t, setupOpts{})
	// slow runs until the test has seen both misses (an SLA is only missed by a try or run
	// still going when the engine checks, and a busy machine may check late).
	release := filepath.Join(t.TempDir(), "release")
	slow := script("slow", "i=0; while [ ! -f "+release+" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done")
	slow.SLA = ptr(dag.Duration(50 * time.Millisecond))
	fast := script("fast", "true")
	fast.SLA = ptr(dag.Duration(time.Minute))
	d := &dag.DAG{ID: "sla", Source: "go:test", SLA: dag.Duration(100 * time.Millisecond), OnSLAMiss: []dag.Callback{{Webhook: srv.URL}},
		Tasks: []*dag.Task{slow, fast}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for seen["task:slow"] == 0 || seen["run:"] == 0 {
		select {
		case ev := <-got:
			if ev.Event != "sla_miss" {
				t.Errorf("event %q", ev.Event)
			}
			seen[ev.Scope+":"+ev.TaskID]++
		case <-ctx.Done():
			t.Fatalf("SLA misses seen before the deadline: %v", seen)
		}
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := e.eng.Wait(ctx, r.DAGID, r.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if run.State != store.RunSuccess {
		t.Fatalf("run %s: an SLA miss must not fail the work", run.State)
	}
	e.eng.Stop() // waits for callbacks in flight
	close(got)
	for ev := range got {
		if ev.Event != "sla_miss" {
			t.Errorf("event %q", ev.Event)
		}
		seen[ev.Scope+":"+ev.TaskID]++
	}
	if seen["task:slow"] != 1 || seen["run:"] != 1 || seen["task:fast"] != 0 {
		t.Errorf("SLA misses %v: want one for slow, one for the run, none for fast", seen)
	}
}
