package kinds_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// readSpec is the spec of a test kind that reads a file by path and declares it
// (KindDef.Inputs), so a cached task of the kind keys on the file's content.
type readSpec struct {
	Data string `yaml:"data" template:"true" required:"the file to read" doc:"The file to read."`
}

func TestCachedKindKeysOnItsDeclaredInputs(t *testing.T) {
	t.Parallel()
	var ran atomic.Int32
	set, err := kinds.Builtin(kinds.Deps{}).With(executor.Registration{
		Def: dag.KindDef{Name: "test.read", New: func() any { return &readSpec{} },
			Inputs: func(spec any) []string { return []string{spec.(*readSpec).Data} }},
		Run: executor.KindFunc(func(_ context.Context, job *executor.Job) executor.Result {
			ran.Add(1)
			b, err := os.ReadFile(filepath.Join(job.Dir, job.Task.Spec.(*readSpec).Data))
			if err != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			return executor.Result{Outcome: executor.Succeeded, Output: []byte(`{"bytes": ` + string(rune('0'+len(b))) + `}`)}
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir, home := t.TempDir(), t.TempDir()
	data := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(data, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "read.yaml")
	d, err := dag.LoadBytes(src, []byte("tasks:\n  - {id: read, cache: true, test.read: {data: \"{{ 'in' }}.txt\"}}\n"), set.LoadOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(engine.Config{Store: st, Kinds: set.Registry(), Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	run := func(runID string) *store.TaskInstance {
		t.Helper()
		r, err := eng.Trigger(ctx, d, engine.TriggerOptions{RunID: runID})
		if err != nil {
			t.Fatal(err)
		}
		if final, err := eng.Wait(ctx, r.DAGID, r.RunID); err != nil || final.State != store.RunSuccess {
			t.Fatalf("run %s: %v, %v", runID, final, err)
		}
		ti, err := st.GetTaskInstance(ctx, r.DAGID, r.RunID, "read", -1)
		if err != nil {
			t.Fatal(err)
		}
		return ti
	}
	if ti := run("r1"); ran.Load() != 1 || ti.CachedFrom != "" {
		t.Fatalf("first run: ran %d times, cached from %q", ran.Load(), ti.CachedFrom)
	}
	if ti := run("r2"); ran.Load() != 1 || ti.CachedFrom != "read/r1/read" || string(ti.Output) != `{"bytes": 3}` {
		t.Fatalf("second run: ran %d times, cached from %q, output %s; want the first run's result", ran.Load(), ti.CachedFrom, ti.Output)
	}
	if err := os.WriteFile(data, []byte("abcd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ti := run("r3"); ran.Load() != 2 || ti.CachedFrom != "" || string(ti.Output) != `{"bytes": 4}` {
		t.Fatalf("after the declared input changed: ran %d times, cached from %q, output %s", ran.Load(), ti.CachedFrom, ti.Output)
	}
}
