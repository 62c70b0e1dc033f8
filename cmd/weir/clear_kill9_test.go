package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// clearKill drives one `weir server` on a real SQLite home running testdata/clearkill,
// killed with SIGKILL and restarted on the same home.
type clearKill struct {
	t           *testing.T
	home, marks string
	st          store.Store
	cmd         *exec.Cmd
	url         string
}

const clearKillDAGs = "testdata/clearkill"

func newClearKill(t *testing.T) *clearKill {
	t.Helper()
	c := &clearKill{t: t, home: t.TempDir(), marks: t.TempDir()}
	c.start()
	st, err := sqlite.Open(context.Background(), filepath.Join(c.home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c.st = st
	return c
}

func (c *clearKill) start() {
	c.cmd, c.url = startServerAddr(c.t, c.home, clearKillDAGs, []string{"MARKS=" + c.marks})
}

// kill9 kills the server with SIGKILL (its tasks' processes live on) and reaps it.
func (c *clearKill) kill9() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
}

// post sends a JSON body to the server's REST API and fails the test unless it answers 200.
func (c *clearKill) post(path, body string) string {
	c.t.Helper()
	resp, err := http.Post(c.url+"/api/v1"+path, "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("POST %s %s: %d %s", path, body, resp.StatusCode, b.String())
	}
	return b.String()
}

// touch creates a file in the marks folder.
func (c *clearKill) touch(name string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.marks, name), nil, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// tis returns the run's instances by "task" or "task[i]".
func (c *clearKill) tis(runID string) map[string]*store.TaskInstance {
	tis, err := c.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: "clearkill", RunID: runID})
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[string]*store.TaskInstance{}
	for _, ti := range tis {
		k := ti.TaskID
		if ti.MapIndex >= 0 {
			k = fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex)
		}
		if _, dup := out[k]; dup {
			c.t.Errorf("instance %s listed twice", k)
		}
		out[k] = ti
	}
	return out
}

// states is tis as sorted "key=state" strings.
func (c *clearKill) states(runID string) []string {
	var s []string
	for k, ti := range c.tis(runID) {
		s = append(s, k+"="+string(ti.State))
	}
	slices.Sort(s)
	return s
}

// until polls cond every 20ms for at most 20s.
func (c *clearKill) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// untilStates waits until the run's instances are in exactly these states.
func (c *clearKill) untilStates(runID string, want ...string) {
	c.t.Helper()
	slices.Sort(want)
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got = c.states(runID); slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("instances of %s are %v, want %v", runID, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holdRunning waits until hold runs and its try has written its mark, and returns the try.
func (c *clearKill) holdRunning(runID string, minTry int) int {
	c.t.Helper()
	try := 0
	c.until(fmt.Sprintf("hold to run a try ≥ %d", minTry), func() bool {
		ti := c.tis(runID)["hold"]
		if ti == nil || ti.State != store.TIRunning || ti.TryNumber < minTry {
			return false
		}
		try = ti.TryNumber
		_, ok := c.marked("hold")[markKey{-1, try}]
		return ok
	})
	return try
}

// markKey is one execution's (map index, try).
type markKey struct{ mapIndex, try int }

// marked reads a task's marks: the PIDs of its executions by map index and try.
func (c *clearKill) marked(task string) map[markKey][]int {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.marks, task))
	if err != nil && !os.IsNotExist(err) {
		c.t.Fatal(err)
	}
	out := map[markKey][]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		mi, _ := strconv.Atoi(f[0])
		try, _ := strconv.Atoi(f[1])
		pid, _ := strconv.Atoi(f[2])
		out[markKey{mi, try}] = append(out[markKey{mi, try}], pid)
	}
	return out
}

// tries returns an instance's recorded tries as "N=state".
func (c *clearKill) tries(runID, task string, mapIndex int) []*store.TaskTry {
	c.t.Helper()
	tr, err := c.st.ListTries(context.Background(), "clearkill", runID, task, mapIndex)
	if err != nil {
		c.t.Fatal(err)
	}
	return tr
}

// waitRun waits until the run is finished and returns its state.
func (c *clearKill) waitRun(runID string) store.RunState {
	c.t.Helper()
	var state store.RunState
	c.until("run "+runID+" to finish", func() bool {
		r, err := c.st.GetRun(context.Background(), "clearkill", runID)
		if err != nil {
			return false
		}
		state = r.State
		return r.State.Finished()
	})
	return state
}

