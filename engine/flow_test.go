package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/store"
)

// flowFuncs registers the Go functions the flow tests use:
//   - do: {"do": "success"|"fail"|"skip", "out": any} succeeds with out, fails, or skips;
//   - echo: returns its args;
//   - record: appends its task id and map index to a shared log, returns its args.
func flowFuncs(log *[]string, mu *sync.Mutex) func(f *executor.Funcs) {
	return func(f *executor.Funcs) {
		_ = f.Register("do", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
			var in struct {
				Do  string
				Out any
			}
			_ = json.Unmarshal(args, &in)
			switch in.Do {
			case "fail":
				return nil, errors.New("asked to fail")
			case "skip":
				return nil, &executor.SkipError{Reason: "asked to skip"}
			}
			if in.Out == nil {
				return nil, nil
			}
			return json.Marshal(in.Out)
		})
		_ = f.Register("echo", func(_ context.Context, args json.RawMessage) (json.RawMessage, error) {
			return args, nil
		})
		_ = f.Register("record", func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
			info := executor.InfoFrom(ctx)
			mu.Lock()
			*log = append(*log, fmt.Sprintf("%s[%d]", info.TaskID, info.MapIndex))
			mu.Unlock()
			return args, nil
		})
	}
}

func do(id, what string, up ...string) *dag.Task {
	return goTask(id, "do", map[string]any{"do": what}, up...)
}

func rule(t *dag.Task, r dag.TriggerRule) *dag.Task { t.TriggerRule = r; return t }

func flowEnv(t *testing.T) (*env, *[]string, *sync.Mutex) {
	var log []string
	var mu sync.Mutex
	return setup(t, setupOpts{register: flowFuncs(&log, &mu)}), &log, &mu
}

// instances returns the run's instances of one task by map index.
func (e *env) instances(r *store.DAGRun, taskID string) []*store.TaskInstance {
	e.t.Helper()
	tis, err := e.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: r.DAGID, RunID: r.RunID, TaskIDs: []string{taskID}})
	if err != nil {
		e.t.Fatal(err)
	}
	return tis
}

func setupTask(t *dag.Task) *dag.Task { t.Setup = true; return t }

func teardownTask(t *dag.Task, setups ...string) *dag.Task {
	t.Teardown = &dag.TeardownSpec{Setups: setups}
	t.Upstream = append(t.Upstream, setups...)
	return t
}

// Airflow docs, howto/setup-and-teardown.rst: the teardown runs when its setup succeeded,
// also after the work failed; the run fails because the work (an effective leaf) failed,
// and teardowns do not count for the run's state.
func TestTeardownRunsAfterWorkFails(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	d := &dag.DAG{ID: "st1", Tasks: []*dag.Task{
		setupTask(do("create", "success")),
		do("work", "fail", "create"),
		teardownTask(do("delete", "success", "work"), "create"),
	}}
	run, tis := e.run(d, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"create": store.TISuccess, "work": store.TIFailed, "delete": store.TISuccess})
	if run.State != store.RunFailed {
		t.Errorf("run %s, want failed (the work failed)", run.State)
	}
}

// howto/setup-and-teardown.rst: teardowns are ignored for the run's state unless
// on_failure_fail_dagrun is set.
func TestTeardownFailureCountsOnlyWithOnFailureFailDagrun(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	for _, failRun := range []bool{false, true} {
		td := teardownTask(do("delete", "fail", "work"), "create")
		td.Teardown.OnFailureFailDagrun = failRun
		d := &dag.DAG{ID: fmt.Sprintf("st2_%v", failRun), Tasks: []*dag.Task{setupTask(do("create", "success")), do("work", "success", "create"), td}}
		run, _ := e.run(d, engine.TriggerOptions{})
		want := store.RunSuccess
		if failRun {
			want = store.RunFailed
		}
		if run.State != want {
			t.Errorf("on_failure_fail_dagrun=%v: run %s, want %s", failRun, run.State, want)
		}
	}
}

// howto/setup-and-teardown.rst: in-scope work has an implicit all-success dependency on its
// setups — setup failed → work upstream_failed (even a work task with trigger rule all_done
// that is only indirectly downstream); setup skipped → work skipped; a teardown none of whose
// setups succeeded is upstream_failed, one whose setups all skipped is skipped.
func TestSetupFailureAndSkipPropagate(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	for _, tc := range []struct {
		setup          string
		work, teardown store.TIState
	}{
		{"fail", store.TIUpstreamFailed, store.TIUpstreamFailed},
		{"skip", store.TISkipped, store.TISkipped},
	} {
		d := &dag.DAG{ID: "st3_" + tc.setup, Tasks: []*dag.Task{
			setupTask(do("create", tc.setup)),
			do("load", "success"),
			do("a", "success", "create"),
			rule(do("b", "success", "a", "load"), dag.AllDone), // indirect: the setup constraint applies
			teardownTask(do("delete", "success", "b"), "create"),
		}}
		_, tis := e.run(d, engine.TriggerOptions{})
		wantStates(t, tis, map[string]store.TIState{"b": tc.work, "delete": tc.teardown, "load": store.TISuccess})
	}
}

// howto/setup-and-teardown.rst: a setup without a teardown scopes everything downstream.
func TestSetupWithoutTeardownScopesAllDownstream(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	d := &dag.DAG{ID: "st4", Tasks: []*dag.Task{
		setupTask(do("create", "fail")),
		rule(do("a", "success", "create"), dag.AllDone),
		rule(do("b", "success", "a"), dag.AllDone),
	}}
	_, tis := e.run(d, engine.TriggerOptions{})
	// a is a direct downstream with all_done: it runs. b is indirectly in scope: the setup
	// constraint makes it upstream_failed.
	wantStates(t, tis, map[string]store.TIState{"a": store.TISuccess, "b": store.TIUpstreamFailed})
}

