package dag

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadSensors(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, `params:
  min_rows: 10
tasks:
  - id: wait_file
    sensor:
      type: file
      path: data/{{ ds }}/*.csv
      poke_interval: 30s
      timeout: 2h
      mode: reschedule
      soft_fail: true
      exponential_backoff: true
  - id: wait_blob
    sensor: {type: file, url: "file:///tmp/in/{{ ds_nodash }}.parquet"}
  - id: wait_dataset
    sensor: {type: dataset, uri: "s3://lake/orders"}
  - id: wait_upstream_dag
    sensor:
      type: external_task
      dag_id: ingest
      task_id: load
      states: [success, skipped]
      failed_states: failed
      execution_delta: 1h
  - id: wait_service
    sensor:
      type: http
      url: http://localhost:8080/health
      method: HEAD
      headers: {X-Run: "{{ run_id }}"}
      expect_status: [200, 204]
      condition: status == 200 && body.ready == true
  - id: wait_expr
    upstream: wait_file
    kind: sensor
    sensor: {type: expr, condition: "params.min_rows > 5 && now() > date(logical_date)"}
`)
	if got := taskByID(t, d, "wait_file"); got.Kind != KindSensor || !reflect.DeepEqual(got.Sensor, &SensorSpec{
		Type: SensorFile, Path: "data/{{ ds }}/*.csv", PokeInterval: Duration(30 * time.Second),
		Timeout: Duration(2 * time.Hour), Mode: SensorReschedule, SoftFail: true, ExponentialBackoff: true}) {
		t.Errorf("wait_file: kind %s, %+v", got.Kind, got.Sensor)
	}
	if got := taskByID(t, d, "wait_upstream_dag").Sensor; !reflect.DeepEqual(got, &SensorSpec{
		Type: SensorExternalTask, DAGID: "ingest", TaskID: "load", States: []string{"success", "skipped"},
		FailedStates: []string{"failed"}, ExecutionDelta: Duration(time.Hour)}) {
		t.Errorf("wait_upstream_dag: %+v", got)
	}
	if got := taskByID(t, d, "wait_service").Sensor; got.Method != "HEAD" || got.Headers["X-Run"] != "{{ run_id }}" ||
		!reflect.DeepEqual(got.ExpectStatus, []int{200, 204}) || got.Condition == "" {
		t.Errorf("wait_service: %+v", got)
	}
	for _, id := range []string{"wait_blob", "wait_dataset", "wait_expr"} {
		if k := taskByID(t, d, id).Kind; k != KindSensor {
			t.Errorf("%s: kind %q", id, k)
		}
	}
	back := roundTrip(t, d)
	if want := withoutPos(d); !reflect.DeepEqual(back, want) {
		t.Errorf("JSON round trip differs")
	}
	if err := Validate(back, LoadOptions{}); err != nil {
		t.Errorf("the reloaded DAG does not validate: %v", err)
	}
}

func TestLoadSensorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []brokenCase
	}{
		{"unknown field", `tasks:
  - id: a
    sensor: {type: file, path: x, poke_intervall: 5s}
`, []brokenCase{{"3:35", "sensor", `unknown field "poke_intervall" (did you mean "poke_interval"?)`}}},
		{"missing type", `tasks:
  - id: a
    sensor:
      path: x
`, []brokenCase{{"4:7", "sensor", "missing type: one of file, dataset, external_task, http, expr"}}},
		{"unknown type", `tasks:
  - id: a
    sensor: {type: fiel, path: x}
`, []brokenCase{{"3:20", "sensor.type", `unknown sensor type "fiel" (did you mean "file"?)`}}},
		{"wrong types", `tasks:
  - id: a
    sensor: {type: file, path: x, timeout: forever, soft_fail: yes}
`, []brokenCase{
			{"3:44", "sensor.timeout", `invalid duration "forever"`},
			{"3:64", "sensor.soft_fail", `got "yes", want true or false`}}},
		{"mode and foreign fields", `tasks:
  - id: a
    sensor:
      type: dataset
      uri: s3://x
      mode: pokee
      dag_id: other
`, []brokenCase{
			{"6:13", "sensor.mode", `unknown mode "pokee" (did you mean "poke"?)`},
			{"7:15", "sensor.dag_id", "does not apply to a dataset sensor (only to external_task)"}}},
		{"file", `tasks:
  - id: none
    sensor: {type: file}
  - id: both
    sensor: {type: file, path: x, url: "file:///x"}
  - id: glob
    sensor: {type: file, path: "data/[a-"}
  - id: http_url
    sensor: {type: file, url: "https://example.com/x"}
  - id: no_scheme
    sensor: {type: file, url: "/data/x"}
`, []brokenCase{
			{"3:13", "sensor", "a file sensor needs path"},
			{"5:40", "sensor.url", "a file sensor has path or url, not both"},
			{"7:32", "sensor.path", `invalid glob "data/[a-"`},
			{"9:31", "sensor.url", "is an http URL: use an http sensor"},
			{"11:31", "sensor.url", "has no scheme"}}},
		{"external task", `tasks:
  - id: a
    sensor: {type: external_task, dag_id: d, task_id: t, states: [sucess]}
  - id: b
    sensor: {type: external_task, dag_id: d, states: [upstream_failed]}
  - id: c
    sensor: {type: external_task}
  - id: d
    sensor: {type: external_task, dag_id: d, task_id: t, states: [success, skipped], failed_states: [failed, skipped]}
`, []brokenCase{
			{"3:67", "sensor.states[0]", `unknown task instance state "sucess" (did you mean "success"?)`},
			{"5:55", "sensor.states[0]", `unknown run state "upstream_failed"`},
			{"7:13", "sensor", "an external_task sensor needs dag_id"},
			{"9:110", "sensor.failed_states[1]", `state "skipped" is in both states and failed_states`}}},
		{"http", `tasks:
  - id: a
    sensor: {type: http, url: "ftp://x", method: "GE T", expect_status: [700], condition: "status =="}
  - id: b
    sensor: {type: http, url: "http://x", condition: "params.x == 1"}
`, []brokenCase{
			{"3:31", "sensor.url", `"ftp://x" is not an absolute http:// or https:// URL`},
			{"3:50", "sensor.method", `invalid HTTP method "GE T"`},
			{"3:74", "sensor.expect_status[0]", "invalid HTTP status 700"},
			{"3:100", "sensor.condition", "unexpected token EOF"},
			{"5:55", "sensor.condition", "unknown name params (the condition sees status, headers and body)"}}},
		{"expr", `params: {n: 1}
tasks:
  - id: a
    sensor: {type: expr, condition: "params.m > 1"}
  - id: b
    sensor: {type: expr}
  - id: c
    sensor: {type: expr, condition: "outputs.a.x"}
  - id: d
    sensor: {type: file, path: "in/{{ dss }}"}
`, []brokenCase{
			{"4:38", "sensor.condition", `unknown param "m"`},
			{"6:13", "sensor", "an expr sensor needs condition"},
			{"8:38", "sensor.condition", "outputs.a is not upstream of task c"},
			{"10:39", "sensor.path", `unknown variable "dss" (did you mean "ds"?)`}}},
		{"action conflicts", `tasks:
  - id: a
    command: [x]
    sensor: {type: expr, condition: "true"}
  - id: b
    kind: sensor
`, []brokenCase{
			{"4:5", "sensor", "a task has exactly one of command, script, http, go, sensor; this one has command and sensor"},
			{"6:11", "kind", "a sensor task needs sensor: {type: file, path: ...}"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, tc.src)
			var l List
			if !errors.As(err, &l) {
				t.Fatalf("err = %v, want a List", err)
			}
			for _, w := range tc.want {
				prefix := "test.yaml:" + w.at + ": " + w.field + ": "
				found := false
				for _, e := range l {
					if s := e.Error(); strings.HasPrefix(s, prefix) && strings.Contains(s[len(prefix):], w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing error %s%s in\n%v", prefix, w.msg, err)
				}
			}
			if len(l) != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%v", len(l), len(tc.want), err)
			}
		})
	}
}

