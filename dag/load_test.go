package dag

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// load loads YAML text as the file test.yaml.
func load(t *testing.T, src string) (*DAG, error) {
	t.Helper()
	return LoadBytes("test.yaml", []byte(src), LoadOptions{})
}

// mustLoad loads YAML text that must be valid.
func mustLoad(t *testing.T, src string) *DAG {
	t.Helper()
	d, err := load(t, src)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return d
}

func taskByID(t *testing.T, d *DAG, id string) *Task {
	t.Helper()
	for _, task := range d.Tasks {
		if task.ID == id {
			return task
		}
	}
	t.Fatalf("no task %q in %v", id, taskIDs(d))
	return nil
}

func taskIDs(d *DAG) []string {
	var ids []string
	for _, t := range d.Tasks {
		ids = append(ids, t.ID)
	}
	return ids
}

func TestLoadFileGood(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "good", "train_model.yaml")
	d, err := LoadFile(path, LoadOptions{GoFuncs: func(n string) bool { return n == "train_model" }})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "train_model" || d.Source != path || d.Schedule != "@daily" || d.Description != "Train and evaluate" {
		t.Errorf("dag fields: %+v", d)
	}
	if !slices.Equal(d.Tags, []string{"ml"}) || d.MaxActiveTasks != 16 || d.RunTimeout.D() != 2*time.Hour {
		t.Errorf("tags %v max_active_tasks %d run_timeout %v", d.Tags, d.MaxActiveTasks, d.RunTimeout.D())
	}
	want := []string{"extract", "clean", "notify", "train", "prep.scale", "prep.encode", "prep.inner.a"}
	if got := taskIDs(d); !slices.Equal(got, want) {
		t.Errorf("tasks %v, want %v", got, want)
	}
	if got := d.Defaults; *got.Retries != 2 || got.RetryDelay.D() != 10*time.Second || !*got.RetryExponentialBackoff ||
		got.MaxRetryDelay.D() != 10*time.Minute || got.Timeout.D() != time.Hour || got.Pool != "default_pool" ||
		*got.PoolSlots != 1 || *got.PriorityWeight != 1 || got.WeightRule != "downstream" || *got.OutputLimit != 1<<20 ||
		len(got.OnFailure) != 2 || got.OnFailure[0].Webhook == "" || got.OnFailure[1].Command[0] != "notify.sh" {
		t.Errorf("defaults %+v", got)
	}
	extract := taskByID(t, d, "extract")
	if extract.Kind != KindCommand || extract.Pos != (Pos{File: path, Line: 26, Column: 5}) {
		t.Errorf("extract kind %q pos %v", extract.Kind, extract.Pos)
	}
	if c := extract.Command; !slices.Equal(c.Argv, []string{"python3", "extract.py", "--date", "{{ ds }}"}) ||
		c.Env["PORT"] != "8080" || c.Dir != "scripts" || !slices.Equal(c.SkipExitCodes, []int{99}) ||
		!slices.Equal(c.FailFastExitCodes, []int{98}) {
		t.Errorf("extract command %+v", c)
	}
	clean := taskByID(t, d, "clean")
	if clean.Command.Script != "echo cleaning {{ run_id }}\n" || !slices.Equal(clean.Command.Shell, []string{"python3", "-c"}) {
		t.Errorf("clean command %+v", clean.Command)
	}
	notify := taskByID(t, d, "notify")
	if h := notify.HTTP; notify.Kind != KindHTTP || h.Method != "POST" || h.URL != "http://localhost:8080/notify" ||
		h.Headers["X-Run"] != "{{ run_id }}" || !slices.Equal(h.ExpectStatus, []int{200, 201}) || notify.TriggerRule != AllDone {
		t.Errorf("notify %+v %+v", notify, h)
	}
	train := taskByID(t, d, "train")
	if train.Kind != KindGo || train.Go.Func != "train_model" || *train.Retries != 3 {
		t.Errorf("train %+v", train)
	}
	if args := train.Go.Args.(map[string]any); args["lr"] != "{{ params.learning_rate }}" {
		t.Errorf("train args %v", args)
	}
	if got := train.Upstream; !slices.Equal(got, []string{"prep.encode", "prep.inner.a"}) {
		t.Errorf("train upstream %v", got)
	}
	if p := d.Params["ratio"]; p.Schema["default"] != 2.0 {
		t.Errorf("ratio %#v", p.Schema["default"])
	}
	if p := d.Params["epochs"]; p.Schema["default"] != int64(10) {
		t.Errorf("epochs %#v", p.Schema["default"])
	}
}

