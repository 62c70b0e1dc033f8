package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// weirBin and sdkBin are built once for every test.
var weirBin, sdkBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "weir-bin-")
	if err != nil {
		panic(err)
	}
	weirBin = filepath.Join(dir, "weir")
	sdkBin = filepath.Join(dir, "sdk-pipeline")
	for bin, pkg := range map[string]string{weirBin: ".", sdkBin: "../../examples/sdk-pipeline"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is a finished weir command.
type result struct {
	code           int
	stdout, stderr string
}

// weir runs the binary with a home folder and extra environment.
func weir(t *testing.T, home string, env []string, args ...string) result {
	t.Helper()
	return runBin(t, weirBin, home, env, args...)
}

func runBin(t *testing.T, bin, home string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append(os.Environ(), "WEIR_HOME="+home, "NO_COLOR=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestExamplePipelinesRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dag      string
		code     int
		contains []string
	}{
		{"train_model", 0, []string{"train_model: success", "evaluate", "deploy"}},
		{"pass_outputs", 0, []string{"pass_outputs: success", "check"}},
		{"flaky_retry", 1, []string{"flaky_retry: failed", "task broken failed after 3 tries", "connection refused", "publish", "upstream_failed"}},
		{"quality_workspace", 0, []string{"quality_workspace: success", "remove_workspace"}},
		{"hyperparameter_search", 0, []string{"hyperparameter_search: success", "tune.evaluate[4 alpha=1000]", "pick_best"}},
		{"deploy_best", 0, []string{"deploy_best: success", "skipped by branch decide (chose deploy)"}},
		{"model_search", 0, []string{"model_search: success", "search[3 alpha=10]", "select_halving"}},
	} {
		t.Run(tc.dag, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			r := weir(t, home, nil, "run", tc.dag, "--dags", "../../examples/dags")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, r.stdout)
				}
			}
		})
	}
}