func TestValidateSensorGo(t *testing.T) {
	t.Parallel()
	d := &DAG{ID: "s", Tasks: []*Task{
		{ID: "neg", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorDataset, URI: "x", PokeInterval: -1, Timeout: -1}},
		{ID: "nospec", Kind: KindSensor},
		{ID: "ok", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorFile, URL: "mem://bucket/k*"}},
	}}
	err := Validate(d, LoadOptions{})
	for _, want := range []string{
		"task neg: sensor.poke_interval: must not be negative",
		"task neg: sensor.timeout: must not be negative",
		"task nospec: kind: a sensor task needs its sensor spec",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "task ok") {
		t.Errorf("task ok has errors: %v", err)
	}
}

func TestRenderSensor(t *testing.T) {
	t.Parallel()
	task := &Task{ID: "wait", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorHTTP,
		URL: "http://h/{{ ds }}", Headers: map[string]string{"X-Run": "{{ run_id }}"},
		Condition: "body.day == '{{ ds }}'", States: []string{"success"}}}
	got, err := RenderTask(task, renderContext())
	if err != nil {
		t.Fatal(err)
	}
	if got.Sensor.URL != "http://h/2024-01-31" || got.Sensor.Headers["X-Run"] != "manual__1" {
		t.Errorf("rendered %+v", got.Sensor)
	}
	if got.Sensor.Condition != task.Sensor.Condition {
		t.Errorf("condition rendered: %q", got.Sensor.Condition)
	}
	if task.Sensor.URL != "http://h/{{ ds }}" || task.Sensor.Headers["X-Run"] != "{{ run_id }}" {
		t.Error("RenderTask changed the task it was given")
	}
	f := &Task{ID: "f", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorFile, Path: "/data/{{ ds_nodash }}/*.csv"}}
	if got, err := RenderTask(f, renderContext()); err != nil || got.Sensor.Path != "/data/20240131/*.csv" {
		t.Errorf("path %q, %v", got.Sensor.Path, err)
	}
	e := &Task{ID: "e", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorExternalTask, DAGID: "d_{{ params.epochs }}", TaskID: "{{ task_id }}"}}
	if got, err := RenderTask(e, renderContext()); err != nil || got.Sensor.DAGID != "d_10" || got.Sensor.TaskID != "e" {
		t.Errorf("external %+v, %v", got.Sensor, err)
	}
}

func TestCloneSensor(t *testing.T) {
	t.Parallel()
	a := &Task{ID: "a", Kind: KindSensor, Sensor: &SensorSpec{Type: SensorExternalTask, DAGID: "d",
		States: []string{"success"}, FailedStates: []string{"failed"}, Headers: map[string]string{"k": "v"}, ExpectStatus: []int{200}}}
	b := a.Clone()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("clone differs: %+v", b.Sensor)
	}
	b.Sensor.States[0], b.Sensor.FailedStates[0], b.Sensor.Headers["k"], b.Sensor.ExpectStatus[0] = "x", "x", "x", 1
	b.Sensor.DAGID = "x"
	if a.Sensor.States[0] != "success" || a.Sensor.FailedStates[0] != "failed" || a.Sensor.Headers["k"] != "v" ||
		a.Sensor.ExpectStatus[0] != 200 || a.Sensor.DAGID != "d" {
		t.Errorf("the clone shares memory: %+v", a.Sensor)
	}
}

func TestCompileResponseCondition(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"status == 200", `body.state == "done"`, `headers["etag"] != ""`, `body contains "ok"`} {
		if _, err := CompileResponseCondition(src); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	for _, src := range []string{"status", "ds == 1", "status =="} {
		if _, err := CompileResponseCondition(src); err == nil {
			t.Errorf("%s compiled", src)
		}
	}
}

// TestDocSensorsExample loads the example of the Sensors section of docs/dag-yaml.md.
func TestDocSensorsExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "dag-yaml.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Sensors\n")
	_, rest, ok2 := strings.Cut(section, "```yaml\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no yaml example in the Sensors section of docs/dag-yaml.md")
	}
	d, err := LoadBytes("sensors.yaml", []byte("params: {job_id: 1}\ntasks:\n"+example), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Tasks); n != 6 {
		t.Errorf("%d tasks, want 6", n)
	}
	for _, task := range d.Tasks {
		if task.Kind != KindSensor {
			t.Errorf("task %s: kind %s", task.ID, task.Kind)
		}
	}
}