func TestLoadFileGoFuncs(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "good", "train_model.yaml")
	_, err := LoadFile(path, LoadOptions{GoFuncs: func(string) bool { return false }})
	if err == nil || !strings.Contains(err.Error(), `train_model.yaml:47:9: go: go function "train_model" is not registered`) {
		t.Errorf("err = %v", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	t.Parallel()
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"), LoadOptions{})
	var l List
	if !errors.As(err, &l) || len(l) != 1 || !strings.Contains(err.Error(), "nope.yaml: ") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultDAGID(t *testing.T) {
	t.Parallel()
	d, err := LoadBytes("dags/my_pipeline.yml", []byte("tasks: [{id: a, command: [echo]}]\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "my_pipeline" {
		t.Errorf("id %q", d.ID)
	}
}

func TestLoadDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "tasks: [{id: x, command: [echo]}]\n")
	write("a.yml", "dag_id: zeta\ntasks: [{id: x, command: [echo]}]\n")
	write("c.yaml", "dag_id: zeta\ntasks: [{id: x, command: [echo]}]\n")
	write("d.yaml", "tasks: [{id: x, command: [echo], retries: -1}, {id: y, comand: [echo]}]\n")
	write("e.yaml", "tasks: [\n")
	write("notes.txt", "not a dag")
	write(".hidden.yaml", "tasks: [\n")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	dags, err := LoadDir(dir, LoadOptions{})
	var ids []string
	for _, d := range dags {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, []string{"b", "zeta"}) {
		t.Errorf("dags %v", ids)
	}
	var l List
	if !errors.As(err, &l) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		filepath.Join(dir, "c.yaml") + `:1:1: dag_id: dag "zeta" is already defined in ` + filepath.Join(dir, "a.yml"),
		filepath.Join(dir, "d.yaml") + ":1:43: retries: must not be negative, got -1",
		filepath.Join(dir, "d.yaml") + `:1:56: task: unknown field "comand" (did you mean "command"?)`,
		filepath.Join(dir, "e.yaml") + ":1:8: yaml: sequence end token ']' not found",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if len(l) != 4 {
		t.Errorf("%d errors:\n%s", len(l), msg)
	}
}

func TestLoadDirMissing(t *testing.T) {
	t.Parallel()
	dags, err := LoadDir(filepath.Join(t.TempDir(), "none"), LoadOptions{})
	if dags != nil || err == nil {
		t.Errorf("dags %v err %v", dags, err)
	}
}

func TestExtensionFields(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, `
x-common: &common
  retries: 4
tasks:
  - id: a
    <<: *common
    command: [echo]
`)
	if a := taskByID(t, d, "a"); *a.Retries != 4 {
		t.Errorf("retries %v", *a.Retries)
	}
}

func TestAnchorsAndMergeKeysInTasks(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, `
defaults: &common
  retries: 4
  pool: gpu
tasks:
  - id: a
    <<: *common
    command: &argv [echo, hi]
  - id: b
    <<: [*common]
    pool: cpu
    command: *argv
`)
	a, b := taskByID(t, d, "a"), taskByID(t, d, "b")
	if *a.Retries != 4 || a.Pool != "gpu" || *b.Retries != 4 || b.Pool != "cpu" {
		t.Errorf("a %+v b %+v", a.TaskOptions, b.TaskOptions)
	}
	if !slices.Equal(b.Command.Argv, []string{"echo", "hi"}) {
		t.Errorf("b argv %v", b.Command.Argv)
	}
}

func TestAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("x-0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&b, "*a%d, ", i-1)
		}
		b.WriteString("x]\n")
	}
	b.WriteString("params:\n  p: {default: *a9}\ntasks: [{id: a, command: [echo]}]\n")
	_, err := loadBytes("test.yaml", []byte(b.String()), LoadOptions{}, limits{aliases: 1000, nodes: maxNodes})
	if err == nil || !strings.Contains(err.Error(), "alias expansions") {
		t.Errorf("err = %v", err)
	}
}

// brokenCase is one expected error of a broken DAG file: the exact position and field, and
// a fragment of the message.
type brokenCase struct {
	at, field, msg string
}