// howto/setup-and-teardown.rst: clearing a task in scope also clears its setups and teardowns.
func TestClearInScopeTaskClearsSetupAndTeardown(t *testing.T) {
	t.Parallel()
	e, log, mu := flowEnv(t)
	d := &dag.DAG{ID: "st5", Tasks: []*dag.Task{
		setupTask(goTask("create", "record", nil)),
		goTask("work", "record", nil, "create"),
		goTask("other", "record", nil),
		teardownTask(goTask("delete", "record", nil, "work"), "create"),
	}}
	run, _ := e.run(d, engine.TriggerOptions{})
	ctx := context.Background()
	cleared, err := engine.Clear(ctx, e.st, "st5", run.RunID, engine.ClearOptions{TaskIDs: []string{"work"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cleared, ","); got != "create,work,delete" {
		t.Errorf("cleared %s, want create,work,delete", got)
	}
	if _, _, err := e.eng.Resume(ctx, "st5", run.RunID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Wait(ctx, "st5", run.RunID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	counts := map[string]int{}
	for _, l := range *log {
		counts[l]++
	}
	if counts["create[-1]"] != 2 || counts["work[-1]"] != 2 || counts["delete[-1]"] != 2 || counts["other[-1]"] != 1 {
		t.Errorf("executions %v", counts)
	}
}

// howto/setup-and-teardown.rst: marking a run failed still runs its teardowns.
func TestMarkRunFailedStillRunsTeardown(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("block", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		_ = f.Register("ok", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	}})
	d := &dag.DAG{ID: "st6", Source: "go:test", Tasks: []*dag.Task{
		setupTask(goTask("create", "ok", nil)),
		goTask("work", "block", nil, "create"),
		goTask("after", "ok", nil, "work"),
		teardownTask(goTask("delete", "ok", nil, "after"), "create"),
	}}
	ctx := context.Background()
	run, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if err := e.eng.MarkRun(ctx, "st6", run.RunID, store.RunFailed); err != nil {
		t.Fatal(err)
	}
	final, err := e.eng.Wait(ctx, "st6", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != store.RunFailed {
		t.Errorf("run %s, want failed", final.State)
	}
	wantStates(t, e.tis(final), map[string]store.TIState{"work": store.TIFailed, "after": store.TISkipped, "delete": store.TISuccess})
}

// howto/setup-and-teardown.rst ("Setup and teardown in task groups"): a dependency on a
// group does not wait for the teardown inside it.
func TestGroupDependencyIgnoresTeardown(t *testing.T) {
	t.Parallel()
	create := setupTask(do("g.create", "success"))
	create.Group = "g"
	work := do("g.work", "success", "g.create")
	work.Group = "g"
	del := teardownTask(do("g.delete", "success", "g.work"), "g.create")
	del.Group = "g"
	d := &dag.DAG{ID: "st7", Groups: []*dag.Group{{ID: "g", Tasks: []string{"g.create", "g.work", "g.delete"}}},
		Tasks: []*dag.Task{create, work, del, do("after", "success", "g")}}
	if err := dag.ExpandGroups(d); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Tasks[3].Upstream, ","); got != "g.work" {
		t.Errorf("after depends on %s, want g.work (not the teardown)", got)
	}
}

// authoring-and-scheduling/dynamic-task-mapping.rst: expand over a literal list; each
// instance has its own map index, args and output; a downstream task receives the ordered
// list of the mapped outputs (reduce); map_index_template names the instances.
func TestMapLiteralAndReduce(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	sq := &dag.Task{ID: "square", Kind: dag.KindCommand, Command: &dag.CommandSpec{Script: `echo $(( {{ args.x }} * {{ args.x }} )) > "$WEIR_OUTPUT"`}}
	sq.Expand = map[string]any{"x": []any{3.0, 1.0, 2.0}}
	sq.MapIndexTemplate = "x={{ args.x }}"
	sum := goTask("total", "echo", map[string]any{"squares": "{{ outputs.square }}"}, "square")
	run, tis := e.run(&dag.DAG{ID: "map1", Tasks: []*dag.Task{sq, sum}}, engine.TriggerOptions{})
	if run.State != store.RunSuccess {
		t.Fatalf("run %s", run.State)
	}
	inst := e.instances(run, "square")
	if len(inst) != 3 {
		t.Fatalf("%d instances, want 3", len(inst))
	}
	for i, ti := range inst {
		if ti.MapIndex != i || ti.State != store.TISuccess {
			t.Errorf("instance %d: index %d state %s", i, ti.MapIndex, ti.State)
		}
	}
	if inst[0].RenderedMapIndex != "x=3" || string(inst[2].Args) != `{"x":2}` {
		t.Errorf("instance 0 named %q, instance 2 args %s", inst[0].RenderedMapIndex, inst[2].Args)
	}
	if got := string(tis["total"].Output); got != `{"squares":[9,1,4]}` {
		t.Errorf("reduce got %s, want the ordered list [9,1,4]", got)
	}
}

// dynamic-task-mapping.rst: several expanded arguments give the cross product; partial
// arguments are fixed for every instance; expand_kwargs maps over a list of objects.
func TestMapCrossProductPartialAndKwargs(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	grid := goTask("grid", "echo", nil)
	grid.Expand = map[string]any{"lr": []any{0.1, 0.01}, "depth": []any{3.0, 5.0}}
	grid.Partial = map[string]any{"model": "tree"}
	kw := goTask("kw", "echo", nil)
	kw.ExpandKwargs = []any{map[string]any{"a": 1.0}, map[string]any{"a": 2.0, "b": true}}
	kw.Partial = map[string]any{"c": "fixed"}
	run, _ := e.run(&dag.DAG{ID: "map2", Tasks: []*dag.Task{grid, kw}}, engine.TriggerOptions{})
	var got []string
	for _, ti := range e.instances(run, "grid") {
		got = append(got, string(ti.Output))
	}
	want := `{"depth":3,"lr":0.1,"model":"tree"} {"depth":3,"lr":0.01,"model":"tree"} {"depth":5,"lr":0.1,"model":"tree"} {"depth":5,"lr":0.01,"model":"tree"}`
	if strings.Join(got, " ") != want {
		t.Errorf("cross product outputs\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	got = nil
	for _, ti := range e.instances(run, "kw") {
		got = append(got, string(ti.Output))
	}
	if strings.Join(got, " ") != `{"a":1,"c":"fixed"} {"a":2,"b":true,"c":"fixed"}` {
		t.Errorf("expand_kwargs outputs %v", got)
	}
}

// dynamic-task-mapping.rst: mapping over an upstream's output; a mapped instance whose
// output is null drops out of a downstream expansion ("Filtering items from a mapped
// task"); zip and concat of inputs.
func TestMapOverUpstreamOutputNullsDropZipConcat(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	src := goTask("src", "do", map[string]any{"out": []any{1.0, 2.0, 3.0, 4.0}})
	filter := goTask("keep_even", "do", nil, "src")
	filter.Expand = map[string]any{"out": "{{ map(outputs.src, int(#) % 2 == 0 ? # : nil) }}"}
	next := goTask("next", "echo", nil, "keep_even")
	next.Expand = map[string]any{"v": "{{ outputs.keep_even }}"}
	zipped := goTask("zipped", "echo", nil, "src")
	zipped.Expand = map[string]any{"pair": `{{ zip(outputs.src, ["a", "b"]) }}`}
	longest := goTask("longest", "echo", nil, "src")
	longest.Expand = map[string]any{"pair": `{{ zip_longest(0, ["a"], [1, 2]) }}`}
	joined := goTask("joined", "echo", nil, "src")
	joined.Expand = map[string]any{"v": `{{ concat(outputs.src, [9]) }}`}
	run, _ := e.run(&dag.DAG{ID: "map3", Tasks: []*dag.Task{src, filter, next, zipped, longest, joined}}, engine.TriggerOptions{})
	if run.State != store.RunSuccess {
		dumpRun(t, e, run)
		t.Fatalf("run %s", run.State)
	}
	count := func(id string) int { return len(e.instances(run, id)) }
	if count("keep_even") != 4 || count("next") != 2 || count("zipped") != 2 || count("longest") != 2 || count("joined") != 5 {
		t.Errorf("instances: keep_even %d (4), next %d (2: nulls dropped), zipped %d (2), longest %d (2), joined %d (5)",
			count("keep_even"), count("next"), count("zipped"), count("longest"), count("joined"))
	}
	if got := string(e.instances(run, "longest")[1].Output); got != `{"pair":[0,2]}` {
		t.Errorf("zip_longest pads with the fill value: %s", got)
	}
}

// dynamic-task-mapping.rst: zero-length input → the mapped task is skipped; more than
// max_map_length items fails the upstream task. An output that is not a list or map fails
// the producer, as task-sdk task_runner.py _push_xcom_if_needed does
// (UnmappableXComTypePushed; XComForMappingNotPushed for none), and the mapped task becomes
// upstream_failed; when the expansion reads several outputs (zip), the mapped task fails,
// saying what it got.
func TestMapEdgeCases(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	empty := goTask("empty", "echo", nil)
	empty.Expand = map[string]any{"x": []any{}}
	after := goTask("after_empty", "echo", nil, "empty")
	str := goTask("str", "do", map[string]any{"out": "abc"})
	bad := goTask("bad", "echo", nil, "str")
	bad.Expand = map[string]any{"x": "{{ outputs.str }}"}
	obj := goTask("obj", "do", map[string]any{"out": map[string]any{"n": 3.0}})
	field := goTask("field", "echo", nil, "obj")
	field.Expand = map[string]any{"x": "{{ outputs.obj.n }}"}
	none := goTask("none", "do", map[string]any{"out": nil})
	afterNone := goTask("after_none", "echo", nil, "none")
	afterNone.ExpandKwargs = "{{ outputs.none }}"
	two := goTask("two", "do", map[string]any{"out": 7.0})
	list := goTask("list", "do", map[string]any{"out": []any{1.0}})
	zipped := goTask("zipped", "echo", nil, "two", "list")
	zipped.Expand = map[string]any{"x": "{{ zip(outputs.two, outputs.list) }}"}
	long := goTask("long", "do", map[string]any{"out": []any{1.0, 2.0, 3.0, 4.0}})
	overflow := goTask("overflow", "echo", nil, "long")
	overflow.Expand = map[string]any{"x": "{{ outputs.long }}"}
	d := &dag.DAG{ID: "map4", MaxMapLength: 3, Tasks: []*dag.Task{empty, after, str, bad, obj, field, none, afterNone, two, list, zipped, long, overflow}}
	_, tis := e.run(d, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"empty": store.TISkipped, "after_empty": store.TISkipped,
		"str": store.TIFailed, "bad": store.TIUpstreamFailed, "obj": store.TIFailed, "field": store.TIUpstreamFailed,
		"none": store.TIFailed, "after_none": store.TIUpstreamFailed, "two": store.TISuccess, "zipped": store.TIFailed,
		"long": store.TIFailed, "overflow": store.TIUpstreamFailed})
	for id, want := range map[string]string{
		"str":    `UnmappableXComTypePushed: task bad maps over {{ outputs.str }} (expand.x), which is a string "abc"`,
		"obj":    `UnmappableXComTypePushed: task field maps over {{ outputs.obj.n }} (expand.x), which is a number 3`,
		"none":   `XComForMappingNotPushed: task after_none maps over {{ outputs.none }} (expand_kwargs), which is null`,
		"zipped": `zip: argument 1 is float64, want a list`,
	} {
		if !strings.Contains(tis[id].Error, want) {
			t.Errorf("%s error %q, want %q", id, tis[id].Error, want)
		}
	}
	if !strings.Contains(tis["long"].Error, "more than max_map_length (3)") {
		t.Errorf("long error %q", tis["long"].Error)
	}
}

// dynamic-task-mapping.rst: each instance has its own retries, state and logs; mapped
// upstream instances count one by one for the downstream's trigger rule.
func TestMappedInstancesRetryAloneAndCountForTriggerRules(t *testing.T) {
	t.Parallel()
	var calls sync.Map
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("flaky1", func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
			info := executor.InfoFrom(ctx)
			n, _ := calls.LoadOrStore(info.MapIndex, new(atomic.Int32))
			c := n.(*atomic.Int32).Add(1)
			if info.MapIndex == 1 && c == 1 {
				return nil, errors.New("transient")
			}
			if info.MapIndex == 2 {
				return nil, errors.New("always")
			}
			return nil, nil
		})
		_ = f.Register("ok", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	}})
	m := goTask("m", "flaky1", nil)
	m.Expand = map[string]any{"i": []any{0.0, 1.0, 2.0}}
	m.Retries = ptr(1)
	m.RetryDelay = ptr(dag.Duration(0))
	run, tis := e.run(&dag.DAG{ID: "map5", Tasks: []*dag.Task{m,
		goTask("needs_all", "ok", nil, "m"),
		rule(goTask("on_failure", "ok", nil, "m"), dag.OneFailed),
		rule(goTask("min_one", "ok", nil, "m"), dag.AllDoneMinOneSuccess),
	}}, engine.TriggerOptions{})
	inst := e.instances(run, "m")
	if inst[0].TryNumber != 1 || inst[1].TryNumber != 2 || inst[2].TryNumber != 2 {
		t.Errorf("tries %d %d %d, want 1 2 2", inst[0].TryNumber, inst[1].TryNumber, inst[2].TryNumber)
	}
	if inst[1].State != store.TISuccess || inst[2].State != store.TIFailed {
		t.Errorf("states %s %s", inst[1].State, inst[2].State)
	}
	wantStates(t, tis, map[string]store.TIState{"needs_all": store.TIUpstreamFailed, "on_failure": store.TISuccess, "min_one": store.TISuccess})
}

// dynamic-task-mapping.rst ("Mapping over a task group"): instance i of each task depends
// only on instance i of its upstream in the group; the group's output is the list of its
// instances' outputs.
func TestMappedGroup(t *testing.T) {
	t.Parallel()
	e, log, mu := flowEnv(t)
	train := &dag.Task{ID: "hp.train", Group: "hp", Kind: dag.KindCommand, Command: &dag.CommandSpec{
		Script: `sleep 0.0{{ 3 - map_index }}; echo '{"lr": {{ args.lr }}, "score": {{ 1 - args.lr }}}' > "$WEIR_OUTPUT"`}}
	evaluate := goTask("hp.evaluate", "record", map[string]any{"trained": "{{ outputs.hp.train }}", "i": "{{ map_index }}"}, "hp.train")
	evaluate.Group = "hp"
	best := goTask("best", "echo", map[string]any{"all": "{{ outputs.hp }}"}, "hp.evaluate")
	d := &dag.DAG{ID: "mg", Groups: []*dag.Group{{ID: "hp", Tasks: []string{"hp.train", "hp.evaluate"},
		Mapping: dag.Mapping{Expand: map[string]any{"lr": []any{0.1, 0.2, 0.3}}}}},
		Tasks: []*dag.Task{train, evaluate, best}}
	run, tis := e.run(d, engine.TriggerOptions{})
	if run.State != store.RunSuccess {
		t.Fatalf("run %s", run.State)
	}
	for i, ti := range e.instances(run, "hp.evaluate") {
		var out struct {
			Trained struct{ LR float64 }
			I       int
		}
		_ = json.Unmarshal(ti.Output, &out)
		if out.I != i || out.Trained.LR != []float64{0.1, 0.2, 0.3}[i] {
			t.Errorf("evaluate[%d] saw %s: want the train output of instance %d", i, ti.Output, i)
		}
	}
	var all struct {
		All []struct{ Trained struct{ LR float64 } }
	}
	if err := json.Unmarshal(tis["best"].Output, &all); err != nil || len(all.All) != 3 || all.All[2].Trained.LR != 0.3 {
		t.Errorf("best got %s", tis["best"].Output)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(*log) != 3 {
		t.Errorf("evaluate ran %d times, want 3", len(*log))
	}
}

// dynamic-task-mapping.rst: max_active_tis_per_dag limits concurrent instances of one task.
func TestMaxActiveTIsPerDAG(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int32
	// The first two instances wait for each other (a busy machine may otherwise finish one
	// before the engine starts the next), so the peak reaches the limit whatever the load.
	two := make(chan struct{})
	var twoOnce sync.Once
	e := setup(t, setupOpts{register: func(f *executor.Funcs) {
		_ = f.Register("slow", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			if n >= 2 {
				twoOnce.Do(func() { close(two) })
			}
			select {
			case <-two:
			case <-ctx.Done():
			case <-time.After(10 * time.Second): // the limit let only one run: the check below fails
			}
			running.Add(-1)
			return nil, nil
		})
	}})
	m := goTask("m", "slow", nil)
	m.Expand = map[string]any{"i": []any{1.0, 2.0, 3.0, 4.0, 5.0}}
	m.MaxActiveTIsPerDAG = 2
	run, _ := e.run(&dag.DAG{ID: "maxtis", Tasks: []*dag.Task{m}}, engine.TriggerOptions{})
	if run.State != store.RunSuccess || peak.Load() != 2 {
		t.Errorf("run %s, peak %d running instances, want 2", run.State, peak.Load())
	}
}

// Beyond Airflow: clearing and re-running a single mapped instance.
func TestClearSingleMappedInstance(t *testing.T) {
	t.Parallel()
	e, log, mu := flowEnv(t)
	m := goTask("m", "record", nil)
	m.Expand = map[string]any{"i": []any{1.0, 2.0, 3.0}}
	run, _ := e.run(&dag.DAG{ID: "clear1", Tasks: []*dag.Task{m, goTask("after", "record", nil, "m")}}, engine.TriggerOptions{})
	ctx := context.Background()
	cleared, err := engine.Clear(ctx, e.st, "clear1", run.RunID, engine.ClearOptions{TaskIDs: []string{"m"}, MapIndexes: []int{1}})
	if err != nil || strings.Join(cleared, ",") != "m[1]" {
		t.Fatalf("cleared %v %v", cleared, err)
	}
	if _, _, err := e.eng.Resume(ctx, "clear1", run.RunID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Wait(ctx, "clear1", run.RunID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(*log, ","); !strings.HasSuffix(got, ",m[1]") || strings.Count(got, "m[1]") != 2 || strings.Count(got, "m[0]") != 1 {
		t.Errorf("executions %s: want m[1] once more, the others once", got)
	}
	// Clearing the mapped task as a whole collapses it: it expands again.
	if _, err := engine.Clear(ctx, e.st, "clear1", run.RunID, engine.ClearOptions{TaskIDs: []string{"m"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.instances(run, "m"); len(got) != 1 || got[0].MapIndex != -1 {
		t.Errorf("after a full clear: %d instances (want the placeholder only)", len(got))
	}
}

// core-concepts/dags.rst ("Branching"): the branch returns the task ids to follow; other
// direct paths are skipped and the skip cascades by trigger rules; the join after a branch
// uses none_failed_min_one_success; a task downstream of both the branch and a chosen task
// is not skipped.
func TestBranchExpression(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	for _, tc := range []struct {
		threshold float64
		deploy    store.TIState
	}{{0.5, store.TISuccess}, {0.99, store.TISkipped}} {
		br := &dag.Task{ID: "decide", Kind: dag.KindBranch, Upstream: []string{"score"},
			Branch: &dag.BranchSpec{Expr: `outputs.score.value > params.threshold ? "deploy" : "notify"`}}
		d := &dag.DAG{ID: fmt.Sprintf("br1_%v", tc.threshold), Params: map[string]dag.Param{"threshold": {Schema: map[string]any{"type": "number"}}},
			Tasks: []*dag.Task{
				goTask("score", "do", map[string]any{"out": map[string]any{"value": 0.9}}),
				br,
				do("deploy", "success", "decide"),
				do("notify", "success", "decide"),
				do("after_deploy", "success", "deploy"),
				rule(do("join", "success", "deploy", "notify"), dag.NoneFailedMinOneSuccess),
				do("report", "success", "decide", "deploy"), // downstream of the branch and of deploy
			}}
		run, tis := e.run(d, engine.TriggerOptions{Params: map[string]any{"threshold": tc.threshold}})
		other := store.TISkipped
		if tc.deploy == store.TISkipped {
			other = store.TISuccess
		}
		wantStates(t, tis, map[string]store.TIState{"decide": store.TISuccess, "deploy": tc.deploy, "after_deploy": tc.deploy,
			"notify": other, "join": store.TISuccess, "report": tc.deploy})
		if run.State != store.RunSuccess {
			t.Errorf("threshold %v: run %s", tc.threshold, run.State)
		}
	}
}

// core-concepts/dags.rst ("Branching"): a branch may return a list, none (skip all), or a
// task group id; an id that is not a direct downstream fails the branch with a clear error.
func TestBranchChoices(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	mk := func(id, choice string) *dag.DAG {
		a, b := do("g.a", "success", "pick"), do("g.b", "success", "pick")
		a.Group, b.Group = "g", "g"
		return &dag.DAG{ID: id, Groups: []*dag.Group{{ID: "g", Tasks: []string{"g.a", "g.b"}}}, Tasks: []*dag.Task{
			{ID: "pick", Kind: dag.KindBranch, Branch: &dag.BranchSpec{Expr: choice}},
			do("x", "success", "pick"), do("y", "success", "pick"), a, b,
		}}
	}
	_, tis := e.run(mk("br_list", `["x", "y"]`), engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"x": store.TISuccess, "y": store.TISuccess, "g.a": store.TISkipped})
	_, tis = e.run(mk("br_none", `nil`), engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"x": store.TISkipped, "y": store.TISkipped, "g.b": store.TISkipped})
	_, tis = e.run(mk("br_group", `"g"`), engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"x": store.TISkipped, "g.a": store.TISuccess, "g.b": store.TISuccess})
	_, tis = e.run(mk("br_bad", `"nope"`), engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"pick": store.TIFailed, "x": store.TIUpstreamFailed})
	if !strings.Contains(tis["pick"].Error, `branch chose "nope", which is not a task or group of DAG br_bad; the direct downstreams of pick are: g, g.a, g.b, x, y`) {
		t.Errorf("error %q", tis["pick"].Error)
	}
}

// Airflow's SkipMixin.skip_all_except (airflow/models/skipmixin.py; task-sdk
// airflow/sdk/bases/skipmixin.py in Airflow 3) fails only for ids that are not in the DAG
// ("'branch_task_ids' must contain only valid task_ids"); a chosen task that is not a
// direct downstream is followed: every direct downstream not downstream of a chosen task
// is skipped, and the branch succeeds.
func TestBranchChoosesTaskBeyondDirectDownstream(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	d := &dag.DAG{ID: "br_far", Tasks: []*dag.Task{
		{ID: "pick", Kind: dag.KindBranch, Branch: &dag.BranchSpec{Expr: `["c", "g"]`}},
		do("c", "success"),
		do("a", "success", "pick"),
		do("b", "success", "pick", "c"), // downstream of the chosen c: followed
		do("g.x", "success"),            // a group that is not downstream of pick
		do("far", "success", "a"),
	}, Groups: []*dag.Group{{ID: "g", Tasks: []string{"g.x"}}}}
	d.Tasks[4].Group = "g"
	run, tis := e.run(d, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"pick": store.TISuccess, "c": store.TISuccess, "a": store.TISkipped,
		"b": store.TISuccess, "g.x": store.TISuccess, "far": store.TISkipped})
	if run.State != store.RunSuccess {
		t.Errorf("run %s", run.State)
	}
}

// A command task marked branch: its output is the choice.
func TestBranchFromCommandOutput(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	br := script("pick", `echo '"b"' > "$WEIR_OUTPUT"`)
	br.Branch = &dag.BranchSpec{}
	_, tis := e.run(&dag.DAG{ID: "br_cmd", Tasks: []*dag.Task{br, do("a", "success", "pick"), do("b", "success", "pick")}}, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"a": store.TISkipped, "b": store.TISuccess})
}

