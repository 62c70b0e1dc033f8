package dag

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
)

func TestGroupNamespacingAndExpansion(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, `
tasks:
  - {id: start, command: [echo]}
  - {id: scale, command: [echo]}
  - {id: after_prep, command: [echo], upstream: [prep]}
  - {id: after_inner, command: [echo], upstream: [prep.inner]}
  - {id: qualified, command: [echo], upstream: [prep.scale, prep.inner.b]}
groups:
  - id: prep
    upstream: [start]
    tasks:
      - {id: scale, script: echo}
      - {id: encode, script: echo, upstream: [scale]}
      - {id: outer_ref, script: echo, upstream: [start]}
      - {id: top_scale, script: echo, upstream: [after_inner]}
    groups:
      - id: inner
        upstream: [encode]
        tasks:
          - {id: a, script: echo}
          - {id: b, script: echo, upstream: [a]}
          - {id: c, script: echo, upstream: [scale]}
  - id: later
    upstream: [prep.inner]
    tasks:
      - {id: x, script: echo}
`)
	want := map[string][]string{
		"start":          nil,
		"scale":          nil,
		"after_prep":     {"prep.inner.b", "prep.inner.c", "prep.outer_ref", "prep.top_scale"},
		"after_inner":    {"prep.inner.b", "prep.inner.c"},
		"qualified":      {"prep.inner.b", "prep.scale"},
		"prep.scale":     {"start"},
		"prep.encode":    {"prep.scale"},
		"prep.outer_ref": {"start"},
		"prep.top_scale": {"after_inner", "start"},
		"prep.inner.a":   {"prep.encode"},
		"prep.inner.b":   {"prep.inner.a"},
		"prep.inner.c":   {"prep.encode", "prep.scale"},
		"later.x":        {"prep.inner.b", "prep.inner.c"},
	}
	got := map[string][]string{}
	for _, task := range d.Tasks {
		got[task.ID] = task.Upstream
	}
	if !reflect.DeepEqual(got, want) {
		for id := range maps.Keys(want) {
			if !slices.Equal(got[id], want[id]) {
				t.Errorf("%s upstream %v, want %v", id, got[id], want[id])
			}
		}
	}
	if task := taskByID(t, d, "prep.inner.a"); task.Group != "prep.inner" {
		t.Errorf("group %q", task.Group)
	}
	var groups []Group
	for _, g := range d.Groups {
		groups = append(groups, *g)
	}
	wantGroups := []Group{
		{ID: "prep", Tasks: []string{"prep.scale", "prep.encode", "prep.outer_ref", "prep.top_scale", "prep.inner.a", "prep.inner.b", "prep.inner.c"}, Upstream: []string{"start"}},
		{ID: "prep.inner", Tasks: []string{"prep.inner.a", "prep.inner.b", "prep.inner.c"}, Upstream: []string{"prep.encode"}},
		{ID: "later", Tasks: []string{"later.x"}, Upstream: []string{"prep.inner"}},
	}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("groups\n%+v\nwant\n%+v", groups, wantGroups)
	}
	// Expanding again changes nothing.
	before := map[string][]string{}
	for _, task := range d.Tasks {
		before[task.ID] = slices.Clone(task.Upstream)
	}
	if err := ExpandGroups(d); err != nil {
		t.Fatal(err)
	}
	for _, task := range d.Tasks {
		if !slices.Equal(before[task.ID], task.Upstream) {
			t.Errorf("second expansion changed %s: %v -> %v", task.ID, before[task.ID], task.Upstream)
		}
	}
}

// sdkDAG builds a DAG the way Go code does: fully qualified IDs, group references in
// upstream lists.
func sdkDAG() *DAG {
	cmd := func() *CommandSpec { return &CommandSpec{Argv: []string{"true"}} }
	return &DAG{ID: "sdk", Source: "go:example", Tasks: []*Task{
		{ID: "load", Kind: KindCommand, Command: cmd()},
		{ID: "fe.a", Group: "fe", Kind: KindCommand, Command: cmd()},
		{ID: "fe.b", Group: "fe", Kind: KindCommand, Command: cmd(), Upstream: []string{"fe.a"}},
		{ID: "fit", Kind: KindCommand, Command: cmd(), Upstream: []string{"fe"}},
	}, Groups: []*Group{{ID: "fe", Tasks: []string{"fe.a", "fe.b"}, Upstream: []string{"load"}}}}
}

