package dag

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// roundTrip marshals d to JSON and back.
func roundTrip(t *testing.T, d *DAG) *DAG {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back DAG
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

// withoutPos returns a deep copy of d with task positions cleared (they are not serialized).
func withoutPos(d *DAG) *DAG {
	c := *d
	c.Tasks = nil
	for _, t := range d.Tasks {
		t = t.Clone()
		t.Pos = Pos{}
		c.Tasks = append(c.Tasks, t)
	}
	return &c
}

func TestJSONRoundTripLoaded(t *testing.T) {
	t.Parallel()
	d, err := LoadFile(filepath.Join("testdata", "good", "train_model.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, d)
	if want := withoutPos(d); !reflect.DeepEqual(back, want) {
		a, _ := json.MarshalIndent(want, "", " ")
		b, _ := json.MarshalIndent(back, "", " ")
		t.Errorf("round trip differs:\n%s\n---\n%s", a, b)
	}
	if err := Validate(back, LoadOptions{}); err != nil {
		t.Errorf("the reloaded DAG does not validate: %v", err)
	}
}

func TestJSONRoundTripEveryField(t *testing.T) {
	t.Parallel()
	i := func(v int) *int { return &v }
	dur := func(v time.Duration) *Duration { d := Duration(v); return &d }
	b := func(v bool) *bool { return &v }
	opts := TaskOptions{Retries: i(0), RetryDelay: dur(1500 * time.Millisecond), RetryExponentialBackoff: b(false),
		MaxRetryDelay: dur(0), Timeout: dur(time.Hour + time.Nanosecond), Pool: "gpu", PoolSlots: i(2),
		PriorityWeight: i(-3), WeightRule: WeightAbsolute, OutputLimit: i(10),
		OnFailure: []Callback{{Command: []string{"a", "b"}}}, OnRetry: []Callback{{Webhook: "http://h"}},
		OnSuccess: []Callback{{Webhook: "http://s"}}}
	d := &DAG{
		ID: "every", Description: "d", Schedule: "0 * * * *", Tags: []string{"a", "b"},
		Params: map[string]Param{
			"f": {Schema: map[string]any{"type": "number", "default": 2.0, "enum": []any{2.0, 2.5, int64(3)}}},
			"i": {Schema: map[string]any{"type": "integer", "default": int64(9007199254740993)}},
			"u": {Schema: map[string]any{"default": uint64(18446744073709551615)}},
			"n": {Schema: nil},
		},
		Defaults: opts, RunTimeout: Duration(90 * time.Second), MaxActiveTasks: 3,
		OnFailure: []Callback{{Webhook: "http://f"}}, OnSuccess: []Callback{{Command: []string{"ok"}}},
		Source: "go:example.com/x",
		Groups: []*Group{{ID: "g", Tasks: []string{"g.t"}, Upstream: []string{"c"}}},
		Tasks: []*Task{
			{ID: "c", Kind: KindCommand, Command: &CommandSpec{Argv: []string{"x"}, Env: map[string]string{"A": ""},
				Dir: "d", SkipExitCodes: []int{99}, FailFastExitCodes: []int{98}}, TaskOptions: opts},
			{ID: "s", Kind: KindCommand, Command: &CommandSpec{Script: "echo", Shell: []string{"sh", "-c"}}, TriggerRule: AllDone},
			{ID: "h", Kind: KindHTTP, HTTP: &HTTPSpec{Method: "PUT", URL: "http://x", Headers: map[string]string{"K": "V"},
				Body: "{}", ExpectStatus: []int{204}}, Upstream: []string{"c", "s"}},
			{ID: "g.t", Group: "g", Kind: KindGo, Go: &GoSpec{Func: "f", Args: map[string]any{
				"float": 1.0, "int": int64(1), "neg": -0.5, "list": []any{1.0, int64(2), "x", nil, true, map[string]any{}},
				"empty": []any{}, "str": "{{ params.f }}"}}, Upstream: []string{"c"}},
			{ID: "noargs", Kind: KindGo, Go: &GoSpec{Func: "f"}},
			{ID: "scalar", Kind: KindGo, Go: &GoSpec{Func: "f", Args: 3.0}},
			{ID: "sn", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorExternalTask, Path: "p", URL: "u", URI: "i",
				DAGID: "d", TaskID: "t", States: []string{"success"}, FailedStates: []string{"failed"},
				ExecutionDelta: Duration(time.Hour), Method: "GET", Headers: map[string]string{"H": "v"},
				ExpectStatus: []int{200}, Condition: "true", PokeInterval: Duration(time.Second),
				Timeout: Duration(time.Minute), Mode: SensorReschedule, SoftFail: true, ExponentialBackoff: true}},
		},
	}
	back := roundTrip(t, d)
	if !reflect.DeepEqual(back, d) {
		a, _ := json.MarshalIndent(d, "", " ")
		b, _ := json.MarshalIndent(back, "", " ")
		t.Errorf("round trip differs:\n%s\n---\n%s", a, b)
	}
	raw, _ := json.Marshal(d)
	for _, want := range []string{`"retry_delay":"1.5s"`, `"timeout":"1h0m0.000000001s"`, `"float":1.0`, `"pos"`} {
		if got := strings.Contains(string(raw), want); got != (want != `"pos"`) {
			t.Errorf("JSON contains %s: %v\n%s", want, got, raw)
		}
	}
}

func TestDurationJSONSeconds(t *testing.T) {
	t.Parallel()
	var o TaskOptions
	if err := json.Unmarshal([]byte(`{"retry_delay": 2.5, "timeout": "1m"}`), &o); err != nil {
		t.Fatal(err)
	}
	if o.RetryDelay.D() != 2500*time.Millisecond || o.Timeout.D() != time.Minute {
		t.Errorf("%v %v", o.RetryDelay.D(), o.Timeout.D())
	}
}
