package node_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// env is a server on a real SQLite file and a DAG folder, listening on a free port.
type env struct {
	t    *testing.T
	dir  string
	home string
	st   store.Store
	srv  *node.Node
}

func setup(t *testing.T, files map[string]string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), home: t.TempDir()}
	for name, body := range files {
		e.write(name, body)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(e.home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	e.start()
	t.Cleanup(func() {
		e.srv.Stop()
		st.Close()
	})
	return e
}

func (e *env) start() {
	e.t.Helper()
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: e.st, Home: e.home, DAGsDir: e.dir, Addr: "127.0.0.1:0",
		ScanInterval: 50 * time.Millisecond, TickInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.srv = srv
}

func (e *env) write(name, body string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// eventually polls cond until it holds or 20 s pass.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

func (e *env) runs(dagID string) []*store.DAGRun {
	e.t.Helper()
	runs, err := e.st.ListRuns(context.Background(), store.ListRunsParams{DAGID: dagID})
	if err != nil {
		e.t.Fatal(err)
	}
	return runs
}

const producer = `
dag_id: producer
tasks:
  - id: make
    outlets: ["mem://features"]
    script: |
      echo '{"dataset_extra": {"rows": 42}}' > "$WEIR_OUTPUT"
`

const consumer = `
dag_id: consumer
datasets: ["mem://features"]
tasks:
  - id: use
    script: echo "$WEIR_TRIGGERING_DATASET_EVENTS" > "$WEIR_OUTPUT"
`

// Issue 4: a DAG scheduled on a dataset runs once the dataset is updated by another DAG's
// task, and receives the event (with its extra) that triggered it.
func TestDatasetUpdateTriggersConsumer(t *testing.T) {
	t.Parallel()
	e := setup(t, map[string]string{"producer.yaml": producer, "consumer.yaml": consumer})
	d, ok := e.srv.Registry().DAG("producer")
	if !ok {
		t.Fatal("producer not loaded")
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		r, err := e.srv.Engine().Trigger(ctx, d, engine.TriggerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.Engine().Wait(ctx, r.DAGID, r.RunID); err != nil {
			t.Fatal(err)
		}
		want := i + 1
		e.eventually("a consumer run per update", func() bool {
			runs := e.runs("consumer")
			return len(runs) == want && runs[0].State == store.RunSuccess
		})
	}
	runs := e.runs("consumer")
	ti, err := e.st.GetTaskInstance(ctx, "consumer", runs[0].RunID, "use", -1)
	if err != nil {
		t.Fatal(err)
	}
	var evs []struct {
		URI         string
		Extra       struct{ Rows int }
		SourceDAGID string `json:"source_dag_id"`
	}
	if err := json.Unmarshal(ti.Output, &evs); err != nil || len(evs) != 1 || evs[0].URI != "mem://features" || evs[0].Extra.Rows != 42 || evs[0].SourceDAGID != "producer" {
		t.Errorf("the consumer saw %s (%v)", ti.Output, err)
	}
	if runs[0].RunType != "dataset" {
		t.Errorf("run type %q, want dataset", runs[0].RunType)
	}
}

// Issue 4: events arriving while no run can start (the DAG at max_active_runs, or paused)
// are not lost: they trigger a run later, and several updates give one run (Airflow).
func TestQueuedEventsAreNotLost(t *testing.T) {
	t.Parallel()
	e := setup(t, map[string]string{"consumer.yaml": consumer})
	ctx := context.Background()
	if err := e.st.SetPaused(ctx, "consumer", true); err != nil {
		t.Fatal(err)
	}
	// A tick already under way may not have seen the pause: wait for one that started after.
	paused := time.Now()
	e.eventually("a tick after the pause", func() bool { return e.srv.Scheduler().Heartbeat().After(paused) })
	for i := 0; i < 3; i++ {
		if err := e.st.AddDatasetEvent(ctx, &store.DatasetEvent{URI: "mem://features", Timestamp: time.Now(), Consumers: []string{"consumer"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.Scheduler().Tick(ctx)
	if n := len(e.runs("consumer")); n != 0 {
		t.Fatalf("%d runs of a paused DAG", n)
	}
	if err := e.st.SetPaused(ctx, "consumer", false); err != nil {
		t.Fatal(err)
	}
	e.eventually("one run for three queued events", func() bool {
		runs := e.runs("consumer")
		return len(runs) == 1 && runs[0].State == store.RunSuccess
	})
	var evs []json.RawMessage
	_ = json.Unmarshal(e.runs("consumer")[0].TriggerEvents, &evs)
	if len(evs) != 3 {
		t.Errorf("the run consumed %d events, want 3", len(evs))
	}
	q, _ := e.st.ListQueuedEvents(ctx, "consumer")
	if len(q) != 0 {
		t.Errorf("%d events still queued", len(q))
	}
}

// Issue 4: AND / OR dataset conditions.
func TestDatasetConditions(t *testing.T) {
	t.Parallel()
	e := setup(t, map[string]string{
		"both.yaml":   "dag_id: both\ndatasets: [mem://a, mem://b]\ntasks: [{id: t, command: [true]}]\n",
		"either.yaml": "dag_id: either\ndatasets: {any: [mem://a, mem://b]}\ntasks: [{id: t, command: [true]}]\n",
	})
	ctx := context.Background()
	emit := func(uri string) {
		if err := e.st.AddDatasetEvent(ctx, &store.DatasetEvent{URI: uri, Timestamp: time.Now(), Consumers: e.srv.Registry().Consumers(uri)}); err != nil {
			t.Fatal(err)
		}
		e.srv.Scheduler().Wake()
	}
	emit("mem://a")
	e.eventually("either runs on a", func() bool { return len(e.runs("either")) == 1 })
	e.srv.Scheduler().Tick(ctx)
	if n := len(e.runs("both")); n != 0 {
		t.Fatalf("both ran after only a: %d runs", n)
	}
	emit("mem://b")
	e.eventually("both runs once a and b were updated", func() bool { return len(e.runs("both")) == 1 })
	e.eventually("either runs again on b", func() bool { return len(e.runs("either")) == 2 })
}

// Issue 4: time schedules: a DAG on "every 1s" gets scheduled runs with data intervals,
// and pausing stops them.
func TestTimeSchedule(t *testing.T) {
	t.Parallel()
	e := setup(t, map[string]string{"tick.yaml": "dag_id: tick\nschedule: every 1s\ntasks: [{id: t, script: 'echo {{ data_interval_start }} {{ data_interval_end }}'}]\n"})
	e.eventually("two scheduled runs", func() bool { return len(e.runs("tick")) >= 2 })
	for _, r := range e.runs("tick") {
		if r.RunType != "scheduled" || r.DataIntervalEnd.Sub(r.DataIntervalStart) != time.Second || !r.LogicalDate.Equal(r.DataIntervalStart) {
			t.Errorf("run %s: type %s, interval %s..%s, logical %s", r.RunID, r.RunType, r.DataIntervalStart, r.DataIntervalEnd, r.LogicalDate)
		}
	}
	ctx := context.Background()
	if err := e.st.SetPaused(ctx, "tick", true); err != nil {
		t.Fatal(err)
	}
	// A tick already under way may not have seen the pause and still create a run: wait for
	// one that started after (ticks run one after the other).
	paused := time.Now()
	e.eventually("a tick after the pause", func() bool { return e.srv.Scheduler().Heartbeat().After(paused) })
	n := len(e.runs("tick"))
	time.Sleep(1500 * time.Millisecond)
	if m := len(e.runs("tick")); m != n {
		t.Errorf("a paused DAG got %d more runs", m-n)
	}
}

// Issue 4: the server picks up new, changed and removed DAG files without a restart; a
// broken file is reported and keeps its last good version while the rest keep running.
func TestRegistryFollowsTheFolder(t *testing.T) {
	t.Parallel()
	e := setup(t, map[string]string{"a.yaml": "dag_id: a\ntasks: [{id: t, command: [true]}]\n"})
	e.write("b.yaml", "dag_id: b\ntasks: [{id: t, command: [true]}]\n")
	e.eventually("b loaded", func() bool { _, ok := e.srv.Registry().DAG("b"); return ok })
	e.write("a.yaml", "dag_id: a\ndescription: changed\ntasks: [{id: t, command: [true]}, {id: u, command: [true]}]\n")
	e.eventually("a changed", func() bool { d, _ := e.srv.Registry().DAG("a"); return d != nil && len(d.Tasks) == 2 })
	e.write("a.yaml", "dag_id: a\ntasks:\n  - id: t\n    comand: [true]\n")
	ctx := context.Background()
	e.eventually("a's import error recorded", func() bool {
		errs, _ := e.st.ListImportErrors(ctx)
		return len(errs) == 1 && strings.Contains(errs[0].Message, "a.yaml:4:5") && strings.Contains(errs[0].Message, "comand")
	})
	if d, _ := e.srv.Registry().DAG("a"); d == nil || len(d.Tasks) != 2 {
		t.Errorf("the broken file's last good DAG should stay")
	}
	_ = os.Remove(filepath.Join(e.dir, "b.yaml"))
	e.eventually("b removed", func() bool { _, ok := e.srv.Registry().DAG("b"); return !ok })
	e.write("a.yaml", "dag_id: a\ntasks: [{id: t, command: [true]}]\n")
	e.eventually("a's error cleared", func() bool { errs, _ := e.st.ListImportErrors(ctx); return len(errs) == 0 })
}

// Issue 4: SIGTERM: running tasks get the grace period; a task still running then is
// stopped and recorded for retry, and the next start runs it again.
func TestStopGraceThenRestartRunsItAgain(t *testing.T) {
	t.Parallel()
	marks := t.TempDir()
	e := setup(t, map[string]string{"slow.yaml": "dag_id: slow\ntasks:\n  - id: t\n    script: |\n      echo $WEIR_TRY_NUMBER >> " + marks + "/tries\n      if [ ! -e " + marks + "/second ]; then touch " + marks + "/second; sleep 30; fi\n"})
	d, _ := e.srv.Registry().DAG("slow")
	ctx := context.Background()
	r, err := e.srv.Engine().Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.eventually("the task started", func() bool { _, err := os.Stat(filepath.Join(marks, "second")); return err == nil })
	begin := time.Now()
	e.srv.Stop()
	if time.Since(begin) > 15*time.Second {
		t.Errorf("Stop waited for the sleep instead of the grace period")
	}
	ti, _ := e.st.GetTaskInstance(ctx, "slow", r.RunID, "t", -1)
	if ti.State != store.TIUpForRetry || !strings.Contains(ti.Error, "shutdown") {
		t.Fatalf("after stop: %s %q, want up_for_retry after a shutdown", ti.State, ti.Error)
	}
	e.start()
	e.eventually("the run finished after the restart", func() bool {
		run, _ := e.st.GetRun(ctx, "slow", r.RunID)
		return run.State == store.RunSuccess
	})
	b, _ := os.ReadFile(filepath.Join(marks, "tries"))
	if got := strings.Fields(string(b)); len(got) != 2 {
		t.Errorf("tries %v, want two", got)
	}
}