// core-concepts/dags.rst / ShortCircuitOperator: a false condition skips everything
// downstream (ignore_downstream_trigger_rules, the default), or only the direct
// downstreams, the rest following their trigger rules.
func TestShortCircuit(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	for _, ignore := range []bool{true, false} {
		sc := &dag.Task{ID: "check", Kind: dag.KindShortCircuit, ShortCircuit: &dag.ShortCircuitSpec{Expr: "1 > 2", IgnoreDownstreamTriggerRules: ptr(ignore)}}
		d := &dag.DAG{ID: fmt.Sprintf("sc_%v", ignore), Tasks: []*dag.Task{sc,
			do("direct", "success", "check"),
			rule(do("always_after", "success", "direct"), dag.AllDone),
		}}
		_, tis := e.run(d, engine.TriggerOptions{})
		want := store.TISuccess
		if ignore {
			want = store.TISkipped
		}
		wantStates(t, tis, map[string]store.TIState{"check": store.TISuccess, "direct": store.TISkipped, "always_after": want})
	}
	sc := &dag.Task{ID: "check", Kind: dag.KindShortCircuit, ShortCircuit: &dag.ShortCircuitSpec{Expr: "params.go"}}
	_, tis := e.run(&dag.DAG{ID: "sc_true", Params: map[string]dag.Param{"go": {Schema: map[string]any{"type": "boolean", "default": true}}},
		Tasks: []*dag.Task{sc, do("next", "success", "check")}}, engine.TriggerOptions{})
	wantStates(t, tis, map[string]store.TIState{"next": store.TISuccess})
}

