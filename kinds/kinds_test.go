package kinds_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// greetSpec is the spec of a kind that only this test knows: nothing in package dag names
// it.
type greetSpec struct {
	Message string            `yaml:"message" template:"true" required:"the message to repeat" doc:"What to say."`
	Times   int               `yaml:"times" doc:"How often (1-5, default 1)."`
	Labels  map[string]string `yaml:"labels" template:"true" doc:"Labels copied to the output."`
	Extra   any               `yaml:"extra" template:"value" doc:"Any value, typed templates kept."`
	Note    string            `yaml:"note" doc:"Not a template."`
}

// greetKind is the test kind: its output repeats the rendered message.
func greetKind() executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name: "test.greet",
			Doc:  "Repeats a message.",
			New:  func() any { return &greetSpec{} },
			Validate: func(c *dag.KindCheck, spec any) {
				g := spec.(*greetSpec)
				if g.Times < 0 || g.Times > 5 {
					c.Errorf("times", "want 1 to 5, got %d", g.Times)
				}
			},
		},
		Run: executor.KindFunc(func(_ context.Context, job *executor.Job) executor.Result {
			g, ok := job.Task.Spec.(*greetSpec)
			if !ok {
				return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf("spec is %T", job.Task.Spec)}
			}
			out, err := json.Marshal(map[string]any{
				"said": strings.Repeat(g.Message, max(g.Times, 1)), "labels": g.Labels, "extra": g.Extra, "note": g.Note})
			if err != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			return executor.Result{Outcome: executor.Succeeded, Output: out}
		}),
	}
}

func setup(t *testing.T) *kinds.Set {
	t.Helper()
	set, err := kinds.Builtin(kinds.Deps{}).With(greetKind())
	if err != nil {
		t.Fatal(err)
	}
	return set
}

const greetDAG = `params: {who: {default: world}}
tasks:
  - id: hello
    command: [echo, hi]
  - id: greet
    upstream: hello
    test.greet:
      message: "hi {{ params.who }} "
      times: 2
      labels: {day: "{{ ds }}"}
      extra: "{{ [1, 2] }}"
      note: "{{ kept }}"
`