func TestLoadBroken(t *testing.T) {
	t.Parallel()
	opts := LoadOptions{GoFuncs: func(n string) bool { return n == "registered" || n == "report" }}
	tests := map[string][]brokenCase{
		"syntax.yaml":    {{"5:3", "", "yaml: ',' or ']' must be specified"}},
		"empty.yaml":     {{"1:1", "", "empty file"}},
		"multi_doc.yaml": {{"4:1", "", "one YAML document"}},
		"bad.name.yaml":  {{"1:1", "dag_id", `the file name gives the invalid DAG id "bad.name"`}},
		"unknown_field.yaml": {
			{"2:1", "dag", `unknown field "shedule" (did you mean "schedule"?)`},
			{"3:1", "dag", `unknown field "colour"; allowed: dag_id, description, schedule`},
			{"9:5", "task", `unknown field "upsteam" (did you mean "upstream"?)`},
			{"10:5", "task", `unknown field "http_x" (did you mean "http"?)`},
			{"12:29", "http", `unknown field "methd" (did you mean "method"?)`},
			{"14:3", "defaults", `unknown field "retrys" (did you mean "retries"?)`},
		},
		"wrong_types.yaml": {
			{"2:19", "max_active_tasks", `got "many", want an integer`},
			{"6:14", "retries", `got "three", want an integer`},
			{"7:18", "retry_delay", `got true, want a duration`},
			{"8:10", "env", "got a list, want a mapping"},
			{"9:32", "retry_exponential_backoff", `got "yes", want true or false`},
			{"11:14", "command", "got a string, want a list (the program and its arguments); for a shell command line use script"},
			{"12:5", "task", `got "just a string", want a mapping`},
		},
		"duplicate_ids.yaml": {
			{"5:9", "id", `duplicate id "a": already defined at line 3`},
			{"7:9", "id", `duplicate id "prep": also defined at line 10`},
		},
		"ids.yaml": {
			{"3:9", "id", `invalid task id "a.b": use letters, digits, _ and -`},
			{"5:5", "id", "missing: every task needs an id"},
			{"6:9", "id", `invalid task id "has space"`},
		},
		"unknown_upstream.yaml": {
			{"7:16", "upstream[0]", `unknown task or group "tarin" (did you mean "train"?)`},
			{"7:23", "upstream[1]", `unknown task or group "zzz"`},
			{"10:16", "upstream[0]", `unknown task or group "trian" (did you mean "train"?)`},
			{"13:54", "upstream[0]", `unknown task or group "scael" (did you mean "scale"?)`},
		},
		"groups.yaml": {
			{"7:16", "upstream[0]", "a group cannot depend on itself"},
			{"9:44", "upstream[0]", "task g.t is inside group g: a task cannot depend on a group holding it"},
			{"10:44", "upstream[0]", "a task cannot depend on itself"},
			{"13:20", "upstream[0]", "group g.inner is inside group g: a group cannot depend on a group holding it"},
			{"16:5", "group", "group empty has no tasks"},
		},
		"cycle.yaml": {{"5:15", "upstream", "cycle: a -> b -> c -> a"}},
		"rules.yaml": {
			{"3:16", "defaults.weight_rule", `unknown weight rule "upward"; valid: downstream, upstream, absolute`},
			{"7:19", "trigger_rule", `unknown trigger rule "all_sucess" (did you mean "all_success"?); valid: all_success, all_failed,`},
			{"10:19", "trigger_rule", `unknown trigger rule "whenever"; valid: all_success`},
			{"11:18", "weight_rule", `unknown weight rule "absolut" (did you mean "absolute"?)`},
		},
		"negative.yaml": {
			{"2:19", "max_active_tasks", "must not be negative, got -1"},
			{"4:12", "defaults.retries", "must not be negative, got -1"},
			{"8:17", "pool_slots", "must be at least 1, got 0"},
			{"9:18", "retry_delay", "invalid duration -5 seconds"},
			{"10:14", "timeout", `invalid duration "10 minutes"`},
			{"11:19", "output_limit", "must be at least 1 byte, got 0"},
			{"12:23", "skip_exit_codes[0]", "exit code 300 out of range 0-255"},
		},
		"empty_command.yaml": {
			{"4:14", "command", "empty command: give the program and its arguments"},
			{"6:13", "script", "empty script"},
			{"8:15", "command[0]", "empty program name"},
			{"11:12", "shell", "applies to script only"},
		},
		"http.yaml": {
			{"4:11", "http.url", "missing: the request URL is required"},
			{"6:17", "http.url", `"/relative/path" is not an absolute http:// or https:// URL`},
			{"8:60", "http.expect_status[1]", "invalid HTTP status 700: want 100-599"},
			{"12:17", "http.url", `"ftp://example.com/x" is not an absolute`},
			{"12:48", "http.method", `invalid HTTP method "GE T"`},
		},
		"params.yaml": {
			{"3:18", "params.epochs.type", `unknown type "integr" (did you mean "integer"?); valid: array, boolean,`},
			{"4:33", "params.rate.default", `default does not satisfy the schema: got "fast", want number`},
			{"5:47", "params.small.default", "default does not satisfy the schema: maximum: got 9, want 5"},
			{"7:49", "params.nested.properties.x.type", "invalid schema: value must be one of 'array'"},
			{"8:36", "params.pattern.pattern", "invalid schema: '([' is not valid regex"},
		},
		"callbacks.yaml": {
			{"3:5", "on_failure[0]", "a callback has either command or webhook, not both"},
			{"4:5", "on_failure[1]", "a callback needs command or webhook"},
			{"9:19", "on_retry[0].webhook", `"not a url" is not an absolute http:// or https:// URL`},
			{"10:24", "on_retry[1]", `unknown field "url"; allowed: command, webhook`},
		},
		"kinds.yaml": {
			{"3:9", "task", "no action: a task needs exactly one of command, script, http, go"},
			{"7:5", "http", "a task has exactly one of command, script, http, go, sensor; this one has command and http"},
			{"9:11", "kind", `unknown kind "shell"; valid: command, http, go`},
			{"12:11", "kind", "kind go does not match command (a command task)"},
			{"16:5", "env", "applies to command and script tasks only"},
			{"17:5", "args", "applies to go tasks only"},
		},
		"go_funcs.yaml": {{"6:9", "go", `go function "missing_func" is not registered`}},
		"templates.yaml": {
			{"8:38", "command[1]", `{{ params.epoch }}: unknown param "epoch" (did you mean "epochs"?); declared: epochs`},
			{"8:60", "command[2]", `{{ foo + 1 }}: unknown variable "foo"; valid: args, concat, conf, conn, dag_id, data_interval_end, data_interval_start, ds, ds_nodash, logical_date, map_index, outputs, params, run_id, task_id, triggering_dataset_events, try_number, ts, ts_nodash, var, zip, zip_longest`},
			{"8:91", "command[3]", "{{ params.epochs + }}: unexpected token EOF"},
			// outputs.train and outputs.extract (13:15, 13:35) make them upstreams of deploy.
			{"14:21", "env.A", "{{ ds + 1 }}: invalid operation: + (mismatched types string and int)"},
			{"14:34", "env.B", `unclosed "{{": end the expression with "}}"`},
			{"17:50", "args.y[0]", `{{ outputs.nope }}: outputs.nope: no task "nope"`},
		},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "broken", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := tests[filepath.Base(f)]; !ok {
			t.Errorf("no expectations for %s", f)
		}
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "broken", name)
			d, err := LoadFile(path, opts)
			if d != nil {
				t.Errorf("got a DAG for a broken file")
			}
			var l List
			if !errors.As(err, &l) {
				t.Fatalf("err = %v, want a List", err)
			}
			for _, w := range want {
				prefix := path + ":" + w.at + ": "
				if w.field != "" {
					prefix += w.field + ": "
				}
				found := false
				for _, e := range l {
					if s := e.Error(); strings.HasPrefix(s, prefix) && strings.Contains(s[len(prefix):], w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing error %s%s", prefix, w.msg)
				}
			}
			if len(l) != len(want) {
				t.Errorf("got %d errors, want %d:\n%v", len(l), len(want), err)
			}
		})
	}
}

