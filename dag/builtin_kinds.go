package dag

import (
	"path/filepath"
	"slices"
	"strings"
)

// This file defines the YAML side of the built-in task kinds (command, http, go, sensor)
// through the same KindDef door every other kind uses. Their specs stay in the DAG model
// (Task.Command, Task.HTTP, Task.Go, Task.Sensor) because the Go SDK builds them directly;
// their executors are paired with these definitions in package kinds.

// BuiltinKinds returns a new set of the built-in kinds' definitions: command, http, go and
// sensor. Package kinds pairs them with their executors; LoadOptions with nil Kinds uses
// this set.
func BuiltinKinds() *Kinds {
	ks, err := NewKinds(CommandKind(), HTTPKind(), GoKind(), SensorKind())
	if err != nil {
		panic("dag: built-in kinds: " + err.Error()) // a bug in this file, caught by every test
	}
	return ks
}

// CommandKind is the definition of the command kind: a program (command: [argv]) or a
// shell script (script:) run in a subprocess, its fields on the task itself.
func CommandKind() KindDef {
	return KindDef{
		Name:   KindCommand,
		Doc:    "Runs a program (command: [argv]) or a shell script (script:) in a subprocess; its stdout and stderr are the task's log.",
		Keys:   []string{"command", "script"},
		Inline: true,
		New:    func() any { return &CommandSpec{} },
		Get: func(t *Task) any {
			if t.Command == nil {
				return nil
			}
			return t.Command
		},
		Set:      func(t *Task, spec any) { t.Command = spec.(*CommandSpec) },
		Needs:    "command (a list) or script",
		Tasks:    "command and script tasks",
		Validate: validateCommand,
	}
}

func validateCommand(c *KindCheck, spec any) {
	cmd := spec.(*CommandSpec)
	switch {
	case len(cmd.Argv) > 0 && cmd.Script != "":
		c.Errorf("script", "a task has either command (argv) or script, not both")
	case len(cmd.Argv) == 0 && strings.TrimSpace(cmd.Script) == "":
		if cmd.Script != "" {
			c.Errorf("script", "empty script")
		} else {
			c.Errorf("command", "empty command: give the program and its arguments")
		}
	case len(cmd.Argv) > 0 && cmd.Argv[0] == "":
		c.Errorf("command[0]", "empty program name")
	}
	if len(cmd.Shell) > 0 {
		if len(cmd.Argv) > 0 {
			c.Errorf("shell", "applies to script only: command runs its program without a shell")
		} else if cmd.Shell[0] == "" {
			c.Errorf("shell[0]", "empty program name")
		}
	}
	for _, k := range sortedMapKeys(cmd.Env) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			c.Errorf("env."+k, "invalid environment variable name %q", k)
		}
	}
	for i, e := range cmd.EnvFrom {
		if _, err := ParseEnvRef(e); err != nil {
			c.Errorf(index("env_from", i), "%v", err)
		}
	}
	for _, l := range []struct {
		field string
		codes []int
	}{{"skip_exit_codes", cmd.SkipExitCodes}, {"fail_fast_exit_codes", cmd.FailFastExitCodes}} {
		for i, code := range l.codes {
			if code < 0 || code > 255 {
				c.Errorf(index(l.field, i), "exit code %d out of range 0-255", code)
			}
		}
	}
}

// HTTPKind is the definition of the http kind: one HTTP request, its fields under http:.
func HTTPKind() KindDef {
	return KindDef{
		Name: KindHTTP,
		Doc:  "Sends one HTTP request; a response with an unexpected status fails the task, a JSON body is its output.",
		New:  func() any { return &HTTPSpec{} },
		Get: func(t *Task) any {
			if t.HTTP == nil {
				return nil
			}
			return t.HTTP
		},
		Set:   func(t *Task, spec any) { t.HTTP = spec.(*HTTPSpec) },
		Needs: "http",
		Validate: func(c *KindCheck, spec any) {
			h := spec.(*HTTPSpec)
			checkRequest(c, h.Method, h.URL, h.Headers, h.ExpectStatus)
		},
	}
}

