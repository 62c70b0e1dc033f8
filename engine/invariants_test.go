package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// TestTriggerRefusesIDsThatEscape shows that run, DAG and task IDs that would put files
// outside the home are refused by the engine itself, whoever calls it, with an error naming
// the field, the value and the rule, before anything is written.
func TestTriggerRefusesIDsThatEscape(t *testing.T) {
	t.Parallel()
	e := setup(t, setupOpts{})
	parent := filepath.Dir(e.home)
	before, _ := os.ReadDir(parent)
	ctx := t.Context()
	ok := &dag.DAG{ID: "ids", Source: "go:test", Tasks: []*dag.Task{script("t", "echo hi")}}
	for _, c := range []struct {
		d    *dag.DAG
		o    engine.TriggerOptions
		want string
	}{
		{ok, engine.TriggerOptions{RunID: "../../../escaped"}, `run id "../../../escaped": must match [A-Za-z0-9_.~:+-]{1,250}`},
		{ok, engine.TriggerOptions{RunID: ".."}, `run id ".."`},
		{ok, engine.TriggerOptions{RunID: "a/b"}, `run id "a/b"`},
		{ok, engine.TriggerOptions{RunType: "../x"}, `run id "../x__`},
		{&dag.DAG{ID: "../d", Source: "go:test", Tasks: ok.Tasks}, engine.TriggerOptions{}, `dag id "../d"`},
		{&dag.DAG{ID: "ids", Source: "go:test", Tasks: []*dag.Task{script("../t", "true")}}, engine.TriggerOptions{}, `task id "../t"`},
	} {
		_, err := e.eng.Trigger(ctx, c.d, c.o)
		if !errors.Is(err, store.ErrInvalidID) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Trigger(dag %q, %+v) = %v, want store.ErrInvalidID naming %s", c.d.ID, c.o, err, c.want)
		}
	}
	runs, err := e.st.ListRuns(ctx, store.ListRunsParams{})
	if err != nil || len(runs) != 0 {
		t.Errorf("refused triggers left %d runs (%v)", len(runs), err)
	}
	if _, err := os.Stat(filepath.Join(e.home, "logs")); !os.IsNotExist(err) {
		t.Errorf("refused triggers created %s/logs (%v)", e.home, err)
	}
	after, _ := os.ReadDir(parent)
	if len(after) != len(before) {
		t.Errorf("refused triggers changed %s: %d entries, then %d", parent, len(before), len(after))
	}
	// A valid run still works, and its log lies under HOME/logs.
	run, tis := e.run(ok, engine.TriggerOptions{RunID: "manual__2026-12-02T02:19:03.000Z"})
	if run.State != store.RunSuccess || tis["t"].State != store.TISuccess {
		t.Fatalf("valid run: %s, task %s", run.State, tis["t"].State)
	}
	p, err := engine.LogPath(e.home, "ids", run.RunID, "t", -1, 1)
	if err != nil || !strings.HasPrefix(p, filepath.Join(e.home, "logs")+string(filepath.Separator)) {
		t.Fatalf("LogPath = %q, %v", p, err)
	}
	if b, err := os.ReadFile(p); err != nil || !bytes.Contains(b, []byte("hi")) {
		t.Errorf("log %s: %q, %v", p, b, err)
	}
	// Resume and Clear check the IDs they are given (a store of an older weir may hold bad ones).
	if _, _, err := e.eng.Resume(ctx, "ids", "../x"); !errors.Is(err, store.ErrInvalidID) {
		t.Errorf("Resume(../x) = %v, want store.ErrInvalidID", err)
	}
	if _, err := engine.Clear(ctx, e.st, "ids", "a/b", engine.ClearOptions{}); !errors.Is(err, store.ErrInvalidID) {
		t.Errorf("Clear(a/b) = %v, want store.ErrInvalidID", err)
	}
}

func TestLogPathRefusesEscapes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		dagID, runID, taskID string
		mapIndex, try        int
	}{
		{"..", "r", "t", -1, 1}, {"d", "../r", "t", -1, 1}, {"d", "r", "../../t", -1, 1}, {"d", "r", "t/u", -1, 1},
		{"d", "r", "t", -2, 1}, {"d", "r", "t", -1, -1}, {"d", "", "t", -1, 1}, {"/abs", "r", "t", -1, 1},
	} {
		p, err := engine.LogPath("/home", c.dagID, c.runID, c.taskID, c.mapIndex, c.try)
		if !errors.Is(err, store.ErrInvalidID) || p != "" {
			t.Errorf("LogPath(%q, %q, %q, %d, %d) = %q, %v; want store.ErrInvalidID", c.dagID, c.runID, c.taskID, c.mapIndex, c.try, p, err)
		}
	}
	p, err := engine.LogPath("/home", "d", "scheduled__2026-01-01T00:00:00Z", "g.t", 3, 2)
	if want := "/home/logs/d/scheduled__2026-01-01T00:00:00Z/g.t.map-3.try-2.log"; p != want || err != nil {
		t.Errorf("LogPath = %q, %v; want %q", p, err, want)
	}
}

// orphanHelperEnv names the home in which the test binary, started again, runs an engine
// with one long command task and then waits to be killed (see TestMain).
const orphanHelperEnv = "WEIR_TEST_ORPHAN_HOME"

// orphanRunID is the run of every orphan helper: two homes, identical IDs.
const orphanRunID = "scheduled__2026-01-01T00:00:00Z"