func TestTrainModelOutputsAndSkip(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	// An impossible threshold: deploy skips itself (exit 99), report still runs, run succeeds.
	r := weir(t, home, nil, "run", "train_model", "--dags", "../../examples/dags", "--param", "min_r2=1", "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tis := listTasks(t, home, lastRun(t, home))
	if tis["deploy"].State != "skipped" || tis["report"].State != "success" {
		t.Errorf("deploy %s, report %s; want skipped, success", tis["deploy"].State, tis["report"].State)
	}
	var ev struct{ R2 float64 }
	if err := json.Unmarshal(tis["evaluate"].Output, &ev); err != nil || ev.R2 < 0.9 {
		t.Errorf("evaluate output %s: want R² ≥ 0.9 on this data", tis["evaluate"].Output)
	}
	// A param that breaks its schema is refused before any run is created.
	r = weir(t, home, nil, "run", "train_model", "--dags", "../../examples/dags", "--param", "rows=lots")
	if r.code != 1 || !strings.Contains(r.stderr, "rows") {
		t.Errorf("bad param: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestSDKExample(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := runBin(t, sdkBin, home, nil, "run", "sdk_pipeline", "--dags", filepath.Join(home, "none"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tis := listTasks(t, home, lastRun(t, home))
	var gate struct {
		Approved bool
		R2       float64
	}
	if err := json.Unmarshal(tis["gate"].Output, &gate); err != nil || !gate.Approved || gate.R2 < 0.9 {
		t.Errorf("gate output %s", tis["gate"].Output)
	}
	r = runBin(t, sdkBin, home, nil, "dags", "show", "sdk_pipeline", "--dags", filepath.Join(home, "none"))
	if r.code != 0 || !strings.Contains(r.stdout, "gate") {
		t.Errorf("dags show: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

type tiRow struct {
	TaskID    string          `json:"task_id"`
	State     string          `json:"state"`
	TryNumber int             `json:"try_number"`
	Output    json.RawMessage `json:"output"`
	Error     string          `json:"error"`
}

func lastRun(t *testing.T, home string) string {
	t.Helper()
	r := weir(t, home, nil, "runs", "list", "--output", "json")
	var runs []struct {
		RunID string `json:"dag_run_id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) == 0 {
		t.Fatalf("runs list: %v %q", err, r.stdout)
	}
	return runs[0].RunID
}

func listTasks(t *testing.T, home, runID string) map[string]tiRow {
	t.Helper()
	r := weir(t, home, nil, "tasks", "list", runID, "--output", "json")
	var rows []tiRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("tasks list: %v %q %q", err, r.stdout, r.stderr)
	}
	m := map[string]tiRow{}
	for _, row := range rows {
		m[row.TaskID] = row
	}
	return m
}

func TestLogsAndClear(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := weir(t, home, nil, "run", "flaky_retry", "--dags", "../../examples/dags", "--quiet")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	run := lastRun(t, home)
	logs := weir(t, home, nil, "logs", run, "flaky", "--try", "1")
	if !strings.Contains(logs.stdout, "transient error") {
		t.Errorf("try 1 log: %q", logs.stdout)
	}
	logs = weir(t, home, nil, "logs", run, "broken", "--try", "9")
	if logs.code == 0 || !strings.Contains(logs.stderr, "3 tries") {
		t.Errorf("logs of a missing try: %d %q", logs.code, logs.stderr)
	}
	// Clearing the failed tasks reruns them; broken fails again and the run stays failed,
	// while flaky (a success) is not cleared and keeps its two tries.
	r = weir(t, home, nil, "clear", run, "--failed", "--quiet")
	if r.code != 1 || !strings.Contains(r.stdout, "cleared 2 task(s)") {
		t.Errorf("clear --failed: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tis := listTasks(t, home, run)
	if tis["broken"].TryNumber != 6 || tis["flaky"].TryNumber != 2 {
		t.Errorf("after clear: broken tries %d (want 6), flaky tries %d (want 2)", tis["broken"].TryNumber, tis["flaky"].TryNumber)
	}
}

func TestValidateReportsEveryError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"syntax.yaml":   "dag_id: syntax\ntasks:\n  - id: a\n    command: [echo\n",
		"cycle.yaml":    "dag_id: cycle\ntasks:\n  - id: a\n    command: [echo]\n    upstream: [b]\n  - id: b\n    command: [echo]\n    upstream: [a]\n",
		"unknown.yaml":  "dag_id: unknown\ntasks:\n  - id: a\n    command: [echo]\n    upsteam: [b]\n",
		"rule.yaml":     "dag_id: rule\ntasks:\n  - id: a\n    command: [echo]\n  - id: b\n    command: [echo]\n    upstream: [a]\n    trigger_rule: all_good\n",
		"missing.yaml":  "dag_id: missing\ntasks:\n  - id: a\n    command: [echo]\n    upstream: [nope]\n",
		"dup.yaml":      "dag_id: dup\ntasks:\n  - id: a\n    command: [echo]\n  - id: a\n    command: [echo]\n",
		"template.yaml": "dag_id: template\ntasks:\n  - id: a\n    command: [echo, \"{{ params.nope }}\"]\n",
		"good.yaml":     "dag_id: good\ntasks:\n  - id: a\n    command: [echo]\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := weir(t, t.TempDir(), nil, "dags", "validate", "--dags", dir)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"syntax.yaml:", "cycle.yaml:", "cycle", "unknown.yaml:5:", "upsteam", "rule.yaml:8:", "all_good", "missing.yaml:5:", "nope", "dup.yaml:5:", "template.yaml:4:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("validate output lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "1 DAG(s) valid") {
		t.Errorf("validate should count the good DAG:\n%s", r.stderr)
	}
}

// startWeir starts `weir run` in the background.
func startWeir(t *testing.T, home string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(weirBin, args...)
	cmd.Env = append(append(os.Environ(), "WEIR_HOME="+home, "NO_COLOR=1"), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if testing.Verbose() {
		cmd.Stdout = os.Stdout
	} else {
		cmd.Stdout = nil
		cmd.Stderr = nil
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // never leave a weir behind, whatever the test did
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.Fields(string(b))
}

// TestKill9ThenResume kills `weir run` with SIGKILL while a task runs, then resumes: the
// running task counts as a failed try and is retried, its orphaned process group is killed,
// and the finished task does not run again.
func TestKill9ThenResume(t *testing.T) {
	t.Parallel()
	home, marks := t.TempDir(), t.TempDir()
	env := []string{"MARKS=" + marks}
	cmd := startWeir(t, home, env, "run", "crash", "--dags", "testdata/crash")
	child := strings.TrimSpace(waitFile(t, filepath.Join(marks, "slow.child")))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	childPID, _ := strconv.Atoi(child)
	if syscall.Kill(childPID, 0) != nil {
		t.Fatalf("the task's child should outlive weir's kill -9 (it is in its own process group)")
	}

	// The store holds the run as running, owned by the dead process.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: "crash"})
	if err != nil || len(runs) != 1 || runs[0].State != store.RunRunning {
		t.Fatalf("runs after kill: %+v %v", runs, err)
	}
	ti, err := st.GetTaskInstance(ctx, "crash", runs[0].RunID, "slow", -1)
	st.Close()
	if err != nil || ti.State != store.TIRunning {
		t.Fatalf("slow after kill: %+v %v", ti, err)
	}

	r := weir(t, home, env, "run", "--resume", runs[0].RunID)
	if r.code != 0 {
		t.Fatalf("resume exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "slow was running (try 1)") || !strings.Contains(r.stdout, "orphaned process group was killed") {
		t.Errorf("resume output does not report the recovery:\n%s", r.stdout)
	}
	if got := lines(t, filepath.Join(marks, "first")); len(got) != 1 {
		t.Errorf("first ran %d times, want 1", len(got))
	}
	if got := strings.Join(lines(t, filepath.Join(marks, "slow")), ","); got != "1,2" {
		t.Errorf("slow tries %s, want 1,2", got)
	}
	if got := strings.Join(lines(t, filepath.Join(marks, "last")), ","); got != "1" {
		t.Errorf("last ran with %q, want one run reading first's output 1", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(childPID) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(childPID) {
		t.Errorf("the orphaned sleep (pid %d) still runs after resume", childPID)
	}
	// A second resume has nothing to do.
	r = weir(t, home, env, "run", "--resume", runs[0].RunID)
	if r.code != 1 || !strings.Contains(r.stderr, "already finished") {
		t.Errorf("second resume: %d %q", r.code, r.stderr)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z")
}

// TestRandomKill9sLoseNothing kills `weir run` at random moments, resuming each time, until
// the run succeeds: every task succeeds, no task ran more tries than recorded, and tries
// that finished were never run again.
func TestRandomKill9sLoseNothing(t *testing.T) {
	t.Parallel()
	home, marks := t.TempDir(), t.TempDir()
	env := []string{"MARKS=" + marks}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	first := []string{"run", "many", "--dags", "testdata/crash", "--run-id", "chaos"}
	args := first
	for kill := 0; kill < 3; kill++ {
		cmd := startWeir(t, home, env, args...)
		time.Sleep(time.Duration(150+rng.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if strings.Contains(weir(t, home, nil, "runs", "list", "--output", "json").stdout, `"chaos"`) {
			args = []string{"run", "--resume", "chaos"}
		}
	}
	r := weir(t, home, env, args...)
	if r.code != 0 && !strings.Contains(r.stderr, "already finished") {
		t.Fatalf("final resume: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tis := listTasks(t, home, "chaos")
	if len(tis) != 40 {
		t.Fatalf("%d task instances, want 40", len(tis))
	}
	for id, ti := range tis {
		if ti.State != "success" {
			t.Errorf("%s: %s", id, ti.State)
		}
		// A try may be recorded and never start (killed between the commit and the exec),
		// but no try may run twice, and the last execution is the successful final try.
		runs := lines(t, filepath.Join(marks, id))
		prev := 0
		for _, s := range runs {
			n, _ := strconv.Atoi(s)
			if n <= prev {
				t.Errorf("%s executions %v: a try number ran twice or out of order", id, runs)
				break
			}
			prev = n
		}
		if prev != ti.TryNumber {
			t.Errorf("%s: last execution was try %d, the store records %d tries (%v)", id, prev, ti.TryNumber, runs)
		}
	}
}

// The variants, in the states Airflow would give: the work fails and the teardown
// still runs (the run fails); below the threshold, deploy is skipped and the run succeeds.
func TestExampleVariants(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := weir(t, home, nil, "run", "quality_workspace", "--dags", "../../examples/dags", "-q", "--param", "inject_bad=true")
	if r.code != 1 {
		t.Fatalf("quality_workspace with bad rows: exit %d\n%s", r.code, r.stdout)
	}
	tis := listTasks(t, home, lastRun(t, home))
	if tis["quality_check"].State != "failed" || tis["remove_workspace"].State != "success" {
		t.Errorf("quality_check %s, remove_workspace %s; want failed, success", tis["quality_check"].State, tis["remove_workspace"].State)
	}
	var ws struct{ Dir string }
	_ = json.Unmarshal(tis["create_workspace"].Output, &ws)
	if _, err := os.Stat(ws.Dir); ws.Dir == "" || err == nil {
		t.Errorf("the workspace %q was not removed", ws.Dir)
	}
	r = weir(t, home, nil, "run", "deploy_best", "--dags", "../../examples/dags", "-q", "--param", "threshold=0.999")
	if r.code != 0 {
		t.Fatalf("deploy_best below the threshold: exit %d\n%s", r.code, r.stdout)
	}
	tis = listTasks(t, home, lastRun(t, home))
	if tis["deploy"].State != "skipped" || tis["notify"].State != "success" || tis["report"].State != "success" {
		t.Errorf("deploy %s, notify %s, report %s", tis["deploy"].State, tis["notify"].State, tis["report"].State)
	}
}

// Issue 4's sensors from the binary: a file sensor in reschedule mode holds no slot while
// it waits (with --parallelism 1 the task that creates the file can run), then its
// downstream runs; a sensor whose file never comes times out and soft-fails to skipped.
func TestSensorsInWeirRun(t *testing.T) {
	t.Parallel()
	dir, home := t.TempDir(), t.TempDir()
	body := `dag_id: sensing
tasks:
  - id: wait
    sensor: {type: file, path: "` + dir + `/ready", mode: reschedule, poke_interval: 100ms, timeout: 30s}
  - id: make
    script: sleep 0.3 && touch ` + dir + `/ready
  - id: after
    upstream: [wait]
    command: [echo, found it]
  - id: never
    sensor: {type: file, path: "` + dir + `/never", poke_interval: 100ms, timeout: 500ms, soft_fail: true}
`
	if err := os.WriteFile(filepath.Join(dir, "sensing.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := weir(t, home, nil, "run", "sensing", "--dags", dir, "--parallelism", "1", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	tis := listTasks(t, home, lastRun(t, home))
	if tis["wait"].State != "success" || tis["wait"].TryNumber != 1 || tis["after"].State != "success" || tis["never"].State != "skipped" {
		t.Errorf("wait %s (try %d), after %s, never %s", tis["wait"].State, tis["wait"].TryNumber, tis["after"].State, tis["never"].State)
	}
}

// Issue 5: a tracked example DAG shows its tracking runs, metrics and a registered model
// version, with lineage back to its DAG run; the CLI filters runs with MLflow's grammar.
func TestTrackedExampleAndLineage(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := weir(t, home, nil, "run", "tracked_training", "--dags", "../../examples/dags", "-q")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	runID := lastRun(t, home)
	r = weir(t, home, nil, "mlruns", "list", "tracked_training", "--filter", "metrics.r2 > 0.5", "-o", "json")
	var runs []struct {
		Info struct{ RunName string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 1 || runs[0].Info.RunName != "evaluate" {
		t.Errorf("filtered runs: %v %s %s", err, r.stdout, r.stderr)
	}
	r = weir(t, home, nil, "models", "versions", "weir-example-model", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"Version": "1"`) {
		t.Errorf("versions: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, home, nil, "lineage", "models:/weir-example-model@challenger")
	for _, want := range []string{"model weir-example-model version 1", "← task train, try 1", "← DAG run " + runID + " of tracked_training"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lineage lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	r = weir(t, home, nil, "models", "alias", "set", "weir-example-model", "champion", "1")
	if r.code != 0 {
		t.Errorf("alias set: %s", r.stderr)
	}
	r = weir(t, home, nil, "lineage", "models:/weir-example-model@champion", "-o", "json")
	if !strings.Contains(r.stdout, `"task_id": "train"`) {
		t.Errorf("lineage by the new alias: %s %s", r.stdout, r.stderr)
	}
}

// Issue 4: weir backfill runs one run per data interval of the schedule between two dates
// (Airflow's dags backfill), with the interval in each run's templates; a second backfill
// skips the intervals already done.
func TestBackfill(t *testing.T) {
	t.Parallel()
	dir, home := t.TempDir(), t.TempDir()
	body := "dag_id: daily\nschedule: \"@daily\"\nmax_active_runs: 2\ntasks:\n  - id: t\n    script: echo '\"{{ ds }} {{ data_interval_end }}\"' > \"$WEIR_OUTPUT\"\n"
	if err := os.WriteFile(filepath.Join(dir, "daily.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := weir(t, home, nil, "backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03", "--dags", dir)
	if r.code != 0 {
		t.Fatalf("backfill: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out := weir(t, home, nil, "runs", "list", "-o", "json")
	var runs []struct {
		RunID       string    `json:"dag_run_id"`
		State       string    `json:"state"`
		RunType     string    `json:"run_type"`
		LogicalDate time.Time `json:"logical_date"`
	}
	if err := json.Unmarshal([]byte(out.stdout), &runs); err != nil || len(runs) != 3 {
		t.Fatalf("runs: %v %s", err, out.stdout)
	}
	for _, run := range runs {
		if run.State != "success" || run.RunType != "backfill" {
			t.Errorf("run %s: %s %s", run.RunID, run.State, run.RunType)
		}
		tis := listTasks(t, home, run.RunID)
		day := run.LogicalDate.Format("2006-01-02")
		want := `"` + day + " " + run.LogicalDate.Add(24*time.Hour).Format(time.RFC3339) + `"`
		if strings.TrimSpace(string(tis["t"].Output)) != want {
			t.Errorf("run %s saw %s, want %s", run.RunID, tis["t"].Output, want)
		}
	}
	r = weir(t, home, nil, "backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-04", "--dags", dir)
	out = weir(t, home, nil, "runs", "list", "-o", "json")
	_ = json.Unmarshal([]byte(out.stdout), &runs)
	if r.code != 0 || len(runs) != 4 {
		t.Errorf("second backfill: exit %d, %d runs (want 4)", r.code, len(runs))
	}
}
