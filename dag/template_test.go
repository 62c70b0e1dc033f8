package dag

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		exprs []string
		err   string
	}{
		{"plain", nil, ""},
		{"a {{ x }} b {{y}}", []string{"x", "y"}, ""},
		{`{{ {"a": {"b": 1}} }}`, []string{`{"a": {"b": 1}}`}, ""},
		{`{{ "}}" + x }}`, []string{`"}}" + x`}, ""},
		{`{{ '}}' }}`, []string{`'}}'`}, ""},
		{`{"rows": {{ x }}}`, []string{"x"}, ""},
		{"}} alone", nil, ""},
		{"a {{ x", nil, `unclosed "{{"`},
		{"a {{ }}", nil, "empty expression"},
		{`{{ "\"}}" }}`, []string{`"\"}}"`}, ""},
	}
	for _, tt := range tests {
		segs, err := parseTemplate(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.msg, tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		var exprs []string
		var rebuilt strings.Builder
		for _, s := range segs {
			if s.expr {
				exprs = append(exprs, s.text)
				if tt.in[s.off:s.off+len(s.text)] != s.text {
					t.Errorf("%q: offset %d does not point at %q", tt.in, s.off, s.text)
				}
			} else {
				rebuilt.WriteString(s.text)
			}
		}
		if !reflect.DeepEqual(exprs, tt.exprs) {
			t.Errorf("%q: exprs %q, want %q", tt.in, exprs, tt.exprs)
		}
	}
}

// renderContext is a context with every variable set.
func renderContext() *TemplateContext {
	return &TemplateContext{
		DAGID: "train", RunID: "manual__1", TaskID: "", MapIndex: -1, TryNumber: 2,
		LogicalDate: time.Date(2024, 1, 31, 6, 7, 8, 0, time.UTC),
		Params:      map[string]any{"lr": 0.1, "epochs": int64(10), "name": "m", "on": true, "list": []any{int64(1), "a"}, "none": nil},
		Conf:        map[string]any{"who": "me"},
		Outputs: map[string]any{
			"extract":      map[string]any{"rows": int64(42), "path": "/tmp/x"},
			"prep.scale":   map[string]any{"factor": 2.5},
			"prep.inner.a": "deep",
		},
	}
}

func TestRenderInterpolation(t *testing.T) {
	t.Parallel()
	c := renderContext()
	tests := map[string]string{
		"{{ dag_id }}/{{ run_id }}/{{ task_id }}":         "train/manual__1/work",
		"{{ map_index }} {{ try_number }}":                "-1 2",
		"{{ logical_date }}|{{ ts }}":                     "2024-01-31T06:07:08Z|2024-01-31T06:07:08Z",
		"{{ ds }} {{ ds_nodash }} {{ ts_nodash }}":        "2024-01-31 20240131 20240131T060708",
		"lr={{ params.lr }} epochs={{ params.epochs }}":   "lr=0.1 epochs=10",
		"{{ params.epochs * 1.0 }} {{ 0.1 + 0.2 }}":       "10 0.30000000000000004",
		"{{ 1e21 }} {{ 2.5e-7 }}":                         "1000000000000000000000 0.00000025",
		"{{ params.on }} {{ !params.on }}":                "true false",
		"[{{ params.none }}]":                             "[]",
		"{{ params.list }} {{ outputs.extract }}":         `[1,"a"] {"path":"/tmp/x","rows":42}`,
		"{{ conf.who }} {{ conf.missing }}":               "me ",
		"{{ outputs.extract.rows + 1 }}":                  "43",
		`{{ outputs["prep.scale"].factor }}`:              "2.5",
		"{{ outputs.prep.scale.factor }}":                 "2.5",
		"{{ outputs.prep.inner.a }}":                      "deep",
		`{{ upper(params.name) }}-{{ len(params.list) }}`: "M-2",
		"no template": "no template",
	}
	for in, want := range tests {
		task := &Task{ID: "work", Kind: KindCommand, Command: &CommandSpec{Argv: []string{in}}}
		got, err := RenderTask(task, c)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got.Command.Argv[0] != want {
			t.Errorf("%q: got %q, want %q", in, got.Command.Argv[0], want)
		}
	}
}

func TestRenderTaskFields(t *testing.T) {
	t.Parallel()
	task := &Task{ID: "work", Kind: KindCommand, Upstream: []string{"extract"}, Command: &CommandSpec{
		Argv:   []string{"run", "--date={{ ds }}"},
		Script: "echo {{ run_id }}",
		Shell:  []string{"{{ not_rendered }}"},
		Env:    map[string]string{"A": "{{ params.epochs }}", "B": "plain"},
		Dir:    "work/{{ ds_nodash }}",
	}, TaskOptions: TaskOptions{Retries: new(int)}}
	got, err := RenderTask(task, renderContext())
	if err != nil {
		t.Fatal(err)
	}
	want := &CommandSpec{Argv: []string{"run", "--date=2024-01-31"}, Script: "echo manual__1",
		Shell: []string{"{{ not_rendered }}"}, Env: map[string]string{"A": "10", "B": "plain"}, Dir: "work/20240131"}
	if !reflect.DeepEqual(got.Command, want) {
		t.Errorf("command %+v, want %+v", got.Command, want)
	}
	if task.Command.Argv[1] != "--date={{ ds }}" || task.Command.Env["A"] != "{{ params.epochs }}" {
		t.Error("RenderTask changed the task it was given")
	}
	if got.Retries == task.Retries {
		t.Error("the rendered task shares option pointers with the original")
	}

	h := &Task{ID: "call", Kind: KindHTTP, HTTP: &HTTPSpec{Method: "POST", URL: "http://h/{{ dag_id }}",
		Headers: map[string]string{"X-Run": "{{ run_id }}"}, Body: `{"rows": {{ outputs.extract.rows }}}`}}
	gotH, err := RenderTask(h, renderContext())
	if err != nil {
		t.Fatal(err)
	}
	wantH := &HTTPSpec{Method: "POST", URL: "http://h/train", Headers: map[string]string{"X-Run": "manual__1"}, Body: `{"rows": 42}`}
	if !reflect.DeepEqual(gotH.HTTP, wantH) {
		t.Errorf("http %+v, want %+v", gotH.HTTP, wantH)
	}
}