// orphanHelper runs in a child process: it starts a run whose command task writes its PID
// to $MARKER and sleeps, and then blocks until the test kills it with SIGKILL.
func orphanHelper(home string) int {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	eng, err := engine.New(engine.Config{Store: st, Home: home,
		TaskEnv: map[string]string{"MARKER": filepath.Join(home, "task.pid")}})
	if err == nil {
		err = eng.Start(ctx)
	}
	if err == nil {
		d := &dag.DAG{ID: "orphans", Source: "go:test", Tasks: []*dag.Task{
			script("work", `echo $$ > "$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER" && exec sleep 600`),
		}}
		_, err = eng.Trigger(ctx, d, engine.TriggerOptions{RunID: orphanRunID})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	select {}
}

// crashedHome runs the orphan helper in a new home, waits until its task runs, kills the
// helper with SIGKILL and returns the home and the PID of the orphaned task.
func crashedHome(t *testing.T) (home string, helperPID, taskPID int) {
	t.Helper()
	home = t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), orphanHelperEnv+"="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	marker := filepath.Join(home, "task.pid")
	deadline := time.After(60 * time.Second)
	for {
		b, err := os.ReadFile(marker)
		if err == nil {
			taskPID, err = strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("marker %s: %q", marker, b)
			}
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("orphan helper ended before its task ran: %v\n%s", err, stderr.Bytes())
		case <-deadline:
			t.Fatalf("the orphan helper's task did not start in 60 s\n%s", stderr.Bytes())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Cleanup(func() { _ = syscall.Kill(-taskPID, syscall.SIGKILL) })
	helperPID = cmd.Process.Pid
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	return home, helperPID, taskPID
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// tempDirsOf returns the names of the engine-PID-* folders in HOME/tmp made by process pid.
func tempDirsOf(t *testing.T, home string, pid int) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(home, "tmp"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fmt.Sprintf("engine-%d-", pid)) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestResumeKillsOnlyThisHomesOrphans crashes two weir processes of two homes that run the
// same DAG, run and task, then resumes the run in home A: A's orphaned task is killed, B's
// identical one keeps running. The SIGKILLed processes' temporary folders stay in their homes
// until an engine of that home starts, which removes only the dead ones.
func TestResumeKillsOnlyThisHomesOrphans(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("needs /proc")
	}
	t.Parallel()
	homeA, helperA, taskA := crashedHome(t)
	homeB, helperB, taskB := crashedHome(t)
	if !running(taskA) || !running(taskB) {
		t.Fatalf("the orphaned tasks should run: A %v, B %v", running(taskA), running(taskB))
	}
	for home, pid := range map[string]int{homeA: taskA, homeB: taskB} {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		real, _ := filepath.EvalSymlinks(home)
		if err != nil || !bytes.Contains(env, []byte("\x00WEIR_HOME="+real+"\x00")) {
			t.Errorf("task %d lacks WEIR_HOME=%s in its environment (%v)", pid, real, err)
		}
	}
	deadA, deadB := tempDirsOf(t, homeA, helperA), tempDirsOf(t, homeB, helperB)
	if len(deadA) != 1 || len(deadB) != 1 {
		t.Fatalf("each SIGKILLed helper should leave its folder in HOME/tmp: A %v, B %v", deadA, deadB)
	}
	// engine-PID-START-HOST-RANDOM: a folder of a live process (B's task stands in for
	// another weir of home A) stays, and so does one of a dead process of another host.
	parts := strings.SplitN(deadA[0], "-", 5)
	liveStat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", taskB))
	fields := strings.Fields(string(liveStat[bytes.LastIndexByte(liveStat, ')')+1:]))
	live := fmt.Sprintf("engine-%d-%s-%s-123", taskB, fields[19], parts[3])
	otherHost := strings.Join([]string{parts[0], parts[1], parts[2], "0badc0de", "1"}, "-")
	for _, name := range []string{live, otherHost} {
		if err := os.Mkdir(filepath.Join(homeA, "tmp", name), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(homeA, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(engine.Config{Store: st, Home: homeA})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	if left := tempDirsOf(t, homeA, helperA); len(left) != 1 || left[0] != otherHost {
		t.Errorf("after start, home A holds %v of the dead process, want only %s (another host's)", left, otherHost)
	}
	if _, err := os.Stat(filepath.Join(homeA, "tmp", live)); err != nil {
		t.Errorf("start removed the folder of a live process: %v", err)
	}
	if _, err := os.Stat(filepath.Join(homeA, "tmp", otherHost)); err != nil {
		t.Errorf("start removed the folder of another host: %v", err)
	}
	if len(tempDirsOf(t, homeA, os.Getpid())) != 1 {
		t.Errorf("the new engine has no folder of its own in %s/tmp", homeA)
	}

	// A process of this home that dies while the engine runs: Resume removes its folder.
	if err := os.Mkdir(filepath.Join(homeA, "tmp", deadA[0]), 0o755); err != nil {
		t.Fatal(err)
	}
	_, rec, err := eng.Resume(ctx, "orphans", orphanRunID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(homeA, "tmp", deadA[0])); !os.IsNotExist(err) {
		t.Errorf("resume left the dead process's folder %s (%v)", deadA[0], err)
	}
	if len(rec) != 1 || rec[0].TaskID != "work" || !rec[0].Killed {
		t.Errorf("recovered %+v, want task work, killed", rec)
	}
	if running(taskA) {
		t.Errorf("home A's orphaned task (pid %d) survived the resume", taskA)
	}
	if !running(taskB) {
		t.Errorf("resume in home A killed home B's task (pid %d)", taskB)
	}
	if left := tempDirsOf(t, homeB, helperB); len(left) != 1 {
		t.Errorf("home B's folders changed: %v", left)
	}
	final, err := eng.Wait(ctx, "orphans", orphanRunID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != store.RunFailed {
		t.Errorf("resumed run %s, want failed (its only try died, no retries)", final.State)
	}
}
