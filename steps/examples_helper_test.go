package steps_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// examples is a foreground node over examples/dags in a fresh home, with its store open
// for the test's checks.
type examples struct {
	ctx  context.Context
	dags string
	st   *sqlite.Store
	n    *node.Node
}

// newExamples starts a node on examples/dags; the test's end stops it.
func newExamples(t *testing.T) *examples {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	dags, err := filepath.Abs("../examples/dags")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dags})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return &examples{ctx: ctx, dags: dags, st: st, n: n}
}

// run runs one example DAG with params and returns the finished run; a run that does not
// succeed fails the test with its tasks' errors.
func (e *examples) run(t *testing.T, id string, params map[string]any) *store.DAGRun {
	t.Helper()
	d, ok := e.n.Registry().DAG(id)
	if !ok {
		t.Fatalf("%s did not load: %v", id, e.n.Registry().Errors())
	}
	run, err := e.n.Engine().Trigger(e.ctx, d, engine.TriggerOptions{Params: params})
	if err != nil {
		t.Fatal(err)
	}
	final, err := e.n.Engine().Wait(e.ctx, run.DAGID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != store.RunSuccess {
		tis, _ := e.st.ListTaskInstances(e.ctx, store.ListTIParams{DAGID: id, RunID: run.RunID})
		var errs []string
		for _, ti := range tis {
			if ti.Error != "" {
				errs = append(errs, ti.TaskID+": "+ti.Error)
			}
		}
		t.Fatalf("%s run %s: %s", id, final.State, strings.Join(errs, "; "))
	}
	return final
}
