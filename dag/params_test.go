package dag

import (
	"reflect"
	"strings"
	"testing"
)

// paramsDAG declares params of every kind the tests need.
func paramsDAG(t *testing.T) *DAG {
	t.Helper()
	return mustLoad(t, `
params:
  lr: {type: number, default: 0.1, minimum: 0}
  epochs: {type: integer, default: 10, minimum: 1}
  name: {type: string, default: model}
  debug: {type: boolean, default: false}
  layers: {type: array, items: {type: integer}, default: [64, 32]}
  anything: {default: 5}
  shorthand: 3
  tag: {type: [string, "null"]}
  day: {type: string, format: date, default: "2024-01-31"}
tasks: [{id: a, command: [echo]}]
`)
}

func TestResolveParamsDefaultsAndConf(t *testing.T) {
	t.Parallel()
	d := paramsDAG(t)
	got, err := d.ResolveParams(map[string]any{"epochs": 20.0, "tag": "v1", "not_a_param": 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"lr": 0.1, "epochs": int64(20), "name": "model", "debug": false,
		"layers": []any{int64(64), int64(32)}, "anything": int64(5), "shorthand": int64(3), "tag": "v1", "day": "2024-01-31"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("params\n%#v\nwant\n%#v", got, want)
	}
	// The defaults in the DAG are not shared with the result.
	got["layers"].([]any)[0] = int64(1)
	if d.Params["layers"].Schema["default"].([]any)[0] != int64(64) {
		t.Error("ResolveParams returned the schema's default list itself")
	}
}

func TestResolveParamsOverrides(t *testing.T) {
	t.Parallel()
	d := paramsDAG(t)
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{"epochs", "12", int64(12)},
		{"epochs", " 12 ", int64(12)},
		{"epochs", "12.0", int64(12)},
		{"lr", "0.5", 0.5},
		{"lr", "1", int64(1)},
		{"debug", "true", true},
		{"debug", "True", true},
		{"name", "123", "123"},
		{"name", "true", "true"},
		{"name", `"quoted"`, "quoted"},
		{"name", "plain words", "plain words"},
		{"layers", "[1, 2, 3]", []any{int64(1), int64(2), int64(3)}},
		{"anything", "10", int64(10)},
		{"anything", "abc", "abc"},
		{"anything", `{"a": [1.5]}`, map[string]any{"a": []any{1.5}}},
		{"tag", "null", nil},
		{"tag", "42", "42"},
		{"epochs", 7, int64(7)},
	}
	for _, tt := range tests {
		got, err := d.ResolveParams(map[string]any{"tag": "x"}, map[string]any{tt.name: tt.value})
		if err != nil {
			t.Errorf("%s=%v: %v", tt.name, tt.value, err)
			continue
		}
		if !reflect.DeepEqual(got[tt.name], tt.want) {
			t.Errorf("%s=%#v: got %#v, want %#v", tt.name, tt.value, got[tt.name], tt.want)
		}
	}
	// Overrides win over conf.
	got, err := d.ResolveParams(map[string]any{"tag": "conf", "epochs": 3}, map[string]any{"epochs": "4"})
	if err != nil || got["epochs"] != int64(4) || got["tag"] != "conf" {
		t.Errorf("got %v err %v", got, err)
	}
}

func TestResolveParamsErrors(t *testing.T) {
	t.Parallel()
	d := paramsDAG(t)
	tests := []struct {
		conf, overrides map[string]any
		want            []string
	}{
		{nil, map[string]any{"tag": "x", "epochs": "ten"}, []string{`param "epochs": got "ten", want integer`}},
		{nil, map[string]any{"tag": "x", "epochs": "0"}, []string{`param "epochs": minimum: got 0, want 1`}},
		{nil, map[string]any{"tag": "x", "lr": "fast", "debug": "maybe"},
			[]string{`param "debug": got "maybe", want boolean`, `param "lr": got "fast", want number`}},
		{map[string]any{"tag": 5}, nil, []string{`param "tag": got 5, want null or string`}},
		{nil, map[string]any{"tag": "x", "layers": `["a"]`}, []string{`param "layers": at '/0': got string, want integer`}},
		{nil, map[string]any{"tag": "x", "day": "31/01/2024"}, []string{`param "day": '31/01/2024' is not valid date: parsing time "31/01/2024" as "2006-01-02": cannot parse "31/01/2024" as "2006"`}},
		{nil, map[string]any{"tag": "x", "epoch": "3"}, []string{`unknown param "epoch" (did you mean "epochs"?); declared params: anything, day, debug, epochs, layers, lr, name, shorthand, tag`}},
		{nil, nil, []string{`param "tag": required: it has no default and was not given`}},
	}
	for _, tt := range tests {
		got, err := d.ResolveParams(tt.conf, tt.overrides)
		if err == nil {
			t.Errorf("%v %v: no error, got %v", tt.conf, tt.overrides, got)
			continue
		}
		if got != nil {
			t.Errorf("%v: got params %v with an error", tt.overrides, got)
		}
		lines := strings.Split(err.Error(), "\n")
		if !reflect.DeepEqual(lines, tt.want) {
			t.Errorf("%v %v:\n got %q\nwant %q", tt.conf, tt.overrides, lines, tt.want)
		}
	}
}

func TestResolveParamsNoParams(t *testing.T) {
	t.Parallel()
	d := &DAG{ID: "x"}
	got, err := d.ResolveParams(map[string]any{"a": 1}, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("got %v err %v", got, err)
	}
	if _, err := d.ResolveParams(nil, map[string]any{"a": "1"}); err == nil ||
		err.Error() != `unknown param "a"; declared params: none` {
		t.Errorf("err = %v", err)
	}
}
