package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/internal/cli"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// The DAGs of the tests: a producer of a dataset with a number param, and its consumer.
const (
	producerDAG = `dag_id: produce
params:
  threshold: {type: number, default: 0.9, minimum: 0, maximum: 1}
tasks:
  - id: make
    outlets: ["file:///data/features"]
    script: echo "threshold is {{ params.threshold }}"
`
	// gateDAG's task writes a line, waits for the file its param names, writes another.
	gateDAG = `dag_id: gate
params:
  gate: {type: string}
tasks:
  - id: wait
    script: |
      echo first
      while [ ! -f "{{ params.gate }}" ]; do sleep 0.02; done
      echo second
`
	dailyDAG = `dag_id: daily
schedule: "@daily"
tasks:
  - id: day
    script: echo "{{ ds }}"
`
	consumerDAG = `dag_id: consume
datasets: ["file:///data/features"]
tasks:
  - id: use
    script: echo used
`
)

// result is what one CLI invocation printed.
type result struct {
	code           int
	stdout, stderr string
}

// weir runs the command line in this process.
func weir(t *testing.T, home, dags string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"--home", home, "--dags", dags}, args...)
	code := cli.Main(context.Background(), all, cli.Options{Stdout: &out, Stderr: &errOut})
	return result{code, out.String(), errOut.String()}
}