func TestExtraKindLoadsRendersAndRuns(t *testing.T) {
	t.Parallel()
	set := setup(t)
	d, err := dag.LoadBytes("greet.yaml", []byte(greetDAG), set.LoadOptions())
	if err != nil {
		t.Fatal(err)
	}
	var task *dag.Task
	for _, x := range d.Tasks {
		if x.ID == "greet" {
			task = x
		}
	}
	if task == nil || task.Kind != "test.greet" {
		t.Fatalf("task greet: %+v", task)
	}
	spec, ok := task.Spec.(*greetSpec)
	if !ok || spec.Times != 2 || spec.Message != "hi {{ params.who }} " {
		t.Fatalf("spec = %#v", task.Spec)
	}

	// A real engine on a real SQLite file runs it with the set's executors.
	home := t.TempDir()
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
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	run, err := eng.Trigger(ctx, d, engine.TriggerOptions{LogicalDate: day})
	if err != nil {
		t.Fatal(err)
	}
	final, err := eng.Wait(ctx, run.DAGID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	tis, err := st.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		t.Fatal(err)
	}
	var out json.RawMessage
	for _, ti := range tis {
		if ti.TaskID == "greet" {
			if ti.State != store.TISuccess {
				t.Fatalf("greet is %s: %s", ti.State, ti.Error)
			}
			out = ti.Output
		}
	}
	if final.State != store.RunSuccess {
		t.Fatalf("run is %s", final.State)
	}
	var got struct {
		Said   string            `json:"said"`
		Labels map[string]string `json:"labels"`
		Extra  []any             `json:"extra"`
		Note   string            `json:"note"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	if got.Said != "hi world hi world " || got.Labels["day"] != "2026-03-04" || len(got.Extra) != 2 || got.Note != "{{ kept }}" {
		t.Errorf("output = %s", out)
	}
	if spec.Message != "hi {{ params.who }} " || spec.Labels["day"] != "{{ ds }}" {
		t.Errorf("rendering changed the loaded DAG's spec: %#v", spec)
	}

	// Cleared and resumed, the task runs again from the run's DAG snapshot (JSON in the
	// store): its spec comes back as its struct, and is rendered again.
	if _, err := engine.Clear(ctx, st, run.DAGID, run.RunID, engine.ClearOptions{TaskIDs: []string{"greet"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := eng.Resume(ctx, run.DAGID, run.RunID); err != nil {
		t.Fatal(err)
	}
	if final, err = eng.Wait(ctx, run.DAGID, run.RunID); err != nil || final.State != store.RunSuccess {
		t.Fatalf("resumed run: %v, %v", final, err)
	}
	tis, err = st.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID, TaskIDs: []string{"greet"}})
	if err != nil || len(tis) != 1 {
		t.Fatalf("%v %v", tis, err)
	}
	if tis[0].TryNumber != 2 || !strings.Contains(string(tis[0].Output), `"said":"hi world hi world "`) || !strings.Contains(string(tis[0].Output), `"extra":[1,2]`) {
		t.Errorf("resumed greet: try %d, output %s", tis[0].TryNumber, tis[0].Output)
	}
}

// TestExtraKindInGo checks a DAG built in Go with the extra kind: Validate runs the kind's
// checks, RenderTask renders its templates.
func TestExtraKindInGo(t *testing.T) {
	t.Parallel()
	set := setup(t)
	d := &dag.DAG{ID: "sdk", Tasks: []*dag.Task{
		{ID: "bad", Kind: "test.greet", Spec: &greetSpec{Times: 9}},
		{ID: "wrong", Kind: "test.greet", Spec: &dag.HTTPSpec{URL: "http://x"}},
	}}
	err := dag.Validate(d, set.LoadOptions())
	for _, want := range []string{
		"dag sdk: task bad: test.greet.message: missing: the message to repeat",
		"dag sdk: task wrong: kind: a test.greet task needs its test.greet spec",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	good := &dag.DAG{ID: "sdk", Tasks: []*dag.Task{
		{ID: "hi", Kind: "test.greet", Spec: &greetSpec{Message: "on {{ ds }}", Extra: map[string]any{"n": "{{ 1 + 1 }}"}}},
	}}
	if err := dag.Validate(good, set.LoadOptions()); err != nil {
		t.Fatal(err)
	}
	if err := dag.Validate(good, dag.LoadOptions{}); err == nil || !strings.Contains(err.Error(), `unknown kind "test.greet"`) {
		t.Errorf("without the kind: %v", err)
	}
	r, err := dag.RenderTask(good.Tasks[0], &dag.TemplateContext{LogicalDate: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), MapIndex: -1})
	if err != nil {
		t.Fatal(err)
	}
	g := r.Spec.(*greetSpec)
	if g.Message != "on 2026-01-02" || g.Extra.(map[string]any)["n"] != int64(2) {
		t.Errorf("rendered %#v", g)
	}
}

func TestExtraKindErrorsHaveFileLineColumn(t *testing.T) {
	t.Parallel()
	set := setup(t)
	src := `tasks:
  - id: a
    test.greet: {mesage: hi}
  - id: b
    test.greet:
      message: hi
      times: 9
  - id: c
    test.greet: {message: "{{ nope }}", times: three}
  - id: d
    kind: test.greet
  - id: e
    test.greet: {times: 1}
  - id: f
    kind: test.gret
    command: [echo]
`
	_, err := dag.LoadBytes("greet.yaml", []byte(src), set.LoadOptions())
	var list dag.List
	if !errors.As(err, &list) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`greet.yaml:3:18: test.greet: unknown field "mesage" (did you mean "message"?)`,
		`greet.yaml:7:14: test.greet.times: want 1 to 5, got 9`,
		`greet.yaml:9:31: test.greet.message: {{ nope }}: unknown variable "nope"`,
		`greet.yaml:9:48: test.greet.times: got "three", want an integer`,
		`greet.yaml:11:11: kind: a test.greet task needs test.greet: {...}`,
		`greet.yaml:13:17: test.greet.message: missing: the message to repeat`,
		`greet.yaml:15:11: kind: unknown kind "test.gret" (did you mean "test.greet"?)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in\n%s", want, msg)
		}
	}

	src = `tasks:
  - id: c
    test.greet: {message: "{{ nope }}"}
`
	_, err = dag.LoadBytes("greet.yaml", []byte(src), set.LoadOptions())
	if err == nil || !strings.Contains(err.Error(), `greet.yaml:3:31: test.greet.message: {{ nope }}: unknown variable "nope"`) {
		t.Errorf("template error: %v", err)
	}

	// Without the kind in the set, the same key is an unknown field.
	_, err = dag.LoadBytes("greet.yaml", []byte("tasks: [{id: a, test.greet: {message: hi}}]\n"), kinds.Builtin(kinds.Deps{}).LoadOptions())
	if err == nil || !strings.Contains(err.Error(), `unknown field "test.greet"`) {
		t.Errorf("unknown kind key: %v", err)
	}
}

func TestSetRefusesClashes(t *testing.T) {
	t.Parallel()
	base := kinds.Builtin(kinds.Deps{})
	for name, reg := range map[string]executor.Registration{
		"twice":    executor.HTTPKind(),
		"core key": {Def: dag.KindDef{Name: "upstream", New: func() any { return &greetSpec{} }}, Run: greetKind().Run},
		"no run":   {Def: greetKind().Def},
		"bad type": {Def: dag.KindDef{Name: "x", New: func() any {
			return &struct {
				C chan int `yaml:"c"`
			}{}
		}}, Run: greetKind().Run},
		"not struct": {Def: dag.KindDef{Name: "y", New: func() any { return "s" }}, Run: greetKind().Run},
	} {
		if _, err := base.With(reg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBuiltinListsFields(t *testing.T) {
	t.Parallel()
	infos := kinds.Builtin(kinds.Deps{}).Infos()
	var names []string
	for _, k := range infos {
		names = append(names, k.Name)
	}
	if len(names) < 4 || strings.Join(names[:4], ",") != "command,http,go,sensor" { // then the ML steps
		t.Fatalf("kinds = %v", names)
	}
	http := infos[1]
	var url *dag.KindField
	for i := range http.Fields {
		if http.Fields[i].Name == "url" {
			url = &http.Fields[i]
		}
	}
	if url == nil || !url.Required || !url.Template || url.Type != "string" || url.Doc == "" {
		t.Errorf("http.url = %+v", url)
	}
}
