package dag

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateGoDAG(t *testing.T) {
	t.Parallel()
	neg := -1
	bad := Duration(-time.Second)
	d := &DAG{ID: "go.dag", MaxActiveTasks: -2, Params: map[string]Param{"p": {Schema: map[string]any{"type": "integer", "default": "x"}}},
		Defaults: TaskOptions{Timeout: &bad},
		Tasks: []*Task{
			{ID: "a", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"echo", "{{ params.q }}"}}, TaskOptions: TaskOptions{Retries: &neg}},
			{ID: "a", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"echo"}}},
			{ID: "b", Kind: "sql", Upstream: []string{"a", "zz"}},
			{ID: "c", Kind: KindHTTP, HTTP: &HTTPSpec{URL: "x"}, Go: &GoSpec{Func: "f"}, TriggerRule: "sometimes"},
			{ID: "d", Kind: KindGo},
			{ID: "g.e", Group: "g", Kind: KindGo, Go: &GoSpec{Func: "nope"}},
			{ID: "f", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"x"}}, Upstream: []string{"f"}},
		}}
	err := Validate(d, LoadOptions{GoFuncs: func(n string) bool { return n == "f" }})
	want := []string{
		`dag go.dag: dag_id: invalid DAG id "go.dag": use letters, digits, _ and -`,
		"dag go.dag: max_active_tasks: must not be negative, got -2",
		`dag go.dag: params.p.default: default does not satisfy the schema: got "x", want integer`,
		"dag go.dag: defaults.timeout: must not be negative, got -1s",
		`dag go.dag: task a: id: duplicate id "a": already used by a task`,
		`dag go.dag: task g.e: group: unknown group "g"`,
		"dag go.dag: task a: retries: must not be negative, got -1",
		`dag go.dag: task b: kind: unknown kind "sql"; valid: command, http, go`,
		`dag go.dag: task c: go: a http task cannot also have a go spec`,
		`dag go.dag: task c: http.url: "x" is not an absolute http:// or https:// URL`,
		`dag go.dag: task c: trigger_rule: unknown trigger rule "sometimes"; valid: all_success,`,
		"dag go.dag: task d: kind: a go task needs its go spec",
		`dag go.dag: task g.e: go: go function "nope" is not registered`,
		`dag go.dag: task b: upstream[1]: unknown task "zz"`,
		"dag go.dag: task f: upstream: cycle: f -> f",
		`dag go.dag: task a: command[1]: {{ params.q }}: unknown param "q"; declared: p`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i := range min(len(lines), len(want)) {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
	var e *Error
	if !errors.As(err, &e) || e.DAG != "go.dag" {
		t.Errorf("errors.As: %+v", e)
	}
}

func TestValidateLoadedDAGKeepsTaskPositions(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, "tasks:\n  - id: a\n    command: [echo]\n")
	d.Tasks[0].TriggerRule = "nope"
	err := Validate(d, LoadOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), `test.yaml:2:5: trigger_rule: unknown trigger rule "nope"`) {
		t.Errorf("err = %v", err)
	}
	if err := Validate(nil, LoadOptions{}); err == nil {
		t.Error("nil DAG validated")
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Pos: Pos{File: "f.yaml", Line: 3, Column: 7}, Field: "upstream[0]", Msg: "m", DAG: "d", Task: "t"}, "f.yaml:3:7: upstream[0]: m"},
		{Error{Pos: Pos{File: "f.yaml"}, Msg: "m"}, "f.yaml: m"},
		{Error{DAG: "d", Task: "t", Field: "retries", Msg: "m"}, "dag d: task t: retries: m"},
		{Error{DAG: "d", Group: "g", Msg: "m"}, "dag d: group g: m"},
		{Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	cands := []string{"upstream", "trigger_rule", "retries", "train", "id"}
	for in, want := range map[string]string{"upsteam": "upstream", "tarin": "train", "retires": "retries",
		"trigger": "", "x": "", "di": "id", "trigger_rul": "trigger_rule"} {
		if got := closest(in, cands); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateGroupMembership(t *testing.T) {
	t.Parallel()
	d := &DAG{ID: "g", Tasks: []*Task{{ID: "a.b.t", Group: "a.b", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"x"}}}},
		Groups: []*Group{{ID: "a", Tasks: nil}, {ID: "a.b", Tasks: []string{"a.b.t"}}}}
	err := Validate(d, LoadOptions{})
	if err == nil || err.Error() != "dag g: task a.b.t: group: group a does not list the task in its tasks" {
		t.Errorf("err = %v", err)
	}
}

func TestNonStringIDs(t *testing.T) {
	t.Parallel()
	_, err := load(t, "dag_id: 5\ntasks:\n  - {id: 1, command: [echo]}\ngroups:\n  - {id: [x], tasks: [{id: y, command: [echo]}]}\n")
	want := "test.yaml:1:9: dag_id: got 5, want a string\n" +
		"test.yaml:3:10: id: got 1, want a string\n" +
		"test.yaml:5:10: id: got a list, want a string"
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}
