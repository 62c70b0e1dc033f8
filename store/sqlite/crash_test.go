package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/store"
)

// crashChildEnv names the environment variable that makes the test binary the child of
// TestCrash: it holds the database path.
const crashChildEnv = "WEIR_SQLITE_CRASH_CHILD_DB"

const (
	crashTIsPerBatch = 3
	// crashKillAfter is how many committed batches the parent waits for before killing
	// the child; with crashOutputSize they fill the write-ahead log past its automatic
	// checkpoint (1000 pages), so the kill may also land in a checkpoint.
	crashKillAfter  = 200
	crashOutputSize = 8 << 10
)

// crashBatch returns the i-th batch the child applies: the run's heartbeat, and new task
// instances "b<i>"[0..2] with outputs of crashOutputSize bytes.
func crashBatch(i int) *store.Batch {
	run := &store.DAGRun{DAGID: "crash", RunID: "r", State: store.RunRunning, HeartbeatAt: time.UnixMicro(int64(i) + 1)}
	b := &store.Batch{Runs: []*store.DAGRun{run}}
	for m := range crashTIsPerBatch {
		b.TIs = append(b.TIs, &store.TaskInstance{
			DAGID: "crash", RunID: "r", TaskID: fmt.Sprintf("b%06d", i), MapIndex: m,
			State: store.TISuccess, Output: crashOutput(i, m),
		})
	}
	// The fields the first instance's try rendered, committed with its state.
	b.RenderedFields = []*store.RenderedFields{{DAGID: "crash", RunID: "r", TaskID: fmt.Sprintf("b%06d", i), MapIndex: 0,
		TryNumber: 1, Fields: json.RawMessage(fmt.Sprintf(`{"batch":%d}`, i)), RenderedAt: time.UnixMicro(int64(i) + 1), KeepRuns: 30}}
	return b
}

func crashOutput(i, m int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"batch":%d,"m":%d,"pad":"%s"}`, i, m, strings.Repeat("x", crashOutputSize)))
}

// crashChild applies batches until it is killed, printing the number of each batch once
// Apply has returned, that is once it is committed.
func crashChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		if err := s.Apply(ctx, crashBatch(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		// os.Stdout is unbuffered: the line is in the pipe when Fprintln returns.
		fmt.Fprintln(os.Stdout, i)
	}
}

// TestCrash kills (SIGKILL) a process in the middle of committing batches and checks that
// every batch it reported committed survived, that no batch is partly there, and that the
// database is intact.
func TestCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "weir.db")
	s := openTest(t, path)
	ctx := t.Context()
	if err := s.CreateRun(ctx, &store.DAGRun{DAGID: "crash", RunID: "r", State: store.RunRunning}, nil); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed, killed := -1, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Errorf("child printed %q", sc.Text())
			continue
		}
		committed = n
		if n+1 >= crashKillAfter && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill: %v", err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before committing %d batches: %v\n%s", crashKillAfter, err, stderr.String())
	}
	t.Logf("child killed after reporting %d batches committed", committed+1)

	s = openTest(t, path)
	if got := pragma(t, s.r, "IntegrityCheck"); got != "ok" {
		t.Fatalf("integrity_check: %s", got)
	}
	tis, err := s.ListTaskInstances(ctx, store.ListTIParams{DAGID: "crash", RunID: "r"})
	if err != nil {
		t.Fatalf("ListTaskInstances: %v", err)
	}
	// Batches are in order: batch i is tis[3i:3i+3]. Every reported batch is there, and a
	// batch the child did not report (the one killed) is all there or not at all.
	if len(tis)%crashTIsPerBatch != 0 {
		t.Fatalf("%d task instances: a batch is partly there", len(tis))
	}
	batches := len(tis) / crashTIsPerBatch
	t.Logf("%d batches in the database", batches)
	if batches < committed+1 || batches > committed+2 {
		t.Fatalf("%d batches in the database, child reported %d committed", batches, committed+1)
	}
	for i, ti := range tis {
		b, m := i/crashTIsPerBatch, i%crashTIsPerBatch
		if ti.TaskID != fmt.Sprintf("b%06d", b) || ti.MapIndex != m || !bytes.Equal(ti.Output, crashOutput(b, m)) {
			t.Fatalf("task instance %d is %s[%d], want b%06d[%d] with its output", i, ti.TaskID, ti.MapIndex, b, m)
		}
		if m == 0 {
			rf, err := s.GetRenderedFields(ctx, "crash", "r", ti.TaskID, 0, 0)
			if err != nil || string(rf.Fields) != fmt.Sprintf(`{"batch":%d}`, b) {
				t.Fatalf("rendered fields of batch %d: %+v, %v; want those committed with its instances", b, rf, err)
			}
		}
	}
	run, err := s.GetRun(ctx, "crash", "r")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if got := int(run.HeartbeatAt.UnixMicro()); got != batches {
		t.Fatalf("run heartbeat from batch %d, want from the last batch, %d", got-1, batches-1)
	}
}
