package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

// cacheEnv is a store in a temporary home on which each run gets an engine of its own, so
// that runs can differ in engine configuration (NoCache).
type cacheEnv struct {
	t    *testing.T
	home string
	st   store.Store
	n    int
	mu   sync.Mutex
	evs  []engine.Event
}

func newCacheEnv(t *testing.T) *cacheEnv {
	t.Helper()
	home := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &cacheEnv{t: t, home: home, st: st}
}

// run executes d once with a fresh engine and returns the run and its instances by task.
func (c *cacheEnv) run(d *dag.DAG, noCache bool, params map[string]any) (*store.DAGRun, map[string]*store.TaskInstance) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	funcs := executor.NewFuncs()
	_ = funcs.Register("echo", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) { return args, nil })
	eng, err := engine.New(engine.Config{Store: c.st, Kinds: executor.NewRegistry(funcs), Home: c.home, NoCache: noCache,
		OnEvent: func(ev engine.Event) { c.mu.Lock(); c.evs = append(c.evs, ev); c.mu.Unlock() }})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		c.t.Fatal(err)
	}
	defer eng.Stop()
	c.n++
	r, err := eng.Trigger(ctx, d, engine.TriggerOptions{RunID: "run" + string(rune('0'+c.n)), Params: params})
	if err != nil {
		c.t.Fatalf("trigger: %v", err)
	}
	final, err := eng.Wait(ctx, r.DAGID, r.RunID)
	if err != nil {
		c.t.Fatalf("wait: %v", err)
	}
	if final.State != store.RunSuccess {
		c.t.Fatalf("run %s ended %s", final.RunID, final.State)
	}
	tis, err := c.st.ListTaskInstances(ctx, store.ListTIParams{DAGID: r.DAGID, RunID: r.RunID})
	if err != nil {
		c.t.Fatal(err)
	}
	m := map[string]*store.TaskInstance{}
	for _, ti := range tis {
		m[ti.TaskID] = ti
	}
	return final, m
}

