package dag

import (
	"strings"
	"testing"
)

// TestMappedOutputIsAList follows Airflow: pulling the return value of a mapped task from a
// downstream task gives the sequence of its instances' values (task-sdk
// airflow/sdk/definitions/xcom_arg.py PlainXComArg.resolve returns a LazyXComSequence when
// the upstream is mapped), so reading a field of it is an error that validation can see.
func TestMappedOutputIsAList(t *testing.T) {
	t.Parallel()
	_, err := load(t, `
tasks:
  - id: train
    expand: {lr: [0.1, 1]}
    command: [echo]
  - {id: bad, command: [echo, "{{ outputs.train.r2 }}"]}
  - {id: ok, command: [echo, "{{ outputs.train[0].r2 }} {{ len(outputs.train) }} {{ outputs.train }}"]}
  - {id: pick, upstream: [train], branch: 'outputs.train.r2 > 0.5 ? "ok" : "bad"'}
groups:
  - id: g
    expand: {x: [1, 2]}
    tasks:
      - {id: a, command: [echo]}
      - {id: b, command: [echo, "{{ outputs.g.a.rows }}"], upstream: [a]}
  - id: h
    tasks:
      - {id: c, command: [echo, "{{ outputs.g.a.rows }} {{ outputs.g.a[1].rows }}"]}
`)
	want := []string{
		`test.yaml:6:35: command[1]: {{ outputs.train.r2 }}: outputs.train is a list (train is mapped: one output per instance, in map index order), so it has no field "r2"; index it (outputs.train[0].r2), or map over it with expand`,
		`test.yaml:8:44: branch: {{ outputs.train.r2 > 0.5 ? "ok" : "bad" }}: outputs.train is a list (train is mapped: one output per instance, in map index order), so it has no field "r2"; index it (outputs.train[0].r2), or map over it with expand`,
		`test.yaml:17:37: command[1]: {{ outputs.g.a.rows }}: outputs.g.a is a list (g.a is mapped: one output per instance, in map index order), so it has no field "rows"; index it (outputs.g.a[0].rows), or map over it with expand`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("err =\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
