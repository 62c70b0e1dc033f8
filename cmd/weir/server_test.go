package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// startServer starts `weir server` on a free port and waits until it listens.
func startServer(t *testing.T, home, dags string, env []string) *exec.Cmd {
	cmd, _ := startServerAddr(t, home, dags, env)
	return cmd
}

// startServerAddr is startServer returning the server's base URL too.
func startServerAddr(t *testing.T, home, dags string, env []string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(weirBin, "server", "--addr", "127.0.0.1:0", "--dags", dags, "--grace-period", "2s", "--log-level", "warn")
	// The tests schedule the example DAGs at once: unpaused at creation unless env says so.
	cmd.Env = append(append(os.Environ(), "WEIR_HOME="+home, "NO_COLOR=1", "WEIR_DAGS_PAUSED_AT_CREATION=false"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Never leave a server behind, whatever the test did.
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.Contains(line, "listening on") {
				f := strings.Fields(line)
				ready <- f[4] // "weir server listening on http://addr (...)"
			}
		}
		ready <- ""
	}()
	select {
	case url := <-ready:
		if url == "" {
			t.Fatal("weir server exited before listening")
		}
		return cmd, url
	case <-time.After(30 * time.Second):
		t.Fatal("weir server did not start")
	}
	return nil, ""
}