func TestTemplatePositionsInBlocks(t *testing.T) {
	t.Parallel()
	_, err := load(t, `tasks:
  - id: a
    script: |

      echo ok
        echo {{ nope }}
    env:
      A: '{{ nope }}'
      B: "x\t{{ nope }}"
      C: plain {{ nope }}
      D: >
        folded {{ nope }}
`)
	var l List
	if !errors.As(err, &l) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range l {
		got = append(got, e.Pos.String()+" "+e.Field)
	}
	want := []string{"test.yaml:6:17 script", "test.yaml:8:14 env.A", "test.yaml:9:10 env.B", "test.yaml:10:19 env.C", "test.yaml:11:10 env.D"}
	if !slices.Equal(got, want) {
		t.Errorf("positions %q, want %q", got, want)
	}
}

// TestDocExample loads the first example of docs/dag-yaml.md, so the documentation stays true.
func TestDocExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "dag-yaml.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in docs/dag-yaml.md")
	}
	d, err := LoadBytes("train_model.yaml", []byte(example), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := taskByID(t, d, "train").Upstream; !slices.Equal(got, []string{"prep.encode"}) {
		t.Errorf("train upstream %v", got)
	}
}

func TestLargeAnchorUsedOften(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("x-big: &big [")
	for range 500 {
		b.WriteString("1, ")
	}
	b.WriteString("1]\nparams:\n  p:\n    default: [")
	for range 500 {
		b.WriteString("*big, ")
	}
	b.WriteString("1]\ntasks: [{id: a, command: [echo]}]\n")
	start := time.Now()
	_, err := loadBytes("test.yaml", []byte(b.String()), LoadOptions{}, limits{aliases: maxAliases, nodes: 20000})
	if err == nil || !strings.Contains(err.Error(), "the file is too large") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