func TestExpandGroupsSDK(t *testing.T) {
	t.Parallel()
	d := sdkDAG()
	if err := Validate(d, LoadOptions{}); err == nil {
		t.Error("validate before expansion: want an error about the group reference")
	}
	if err := ExpandGroups(d); err != nil {
		t.Fatal(err)
	}
	if err := Validate(d, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, task := range d.Tasks {
		got[task.ID] = task.Upstream
	}
	want := map[string][]string{"load": nil, "fe.a": {"load"}, "fe.b": {"fe.a"}, "fit": {"fe.b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upstream %v, want %v", got, want)
	}
}

func TestExpandGroupsErrors(t *testing.T) {
	t.Parallel()
	d := sdkDAG()
	d.Tasks[1].Upstream = []string{"fe", "nope"}
	d.Groups[0].Upstream = []string{"fe"}
	err := ExpandGroups(d)
	want := "dag sdk: group fe: upstream[0]: a group cannot depend on itself\n" +
		"dag sdk: task fe.a: upstream[0]: task fe.a is inside group fe: a task cannot depend on a group holding it\n" +
		`dag sdk: task fe.a: upstream[1]: unknown task or group "nope"`
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestTopo(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, `
tasks:
  - {id: report, command: [echo], upstream: [train, eval]}
  - {id: eval, command: [echo], upstream: [train]}
  - {id: extract, command: [echo]}
  - {id: train, command: [echo], upstream: [extract, features]}
  - {id: features, command: [echo], upstream: [extract]}
  - {id: lonely, command: [echo]}
`)
	order, err := Topo(d)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"extract", "features", "train", "eval", "report", "lonely"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	down := Downstream(d)
	wantDown := map[string][]string{"extract": {"features", "train"}, "features": {"train"},
		"train": {"eval", "report"}, "eval": {"report"}, "report": nil, "lonely": nil}
	if !reflect.DeepEqual(down, wantDown) {
		t.Errorf("downstream %v, want %v", down, wantDown)
	}
}

func TestTopoStableForOrderedDAG(t *testing.T) {
	t.Parallel()
	d := &DAG{ID: "x"}
	var ids []string
	for _, id := range []string{"z", "y", "x", "w", "v"} {
		d.Tasks = append(d.Tasks, &Task{ID: id})
		ids = append(ids, id)
	}
	order, err := Topo(d)
	if err != nil || !slices.Equal(order, ids) {
		t.Errorf("order %v err %v, want definition order", order, err)
	}
}

func TestTopoErrors(t *testing.T) {
	t.Parallel()
	d := &DAG{ID: "x", Tasks: []*Task{
		{ID: "a", Upstream: []string{"c"}},
		{ID: "start"},
		{ID: "b", Upstream: []string{"a", "start"}},
		{ID: "c", Upstream: []string{"b"}},
		{ID: "self", Upstream: []string{"self"}},
	}}
	_, err := Topo(d)
	var ce *CycleError
	if !errors.As(err, &ce) || err.Error() != "cycle: a -> b -> c -> a" {
		t.Errorf("err = %v", err)
	}
	d = &DAG{ID: "x", Tasks: []*Task{{ID: "self", Upstream: []string{"self"}}}}
	if _, err := Topo(d); err == nil || err.Error() != "cycle: self -> self" {
		t.Errorf("err = %v", err)
	}
	d = &DAG{ID: "x", Tasks: []*Task{{ID: "a", Upstream: []string{"ghost"}}}}
	if _, err := Topo(d); err == nil || err.Error() != `task a: upstream "ghost" is not a task of dag x` {
		t.Errorf("err = %v", err)
	}
}
