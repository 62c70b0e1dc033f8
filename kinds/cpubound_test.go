package kinds_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// gauge records how many instances of a kind run at once, and the most it saw.
type gauge struct {
	mu        sync.Mutex
	now, peak int
}

func (g *gauge) enter() {
	g.mu.Lock()
	g.now++
	g.peak = max(g.peak, g.now)
	g.mu.Unlock()
}

func (g *gauge) leave() {
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
}

type holdSpec struct {
	Args map[string]any `yaml:"args" template:"value" doc:"The instance's arguments."`
}

// waitSpec is holdSpec under another type: package dag tells kinds apart by spec type.
type waitSpec holdSpec

// holdKind is a kind whose instances run until `overlap` of them run at once (or two
// seconds pass), counting how many ran at once.
func holdKind(name string, cpu bool, overlap int, g *gauge) executor.Registration {
	newSpec := func() any { return &holdSpec{} }
	if !cpu {
		newSpec = func() any { return &waitSpec{} }
	}
	return executor.Registration{
		Def: dag.KindDef{Name: name, Doc: "Holds a slot.", CPUBound: cpu, MapArgs: "args", New: newSpec},
		Run: executor.KindFunc(func(ctx context.Context, _ *executor.Job) executor.Result {
			g.enter()
			defer g.leave()
			deadline := time.Now().Add(2 * time.Second)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				g.mu.Lock()
				enough := g.now >= overlap
				g.mu.Unlock()
				if enough {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // let the others see the overlap too
			return executor.Result{Outcome: executor.Succeeded}
		}),
	}
}

// TestCPUBoundKindsShareTheCPUSlots: a mapped CPU-bound kind runs at most
// engine.Config.CPUSlots instances at once; a kind that is not CPU-bound, mapped beside it
// in the same run, is not held back by that limit.
func TestCPUBoundKindsShareTheCPUSlots(t *testing.T) {
	t.Parallel()
	var cpu, io gauge
	set, err := kinds.Builtin(kinds.Deps{}).With(holdKind("test.cpu", true, 2, &cpu), holdKind("test.io", false, 4, &io))
	if err != nil {
		t.Fatal(err)
	}
	const src = `tasks:
  - id: crunch
    test.cpu: {}
    expand: {n: [1, 2, 3, 4, 5, 6]}
  - id: wait
    test.io: {}
    expand: {n: [1, 2, 3, 4, 5, 6]}
`
	d, err := dag.LoadBytes("cpu.yaml", []byte(src), set.LoadOptions())
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(engine.Config{Store: st, Kinds: set.Registry(), Home: home, CPUSlots: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	run, err := eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	final, err := eng.Wait(ctx, run.DAGID, run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("run: %v %v", final, err)
	}
	if cpu.peak != 2 {
		t.Errorf("at most %d CPU-bound instances ran at once, want CPUSlots = 2", cpu.peak)
	}
	if io.peak < 4 {
		t.Errorf("at most %d other instances ran at once, want at least 4 (more than the 2 CPU slots)", io.peak)
	}
}