// counter returns how many times the counting task ran: the lines of its side-effect file.
func counter(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCacheReusesACommandTaskUntilItsInputsChange runs a cached command task (a real
// subprocess that appends a line to a counter file, named by an environment variable so the
// counter itself is not a file argument) and checks when it runs again.
func TestCacheReusesACommandTaskUntilItsInputsChange(t *testing.T) {
	t.Parallel()
	c := newCacheEnv(t)
	dir := t.TempDir()
	count := filepath.Join(dir, "count.log")
	write(t, filepath.Join(dir, "data.csv"), "a,b\n1,2\n")
	on := true
	d := &dag.DAG{ID: "cached", Source: filepath.Join(dir, "cached.yaml"),
		Params: map[string]dag.Param{"n": {Schema: map[string]any{"type": "integer", "default": 1}}},
		Tasks: []*dag.Task{
			{ID: "count", Kind: dag.KindCommand, TaskOptions: dag.TaskOptions{Cache: &on}, Command: &dag.CommandSpec{
				Script: `echo ran >> "$COUNTER"; cat data.csv > /dev/null; echo '{"rows": 1, "n": {{ params.n }}}' > "$WEIR_OUTPUT"`,
				Env:    map[string]string{"COUNTER": count}}},
			goTask("after", "echo", map[string]any{"rows": "{{ outputs.count.rows }}"}, "count"),
		}}
	want := func(step string, runs int, ti *store.TaskInstance, cached bool) {
		t.Helper()
		if got := counter(t, count); got != runs {
			t.Fatalf("%s: the task ran %d times in all, want %d", step, got, runs)
		}
		if !strings.HasPrefix(ti.CacheKey, "sha256:") || len(ti.CacheKey) != len("sha256:")+64 {
			t.Fatalf("%s: cache key %q, want sha256:<64 hex>", step, ti.CacheKey)
		}
		if cached != (ti.CachedFrom != "") {
			t.Fatalf("%s: cached from %q, want cached=%v", step, ti.CachedFrom, cached)
		}
	}

	_, tis := c.run(d, false, nil)
	want("first run", 1, tis["count"], false)
	key1 := tis["count"].CacheKey
	ent, err := c.st.GetCacheEntry(t.Context(), key1)
	if err != nil || ent.RunID != "run1" || string(ent.Output) != string(tis["count"].Output) || !strings.Contains(string(ent.Inputs), "data.csv") {
		t.Fatalf("cache entry after the first run: %+v, %v; want run1's output, with data.csv among its inputs", ent, err)
	}

	_, tis = c.run(d, false, nil)
	want("second run", 1, tis["count"], true)
	if tis["count"].CacheKey != key1 || tis["count"].CachedFrom != "cached/run1/count" {
		t.Fatalf("second run: key %s from %q, want %s from cached/run1/count", tis["count"].CacheKey, tis["count"].CachedFrom, key1)
	}
	if tis["count"].State != store.TISuccess || strings.TrimSpace(string(tis["count"].Output)) != `{"rows": 1, "n": 1}` || string(tis["after"].Output) != `{"rows":1}` {
		t.Fatalf("second run: count %s output %s, after output %s; want the cached output passed on", tis["count"].State, tis["count"].Output, tis["after"].Output)
	}
	logPath, _ := engine.LogPath(c.home, "cached", "run2", "count", -1, 1)
	if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), "[weir] cached: key "+key1) || strings.Contains(string(b), "ran") {
		t.Fatalf("second run's log: %q, %v; want a line saying cached with the key, and no output of the task", b, err)
	}
	c.mu.Lock()
	var sawCached bool
	for _, ev := range c.evs {
		sawCached = sawCached || (ev.RunID == "run2" && ev.TaskID == "count" && ev.State == store.TISuccess && ev.CachedFrom == "cached/run1/count" && ev.CacheKey == key1)
	}
	c.mu.Unlock()
	if !sawCached {
		t.Fatal("no success event of run2's count saying it was cached, with its key")
	}

	write(t, filepath.Join(dir, "data.csv"), "a,b\n1,3\n")
	_, tis = c.run(d, false, nil)
	want("changed input file", 2, tis["count"], false)
	if tis["count"].CacheKey == key1 {
		t.Fatal("the key did not change with the content of data.csv")
	}

	_, tis = c.run(d, true, nil)
	want("--no-cache", 3, tis["count"], false)

	_, tis = c.run(d, false, nil)
	want("after --no-cache", 3, tis["count"], true)
	if n, err := c.st.DeleteCacheEntries(t.Context(), store.CacheFilter{DAGID: "cached", TaskID: "count"}); err != nil || n != 2 {
		t.Fatalf("DeleteCacheEntries = %d, %v; want the 2 entries of the two data files", n, err)
	}
	_, tis = c.run(d, false, nil)
	want("after cache clear", 4, tis["count"], false)

	_, tis = c.run(d, false, map[string]any{"n": 2})
	want("changed params", 5, tis["count"], false)
	if strings.TrimSpace(string(tis["count"].Output)) != `{"rows": 1, "n": 2}` {
		t.Fatalf("changed params: output %s", tis["count"].Output)
	}
	_, tis = c.run(d, false, map[string]any{"n": 2})
	want("same params again", 5, tis["count"], true)
}

