package dag

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEmptyKindSetKnowsOnlyEngineKinds(t *testing.T) {
	t.Parallel()
	ks, err := NewKinds()
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadBytes("x.yaml", []byte("tasks: [{id: a, command: [echo]}, {id: b, latest_only: true}]\n"), LoadOptions{Kinds: ks})
	if err == nil || !strings.Contains(err.Error(), `x.yaml:1:17: task: unknown field "command"; allowed: id, kind, upstream`) {
		t.Errorf("err = %v", err)
	}
	if got := strings.Join(ks.Names(), ","); got != "branch,short_circuit,latest_only" {
		t.Errorf("names = %s", got)
	}
}

func TestKindDefsAreChecked(t *testing.T) {
	t.Parallel()
	type spec struct {
		A string `yaml:"a"`
	}
	type badTemplate struct {
		N int `yaml:"n" template:"true"`
	}
	for name, def := range map[string]KindDef{
		"no name":      {New: func() any { return &spec{} }},
		"bad name":     {Name: "a b", New: func() any { return &spec{} }},
		"no New":       {Name: "x"},
		"engine kind":  {Name: KindBranch, New: func() any { return &spec{} }},
		"inline key":   {Name: "x", Inline: true, Keys: []string{"b"}, New: func() any { return &spec{} }},
		"two keys":     {Name: "x", Keys: []string{"x", "y"}, New: func() any { return &spec{} }},
		"int template": {Name: "x", New: func() any { return &badTemplate{} }},
		"clash inline": {Name: "x", Inline: true, Keys: []string{"env"}, New: func() any {
			return &struct {
				A string `yaml:"env"`
			}{}
		}},
		"bad map args": {Name: "x", MapArgs: "a", New: func() any { return &spec{} }},
		"option clash": {Name: "retries", New: func() any { return &spec{} }},
		"unknown yaml option": {Name: "x", New: func() any {
			return &struct {
				A string `yaml:"a,omitempty"`
			}{}
		}},
	} {
		if _, err := BuiltinKinds().With(def); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSpecSurvivesJSONWithRestore(t *testing.T) {
	t.Parallel()
	type spec struct {
		Name string         `yaml:"name" template:"true"`
		Args any            `yaml:"args" template:"value"`
		Opts map[string]any `yaml:"opts"`
		N    int            `yaml:"n"`
	}
	ks, err := BuiltinKinds().With(KindDef{Name: "x.y", New: func() any { return &spec{} }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadBytes("j.yaml", []byte("tasks: [{id: a, x.y: {name: \"{{ ds }}\", args: [1, 2.0, {k: 3}], opts: {f: 1.5, i: 7}, n: 4}}]\n"), LoadOptions{Kinds: ks})
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, d)
	if _, raw := back.Tasks[0].Spec.(json.RawMessage); !raw {
		t.Fatalf("decoded spec is %T, want raw JSON until restored", back.Tasks[0].Spec)
	}
	if err := ks.Restore(back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(withoutPos(d), withoutPos(back)) {
		t.Errorf("round trip differs:\n%#v\n%#v", d.Tasks[0].Spec, back.Tasks[0].Spec)
	}
	if err := Validate(back, LoadOptions{Kinds: ks}); err != nil {
		t.Error(err)
	}
}

// qualitySpec has what ML kinds need: nested structs, lists of them, numbers, pointers.
type qualityCheck struct {
	Column string   `yaml:"column" required:"the column to check"`
	Rule   string   `yaml:"rule" template:"true"`
	Min    *float64 `yaml:"min"`
}

type qualitySpec struct {
	Data   string         `yaml:"data" template:"true"`
	Checks []qualityCheck `yaml:"checks"`
	Split  struct {
		Test float64 `yaml:"test"`
		Seed *int    `yaml:"seed"`
	} `yaml:"split"`
	Weights []float64 `yaml:"weights"`
}

func qualityKinds(t *testing.T) *Kinds {
	t.Helper()
	ks, err := BuiltinKinds().With(KindDef{Name: "quality.check", New: func() any { return &qualitySpec{} }})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestNestedSpecFields(t *testing.T) {
	t.Parallel()
	ks := qualityKinds(t)
	src := `params: {rule: not_null}
tasks:
  - id: q
    quality.check:
      data: "in/{{ ds }}.csv"
      checks:
        - {column: age, rule: "{{ params.rule }}", min: 0}
        - {column: name}
      split: {test: 0.2, seed: 7}
      weights: [1, 0.5]
`
	d, err := LoadBytes("q.yaml", []byte(src), LoadOptions{Kinds: ks})
	if err != nil {
		t.Fatal(err)
	}
	sp := d.Tasks[0].Spec.(*qualitySpec)
	if len(sp.Checks) != 2 || sp.Checks[0].Min == nil || *sp.Checks[0].Min != 0 || sp.Checks[1].Min != nil ||
		sp.Split.Test != 0.2 || sp.Split.Seed == nil || *sp.Split.Seed != 7 || len(sp.Weights) != 2 || sp.Weights[1] != 0.5 {
		t.Fatalf("spec = %+v", sp)
	}
	r, err := RenderTask(d.Tasks[0], &TemplateContext{Params: map[string]any{"rule": "unique"}, LogicalDate: time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC), MapIndex: -1})
	if err != nil {
		t.Fatal(err)
	}
	rs := r.Spec.(*qualitySpec)
	if rs.Data != "in/2026-05-06.csv" || rs.Checks[0].Rule != "unique" || sp.Checks[0].Rule != "{{ params.rule }}" {
		t.Errorf("rendered %+v from %+v", rs, sp)
	}
	*rs.Split.Seed = 8
	if *sp.Split.Seed != 7 {
		t.Error("the rendered copy shares a pointer with the loaded spec")
	}
	var names []string
	for _, f := range ks.Infos()[4].Fields {
		names = append(names, f.Name+":"+f.Type)
	}
	if got := strings.Join(names, ","); got != "data:string,checks:list of mappings,checks[].column:string,checks[].rule:string,checks[].min:number,split:mapping,split.test:number,split.seed:integer,weights:list of numbers" {
		t.Errorf("fields = %s", got)
	}

	for _, c := range []struct{ src, want string }{
		{"checks: [{colum: age}]", `q.yaml:3:39: quality.check.checks[0]: unknown field "colum" (did you mean "column"?)`},
		{"checks: [{rule: x}]", `q.yaml:3:38: quality.check.checks[0].column: missing: the column to check`},
		{`checks: [{column: a, rule: "{{ nope }}"}]`, `q.yaml:3:60: quality.check.checks[0].rule: {{ nope }}: unknown variable "nope"`},
		{"split: {test: high}", `q.yaml:3:43: quality.check.split.test: got "high", want a number`},
		{"weights: [1, x]", `q.yaml:3:42: quality.check.weights[1]: got "x", want a number`},
	} {
		_, err := LoadBytes("q.yaml", []byte("params: {rule: x}\ntasks:\n  - {id: q, quality.check: {"+c.src+"}}\n"), LoadOptions{Kinds: ks})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %s", c.src, err, c.want)
		}
	}
}

// A kind tracked by default turns track on for its tasks unless the task or the DAG's
// defaults say otherwise.
func TestTrackedKindsAreTrackedByDefault(t *testing.T) {
	t.Parallel()
	type spec struct {
		A string `yaml:"a"`
	}
	ks, err := BuiltinKinds().With(KindDef{Name: "ml.step", Tracked: true, New: func() any { return &spec{} }})
	if err != nil {
		t.Fatal(err)
	}
	load := func(src string) *DAG {
		t.Helper()
		d, err := LoadBytes("x.yaml", []byte(src), LoadOptions{Kinds: ks})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	track := func(tk *Task) string {
		if tk.Track == nil {
			return "unset"
		}
		return map[bool]string{true: "on", false: "off"}[*tk.Track]
	}
	d := load("tasks:\n  - {id: a, ml.step: {a: x}}\n  - {id: b, ml.step: {a: x}, track: false}\n  - {id: c, command: [echo]}\n")
	if got := track(d.Tasks[0]) + "," + track(d.Tasks[1]) + "," + track(d.Tasks[2]); got != "on,off,unset" {
		t.Errorf("track = %s, want on,off,unset", got)
	}
	d = load("defaults: {track: false}\ntasks:\n  - {id: a, ml.step: {a: x}}\n")
	if got := track(d.Tasks[0]); got != "unset" {
		t.Errorf("with defaults track: false, track = %s", got)
	}
}

func TestKindExpandMapsTheTask(t *testing.T) {
	t.Parallel()
	type spec struct {
		Values []int `yaml:"values" doc:"One instance per value."`
	}
	ks, err := BuiltinKinds().With(KindDef{Name: "test.each", New: func() any { return &spec{} },
		Expand: func(s any) ([]map[string]any, error) {
			var out []map[string]any
			for _, v := range s.(*spec).Values {
				if v < 0 {
					return nil, errorString("negative value")
				}
				out = append(out, map[string]any{"v": v})
			}
			return out, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	opts := LoadOptions{Kinds: ks}
	d, err := LoadBytes("x.yaml", []byte("tasks:\n  - id: a\n    test.each: {values: [1, 2]}\n    map_index_template: \"v={{ args.v }}\"\n  - id: b\n    test.each: {}\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d.Tasks[0].ExpandKwargs)
	if string(b) != `[{"v":1},{"v":2}]` {
		t.Errorf("a: expand_kwargs = %s", b)
	}
	if d.Tasks[1].IsMapped() {
		t.Errorf("b: mapped without values: %v", d.Tasks[1].ExpandKwargs)
	}
	if err := Validate(d, opts); err != nil {
		t.Errorf("validated twice: %v", err)
	}
	for src, want := range map[string]string{
		"tasks:\n  - id: a\n    test.each: {values: [1]}\n    expand_kwargs: [{v: 3}]\n": "x.yaml:4:20: expand_kwargs: a test.each task maps itself",
		"tasks:\n  - id: a\n    test.each: {values: [-1]}\n":                             "x.yaml:3:16: test.each: negative value",
	} {
		if _, err := LoadBytes("x.yaml", []byte(src), opts); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestKindDeclaresItsInputs(t *testing.T) {
	t.Parallel()
	type readSpec struct {
		Data string `yaml:"data" template:"true"`
	}
	ks, err := BuiltinKinds().With(KindDef{Name: "data.read", New: func() any { return &readSpec{} },
		Inputs: func(spec any) []string { return []string{spec.(*readSpec).Data} }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadBytes("r.yaml", []byte("tasks:\n  - {id: r, data.read: {data: in.csv}}\n  - {id: c, command: [cat, in.csv]}\n"), LoadOptions{Kinds: ks})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ks.Inputs(d.Tasks[0]); !ok || !reflect.DeepEqual(got, []string{"in.csv"}) {
		t.Errorf("inputs of the data.read task: %q, %v; want [in.csv], declared", got, ok)
	}
	if got, ok := ks.Inputs(d.Tasks[1]); got != nil || ok {
		t.Errorf("inputs of a command task: %q, %v; want none, undeclared (its file arguments are the engine's rule)", got, ok)
	}
	var none *Kinds
	if got, ok := none.Inputs(d.Tasks[1]); got != nil || ok {
		t.Errorf("inputs with no kind set: %q, %v", got, ok)
	}
}
