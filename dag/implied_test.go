package dag

import (
	"slices"
	"strings"
	"testing"
)

// TestTemplatesImplyUpstreams follows Airflow's XComArg dependencies: an XComArg given to
// any template field of an operator makes its operator an upstream
// (task-sdk airflow/sdk/definitions/baseoperator.py _set_xcomargs_dependencies, which
// calls XComArg.apply_upstream_relationship for each of self.template_fields; mapped
// operators do the same for expand's arguments). In weir, a template reading outputs.X
// is that XComArg.
func TestTemplatesImplyUpstreams(t *testing.T) {
	t.Parallel()
	type spec struct {
		Target string `yaml:"target" template:"true"`
	}
	ks, err := BuiltinKinds().With(KindDef{Name: "deploy", New: func() any { return &spec{} }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadBytes("test.yaml", []byte(`
tasks:
  - {id: extract, command: [echo]}
  - {id: grid, command: [echo]}
  - id: train
    go: train
    expand: {lr: "{{ outputs.grid }}", rows: "{{ outputs.extract.rows }}"}
  - {id: score, script: "echo {{ outputs['train'] }}"}
  - {id: report, go: report, args: {s: "{{ outputs.score }}"}}
  - {id: ship, deploy: {target: "{{ outputs.report.uri }}"}}
  - {id: both, command: [echo, "{{ outputs.prep }}"]}
  - {id: keep, command: [echo, "{{ outputs.extract }}"], upstream: [train], trigger_rule: one_success}
groups:
  - id: prep
    tasks: [{id: a, command: [echo]}, {id: b, command: [echo], upstream: [a]}]
`), LoadOptions{Kinds: ks})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]string{
		"train":  {"extract", "grid"},  // expand
		"score":  {"train"},            // script, outputs["train"]
		"report": {"score"},            // go args
		"ship":   {"report"},           // a registered kind's template field
		"both":   {"prep.a", "prep.b"}, // a group: every task of it
		"keep":   {"train"},            // extract is already an ancestor: unchanged
		"prep.b": {"prep.a"},           // untouched
		"grid":   nil,
	} {
		if got := taskByID(t, d, id).Upstream; !slices.Equal(got, want) {
			t.Errorf("%s: upstream = %v, want %v", id, got, want)
		}
	}

	// A template reading a downstream's output makes a cycle, reported as one.
	_, err = load(t, `
tasks:
  - {id: a, command: [echo, "{{ outputs.b }}"]}
  - {id: b, command: [echo], upstream: [a]}
`)
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("err = %v, want a cycle", err)
	}
}

// A DAG built in Go gets the same implied upstreams when validated.
func TestValidateImpliesUpstreams(t *testing.T) {
	t.Parallel()
	d := &DAG{ID: "go_dag", Tasks: []*Task{
		{ID: "extract", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"echo"}}},
		{ID: "load", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"echo", "{{ outputs.extract.rows }}"}}},
	}}
	if err := Validate(d, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := d.Tasks[1].Upstream; !slices.Equal(got, []string{"extract"}) {
		t.Errorf("upstream = %v, want [extract]", got)
	}
}