// TestCacheKeysInletsAndUpstreamOutputs checks that a declared inlet folder's content and
// an upstream's output are in the key, and that only successes are cached.
func TestCacheKeysInletsAndUpstreamOutputs(t *testing.T) {
	t.Parallel()
	c := newCacheEnv(t)
	dir := t.TempDir()
	count := filepath.Join(dir, "count.log")
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(data, "part-0.csv"), "x\n1\n")
	fail := filepath.Join(dir, "fail")
	on := true
	d := &dag.DAG{ID: "inlets", Source: filepath.Join(dir, "inlets.yaml"),
		Params:   map[string]dag.Param{"v": {Schema: map[string]any{"type": "string", "default": "a"}}},
		Defaults: dag.TaskOptions{Cache: &on},
		Tasks: []*dag.Task{
			goTask("up", "echo", map[string]any{"v": "{{ params.v }}"}),
			{ID: "count", Kind: dag.KindCommand, Upstream: []string{"up"}, Inlets: []string{"data"},
				TaskOptions: dag.TaskOptions{Retries: ptr(0)}, Command: &dag.CommandSpec{
					Argv: []string{"sh", "-c", `echo ran >> "$COUNTER"; if [ -e "$FAIL" ]; then exit 1; fi`},
					Env:  map[string]string{"COUNTER": count, "FAIL": fail}}},
		}}
	_, tis := c.run(d, false, nil)
	if counter(t, count) != 1 || tis["up"].CachedFrom != "" {
		t.Fatalf("first run: %d runs, up cached from %q", counter(t, count), tis["up"].CachedFrom)
	}
	_, tis = c.run(d, false, nil)
	if counter(t, count) != 1 || tis["count"].CachedFrom != "inlets/run1/count" || tis["up"].CachedFrom != "inlets/run1/up" {
		t.Fatalf("second run: %d runs, count cached from %q, up from %q; want both cached from run1", counter(t, count), tis["count"].CachedFrom, tis["up"].CachedFrom)
	}
	write(t, filepath.Join(data, "part-1.csv"), "x\n2\n") // a new file in the inlet folder
	_, _ = c.run(d, false, nil)
	if counter(t, count) != 2 {
		t.Fatalf("a new file in the inlet folder: %d runs, want 2", counter(t, count))
	}
	_, _ = c.run(d, false, map[string]any{"v": "b"}) // up's output changes
	if counter(t, count) != 3 {
		t.Fatalf("a changed upstream output: %d runs, want 3", counter(t, count))
	}
	// A failure is not cached: the failing key is new (the run fails), and once it succeeds
	// under that key, the next run reuses the success.
	write(t, fail, "")
	write(t, filepath.Join(data, "part-2.csv"), "x\n3\n")
	ctx := t.Context()
	before, err := c.st.ListCacheEntries(ctx, store.CacheFilter{DAGID: "inlets", TaskID: "count"})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		funcs := executor.NewFuncs()
		_ = funcs.Register("echo", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) { return args, nil })
		eng, err := engine.New(engine.Config{Store: c.st, Kinds: executor.NewRegistry(funcs), Home: c.home})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer eng.Stop()
		r, err := eng.Trigger(ctx, d, engine.TriggerOptions{RunID: "failing"})
		if err != nil {
			t.Fatal(err)
		}
		if final, err := eng.Wait(ctx, r.DAGID, r.RunID); err != nil || final.State != store.RunFailed {
			t.Fatalf("failing run: %v, %v; want failed", final, err)
		}
	}()
	after, err := c.st.ListCacheEntries(ctx, store.CacheFilter{DAGID: "inlets", TaskID: "count"})
	if err != nil || len(after) != len(before) {
		t.Fatalf("cache entries of count: %d before the failing run, %d after (%v); want no new one", len(before), len(after), err)
	}
	if err := os.Remove(fail); err != nil {
		t.Fatal(err)
	}
	_, tis = c.run(d, false, nil)
	if counter(t, count) != 5 || tis["count"].CachedFrom != "" {
		t.Fatalf("after the failure: %d runs, cached from %q; want 5 runs, not cached", counter(t, count), tis["count"].CachedFrom)
	}
}