// core-concepts/dags.rst ("Latest Only"): a manual run is never skipped; a scheduled run
// that is not the latest skips its direct downstreams.
func TestLatestOnly(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	mk := func() *dag.DAG {
		return &dag.DAG{ID: "latest", Tasks: []*dag.Task{{ID: "latest_only", Kind: dag.KindLatestOnly}, do("publish", "success", "latest_only")}}
	}
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	_, tis := e.run(mk(), engine.TriggerOptions{RunType: "scheduled", LogicalDate: day})
	wantStates(t, tis, map[string]store.TIState{"publish": store.TISuccess})
	_, tis = e.run(mk(), engine.TriggerOptions{RunType: "scheduled", LogicalDate: day.Add(-24 * time.Hour)})
	wantStates(t, tis, map[string]store.TIState{"publish": store.TISkipped})
	_, tis = e.run(mk(), engine.TriggerOptions{LogicalDate: day.Add(-48 * time.Hour)})
	wantStates(t, tis, map[string]store.TIState{"publish": store.TISuccess})
}

// The trigger-rule propagation table (shared/reference/airflow-semantics.md, from Airflow's
// trigger_rule_dep.py) end to end: for every rule, upstream outcomes given by unmapped tasks
// and by the instances of one mapped task must give the same final state.
func TestTriggerRuleTableUnmappedAndMapped(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	cases := []struct {
		ups  []string
		want map[dag.TriggerRule]store.TIState
	}{
		{[]string{"success", "success"}, map[dag.TriggerRule]store.TIState{
			dag.AllSuccess: "success", dag.AllFailed: "skipped", dag.AllDone: "success", dag.AllDoneMinOneSuccess: "success",
			dag.AllSkipped: "skipped", dag.OneSuccess: "success", dag.OneFailed: "skipped", dag.OneDone: "success",
			dag.NoneFailed: "success", dag.NoneFailedMinOneSuccess: "success", dag.NoneSkipped: "success", dag.Always: "success"}},
		{[]string{"success", "fail"}, map[dag.TriggerRule]store.TIState{
			dag.AllSuccess: "upstream_failed", dag.AllFailed: "skipped", dag.AllDone: "success", dag.AllDoneMinOneSuccess: "success",
			dag.AllSkipped: "skipped", dag.OneSuccess: "success", dag.OneFailed: "success", dag.OneDone: "success",
			dag.NoneFailed: "upstream_failed", dag.NoneFailedMinOneSuccess: "upstream_failed", dag.NoneSkipped: "success", dag.Always: "success"}},
		{[]string{"success", "skip"}, map[dag.TriggerRule]store.TIState{
			dag.AllSuccess: "skipped", dag.AllFailed: "skipped", dag.AllDone: "success", dag.AllDoneMinOneSuccess: "skipped",
			dag.AllSkipped: "skipped", dag.OneSuccess: "success", dag.OneFailed: "skipped", dag.OneDone: "success",
			dag.NoneFailed: "success", dag.NoneFailedMinOneSuccess: "success", dag.NoneSkipped: "skipped", dag.Always: "success"}},
		{[]string{"fail", "fail"}, map[dag.TriggerRule]store.TIState{
			dag.AllSuccess: "upstream_failed", dag.AllFailed: "success", dag.AllDone: "success", dag.AllDoneMinOneSuccess: "upstream_failed",
			dag.AllSkipped: "skipped", dag.OneSuccess: "upstream_failed", dag.OneFailed: "success", dag.OneDone: "success",
			dag.NoneFailed: "upstream_failed", dag.NoneFailedMinOneSuccess: "upstream_failed", dag.NoneSkipped: "success", dag.Always: "success"}},
		{[]string{"skip", "skip"}, map[dag.TriggerRule]store.TIState{
			dag.AllSuccess: "skipped", dag.AllFailed: "skipped", dag.AllDone: "success", dag.AllDoneMinOneSuccess: "skipped",
			dag.AllSkipped: "success", dag.OneSuccess: "skipped", dag.OneFailed: "skipped", dag.OneDone: "skipped",
			dag.NoneFailed: "success", dag.NoneFailedMinOneSuccess: "skipped", dag.NoneSkipped: "skipped", dag.Always: "success"}},
		{[]string{"fail", "skip"}, map[dag.TriggerRule]store.TIState{
			dag.AllSuccess: "upstream_failed", dag.AllFailed: "skipped", dag.AllDone: "success", dag.AllDoneMinOneSuccess: "skipped",
			dag.AllSkipped: "skipped", dag.OneSuccess: "upstream_failed", dag.OneFailed: "success", dag.OneDone: "success",
			dag.NoneFailed: "upstream_failed", dag.NoneFailedMinOneSuccess: "upstream_failed", dag.NoneSkipped: "skipped", dag.Always: "success"}},
	}
	for ci, c := range cases {
		for _, mapped := range []bool{false, true} {
			d := &dag.DAG{ID: fmt.Sprintf("table_%d_%v", ci, mapped)}
			var ups []string
			if mapped {
				m := goTask("m", "do", nil)
				items := []any{}
				for _, u := range c.ups {
					items = append(items, u)
				}
				m.Expand = map[string]any{"do": items}
				// Instances one at a time, in order, so upstreams finish in the listed order
				// (a rule may decide before every upstream is done, as in Airflow).
				m.MaxActiveTIsPerDAG = 1
				d.Tasks = append(d.Tasks, m)
				ups = []string{"m"}
			} else {
				for i, u := range c.ups {
					id := fmt.Sprintf("u%d", i)
					up := do(id, u)
					if i > 0 { // finish in the listed order, whatever the previous one did
						up = rule(do(id, u, fmt.Sprintf("u%d", i-1)), dag.AllDone)
					}
					d.Tasks = append(d.Tasks, up)
					ups = append(ups, id)
				}
			}
			for r := range c.want {
				d.Tasks = append(d.Tasks, rule(do("t_"+string(r), "success", ups...), r))
			}
			_, tis := e.run(d, engine.TriggerOptions{})
			for r, want := range c.want {
				if got := tis["t_"+string(r)].State; got != want {
					t.Errorf("upstreams %v (mapped %v), rule %s: %s, want %s", c.ups, mapped, r, got, want)
				}
			}
		}
	}
}