// checkRequest checks the fields an http task and an http sensor share.
func checkRequest(c *KindCheck, method, u string, headers map[string]string, expect []int) {
	if method != "" && strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		c.Errorf("method", "invalid HTTP method %q", method)
	}
	if u != "" && !isTemplate(u) {
		if msg := checkURL(u); msg != "" {
			c.Errorf("url", "%s", msg)
		}
	}
	for _, k := range sortedMapKeys(headers) {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			c.Errorf("headers."+k, "invalid header name %q", k)
		}
	}
	for i, code := range expect {
		if code < 100 || code > 599 {
			c.Errorf(index("expect_status", i), "invalid HTTP status %d: want 100-599", code)
		}
	}
}

// GoKind is the definition of the go kind: a call of a Go function registered through the
// SDK (go: name, args: input), its fields on the task itself.
func GoKind() KindDef {
	return KindDef{
		Name:   KindGo,
		Doc:    "Calls a Go function registered through the SDK with args as its JSON input; its result is the task's output.",
		Keys:   []string{"go"},
		Inline: true,
		New:    func() any { return &GoSpec{} },
		Get: func(t *Task) any {
			if t.Go == nil {
				return nil
			}
			return t.Go
		},
		Set:     func(t *Task, spec any) { t.Go = spec.(*GoSpec) },
		Needs:   "go (a function name)",
		Tasks:   "go tasks",
		MapArgs: "args",
		Validate: func(c *KindCheck, spec any) {
			g := spec.(*GoSpec)
			switch funcs := c.Options().GoFuncs; {
			case g.Func == "":
				c.Errorf("go", "missing function name")
			case funcs != nil && !funcs(g.Func):
				c.Errorf("go", "go function %q is not registered", g.Func)
			}
		},
	}
}

// tiStateNames and runStateNames are the states an external_task sensor may name (the
// store's task instance and run states; "none" is a task instance with no state yet).
var (
	tiStateNames = []string{"none", "scheduled", "queued", "running", "success", "failed", "skipped",
		"upstream_failed", "up_for_retry", "up_for_reschedule", "removed"}
	runStateNames = []string{"queued", "running", "success", "failed"}
)

// SensorKind is the definition of the sensor kind: a task that succeeds once a condition
// holds, its fields under sensor:.
func SensorKind() KindDef {
	return KindDef{
		Name: KindSensor,
		Doc:  "Waits until a condition holds: a file or blob exists, a dataset is updated, another DAG's task ends, an HTTP check or an expression passes.",
		New:  func() any { return &SensorSpec{} },
		Get: func(t *Task) any {
			if t.Sensor == nil {
				return nil
			}
			return t.Sensor
		},
		Set:      func(t *Task, spec any) { t.Sensor = spec.(*SensorSpec) },
		Needs:    "sensor: {type: file, path: ...}",
		Validate: validateSensor,
	}
}

