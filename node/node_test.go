package node_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/server"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

const backfillProducer = `
dag_id: daily_producer
schedule: "@daily"
tasks:
  - id: make
    outlets: ["mem://daily"]
    track: true
    command: ["true"]
`

const backfillConsumer = `
dag_id: daily_consumer
datasets: ["mem://daily"]
tasks:
  - id: use
    command: ["true"]
`

// openStore opens a real SQLite store in home; every call is a new connection pool, as
// another process would have.
func openStore(t *testing.T, home string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func writeDAGs(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Every mode is wired the same: the same task kinds, dataset consumers and tracking.
func TestEveryModeIsWiredTheSame(t *testing.T) {
	t.Parallel()
	dags := writeDAGs(t, map[string]string{"p.yaml": backfillProducer, "c.yaml": backfillConsumer})
	home := t.TempDir()
	st := openStore(t, home)
	var want *node.Wiring
	for _, mode := range []node.Mode{node.ModeRun, node.ModeServer, node.ModeBackfill, node.ModeBench} {
		n, err := node.New(node.Config{Mode: mode, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags, Addr: "127.0.0.1:0",
			GracePeriod: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		w := n.Wiring()
		n.Stop()
		if len(w.Kinds) == 0 || !w.Tracking || len(w.Consumers["mem://daily"]) != 1 {
			t.Fatalf("%s: incomplete wiring %+v", mode, w)
		}
		if want == nil {
			want = &w
			continue
		}
		if !reflect.DeepEqual(w, *want) {
			t.Fatalf("%s is wired differently:\n got %+v\nwant %+v", mode, w, *want)
		}
	}
	for _, k := range []string{"command", "http", "go", "sensor", "branch"} {
		found := false
		for _, have := range want.Kinds {
			found = found || have == k
		}
		if !found {
			t.Errorf("kind %q missing from %v", k, want.Kinds)
		}
	}
}

// A backfill of a producer, in its own process (its own store connections), queues its
// consumers' runs, and a server running on the same store starts them; its tracked task
// is tracked as under `weir run`.
func TestBackfillOfAProducerStartsAServersConsumers(t *testing.T) {
	t.Parallel()
	dags := writeDAGs(t, map[string]string{"p.yaml": backfillProducer, "c.yaml": backfillConsumer})
	home := t.TempDir()
	ctx := context.Background()

	srvStore := openStore(t, home)
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: srvStore, Tracking: srvStore.Tracking(), Home: home,
		DAGsDir: dags, Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	// The server must not schedule the producer itself: only the backfill runs it.
	if err := srvStore.SetPaused(ctx, "daily_producer", true); err != nil {
		t.Fatal(err)
	}

	bfStore := openStore(t, home)
	bf, err := node.New(node.Config{Mode: node.ModeBackfill, Store: bfStore, Tracking: bfStore.Tracking(), Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	if err := bf.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, ok := bf.Registry().DAG("daily_producer")
	if !ok {
		t.Fatal("producer not loaded")
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := server.Backfill(ctx, bf.Engine(), d, from, from.AddDate(0, 0, 1), func(int, int, *store.DAGRun) {}); err != nil {
		t.Fatal(err)
	}
	bf.Stop()

	// The consumer runs on the server: the events reached it through the store.
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, err := srvStore.ListRuns(ctx, store.ListRunsParams{DAGID: "daily_consumer"})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) > 0 && runs[0].State == store.RunSuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful consumer run after the backfill; runs: %d", len(runs))
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The backfill's tracked task opened tracking runs in the DAG's experiment.
	svc := tracking.NewService(srvStore.Tracking(), tracking.ServiceConfig{})
	exp, err := svc.EnsureExperiment(ctx, "daily_producer")
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID}, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	// One parent run per DAG run and one child per tracked try: two backfill runs.
	if len(page.Runs) < 4 {
		t.Fatalf("backfill tracked %d tracking runs, want 2 parents and 2 tries", len(page.Runs))
	}
}

func mustRuns(t *testing.T, st store.Store, dagID string) []*store.DAGRun {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), store.ListRunsParams{DAGID: dagID})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// A run whose owner stops (or dies) while a server runs on the same store is taken over by
// the server within its recovery interval, not left until the server's next start.
func TestServerTakesOverARunLeftByAnotherProcess(t *testing.T) {
	t.Parallel()
	dags := writeDAGs(t, map[string]string{"slow.yaml": `
dag_id: slow
tasks:
  - id: wait
    command: ["sleep", "1"]
    retries: 1
    retry_delay: 0s
  - id: after
    upstream: [wait]
    command: ["true"]
`})
	home := t.TempDir()
	ctx := context.Background()
	srvStore := openStore(t, home)
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: srvStore, Tracking: srvStore.Tracking(), Home: home,
		DAGsDir: dags, Addr: "127.0.0.1:0", RecoverInterval: 100 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	fgStore := openStore(t, home)
	fg, err := node.New(node.Config{Mode: node.ModeRun, Store: fgStore, Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	if err := fg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, _ := fg.Registry().DAG("slow")
	running := make(chan struct{})
	run, err := fg.Engine().Trigger(ctx, d, engineTriggerOptions())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(running)
		for {
			ti, err := fgStore.GetTaskInstance(ctx, "slow", run.RunID, "wait", -1)
			if err == nil && ti.State == store.TIRunning {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	<-running
	fg.Stop() // the foreground process goes away mid-run

	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := srvStore.GetRun(ctx, "slow", run.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == store.RunSuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not take the run over: %s", r.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func engineTriggerOptions() engine.TriggerOptions { return engine.TriggerOptions{} }

// Wait on a run another process executes (here queued for a server) returns it once it
// has ended, not at once with its queued state.
func TestWaitFollowsARunExecutedElsewhere(t *testing.T) {
	t.Parallel()
	dags := writeDAGs(t, map[string]string{"c.yaml": backfillConsumer})
	home := t.TempDir()
	ctx := context.Background()
	srvStore := openStore(t, home)
	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: srvStore, Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", RecoverInterval: 100 * time.Millisecond, TickInterval: 50 * time.Millisecond, GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	fgStore := openStore(t, home)
	fg, err := node.New(node.Config{Mode: node.ModeRun, Store: fgStore, Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	if err := fg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer fg.Stop()
	d, _ := fg.Registry().DAG("daily_consumer")
	run, err := fg.Engine().Trigger(ctx, d, engine.TriggerOptions{Queue: true})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	final, err := fg.Engine().Wait(wctx, run.DAGID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != store.RunSuccess {
		t.Fatalf("Wait returned the run %s", final.State)
	}
}