func TestRenderGoArgsTyped(t *testing.T) {
	t.Parallel()
	args := map[string]any{
		"lr":      "{{ params.lr }}",
		"epochs":  "{{ params.epochs }}",
		"rows":    "{{ outputs.extract.rows }}",
		"out":     "{{ outputs.extract }}",
		"list":    []any{"{{ params.list }}", "n={{ params.epochs }}", int64(3), true, nil},
		"nested":  map[string]any{"flag": "{{ params.on }}", "text": " {{ params.on }}"},
		"literal": "no template",
		"sum":     "{{ 1 + 2 }}",
		"none":    "{{ params.none }}",
	}
	task := &Task{ID: "fit", Kind: KindGo, Go: &GoSpec{Func: "fit", Args: args}}
	got, err := RenderTask(task, renderContext())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"lr":      0.1,
		"epochs":  int64(10),
		"rows":    int64(42),
		"out":     map[string]any{"rows": int64(42), "path": "/tmp/x"},
		"list":    []any{[]any{int64(1), "a"}, "n=10", int64(3), true, nil},
		"nested":  map[string]any{"flag": true, "text": " true"},
		"literal": "no template",
		"sum":     int64(3),
		"none":    nil,
	}
	if !reflect.DeepEqual(got.Go.Args, want) {
		t.Errorf("args\n%#v\nwant\n%#v", got.Go.Args, want)
	}
	if args["lr"] != "{{ params.lr }}" || args["list"].([]any)[0] != "{{ params.list }}" {
		t.Error("RenderTask changed the original args")
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	task := &Task{ID: "work", Kind: KindCommand, Command: &CommandSpec{
		Argv: []string{"{{ outputs.missing.rows }}", "{{ oops"},
		Env:  map[string]string{"A": "{{ 1 / params.name }}"},
	}}
	_, err := RenderTask(task, renderContext())
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		"dag train: task work: command[0]: {{ outputs.missing.rows }}: cannot fetch rows from <nil>",
		`dag train: task work: command[1]: unclosed "{{": end the expression with "}}"`,
		"dag train: task work: env.A: {{ 1 / params.name }}: invalid operation: int / string",
	}
	if len(lines) != len(want) {
		t.Fatalf("errors:\n%v", err)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
}

func TestRenderString(t *testing.T) {
	t.Parallel()
	got, err := RenderString("{{ dag_id }} {{ ds }}", renderContext())
	if err != nil || got != "train 2024-01-31" {
		t.Errorf("got %q err %v", got, err)
	}
	if got, err := RenderString("plain", nil); err != nil || got != "plain" {
		t.Errorf("got %q err %v", got, err)
	}
}

func TestValidateCompilesTemplatesOnce(t *testing.T) {
	t.Parallel()
	src := "params.epochs * 7 + 12345"
	d := mustLoad(t, "params: {epochs: {type: integer, default: 1}}\ntasks: [{id: a, command: [echo, '{{ "+src+" }}']}]\n")
	c, ok := programs.Load(src)
	if !ok || c.(*compiled).prog == nil {
		t.Fatal("the template was not compiled and cached when loading")
	}
	got, err := RenderTask(d.Tasks[0], &TemplateContext{Params: map[string]any{"epochs": int64(2)}})
	if err != nil || got.Command.Argv[1] != "12359" {
		t.Errorf("got %v err %v", got.Command.Argv, err)
	}
	if c2, _ := programs.Load(src); c2 != c {
		t.Error("rendering compiled the template again")
	}
}

func TestTemplateReferenceChecks(t *testing.T) {
	t.Parallel()
	good := mustLoad(t, `
params: {n: {type: integer, default: 1}}
tasks:
  - {id: a, command: [echo]}
  - {id: b, command: [echo], upstream: [a]}
  - id: c
    upstream: [b, g]
    go: f
    args:
      transitive: "{{ outputs.a }}"
      group: "{{ outputs.g }}"
      grouped: "{{ outputs.g.x.value }}"
      quoted: '{{ outputs["g.x"] }}'
      dynamic: "{{ outputs[conf.which] }}"
      local: "{{ let v = params.n; v + 1 }}"
      env: "{{ $env.ds }}"
      predicate: "{{ filter([1, 2], # > params.n) }}"
groups:
  - id: g
    tasks: [{id: x, command: [echo]}]
`)
	if good == nil {
		t.Fatal("nil dag")
	}
	_, err := load(t, `
tasks:
  - {id: a, command: [echo]}
  - {id: b, command: [echo, "{{ outputs.g }}", "{{ outputs.b }}", "{{ outputs.g.y }}"], upstream: [g.x]}
groups:
  - id: g
    tasks: [{id: x, command: [echo]}, {id: y, command: [echo]}]
`)
	// outputs.g and outputs.g.y make g.y an upstream of b (implied dependencies).
	want := []string{
		`test.yaml:4:52: command[2]: {{ outputs.b }}: task b cannot read its own output`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("err =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}
