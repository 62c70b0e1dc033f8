package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// waitUntil polls cond every 5 ms until it holds, failing the test after 30 s with what.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stateOf reads an instance's state from the store.
func (e *env) stateOf(r *store.DAGRun, taskID string, mapIndex int) store.TIState {
	e.t.Helper()
	for _, ti := range e.instances(r, taskID) {
		if ti.MapIndex == mapIndex {
			return ti.State
		}
	}
	return "missing"
}

// liveFuncs registers what the live-clear tests use: flaky fails its first call per task
// and succeeds afterwards; hold blocks until release is closed (or its try is killed);
// count counts the calls per task and map index.
type liveFuncs struct {
	release chan struct{}
	calls   sync.Map // "task[i]" → *atomic.Int32
}

func (l *liveFuncs) register(f *executor.Funcs) {
	l.release = make(chan struct{})
	count := func(ctx context.Context) int32 {
		info := executor.InfoFrom(ctx)
		n, _ := l.calls.LoadOrStore(fmt.Sprintf("%s[%d]", info.TaskID, info.MapIndex), new(atomic.Int32))
		return n.(*atomic.Int32).Add(1)
	}
	_ = f.Register("flaky", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		if count(ctx) == 1 {
			return nil, errors.New("first call fails")
		}
		return nil, nil
	})
	_ = f.Register("hold", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		count(ctx)
		select {
		case <-l.release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	_ = f.Register("count", func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		count(ctx)
		return args, nil
	})
}

func (l *liveFuncs) n(key string) int32 {
	v, ok := l.calls.Load(key)
	if !ok {
		return 0
	}
	return v.(*atomic.Int32).Load()
}

func liveEnv(t *testing.T, parallelism int) (*env, *liveFuncs) {
	l := &liveFuncs{}
	return setup(t, setupOpts{parallelism: parallelism, register: l.register}), l
}

// Airflow clears instances of a running DAG run: a failed branch cleared with its
// downstream while another task still runs goes back to none, runs again, and the run ends
// success. The clear is committed before ClearTasks answers (it survives a crash).
func TestClearTasksInRunningRunRerunsFailedBranch(t *testing.T) {
	t.Parallel()
	e, l := liveEnv(t, 0)
	d := &dag.DAG{ID: "live1", Source: "go:test", Tasks: []*dag.Task{
		goTask("a", "flaky", nil), goTask("after_a", "count", nil, "a"), goTask("b", "hold", nil),
	}}
	ctx := t.Context()
	run, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a failed, after_a upstream_failed and b running", func() bool {
		return e.stateOf(run, "a", -1) == store.TIFailed && e.stateOf(run, "after_a", -1) == store.TIUpstreamFailed &&
			e.stateOf(run, "b", -1) == store.TIRunning
	})
	// A dry run lists what would change, and changes nothing.
	dry, err := e.eng.ClearInstances(ctx, "live1", run.RunID, engine.ClearOptions{TaskIDs: []string{"a"}, Downstream: true}, true)
	if err != nil || len(dry) != 2 || dry[0].TaskID != "a" || dry[0].State != store.TIFailed || dry[1].TaskID != "after_a" {
		t.Fatalf("dry clear = %v, %v; want a (failed) and after_a", dry, err)
	}
	if st := e.stateOf(run, "a", -1); st != store.TIFailed {
		t.Fatalf("a after a dry clear: %s, want failed", st)
	}
	cleared, err := e.eng.ClearTasks(ctx, "live1", run.RunID, engine.ClearOptions{TaskIDs: []string{"a"}, Downstream: true})
	if err != nil || strings.Join(cleared, ",") != "a,after_a" {
		t.Fatalf("ClearTasks = %v, %v; want a,after_a", cleared, err)
	}
	// Committed when answered: the store no longer holds a failed a (a reruns at once, so
	// it may already be running or done, never failed again: its second call succeeds).
	stored, err := e.st.GetRun(ctx, "live1", run.RunID)
	if err != nil || stored.State != store.RunRunning {
		t.Fatalf("run after the clear: %v, %v; want running", stored, err)
	}
	if st := e.stateOf(run, "a", -1); st == store.TIFailed {
		t.Errorf("a is still failed in the store after ClearTasks answered")
	}
	waitUntil(t, "a and after_a to succeed", func() bool {
		return e.stateOf(run, "a", -1) == store.TISuccess && e.stateOf(run, "after_a", -1) == store.TISuccess
	})
	close(l.release)
	final, err := e.eng.Wait(ctx, "live1", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("run ended %v, %v; want success", final, err)
	}
	tis := e.tis(final)
	if tis["a"].TryNumber != 2 || tis["a"].MaxTries != 2 {
		t.Errorf("a: try %d of %d, want 2 of 2 (its retries renewed)", tis["a"].TryNumber, tis["a"].MaxTries)
	}
	if l.n("a[-1]") != 2 || l.n("after_a[-1]") != 1 || l.n("b[-1]") != 1 {
		t.Errorf("calls a=%d after_a=%d b=%d, want 2, 1, 1", l.n("a[-1]"), l.n("after_a[-1]"), l.n("b[-1]"))
	}
	if _, err := e.eng.ClearTasks(ctx, "live1", run.RunID, engine.ClearOptions{}); !errors.Is(err, engine.ErrRunNotActive) {
		t.Errorf("ClearTasks of a finished run: %v, want ErrRunNotActive", err)
	}
}

