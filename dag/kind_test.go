package dag

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
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