// validateSensor checks a sensor spec: its type, mode and durations, the fields its type
// requires, and that it has no field of another type.
func validateSensor(c *KindCheck, spec any) {
	sp := spec.(*SensorSpec)
	switch {
	case sp.Type == "":
		c.Errorf("", "missing type: one of %s", strings.Join(SensorTypes, ", "))
		return
	case !slices.Contains(SensorTypes, sp.Type):
		c.Errorf("type", "unknown sensor type %q%s; valid: %s", sp.Type, DidYouMean(sp.Type, SensorTypes), strings.Join(SensorTypes, ", "))
		return
	}
	if sp.Mode != "" && sp.Mode != SensorPoke && sp.Mode != SensorReschedule {
		c.Errorf("mode", "unknown mode %q%s; valid: poke, reschedule", sp.Mode, DidYouMean(sp.Mode, []string{SensorPoke, SensorReschedule}))
	}
	for _, d := range []struct {
		name string
		val  Duration
	}{{"poke_interval", sp.PokeInterval}, {"timeout", sp.Timeout}, {"execution_delta", sp.ExecutionDelta}} {
		if d.val < 0 {
			c.Errorf(d.name, "must not be negative, got %s", d.val.D())
		}
	}
	// Fields that apply to some types only.
	only := map[string][]string{
		"path": {SensorFile}, "url": {SensorFile, SensorHTTP}, "uri": {SensorDataset},
		"dag_id": {SensorExternalTask}, "task_id": {SensorExternalTask}, "states": {SensorExternalTask},
		"failed_states": {SensorExternalTask}, "execution_delta": {SensorExternalTask},
		"method": {SensorHTTP}, "headers": {SensorHTTP}, "expect_status": {SensorHTTP},
		"condition": {SensorHTTP, SensorExpr},
	}
	set := map[string]bool{
		"path": sp.Path != "", "url": sp.URL != "", "uri": sp.URI != "", "dag_id": sp.DAGID != "",
		"task_id": sp.TaskID != "", "states": len(sp.States) > 0, "failed_states": len(sp.FailedStates) > 0,
		"execution_delta": sp.ExecutionDelta != 0, "method": sp.Method != "", "headers": len(sp.Headers) > 0,
		"expect_status": len(sp.ExpectStatus) > 0, "condition": sp.Condition != "",
	}
	for _, name := range sortedMapKeys(only) {
		if set[name] && !slices.Contains(only[name], sp.Type) {
			c.Errorf(name, "does not apply to a %s sensor (only to %s)", sp.Type, strings.Join(only[name], " and "))
		}
	}
	switch sp.Type {
	case SensorFile:
		switch {
		case sp.Path == "" && sp.URL == "":
			c.Errorf("", "a file sensor needs path (a local path or glob) or url (a blob URL)")
		case sp.Path != "" && sp.URL != "":
			c.Errorf("url", "a file sensor has path or url, not both")
		case sp.Path != "" && !isTemplate(sp.Path):
			if _, err := filepath.Match(sp.Path, ""); err != nil {
				c.Errorf("path", "invalid glob %q: %v", sp.Path, err)
			}
		case sp.URL != "" && !isTemplate(sp.URL):
			if msg := checkBlobURL(sp.URL); msg != "" {
				c.Errorf("url", "%s", msg)
			}
		}
	case SensorDataset:
		if strings.TrimSpace(sp.URI) == "" {
			c.Errorf("", "a dataset sensor needs uri, the dataset to wait for")
		}
	case SensorExternalTask:
		if sp.DAGID == "" {
			c.Errorf("", "an external_task sensor needs dag_id (and task_id, or none to wait for the whole run)")
		}
		valid, what := tiStateNames, "task instance"
		if sp.TaskID == "" {
			valid, what = runStateNames, "run"
		}
		for _, l := range []struct {
			name   string
			states []string
		}{{"states", sp.States}, {"failed_states", sp.FailedStates}} {
			for i, st := range l.states {
				if !slices.Contains(valid, st) {
					c.Errorf(index(l.name, i), "unknown %s state %q%s; valid: %s", what, st, DidYouMean(st, valid), strings.Join(valid, ", "))
				} else if l.name == "failed_states" && slices.Contains(sp.States, st) {
					c.Errorf(index(l.name, i), "state %q is in both states and failed_states", st)
				}
			}
		}
	case SensorHTTP:
		if sp.URL == "" {
			c.Errorf("", "an http sensor needs url, the absolute http(s) URL to request")
		}
		checkRequest(c, sp.Method, sp.URL, sp.Headers, sp.ExpectStatus)
		if sp.Condition != "" {
			if _, err := CompileResponseCondition(sp.Condition); err != nil {
				msg, at := exprMessage(err)
				c.ErrorAt("condition", byteOffset(sp.Condition, max(at, 0)), "%s (the condition sees status, headers and body)", msg)
			}
		}
	case SensorExpr:
		if strings.TrimSpace(sp.Condition) == "" {
			c.Errorf("", "an expr sensor needs condition, an expression that is true when the wait is over")
		} else {
			c.Expression("condition", sp.Condition)
		}
	}
}