// A running try that is cleared is killed (its process group with it) and the instance runs
// again without using a retry, as Airflow's restarting state; the slot it held is given
// back (one slot of the engine and one of a pool here: the rerun could not start
// otherwise). only_running leaves the failed task alone.
func TestClearTasksKillsARunningTryAndRerunsIt(t *testing.T) {
	t.Parallel()
	e, _ := liveEnv(t, 1)
	marker := filepath.Join(e.home, "slow.pid")
	d := &dag.DAG{ID: "live2", Source: "go:test", Tasks: []*dag.Task{
		goTask("broken", "flaky", nil),
		script("slow", fmt.Sprintf(`if [ -f %[1]q ]; then exit 0; fi; echo $$ > %[1]q.tmp && mv %[1]q.tmp %[1]q && exec sleep 600`, marker), "broken"),
	}}
	d.Tasks[1].TriggerRule = dag.AllDone
	d.Tasks[1].Pool = "one" // its slot must come back too
	ctx := t.Context()
	if err := e.st.UpsertPool(ctx, &store.Pool{Name: "one", Slots: 1}); err != nil {
		t.Fatal(err)
	}
	run, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	waitUntil(t, "slow to start", func() bool {
		b, err := os.ReadFile(marker)
		if err != nil {
			return false
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	})
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	cleared, err := e.eng.ClearTasks(ctx, "live2", run.RunID, engine.ClearOptions{OnlyRunning: true})
	if err != nil || strings.Join(cleared, ",") != "slow" {
		t.Fatalf("ClearTasks(only running) = %v, %v; want slow", cleared, err)
	}
	final, err := e.eng.Wait(ctx, "live2", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != store.RunSuccess {
		t.Errorf("run %s, want success (slow, the leaf, succeeded; broken stays failed)", final.State)
	}
	waitUntil(t, "the killed try's process to be gone", func() bool { return !running(pid) })
	waitUntil(t, "the engine to hold no slot and no run", func() bool {
		s := e.eng.Stats()
		return s.Running == 0 && s.ActiveRuns == 0
	})
	tis := e.tis(final)
	if tis["broken"].State != store.TIFailed || tis["broken"].TryNumber != 1 {
		t.Errorf("broken: %s try %d, want failed try 1 (only_running)", tis["broken"].State, tis["broken"].TryNumber)
	}
	if s := tis["slow"]; s.State != store.TISuccess || s.TryNumber != 2 || s.MaxTries != 2 {
		t.Errorf("slow: %s try %d of %d, want success at try 2 of 2 (no retry used)", s.State, s.TryNumber, s.MaxTries)
	}
	tries, err := e.st.ListTries(ctx, "live2", run.RunID, "slow", -1)
	if err != nil || len(tries) != 2 {
		t.Fatalf("tries of slow: %v, %v; want 2", tries, err)
	}
	if tries[0].State != store.TIUpForRetry || !strings.Contains(tries[0].Error, "cleared while running") || tries[1].State != store.TISuccess {
		t.Errorf("tries: %s %q, %s; want up_for_retry (cleared while running), then success", tries[0].State, tries[0].Error, tries[1].State)
	}
}

// A mapped task cleared as a whole in a running run goes back to its placeholder and
// expands again; a single map index clears that instance only. The other task keeps
// running meanwhile. After a restart of the engine (Stop, and a new engine resuming the
// run from the store) the run continues from the cleared state.
func TestClearTasksMappedInRunningRunAndRestart(t *testing.T) {
	t.Parallel()
	e, l := liveEnv(t, 0)
	m := goTask("m", "count", nil)
	m.Expand = map[string]any{"i": []any{1.0, 2.0, 3.0}}
	// One retry each: a try cut short by the restart counts as a failed try and runs again.
	sum, b := goTask("sum", "count", nil, "m"), goTask("b", "hold", nil)
	for _, x := range []*dag.Task{sum, b} {
		x.Retries, x.RetryDelay = ptr(1), ptr(dag.Duration(0))
	}
	d := &dag.DAG{ID: "live3", Source: "go:test", Tasks: []*dag.Task{m, sum, b}}
	ctx := t.Context()
	run, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "sum to succeed", func() bool { return e.stateOf(run, "sum", -1) == store.TISuccess })
	cleared, err := e.eng.ClearTasks(ctx, "live3", run.RunID, engine.ClearOptions{TaskIDs: []string{"m"}, MapIndexes: []int{1}})
	if err != nil || strings.Join(cleared, ",") != "m[1]" {
		t.Fatalf("clear m[1] = %v, %v", cleared, err)
	}
	waitUntil(t, "m[1] to run again", func() bool { return l.n("m[1]") == 2 && e.stateOf(run, "m", 1) == store.TISuccess })
	tis, err := e.eng.ClearInstances(ctx, "live3", run.RunID, engine.ClearOptions{TaskIDs: []string{"m"}, Downstream: true}, false)
	if err != nil || len(tis) != 2 || tis[0].TaskID != "m" || tis[0].MapIndex != -1 || tis[1].TaskID != "sum" {
		t.Fatalf("clear m whole = %v, %v; want m's placeholder and sum", tis, err)
	}
	waitUntil(t, "m to expand and run again", func() bool {
		return l.n("m[0]") == 2 && l.n("m[2]") == 2 && l.n("sum[-1]") == 2 && e.stateOf(run, "sum", -1) == store.TISuccess
	})
	if got := e.instances(run, "m"); len(got) != 3 {
		t.Errorf("m has %d instances after expanding again, want 3", len(got))
	}
	// Clear again and restart before anything else happens: the new engine resumes from
	// what the clear committed. b was running: it counts as a failed try of a dead owner and
	// runs again (its retry); the cleared instances run.
	if _, err := e.eng.ClearTasks(ctx, "live3", run.RunID, engine.ClearOptions{TaskIDs: []string{"sum"}}); err != nil {
		t.Fatal(err)
	}
	e.eng.Stop()
	st2, err := sqlite.Open(ctx, filepath.Join(e.home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	eng2, err := engine.New(engine.Config{Store: st2, Home: e.home, Kinds: executor.NewRegistry(e.funcs)})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng2.Stop()
	if _, _, err := eng2.Resume(ctx, "live3", run.RunID); err != nil {
		t.Fatal(err)
	}
	close(l.release)
	final, err := eng2.Wait(ctx, "live3", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != store.RunSuccess {
		t.Errorf("run after the restart: %s, want success", final.State)
	}
	if sum := e.instances(final, "sum"); len(sum) != 1 || sum[0].State != store.TISuccess {
		t.Errorf("sum after the restart: %+v, want success", sum)
	}
	if n := l.n("sum[-1]"); n < 2 {
		t.Errorf("sum ran %d times, want at least 2", n)
	}
	if got := e.instances(final, "m"); len(got) != 3 || slices.ContainsFunc(got, func(ti *store.TaskInstance) bool { return ti.State != store.TISuccess }) {
		t.Errorf("m after the restart: %d instances, want 3 successes", len(got))
	}
}

// A task of a mapped group cleared as a whole in a running run takes its whole group back
// to placeholders: the group expands again and each instance runs again, in step.
func TestClearTasksMappedGroupInRunningRun(t *testing.T) {
	t.Parallel()
	e, l := liveEnv(t, 0)
	ga, gb := goTask("g.a", "count", nil), goTask("g.b", "count", nil, "g.a")
	ga.Group, gb.Group = "g", "g"
	d := &dag.DAG{ID: "live4", Source: "go:test",
		Groups: []*dag.Group{{ID: "g", Tasks: []string{"g.a", "g.b"}, Mapping: dag.Mapping{Expand: map[string]any{"x": []any{1.0, 2.0}}}}},
		Tasks:  []*dag.Task{ga, gb, goTask("after", "count", nil, "g.b"), goTask("hold", "hold", nil)}}
	ctx := t.Context()
	run, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "after to succeed", func() bool { return e.stateOf(run, "after", -1) == store.TISuccess })
	cleared, err := e.eng.ClearTasks(ctx, "live4", run.RunID, engine.ClearOptions{TaskIDs: []string{"g.a"}, Downstream: true})
	if err != nil || strings.Join(cleared, ",") != "g.a,g.b,after" {
		t.Fatalf("ClearTasks(g.a, downstream) = %v, %v; want g.a,g.b,after", cleared, err)
	}
	waitUntil(t, "the group and after to run again", func() bool {
		return l.n("g.a[0]") == 2 && l.n("g.a[1]") == 2 && l.n("g.b[0]") == 2 && l.n("g.b[1]") == 2 && l.n("after[-1]") == 2 &&
			e.stateOf(run, "after", -1) == store.TISuccess
	})
	close(l.release)
	final, err := e.eng.Wait(ctx, "live4", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("run %v, %v; want success", final, err)
	}
	for _, id := range []string{"g.a", "g.b"} {
		if got := e.instances(final, id); len(got) != 2 || got[0].MapIndex != 0 || got[1].State != store.TISuccess {
			t.Errorf("%s after the clear: %+v, want 2 successful instances", id, got)
		}
	}
}
