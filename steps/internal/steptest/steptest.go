// Package steptest runs DAGs of ML steps end to end for the steps' tests: a real SQLite
// store, a real tracking store and artifact folder, and the node every mode of weir builds
// (package node), so a step is tested exactly as `weir run` runs it.
package steptest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// Run is a finished DAG run.
type Run struct {
	// Home is the weir home folder the run used (logs, artifacts).
	Home string
	// State is the run's final state.
	State store.RunState
	// DAGID and RunID identify the run.
	DAGID, RunID string
	// TIs are the run's task instances by task ID (mapped instances as "task.i").
	TIs map[string]*store.TaskInstance
	// Tracked are the tracking runs of the DAG run's tries by task ID (weir.task_id),
	// and "" for the DAG run's parent run.
	Tracked map[string]*tracking.Run
}

// Files writes files (name to content) into a new temporary folder and returns it.
func Files(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// RunDAG runs the DAG dagID of the folder dags (YAML files, data beside them) once, in a
// new home, and returns the finished run. A DAG that does not load fails the test.
func RunDAG(t *testing.T, dags, dagID string) *Run {
	t.Helper()
	return RunDAGAt(t, dags, dagID, time.Time{})
}

// RunDAGAt is RunDAG with the run's logical date (zero: now).
func RunDAGAt(t *testing.T, dags, dagID string, logical time.Time) *Run {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, ok := n.Registry().DAG(dagID)
	if !ok {
		t.Fatalf("DAG %s did not load: %v", dagID, n.Registry().Errors())
	}
	run, err := n.Engine().Trigger(ctx, d, engine.TriggerOptions{LogicalDate: logical})
	if err != nil {
		t.Fatal(err)
	}
	final, err := n.Engine().Wait(ctx, run.DAGID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Home: home, State: final.State, DAGID: run.DAGID, RunID: run.RunID, TIs: map[string]*store.TaskInstance{}}
	for _, ti := range tis {
		id := ti.TaskID
		if ti.MapIndex >= 0 {
			id += "." + strconv.Itoa(ti.MapIndex)
		}
		r.TIs[id] = ti
	}
	exps, err := st.Tracking().SearchExperiments(ctx, tracking.SearchExperimentsParams{})
	if err != nil {
		t.Fatal(err)
	}
	r.Tracked = map[string]*tracking.Run{}
	for _, e := range exps.Experiments {
		page, err := st.Tracking().SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{e.ID}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range page.Runs {
			tr := &page.Runs[i]
			if id, _ := tr.Tag(tracking.TagDAGRunID); id != run.RunID {
				continue
			}
			task, _ := tr.Tag(tracking.TagTaskID)
			r.Tracked[task] = tr
		}
	}
	return r
}

// TI returns the task instance of task id, failing the test when there is none.
func (r *Run) TI(t *testing.T, id string) *store.TaskInstance {
	t.Helper()
	ti := r.TIs[id]
	if ti == nil {
		t.Fatalf("no task instance %s in run %s", id, r.RunID)
	}
	return ti
}

// Succeeded returns the JSON output of task id, failing the test unless it succeeded.
func (r *Run) Succeeded(t *testing.T, id string) json.RawMessage {
	t.Helper()
	ti := r.TI(t, id)
	if ti.State != store.TISuccess {
		t.Fatalf("task %s is %s: %s\nlog:\n%s", id, ti.State, ti.Error, r.Log(t, id))
	}
	return ti.Output
}

// Output decodes the output of task id, which must have succeeded, into v.
func (r *Run) Output(t *testing.T, id string, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Succeeded(t, id), v); err != nil {
		t.Fatalf("task %s: output: %v", id, err)
	}
}

// Failed returns the error of task id, failing the test unless the task failed.
func (r *Run) Failed(t *testing.T, id string) string {
	t.Helper()
	ti := r.TI(t, id)
	if ti.State != store.TIFailed {
		t.Fatalf("task %s is %s, want failed; output %s", id, ti.State, ti.Output)
	}
	return ti.Error
}

// Log returns the log of task id's last try.
func (r *Run) Log(t *testing.T, id string) string {
	t.Helper()
	ti := r.TI(t, id)
	p, err := engine.LogPath(r.Home, r.DAGID, r.RunID, ti.TaskID, ti.MapIndex, max(ti.TryNumber, 1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	return string(b)
}

// TrackedArtifacts returns the contents of the tracking artifacts named name that the
// run's tries logged, failing the test when there is none.
func (r *Run) TrackedArtifacts(t *testing.T, name string) [][]byte {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(r.Home, "artifacts", "*", "*", "artifacts", name))
	if len(matches) == 0 {
		t.Fatalf("no tracking artifact %s under %s", name, filepath.Join(r.Home, "artifacts"))
	}
	var out [][]byte
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// ReadURI reads a file:// URI a step wrote.
func ReadURI(t *testing.T, uri string) []byte {
	t.Helper()
	if !strings.HasPrefix(uri, "file://") {
		t.Fatalf("URI %q is not a file:// URI", uri)
	}
	b, err := os.ReadFile(strings.TrimPrefix(uri, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// LoadError loads one DAG file's YAML with the built-in kinds and returns its error text,
// failing the test when it loads.
func LoadError(t *testing.T, name, yaml string) string {
	t.Helper()
	_, err := dag.LoadBytes(name, []byte(yaml), kinds.Builtin(kinds.Deps{}).LoadOptions())
	if err == nil {
		t.Fatalf("%s loaded without error", name)
	}
	return err.Error()
}
