package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// Clear with Upstream clears the chosen task and everything upstream of it, recursively,
// as Airflow's include_upstream: not a sibling branch, not what is downstream; with
// Downstream too, both start from the chosen task (not the downstream of its upstream).
func TestClearUpstream(t *testing.T) {
	t.Parallel()
	counts := map[string]*atomic.Int32{"a": {}, "b": {}, "c": {}, "side": {}, "d": {}}
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("count", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			counts[executor.InfoFrom(ctx).TaskID].Add(1)
			return nil, nil
		})
	}})
	// a → b → c → d, and a → side.
	d := &dag.DAG{ID: "up", Tasks: []*dag.Task{goTask("a", "count", nil), goTask("b", "count", nil, "a"), goTask("c", "count", nil, "b"),
		goTask("d", "count", nil, "c"), goTask("side", "count", nil, "a")}}
	run, _ := e.run(d, engine.TriggerOptions{})
	ctx := context.Background()
	if _, err := engine.Clear(ctx, e.st, "up", run.RunID, engine.ClearOptions{TaskIDs: []string{"c"}, MapIndexes: []int{0}, Upstream: true}); err == nil {
		t.Error("clear with upstream and map indexes: no error")
	}
	cleared, err := engine.Clear(ctx, e.st, "up", run.RunID, engine.ClearOptions{TaskIDs: []string{"c"}, Upstream: true})
	if err != nil || strings.Join(cleared, ",") != "a,b,c" {
		t.Fatalf("cleared %v, %v; want a,b,c", cleared, err)
	}
	if _, _, err := e.eng.Resume(ctx, "up", run.RunID); err != nil {
		t.Fatal(err)
	}
	final, err := e.eng.Wait(ctx, "up", run.RunID)
	if err != nil || final.State != store.RunSuccess {
		t.Fatalf("after clear: %v %v", final, err)
	}
	got := func() string {
		var s []string
		for _, id := range []string{"a", "b", "c", "d", "side"} {
			s = append(s, id+"="+string(rune('0'+counts[id].Load())))
		}
		return strings.Join(s, " ")
	}
	if g := got(); g != "a=2 b=2 c=2 d=1 side=1" {
		t.Errorf("runs %s, want a, b, c again only", g)
	}
	cleared, err = engine.Clear(ctx, e.st, "up", run.RunID, engine.ClearOptions{TaskIDs: []string{"b"}, Upstream: true, Downstream: true})
	if err != nil || strings.Join(cleared, ",") != "a,b,c,d" {
		t.Fatalf("cleared %v, %v; want a,b,c,d (not side, downstream of a only)", cleared, err)
	}
}