// TestCacheKeysMappedInstancesByTheirArgs checks that each instance of a cached mapped task
// has its own entry, keyed with its arguments: a second run reuses each, in order.
func TestCacheKeysMappedInstancesByTheirArgs(t *testing.T) {
	t.Parallel()
	c := newCacheEnv(t)
	dir := t.TempDir()
	count := filepath.Join(dir, "count.log")
	on := true
	sq := &dag.Task{ID: "square", Kind: dag.KindCommand, TaskOptions: dag.TaskOptions{Cache: &on}, Command: &dag.CommandSpec{
		Script: `echo {{ args.x }} >> "$COUNTER"; echo $(( {{ args.x }} * {{ args.x }} )) > "$WEIR_OUTPUT"`,
		Env:    map[string]string{"COUNTER": count}}}
	d := &dag.DAG{ID: "mapped", Source: filepath.Join(dir, "mapped.yaml"), Tasks: []*dag.Task{sq,
		goTask("total", "echo", map[string]any{"squares": "{{ outputs.square }}"}, "square")}}
	sq.Expand = map[string]any{"x": "{{ params.xs }}"}
	d.Params = map[string]dag.Param{"xs": {Schema: map[string]any{"type": "array", "default": []any{3.0, 2.0}}}}
	mapped := func(r *store.DAGRun) []*store.TaskInstance {
		tis, err := c.st.ListTaskInstances(t.Context(), store.ListTIParams{DAGID: "mapped", RunID: r.RunID, TaskIDs: []string{"square"}})
		if err != nil {
			t.Fatal(err)
		}
		return tis
	}
	c.run(d, false, nil)
	if got := counter(t, count); got != 2 {
		t.Fatalf("first run: %d instance runs, want 2", got)
	}
	r, tis := c.run(d, false, nil)
	inst := mapped(r)
	if counter(t, count) != 2 || len(inst) != 2 || inst[0].CachedFrom != "mapped/run1/square[0]" || inst[1].CachedFrom != "mapped/run1/square[1]" ||
		string(tis["total"].Output) != `{"squares":[9,4]}` {
		t.Fatalf("second run: %d runs, instances %+v, total %s; want both reused, in order", counter(t, count), inst, tis["total"].Output)
	}
	// A third item: the params change, so every key changes (params are in the key).
	r, tis = c.run(d, false, map[string]any{"xs": []any{3.0, 2.0, 4.0}})
	if counter(t, count) != 5 || string(tis["total"].Output) != `{"squares":[9,4,16]}` || len(mapped(r)) != 3 {
		t.Fatalf("third run: %d runs, total %s", counter(t, count), tis["total"].Output)
	}
}

// TestCacheIgnoresAResultWhoseFilesAreGone checks that a cached output naming a file://
// URI that was deleted since is not reused: the task runs and writes it again.
func TestCacheIgnoresAResultWhoseFilesAreGone(t *testing.T) {
	t.Parallel()
	c := newCacheEnv(t)
	dir := t.TempDir()
	count, out := filepath.Join(dir, "count.log"), filepath.Join(dir, "model.json")
	on := true
	d := &dag.DAG{ID: "gone", Source: filepath.Join(dir, "gone.yaml"), Tasks: []*dag.Task{
		{ID: "train", Kind: dag.KindCommand, TaskOptions: dag.TaskOptions{Cache: &on}, Command: &dag.CommandSpec{
			Script: `echo ran >> "$COUNTER"; echo '{}' > "$MODEL"; echo "{\"model\": \"file://$MODEL\"}" > "$WEIR_OUTPUT"`,
			Env:    map[string]string{"COUNTER": count, "MODEL": out}}}}}
	c.run(d, false, nil)
	if _, tis := c.run(d, false, nil); counter(t, count) != 1 || tis["train"].CachedFrom == "" {
		t.Fatalf("second run: %d runs, cached from %q; want the result reused", counter(t, count), tis["train"].CachedFrom)
	}
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	_, tis := c.run(d, false, nil)
	if counter(t, count) != 2 || tis["train"].CachedFrom != "" {
		t.Fatalf("after the model file was deleted: %d runs, cached from %q; want a run", counter(t, count), tis["train"].CachedFrom)
	}
	logPath, _ := engine.LogPath(c.home, "gone", "run3", "train", -1, 1)
	if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), "which no longer exists; the task runs") {
		t.Fatalf("log of the third run: %q, %v; want it to say why the cached result was not used", b, err)
	}
}