// fixture is a store with DAG runs, datasets, pools, tracking runs and registered models,
// served by a server on loopback.
type fixture struct {
	home, dags, url string
	runA, runB      string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	t.Setenv("WEIR_SERVER", "")
	t.Setenv("NO_COLOR", "1")
	ctx := context.Background()
	home := t.TempDir()
	dags := t.TempDir()
	for name, body := range map[string]string{"produce.yaml": producerDAG, "consume.yaml": consumerDAG, "gate.yaml": gateDAG, "daily.yaml": dailyDAG} {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A local run first: it leaves a DAG run, a dataset event and a log.
	if r := weir(t, home, dags, "run", "produce", "--run-id", "r1", "-q"); r.code != 0 {
		t.Fatalf("weir run produce: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, home, dags, "run", "consume", "--run-id", "c1", "-q"); r.code != 0 {
		t.Fatalf("weir run consume: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := weir(t, home, dags, "pools", "set", "gpu", "2", "--description", "the GPUs"); r.code != 0 {
		t.Fatalf("pools set: %s", r.stderr)
	}

	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	expID, err := svc.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "produce"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{home: home, dags: dags}
	for i, r2 := range []float64{0.81, 0.93} {
		run, err := svc.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: expID, RunName: []string{"first", "second"}[i],
			StartTime: int64(1_790_000_000_000 + i*1000), Tags: []tracking.Tag{
				{Key: tracking.TagDAGID, Value: "produce"}, {Key: tracking.TagDAGRunID, Value: "r1"},
				{Key: tracking.TagTaskID, Value: "make"}, {Key: tracking.TagTryNumber, Value: "1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.LogBatch(ctx, tracking.LogBatchParams{RunID: run.Info.RunID,
			Metrics: []tracking.Metric{{Key: "r2", Value: r2, Timestamp: 1, Step: 3}, {Key: "rmse", Value: 1 - r2, Timestamp: 1}},
			Params:  []tracking.Param{{Key: "alpha", Value: []string{"0.1", "10"}[i]}}}); err != nil {
			t.Fatal(err)
		}
		done, end := tracking.RunFinished, int64(1_790_000_005_000+i*1000)
		if _, err := svc.UpdateRun(ctx, tracking.UpdateRunParams{RunID: run.Info.RunID, Status: &done, EndTime: &end}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.runA = run.Info.RunID
		} else {
			f.runB = run.Info.RunID
		}
	}
	if _, err := svc.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: "scorer", Description: "scores"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.runA, f.runB} {
		if _, err := svc.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: "scorer", Source: "runs:/" + id + "/model", RunID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.SetRegisteredModelAlias(ctx, "scorer", "champion", "2"); err != nil {
		t.Fatal(err)
	}

	// A deployment with a labelled prediction log, for weir deployments compare.
	if err := st.PutDeployment(ctx, &store.Deployment{Name: "scorer", Model: "models:/scorer@champion",
		Canary: "models:/scorer/1", CanaryWeight: 10}); err != nil {
		t.Fatal(err)
	}
	var preds []*store.Prediction
	for i := range 20 {
		v := []string{"2", "1"}[min(i%10, 1)^1]
		preds = append(preds, &store.Prediction{ID: fmt.Sprintf("p%02d", i), Endpoint: "scorer", ModelName: "scorer",
			ModelVersion: v, Output: json.RawMessage(fmt.Sprintf(`{"predictions":[%d]}`, i)), LatencyMicros: int64(100 + i),
			Time: time.Date(2026, 12, 1, 10, 0, i, 0, time.UTC)})
	}
	if err := st.InsertPredictions(ctx, preds); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 30, 0, time.UTC)
	if err := st.PutServeErrors(ctx, []*store.ServeErrorCount{
		{Endpoint: "scorer", Minute: at, Writer: "w", ModelName: "scorer", ModelVersion: "2", Class: store.ServeError4xx, Count: 2, LastStatus: 400, LastMessage: "malformed JSON", LastAt: at},
		{Endpoint: "scorer", Minute: at, Writer: "w", Class: store.ServeError5xx, Count: 1, LastStatus: 503, LastMessage: "not ready", LastAt: at},
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := st.SetPredictionLabel(ctx, fmt.Sprintf("p%02d", i), json.RawMessage(fmt.Sprint(i+i%3)), time.Now()); err != nil {
			t.Fatal(err)
		}
	}

	srv, err := node.New(node.Config{Mode: node.ModeServer, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags,
		Addr: "127.0.0.1:0", TickInterval: 50 * time.Millisecond, GracePeriod: time.Second, DAGsPausedAtCreation: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	f.url = "http://" + srv.Addr()
	return f
}

// Issue 12 item 6: every listing prints the same table locally and through a server, in
// the same order, from one store.
func TestLocalAndRemoteOutputsAreTheSame(t *testing.T) {
	f := newFixture(t)
	other := t.TempDir() // the remote side's home: everything must come from the server
	for _, args := range [][]string{
		{"dags", "list"},
		{"experiments", "list"},
		{"mlruns", "list", "produce"},
		{"mlruns", "list", "produce", "--filter", "metrics.r2 > 0.9"},
		{"mlruns", "list", "produce", "--order-by", "metrics.r2 DESC"},
		{"mlruns", "show", f.runA},
		{"mlruns", "compare", f.runA, f.runB},
		{"models", "list"},
		{"models", "versions", "scorer"},
		{"lineage", "models:/scorer/1"},
		{"lineage", "models:/scorer@champion"},
		{"datasets", "list"},
		{"datasets", "events"},
		{"pools", "list"},
		{"runs", "list"},
		{"runs", "list", "--dag", "produce"},
		{"runs", "list", "--state", "success", "--limit", "1"},
		{"tasks", "list", "r1"},
		{"logs", "r1", "make"},
		{"deployments", "compare", "scorer"},
		{"deployments", "compare", "scorer", "--since", "2026-12-01T10:00:10Z"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			local := weir(t, f.home, f.dags, args...)
			remote := weir(t, other, f.dags, append(args, "--server", f.url)...)
			if local.code != 0 || remote.code != 0 {
				t.Fatalf("exit codes: local %d, remote %d\nlocal stderr: %s\nremote stderr: %s", local.code, remote.code, local.stderr, remote.stderr)
			}
			if local.stdout != remote.stdout {
				t.Fatalf("local and remote differ\n--- local\n%s--- remote\n%s", local.stdout, remote.stdout)
			}
			if strings.Count(local.stdout, "\n") < 1 {
				t.Fatalf("nothing printed: %q", local.stdout)
			}
			if args[0] == "lineage" || args[0] == "logs" {
				return // not tables
			}
			// -q: the same rows without the header, both ways.
			header := strings.SplitN(local.stdout, "\n", 2)[0]
			localQ := weir(t, f.home, f.dags, append(args, "-q")...)
			remoteQ := weir(t, other, f.dags, append(args, "-q", "--server", f.url)...)
			if localQ.code != 0 || remoteQ.code != 0 || localQ.stdout != remoteQ.stdout {
				t.Fatalf("-q: local %d %q %s, remote %d %q %s", localQ.code, localQ.stdout, localQ.stderr, remoteQ.code, remoteQ.stdout, remoteQ.stderr)
			}
			if strings.Contains(localQ.stdout, header) || localQ.stdout == "" {
				t.Fatalf("-q printed the header %q, or nothing:\n%s", header, localQ.stdout)
			}
		})
	}
}

// Issue 12 item 6: changes through a server land in its store, as they do locally.
func TestRemoteChanges(t *testing.T) {
	f := newFixture(t)
	other := t.TempDir()
	remote := func(args ...string) result {
		t.Helper()
		r := weir(t, other, f.dags, append(args, "--server", f.url)...)
		if r.code != 0 {
			t.Fatalf("weir %s: %d\n%s\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r
	}
	remote("pools", "set", "cpu", "4", "--description", "CPUs")
	remote("pools", "set", "gpu", "3")
	if r := weir(t, f.home, f.dags, "pools", "list"); !strings.Contains(r.stdout, "cpu") || !strings.Contains(r.stdout, "gpu           3") && !strings.Contains(r.stdout, "gpu  ") {
		t.Fatalf("pools set through the server did not reach the store:\n%s", r.stdout)
	}
	remote("pools", "delete", "cpu")
	if r := weir(t, other, f.dags, "pools", "delete", "cpu", "--server", f.url); r.code == 0 || !strings.Contains(r.stderr, `no pool "cpu"`) {
		t.Fatalf("deleting a missing pool: %d %s", r.code, r.stderr)
	}
	remote("models", "alias", "set", "scorer", "challenger", "v1")
	if r := weir(t, f.home, f.dags, "models", "list"); !strings.Contains(r.stdout, "challenger→v1") {
		t.Fatalf("alias set through the server is not in the store:\n%s", r.stdout)
	}
	remote("models", "alias", "delete", "scorer", "challenger")
	if r := weir(t, f.home, f.dags, "models", "list"); strings.Contains(r.stdout, "challenger") {
		t.Fatalf("alias deleted through the server is still in the store:\n%s", r.stdout)
	}
	if r := weir(t, other, f.dags, "mlruns", "list", "nope", "--server", f.url); r.code == 0 || !strings.Contains(r.stderr, `experiment "nope"`) {
		t.Fatalf("a missing experiment: %d %s", r.code, r.stderr)
	}
	// Clear through the server: the server runs the task again, the CLI follows it.
	r := remote("clear", "r1", "make", "-q")
	if !strings.Contains(r.stdout, "cleared 1 task(s): [make]") || !strings.Contains(r.stdout, "run r1 of produce: success") {
		t.Fatalf("clear through the server:\n%s", r.stdout)
	}
	if r := weir(t, f.home, f.dags, "tasks", "list", "r1"); !strings.Contains(r.stdout, "2/") {
		t.Fatalf("the cleared task did not run again (try 2):\n%s", r.stdout)
	}
}

// Issue 12 item 6: `--param threshold=0.5` is coerced to the param's type through a server
// as it is locally.
func TestRemoteParamIsCoercedAsLocally(t *testing.T) {
	f := newFixture(t)
	other := t.TempDir()
	r := weir(t, other, f.dags, "run", "produce", "--param", "threshold=0.5", "--run-id", "p1", "-q", "--server", f.url)
	if r.code != 0 {
		t.Fatalf("remote run with --param threshold=0.5: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	log := weir(t, other, f.dags, "logs", "p1", "make", "--server", f.url)
	if !strings.Contains(log.stdout, "threshold is 0.5") {
		t.Fatalf("the task did not see threshold 0.5:\n%s", log.stdout)
	}
	local := weir(t, f.home, f.dags, "run", "produce", "--param", "threshold=0.5", "--run-id", "p2", "-q")
	if local.code != 0 {
		t.Fatalf("local run: %s", local.stderr)
	}
	// A value the schema rejects is refused on both paths, naming the param.
	for _, home := range []string{f.home, other} {
		args := []string{"run", "produce", "--param", "threshold=2"}
		if home == other {
			args = append(args, "--server", f.url)
		}
		if r := weir(t, home, f.dags, args...); r.code == 0 || !strings.Contains(r.stderr, "threshold") {
			t.Fatalf("threshold=2 (maximum 1) accepted or unnamed: %d %s", r.code, r.stderr)
		}
	}
	if r := weir(t, other, f.dags, "run", "produce", "--param", "treshold=0.5", "--server", f.url); r.code == 0 || !strings.Contains(r.stderr, "unknown param") {
		t.Fatalf("an unknown param through the server: %d %s", r.code, r.stderr)
	}
	// weir dags trigger too.
	if r := weir(t, other, f.dags, "dags", "trigger", "produce", "--param", "threshold=0.25", "--run-id", "t1", "--server", f.url); r.code != 0 {
		t.Fatalf("dags trigger --param threshold=0.25 through the server: %d %s", r.code, r.stderr)
	}
	c, err := client.New(f.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.GetRun(context.Background(), "produce", "t1")
	if err != nil || !strings.Contains(string(run.Params), `"threshold":0.25`) {
		t.Fatalf("the triggered run's params: %v %s", err, run.Params)
	}
}

// gated runs the command line with stdout on a pipe, releases the gate (creates the file)
// at the first line release accepts, and returns what the command printed and its exit
// code.
func gated(t *testing.T, gate string, release func(line string) bool, o cli.Options, args ...string) (string, result) {
	t.Helper()
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	o.Stdout, o.Stderr = pw, &errOut
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(context.Background(), args, o)
		pw.Close()
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	released := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if !released && release(sc.Text()) {
			released = true
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	code := <-done
	if !released {
		t.Errorf("the gate was never released; output:\n%s", out.String())
	}
	return out.String(), result{code: code, stderr: errOut.String()}
}

// followLog runs `weir logs RUN wait --follow` (args add --server) and releases the gate
// once the first line is printed.
func followLog(t *testing.T, home, dags, runID, gate string, args ...string) (string, result) {
	t.Helper()
	all := append([]string{"--home", home, "--dags", dags, "logs", runID, "wait", "--follow"}, args...)
	return gated(t, gate, func(l string) bool { return l == "first" }, cli.Options{}, all...)
}

// Issue 12 item 6: `weir logs --follow` prints a running try's log until it ends, locally
// and through a server.
func TestLogsFollow(t *testing.T) {
	f := newFixture(t)
	t.Run("local", func(t *testing.T) {
		gate := filepath.Join(t.TempDir(), "gate")
		ran := make(chan result, 1)
		go func() { ran <- weir(t, f.home, f.dags, "run", "gate", "--param", "gate="+gate, "--run-id", "l1", "-q") }()
		// The run exists once its task has started: wait for the log to exist.
		waitFor(t, func() bool {
			_, err := os.Stat(filepath.Join(f.home, "logs", "gate"))
			return err == nil
		})
		out, r := followLog(t, f.home, f.dags, "l1", gate)
		if r.code != 0 || !strings.Contains(out, "\nfirst\nsecond\n") || !strings.Contains(r.stderr, "try 1 of wait ended: success") {
			t.Fatalf("logs --follow: %d %q %s", r.code, out, r.stderr)
		}
		if r := <-ran; r.code != 0 {
			t.Fatalf("the run: %d %s", r.code, r.stderr)
		}
	})
	t.Run("remote", func(t *testing.T) {
		gate := filepath.Join(t.TempDir(), "gate")
		c, err := client.New(f.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Trigger(context.Background(), "gate", client.TriggerRequest{DAGRunID: "s1", Params: map[string]any{"gate": gate}}); err != nil {
			t.Fatal(err)
		}
		out, r := followLog(t, t.TempDir(), f.dags, "s1", gate, "--server", f.url)
		if r.code != 0 || !strings.Contains(out, "\nfirst\nsecond\n") || !strings.Contains(r.stderr, "try 1 of wait ended: success") {
			t.Fatalf("logs --follow --server: %d %q %s", r.code, out, r.stderr)
		}
	})
}

// waitFor polls cond (a condition on files the code under test writes) until it holds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Issue 12 item 6: a long task in `weir run` shows it is alive — its elapsed time and the
// last line of its log, every AliveEvery — locally and through a server, not on a TTY.
func TestRunShowsLongTasksAreAlive(t *testing.T) {
	f := newFixture(t)
	alive := func(l string) bool {
		return strings.Contains(l, "… wait") && strings.Contains(l, "running for") && strings.HasSuffix(l, "│ first")
	}
	o := cli.Options{AliveEvery: 50 * time.Millisecond}
	for _, remote := range []bool{false, true} {
		gate := filepath.Join(t.TempDir(), "gate")
		args := []string{"--home", f.home, "--dags", f.dags, "run", "gate", "--param", "gate=" + gate}
		if remote {
			args = append(args, "--server", f.url)
		}
		out, r := gated(t, gate, alive, o, args...)
		if r.code != 0 || !strings.Contains(out, "success") {
			t.Fatalf("remote %v: %d\n%s\n%s", remote, r.code, out, r.stderr)
		}
	}
	// -q stays quiet.
	gate := filepath.Join(t.TempDir(), "gate")
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := cli.Main(context.Background(), []string{"--home", f.home, "--dags", f.dags, "run", "gate", "-q", "--param", "gate=" + gate},
		cli.Options{Stdout: &out, Stderr: io.Discard, AliveEvery: time.Millisecond}); code != 0 || strings.Contains(out.String(), "running for") {
		t.Fatalf("-q: %d\n%s", code, out.String())
	}
}

// Issue 12 item 6: `weir backfill --server` runs the backfill on the server and prints the
// table the local backfill prints (which, run after it, finds every interval done).
func TestRemoteBackfill(t *testing.T) {
	f := newFixture(t)
	args := []string{"backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03"}
	remote := weir(t, t.TempDir(), f.dags, append(args, "--server", f.url)...)
	if remote.code != 0 || strings.Count(remote.stdout, "success") != 3 || !strings.Contains(remote.stdout, "backfill__2026-01-02T00:00:00Z") {
		t.Fatalf("remote backfill: %d\n%s\n%s", remote.code, remote.stdout, remote.stderr)
	}
	local := weir(t, f.home, f.dags, args...)
	if local.code != 0 || local.stdout != remote.stdout {
		t.Fatalf("local and remote backfill differ\n--- local (%d)\n%s%s--- remote\n%s", local.code, local.stdout, local.stderr, remote.stdout)
	}
	if r := weir(t, t.TempDir(), f.dags, "backfill", "produce", "--from", "2026-01-01", "--to", "2026-01-02", "--server", f.url); r.code == 0 || !strings.Contains(r.stderr, "no schedule") {
		t.Fatalf("backfill of an unscheduled DAG through the server: %d %s", r.code, r.stderr)
	}
}

// client.LogFrom returns what a log has past an offset (a Range request on the real server).
func TestLogFrom(t *testing.T) {
	f := newFixture(t)
	c, err := client.New(f.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	full, err := c.Log(ctx, "produce", "r1", "make", -1, 1)
	if err != nil || len(full) < 10 {
		t.Fatalf("log: %v %q", err, full)
	}
	part, err := c.LogFrom(ctx, "produce", "r1", "make", -1, 1, 7)
	if err != nil || string(part) != string(full[7:]) {
		t.Fatalf("from 7: %v %q, want %q", err, part, full[7:])
	}
	if tail, err := c.LogFrom(ctx, "produce", "r1", "make", -1, 1, -5); err != nil || string(tail) != string(full[len(full)-5:]) {
		t.Fatalf("the last 5 bytes: %v %q, want %q", err, tail, full[len(full)-5:])
	}
	if all, err := c.LogFrom(ctx, "produce", "r1", "make", -1, 1, -int64(len(full))-100); err != nil || string(all) != string(full) {
		t.Fatalf("more than the log from the end: %v %q", err, all)
	}
	for _, off := range []int64{int64(len(full)), int64(len(full)) + 10} {
		if rest, err := c.LogFrom(ctx, "produce", "r1", "make", -1, 1, off); err != nil || len(rest) != 0 {
			t.Fatalf("from %d (the end): %v %q", off, err, rest)
		}
	}
}

// The progress lines of `weir run --server` are a local run's (from the states seen).
func TestRemoteRunProgressLines(t *testing.T) {
	f := newFixture(t)
	for _, remote := range []bool{false, true} {
		args := []string{"run", "produce"}
		home := f.home
		if remote {
			args, home = append(args, "--server", f.url), t.TempDir()
		}
		r := weir(t, home, f.dags, args...)
		if r.code != 0 || !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3}  ✓ make +success in `).MatchString(r.stdout) {
			t.Fatalf("remote %v: %d\n%s\n%s", remote, r.code, r.stdout, r.stderr)
		}
	}
}

// A run ID two DAGs have asks for --dag, locally and through a server, naming both DAGs.
func TestAmbiguousRunID(t *testing.T) {
	f := newFixture(t)
	if r := weir(t, f.home, f.dags, "run", "consume", "--run-id", "r1", "-q"); r.code != 0 {
		t.Fatalf("run consume r1: %s", r.stderr)
	}
	for _, remote := range []bool{false, true} {
		args, home := []string{"tasks", "list", "r1"}, f.home
		if remote {
			args, home = append(args, "--server", f.url), t.TempDir()
		}
		if r := weir(t, home, f.dags, args...); r.code == 0 || !strings.Contains(r.stderr, "consume, produce") && !strings.Contains(r.stderr, "produce, consume") || !strings.Contains(r.stderr, "pass --dag") {
			t.Fatalf("remote %v: ambiguous r1: %d %s", remote, r.code, r.stderr)
		}
		if r := weir(t, home, f.dags, append(args, "--dag", "consume")...); r.code != 0 || !strings.Contains(r.stdout, "use") {
			t.Fatalf("remote %v: r1 of consume: %d %s %s", remote, r.code, r.stdout, r.stderr)
		}
	}
}