// checkEnd asserts what every case ends with: the run succeeded; every instance is there
// once (the mapped tasks whole, no placeholder left) and succeeded on its last try; the
// tries of each are numbered 1..N with the earlier ones ended (none left running) and N
// within its tries; no execution of one try happened twice, no two executions of hold at
// once, and no process of any execution is still alive. The tries of the collapsed mapped
// tasks, cleared whole, were deleted with their instances: their numbers start again at 1.
func (c *clearKill) checkEnd(runID string, collapsed ...string) {
	t := c.t
	t.Helper()
	if state := c.waitRun(runID); state != store.RunSuccess {
		t.Errorf("run %s ended %s: %v", runID, state, c.states(runID))
	}
	want := []string{"after", "boom", "each[0]", "each[1]", "each[2]", "hold", "spread[0]", "spread[1]", "spread[2]"}
	tis := c.tis(runID)
	var keys []string
	for k := range tis {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("instances %v, want %v", keys, want)
	}
	for k, ti := range tis {
		if ti.State != store.TISuccess {
			t.Errorf("%s ended %s (%s)", k, ti.State, ti.Error)
		}
		if ti.TryNumber > ti.MaxTries {
			t.Errorf("%s ran try %d of %d", k, ti.TryNumber, ti.MaxTries)
		}
		tr := c.tries(runID, ti.TaskID, ti.MapIndex)
		for _, x := range tr {
			t.Logf("%s try %d: %s %s", k, x.TryNumber, x.State, x.Error)
		}
		for i, x := range tr {
			if x.TryNumber != i+1 {
				t.Errorf("%s: tries %v are not numbered 1..%d", k, tryList(tr), len(tr))
				break
			}
			if i < len(tr)-1 && !x.State.Finished() && x.State != store.TIUpForRetry {
				t.Errorf("%s: try %d left %s", k, x.TryNumber, x.State)
			}
		}
		if len(tr) == 0 || tr[len(tr)-1].TryNumber != ti.TryNumber || tr[len(tr)-1].State != store.TISuccess {
			t.Errorf("%s (try %d) has tries %v, want the last one success", k, ti.TryNumber, tryList(tr))
		}
	}
	if b, err := os.ReadFile(filepath.Join(c.marks, "overlap")); err == nil {
		t.Errorf("hold ran twice at the same time: %s", b)
	}
	for _, task := range []string{"boom", "after", "each", "spread", "hold"} {
		b, _ := os.ReadFile(filepath.Join(c.marks, task))
		t.Logf("%s executions (map index, try, pid):\n%s", task, b)
		for k, pids := range c.marked(task) {
			if len(pids) > 1 && !slices.Contains(collapsed, task) {
				t.Errorf("%s map index %d try %d was executed %d times", task, k.mapIndex, k.try, len(pids))
			}
			for _, pid := range pids {
				if alive(pid) {
					t.Errorf("the process of %s map index %d try %d (pid %d) is still running: an orphan of a killed server", task, k.mapIndex, k.try, pid)
					_ = syscall.Kill(-pid, syscall.SIGKILL)
				}
			}
		}
	}
}

func tryList(tr []*store.TaskTry) []string {
	var s []string
	for _, x := range tr {
		s = append(s, fmt.Sprintf("%d=%s", x.TryNumber, x.State))
	}
	return s
}

// started triggers run r1 and waits until boom failed (after and each upstream_failed),
// spread succeeded and hold runs its first try.
func (c *clearKill) started() {
	c.t.Helper()
	c.post("/dags/clearkill/dagRuns", `{"dag_run_id":"r1"}`)
	c.untilStates("r1", "after=upstream_failed", "boom=failed", "each=upstream_failed", "hold=running",
		"spread[0]=success", "spread[1]=success", "spread[2]=success")
	c.holdRunning("r1", 1)
}

