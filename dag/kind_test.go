package dag

import (
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