func dumpRun(t *testing.T, e *env, r *store.DAGRun) {
	tis, _ := e.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: r.DAGID, RunID: r.RunID})
	for _, ti := range tis {
		t.Logf("%s[%d] %s %s %s", ti.TaskID, ti.MapIndex, ti.State, ti.Output, ti.Error)
	}
}

// Airflow's sensor reschedule mode: a poke that finds the condition false frees its slot
// (so with parallelism 1 the other task can run), does not count as a try, and the
// instance waits in up_for_reschedule; its first poke's start is kept for its timeout.
func TestRescheduleFreesTheSlot(t *testing.T) {
	t.Parallel()
	var pokes atomic.Int32
	var firstStart sync.Map
	home := t.TempDir()
	e := setup(t, setupOpts{parallelism: 1, register: func(f *executor.Funcs) {
		_ = f.Register("ok", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	}})
	_ = home
	e.eng.Kinds().Register("poker", executor.KindFunc(func(_ context.Context, job *executor.Job) executor.Result {
		firstStart.LoadOrStore(pokes.Load(), job.FirstStartedAt)
		if pokes.Add(1) < 3 {
			return executor.Result{Outcome: executor.Rescheduled, RescheduleAt: time.Now().Add(20 * time.Millisecond)}
		}
		return executor.Result{Outcome: executor.Succeeded}
	}))
	d := &dag.DAG{ID: "resched", Tasks: []*dag.Task{{ID: "wait", Kind: "poker"}, goTask("other", "ok", nil)}}
	run, tis := e.run(d, engine.TriggerOptions{})
	if run.State != store.RunSuccess || tis["wait"].TryNumber != 1 || pokes.Load() != 3 {
		t.Fatalf("run %s, wait try %d, pokes %d; want success, 1, 3", run.State, tis["wait"].TryNumber, pokes.Load())
	}
	a, _ := firstStart.Load(int32(0))
	b, _ := firstStart.Load(int32(2))
	if !a.(time.Time).Equal(b.(time.Time)) {
		t.Errorf("first poke start %v, third poke sees %v: want the same", a, b)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	resched := 0
	for _, ev := range e.evs {
		if ev.State == store.TIUpForReschedule {
			resched++
		}
	}
	if resched != 2 {
		t.Errorf("%d up_for_reschedule transitions, want 2", resched)
	}
}

// Airflow's tracker asks for these: many concurrent runs of one DAG with different params
// (no logical-date or run-id collision), each pinned to the DAG version it started with.
func TestConcurrentRunsOfOneDAGWithDifferentParams(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	d := &dag.DAG{ID: "conc", Source: "go:test", Params: map[string]dag.Param{"n": {Schema: map[string]any{"type": "integer"}}},
		Tasks: []*dag.Task{goTask("echo", "echo", map[string]any{"n": "{{ params.n }}"})}}
	ctx := context.Background()
	var wg sync.WaitGroup
	runs := make([]*store.DAGRun, 8)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{Params: map[string]any{"n": i}})
			if err != nil {
				t.Error(err)
				return
			}
			runs[i] = r
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range runs {
		if r == nil {
			t.FailNow()
		}
		if seen[r.RunID] {
			t.Errorf("run id %s used twice", r.RunID)
		}
		seen[r.RunID] = true
		final, err := e.eng.Wait(ctx, "conc", r.RunID)
		if err != nil || final.State != store.RunSuccess {
			t.Fatalf("run %d: %v %v", i, final, err)
		}
		ti, _ := e.st.GetTaskInstance(ctx, "conc", r.RunID, "echo", -1)
		if string(ti.Output) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Errorf("run %d saw %s", i, ti.Output)
		}
		if final.DAGHash == "" || final.DAGHash != runs[0].DAGHash {
			t.Errorf("run %d: DAG hash %q, want the same non-empty version as run 0 (%q)", i, final.DAGHash, runs[0].DAGHash)
		}
	}
	// A changed definition gets another version.
	d.Tasks[0].Go.Args = map[string]any{"n": 1}
	r, err := e.eng.Trigger(ctx, d, engine.TriggerOptions{Params: map[string]any{"n": 0}})
	if err != nil {
		t.Fatal(err)
	}
	if r.DAGHash == runs[0].DAGHash {
		t.Errorf("a changed DAG kept the version %s", r.DAGHash)
	}
	_, _ = e.eng.Wait(ctx, "conc", r.RunID)
}