// TestClearInRunningRunSurvivesKill9 clears tasks of a run `weir server` is executing —
// a failed branch with a mapped task, a finished mapped task, and a running task — and
// kills the server with SIGKILL right after the clears' answers, or while the cleared
// running task's rerun runs, then restarts it on the same home: the clears are kept, the
// run ends success with every instance there once, the killed try is recorded, the clear
// used no retry, and no process of the first server's tasks is left behind.
func TestClearInRunningRunSurvivesKill9(t *testing.T) {
	t.Parallel()
	t.Run("KilledRightAfterEachClear", func(t *testing.T) {
		t.Parallel()
		c := newClearKill(t)
		c.started()
		c.touch("boom.ok")
		// (1) The failed branch and the finished mapped task, then SIGKILL at once.
		c.post("/dags/clearkill/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["boom","spread"],"include_downstream":true,"dry_run":false}`)
		c.kill9()
		tis := c.tis("r1")
		if ti := tis["boom"]; ti == nil || ti.State == store.TIFailed || ti.MaxTries != 4 {
			t.Errorf("after the answered clear and SIGKILL, boom is %+v; want it cleared with its full retries (max tries 4)", ti)
		}
		if ti := tis["hold"]; ti == nil || ti.State != store.TIRunning || ti.TryNumber != 1 {
			t.Errorf("after the first SIGKILL hold is %+v, want its first try running", ti)
		}
		c.start()
		c.untilStates("r1", "after=success", "boom=success", "each[0]=success", "each[1]=success", "each[2]=success",
			"hold=running", "spread[0]=success", "spread[1]=success", "spread[2]=success")
		// The first server died while hold's try 1 ran: the restart killed it and counts it.
		try := c.holdRunning("r1", 2)
		// (2) The running task, then SIGKILL at once.
		c.post("/dags/clearkill/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["hold"],"dry_run":false}`)
		c.kill9()
		// The clear answered once the try it killed was gone: no restart would look for it.
		for _, pid := range c.marked("hold")[markKey{-1, try}] {
			if alive(pid) {
				t.Errorf("hold's try %d (pid %d), killed by the answered clear, still runs after the server's SIGKILL", try, pid)
			}
		}
		ti := c.tis("r1")["hold"]
		if ti == nil || ti.State == store.TIRunning && ti.TryNumber == try || ti.MaxTries != try+2 {
			t.Errorf("after the answered clear and SIGKILL, hold is %+v; want try %d ended and %d tries allowed", ti, try, try+2)
		}
		c.start()
		last := c.holdRunning("r1", try+1)
		c.touch(fmt.Sprintf("hold.go.%d", last))
		c.checkEnd("r1", "spread")
		// spread ran before the clear and again after it expanded again: try 1 twice at most
		// (a rerun the SIGKILL interrupted may have been killed before it wrote its mark).
		for i := range 3 {
			total := 0
			for k, pids := range c.marked("spread") {
				if k.mapIndex == i {
					total += len(pids)
				}
			}
			if once := len(c.marked("spread")[markKey{i, 1}]); total < 2 || once > 2 {
				t.Errorf("spread[%d] ran %d times, try 1 %d times; want it run again after the clear, try 1 twice at most", i, total, once)
			}
		}
		tr := c.tries("r1", "hold", -1)
		if len(tr) < try || tr[try-1].State != store.TIUpForRetry || !strings.Contains(tr[try-1].Error, "cleared while running") {
			t.Errorf("hold's tries %v: want try %d recorded up_for_retry by the clear", tryList(tr), try)
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.cmd.Wait()
	})
	t.Run("KilledDuringTheRerun", func(t *testing.T) {
		t.Parallel()
		c := newClearKill(t)
		c.started()
		c.touch("boom.ok")
		c.post("/dags/clearkill/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["boom"],"include_downstream":true,"dry_run":false}`)
		c.untilStates("r1", "after=success", "boom=success", "each[0]=success", "each[1]=success", "each[2]=success",
			"hold=running", "spread[0]=success", "spread[1]=success", "spread[2]=success")
		// Clear the running hold three times: each rerun must start only once the killed try
		// is gone (a try still holding hold.lock would make the next one fail).
		const clears = 3
		for i := 1; i <= clears; i++ {
			c.post("/dags/clearkill/clearTaskInstances", `{"dag_run_id":"r1","task_ids":["hold"],"dry_run":false}`)
			if try := c.holdRunning("r1", i+1); try != i+1 {
				overlap, _ := os.ReadFile(filepath.Join(c.marks, "overlap"))
				t.Fatalf("hold's rerun after clear %d is try %d, want %d (tries %v; overlaps: %s)", i, try, i+1, tryList(c.tries("r1", "hold", -1)), overlap)
			}
		}
		// SIGKILL while the last rerun runs: its process lives on until the restart.
		rerun := c.marked("hold")[markKey{-1, clears + 1}]
		c.kill9()
		for _, pid := range rerun {
			if !alive(pid) {
				t.Errorf("the rerun (pid %d) died with the server: the test no longer checks that the restart kills it", pid)
			}
		}
		c.start()
		if try := c.holdRunning("r1", clears+2); try != clears+2 {
			t.Fatalf("after the restart hold runs try %d, want %d", try, clears+2)
		}
		for _, pid := range rerun {
			if alive(pid) {
				t.Errorf("try %d of hold (pid %d) still runs beside try %d", clears+1, pid, clears+2)
			}
		}
		c.touch(fmt.Sprintf("hold.go.%d", clears+2))
		c.checkEnd("r1")
		want := []string{"1=up_for_retry", "2=up_for_retry", "3=up_for_retry", "4=up_for_retry", "5=success"}
		if got := tryList(c.tries("r1", "hold", -1)); !slices.Equal(got, want) {
			t.Errorf("hold's tries %v, want %v: 1-3 cleared, 4 killed with the server (its one retry), 5 success", got, want)
		}
		for _, x := range c.tries("r1", "hold", -1)[:clears] {
			if !strings.Contains(x.Error, "cleared while running") {
				t.Errorf("hold's try %d: %q, want it recorded as killed by the clear", x.TryNumber, x.Error)
			}
		}
		if ti := c.tis("r1")["hold"]; ti.MaxTries != clears+2 {
			t.Errorf("hold has %d tries allowed, want %d (the last clear gave its retry back)", ti.MaxTries, clears+2)
		}
		if got := tryList(c.tries("r1", "boom", -1)); !slices.Equal(got, []string{"1=up_for_retry", "2=failed", "3=success"}) {
			t.Errorf("boom's tries %v", got)
		}
		for _, task := range []string{"each", "spread"} {
			if m := c.marked(task); len(m) != 3 {
				t.Errorf("%s executions %v, want map indexes 0..2 once", task, m)
			}
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.cmd.Wait()
	})
}
