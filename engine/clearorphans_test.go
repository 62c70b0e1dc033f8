package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// A run whose process was killed with SIGKILL while a task ran is cleared in the store (only
// its running instance): Clear resets it, and KillOrphans, given the instances that were
// running, kills the orphaned task, so the resumed run never runs it twice at once.
func TestClearOfADeadOwnersRunKillsItsOrphans(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("needs /proc")
	}
	t.Parallel()
	home, _, taskPID := crashedHome(t)
	if !running(taskPID) {
		t.Fatalf("the orphaned task %d should run", taskPID)
	}
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: "orphans", RunID: orphanRunID, States: []store.TIState{store.TIRunning}})
	if err != nil || len(tis) != 1 {
		t.Fatalf("running instances of the crashed run: %v, %v", tis, err)
	}
	cleared, err := engine.Clear(ctx, st, "orphans", orphanRunID, engine.ClearOptions{OnlyRunning: true})
	if err != nil || strings.Join(cleared, ",") != "work" {
		t.Fatalf("Clear(only running) = %v, %v; want work", cleared, err)
	}
	if !running(taskPID) {
		t.Fatalf("Clear itself killed the task: it only writes the store")
	}
	keys := []store.TIKey{{DAGID: "orphans", RunID: orphanRunID, TaskID: "work", MapIndex: -1}}
	if n := engine.KillOrphans(t.TempDir(), keys); n != 0 || !running(taskPID) {
		t.Fatalf("KillOrphans of another home killed %d groups (task alive: %v), want 0 and alive", n, running(taskPID))
	}
	if n := engine.KillOrphans(home, keys); n != 1 {
		t.Errorf("KillOrphans killed %d process groups, want 1", n)
	}
	if running(taskPID) {
		t.Errorf("the orphaned task %d survived KillOrphans", taskPID)
	}
}