// Issue 4: the CLI talks to a server when --server (or WEIR_SERVER) is set.
func TestCLIAgainstServer(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cmd, url := startServerAddr(t, home, "../../examples/dags", nil)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	other := t.TempDir() // a different local home: everything must come from the server
	r := weir(t, other, nil, "dags", "list", "--server", url)
	if r.code != 0 || !strings.Contains(r.stdout, "train_model") {
		t.Fatalf("dags list: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, other, []string{"WEIR_SERVER=" + url}, "run", "pass_outputs", "--param", "greeting=hey", "-q")
	if r.code != 0 || !strings.Contains(r.stdout, "pass_outputs: success") {
		t.Fatalf("run through the server: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, other, nil, "run", "flaky_retry", "--server", url, "-q")
	if r.code != 1 || !strings.Contains(r.stdout, "task broken failed after 3 tries") {
		t.Errorf("failing run through the server: %d\n%s", r.code, r.stdout)
	}
	r = weir(t, other, nil, "runs", "list", "--server", url, "--dag", "pass_outputs", "-o", "json")
	var runs []struct {
		RunID string `json:"dag_run_id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 || runs[0].State != "success" {
		t.Fatalf("runs list: %v %s", err, r.stdout)
	}
	r = weir(t, other, nil, "tasks", "list", runs[0].RunID, "--server", url)
	if r.code != 0 || !strings.Contains(r.stdout, "summarize") {
		t.Errorf("tasks list: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, other, nil, "logs", runs[0].RunID, "announce", "--server", url)
	if r.code != 0 || !strings.Contains(r.stdout, "hey: 8 numbers add up to 31") {
		t.Errorf("logs: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// Issue 12 item 6: clear works through the server: it runs the task again, the CLI follows.
	r = weir(t, other, nil, "clear", runs[0].RunID, "announce", "--server", url, "-q")
	if r.code != 0 || !strings.Contains(r.stdout, "cleared 1 task(s): [announce]") || !strings.Contains(r.stdout, "pass_outputs: success") {
		t.Errorf("clear with --server: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestServerKill9UnderLoad kills `weir server` with SIGKILL at random moments while a
// scheduled producer and a dataset-triggered consumer run, restarting it each time. No
// task instance may run twice at the same time, and no dataset event may be lost: every
// event from a successful publish is consumed by exactly one consumer run or still queued.
func TestServerKill9UnderLoad(t *testing.T) {
	t.Parallel()
	home, marks := t.TempDir(), t.TempDir()
	env := []string{"MARKS=" + marks}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for round := 0; round < 4; round++ {
		cmd := startServer(t, home, "testdata/serverload", env)
		time.Sleep(time.Duration(700+rng.IntN(900)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	// A last start, then a soft stop once every run is finished.
	cmd := startServer(t, home, "testdata/serverload", env)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_ = exec.Command(weirBin, "dags", "pause", "producer", "--dags", "testdata/serverload", "--home", home).Run()
	deadline := time.Now().Add(60 * time.Second)
	for {
		active, _ := st.ListRuns(ctx, store.ListRunsParams{States: []store.RunState{store.RunQueued, store.RunRunning}})
		q, _ := st.ListQueuedEvents(ctx, "consumer")
		if len(active) == 0 && len(q) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs still active after a minute: %d (queued events %d)", len(active), len(q))
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	if b, err := os.ReadFile(filepath.Join(marks, "overlap")); err == nil {
		runs, _ := os.ReadFile(filepath.Join(marks, "runs"))
		t.Errorf("a task instance ran twice at the same time:\n%s\nexecutions:\n%s", b, runs)
	}
	// Every successful publish recorded exactly one event.
	pubs, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: "producer", TaskIDs: []string{"publish"}, States: []store.TIState{store.TISuccess}})
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.ListDatasetEvents(ctx, store.ListEventsParams{URI: "mem://load/features", Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if len(pubs) == 0 {
		t.Fatal("no publish succeeded: the load test did no work")
	}
	if len(events) != len(pubs) {
		t.Errorf("%d successful publishes but %d dataset events", len(pubs), len(events))
	}
	// Every event was consumed by exactly one consumer run.
	consumed := map[int64]string{}
	runs, _ := st.ListRuns(ctx, store.ListRunsParams{DAGID: "consumer", Limit: 100000})
	for _, r := range runs {
		if r.State != store.RunSuccess {
			t.Errorf("consumer run %s ended %s", r.RunID, r.State)
		}
		var evs []struct{ ID int64 }
		_ = json.Unmarshal(r.TriggerEvents, &evs)
		for _, e := range evs {
			if prev, dup := consumed[e.ID]; dup {
				t.Errorf("event %d consumed by two runs: %s and %s", e.ID, prev, r.RunID)
			}
			consumed[e.ID] = r.RunID
		}
	}
	for _, e := range events {
		if _, ok := consumed[e.ID]; !ok {
			t.Errorf("event %d was lost: no consumer run got it and it is not queued", e.ID)
		}
	}
	t.Logf("%d publishes, %d events, %d consumer runs, %d producer runs", len(pubs), len(events), len(runs), len(mustRuns(t, st, "producer")))
}

func mustRuns(t *testing.T, st store.Store, dagID string) []*store.DAGRun {
	runs, err := st.ListRuns(context.Background(), store.ListRunsParams{DAGID: dagID, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// Issue 4's example pair under weir server: ingest_features (scheduled every 10 minutes,
// so its latest interval runs at once) updates the features dataset, and
// train_on_features, scheduled on it, starts by itself after the update; a second update
// (a manual run through `weir run`, sharing the store) starts it again.
func TestExamplePairUnderServer(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	cmd := startServer(t, home, "../../examples/dags", nil)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitRuns := func(n int) []*store.DAGRun {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			runs, _ := st.ListRuns(ctx, store.ListRunsParams{DAGID: "train_on_features"})
			done := 0
			for _, r := range runs {
				if r.State == store.RunSuccess {
					done++
				}
			}
			if done >= n {
				return runs
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("train_on_features did not reach %d successful runs", n)
		return nil
	}
	runs := waitRuns(1)
	if runs[0].RunType != "dataset" || !strings.Contains(string(runs[0].TriggerEvents), "ingest_features") {
		t.Errorf("first consumer run: type %s, events %s", runs[0].RunType, runs[0].TriggerEvents)
	}
	r := weir(t, home, nil, "run", "ingest_features", "--dags", "../../examples/dags", "-q")
	if r.code != 0 {
		t.Fatalf("manual ingest: %d\n%s", r.code, r.stdout)
	}
	waitRuns(2)
}

// Issue 5, "Done when": the npm mlflow client's calls (experiments, runs, metrics, params,
// batches, search, history, artifacts through the proxy) succeed against `weir server`
// itself, not only against the API handler (mlflowapi's own test checks every value).
func TestNPMMLflowClientAgainstWeirServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node, dir := npmClient(t, ctx)
	home := t.TempDir()
	srv, url := startServerAddr(t, home, t.TempDir(), nil)
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	cmd := exec.CommandContext(ctx, node, "client.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEIR_MLFLOW_ENDPOINT="+url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client.js against weir server: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "RESULT ") || !strings.Contains(string(out), `"experiment_name":"npm-experiment"`) {
		t.Errorf("client.js printed no result:\n%s", out)
	}
	// The runs it made are there for the CLI too.
	r := weir(t, home, nil, "experiments", "list")
	if !strings.Contains(r.stdout, "npm-experiment") {
		t.Errorf("experiments list: %s %s", r.stdout, r.stderr)
	}
}

// npmClient installs the npm mlflow client of mlflowapi/testdata/npmclient into a
// temporary folder with `npm ci` and returns node's path and that folder (client.js
// there). A machine without node or npm fails the test with how to install them.
func npmClient(t *testing.T, ctx context.Context) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: apt-get install nodejs (scripts/ensure-deps.sh does)")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed: apt-get install npm (scripts/ensure-deps.sh does)")
	}
	dir = t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.js"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "mlflowapi", "testdata", "npmclient", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	return node, dir
}