// Beyond Airflow (its tracker asks for it; Airflow forbids it): a task mapped inside a
// mapped group. Each group instance expands the inner task over what that instance sees;
// a task after it in the group reduces that instance's share only; outside, the group's
// output lists the per-instance reductions; an empty share skips only its instance.
func TestNestedMapping(t *testing.T) {
	t.Parallel()
	e, _, _ := flowEnv(t)
	mk := goTask("g.make", "do", map[string]any{"out": "{{ map(1..int(args.n), # * 10) }}"})
	mk.Group = "g"
	sq := goTask("g.sq", "do", map[string]any{"out": "{{ args.v + args.n }}"}, "g.make")
	sq.Group = "g"
	sq.Expand = map[string]any{"v": `{{ outputs["g.make"] }}`}
	sum := goTask("g.sum", "do", map[string]any{"out": `{{ sum(outputs["g.sq"]) }}`}, "g.sq")
	sum.Group = "g"
	sum.TriggerRule = dag.NoneFailed
	total := goTask("total", "echo", map[string]any{"sums": "{{ outputs.g }}"}, "g.sum")
	d := &dag.DAG{ID: "nested", Groups: []*dag.Group{{ID: "g", Tasks: []string{"g.make", "g.sq", "g.sum"},
		Mapping: dag.Mapping{Expand: map[string]any{"n": []any{2.0, 0.0, 3.0}}}}},
		Tasks: []*dag.Task{mk, sq, sum, total}}
	if err := dag.Validate(d, dag.LoadOptions{}); err != nil {
		t.Fatalf("a mapped task in a mapped group should validate: %v", err)
	}
	run, tis := e.run(d, engine.TriggerOptions{})
	if run.State != store.RunSuccess {
		dumpRun(t, e, run)
		t.Fatalf("run %s", run.State)
	}
	ran := 0
	skipped := 0
	for _, ti := range e.instances(run, "g.sq") {
		switch ti.State {
		case store.TISuccess:
			ran++
		case store.TISkipped:
			skipped++
		}
	}
	if ran != 5 || skipped != 1 {
		dumpRun(t, e, run)
		t.Errorf("g.sq: %d ran (want 2+3), %d skipped (want the empty instance's share)", ran, skipped)
	}
	// Group instance 0 (n=2): 10+2 + 20+2 = 34; instance 1 (n=0): nothing, sum of [] = 0;
	// instance 2 (n=3): 13 + 23 + 33 = 69.
	if got := string(tis["total"].Output); got != `{"sums":[34,0,69]}` {
		dumpRun(t, e, run)
		t.Errorf("total got %s, want the per-instance sums [34,0,69]", got)
	}
}
