package executor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
)

// syncBuffer is a log writer safe for the concurrent writes of a subprocess's pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func job(t *testing.T, task *dag.Task) (*executor.Job, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	return &executor.Job{DAGID: "d", RunID: "r", TaskID: task.ID, MapIndex: -1, TryNumber: 1,
		LogicalDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Task: task, Log: log,
		Params: map[string]any{"p": 1.5}, Dir: t.TempDir(),
		Inputs: map[string]json.RawMessage{"up": json.RawMessage(`{"x":1}`)}}, log
}

func TestCommandEnvironmentAndFiles(t *testing.T) {
	t.Parallel()
	reg := executor.NewRegistry(nil)
	j, log := job(t, &dag.Task{ID: "c", Kind: dag.KindCommand, Command: &dag.CommandSpec{
		Script: `pwd; echo "$WEIR_DAG_ID $WEIR_RUN_ID $WEIR_TASK_ID $WEIR_TRY_NUMBER $WEIR_MAP_INDEX $WEIR_LOGICAL_DATE $WEIR_PARAMS $EXTRA"
cat "$WEIR_INPUTS"; echo; echo '{"done": true}' > "$WEIR_OUTPUT"`,
		Env: map[string]string{"EXTRA": "yes"}, Dir: "sub"}})
	if err := os.Mkdir(filepath.Join(j.Dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	var pid int
	j.Started = func(p int) { pid = p }
	res := reg.Run(context.Background(), j)
	if res.Outcome != executor.Succeeded || string(res.Output) != "{\"done\": true}\n" {
		t.Fatalf("result %+v, log %s", res, log)
	}
	for _, want := range []string{filepath.Join(j.Dir, "sub"), "d r c 1 -1 2026-01-02T03:04:05Z {\"p\":1.5} yes", `{"up":{"x":1}}`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if pid <= 0 {
		t.Errorf("Started was not called with the pid")
	}
}

func TestCommandOutcomes(t *testing.T) {
	t.Parallel()
	reg := executor.NewRegistry(nil)
	for _, tc := range []struct {
		name    string
		spec    dag.CommandSpec
		outcome executor.Outcome
		errPart string
	}{
		{"exit 1 fails", dag.CommandSpec{Script: "exit 1"}, executor.Failed, "exit status 1"},
		{"exit 99 skips", dag.CommandSpec{Script: "exit 99"}, executor.Skipped, "skip_exit_codes"},
		{"exit 98 fails without retry", dag.CommandSpec{Script: "exit 98"}, executor.FailedNoRetry, "no retry"},
		{"custom skip code", dag.CommandSpec{Script: "exit 3", SkipExitCodes: []int{3}}, executor.Skipped, ""},
		{"missing program", dag.CommandSpec{Argv: []string{"no-such-program-weir"}}, executor.FailedNoRetry, "is it installed"},
		{"bash stops at the first failure", dag.CommandSpec{Script: "false\necho '1' > \"$WEIR_OUTPUT\""}, executor.Failed, "exit status 1"},
		{"argv without shell", dag.CommandSpec{Argv: []string{"sh", "-c", "echo '[1,2]' > \"$WEIR_OUTPUT\""}}, executor.Succeeded, ""},
		{"python shell", dag.CommandSpec{Script: "import os; open(os.environ['WEIR_OUTPUT'], 'w').write('3')", Shell: []string{"python3", "-c"}}, executor.Succeeded, ""},
		{"killed by a signal", dag.CommandSpec{Script: "kill -9 $$"}, executor.Failed, "killed by signal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := tc.spec
			j, log := job(t, &dag.Task{ID: "c", Kind: dag.KindCommand, Command: &spec})
			res := reg.Run(context.Background(), j)
			if res.Outcome != tc.outcome {
				t.Fatalf("outcome %d, want %d (err %v, log %s)", res.Outcome, tc.outcome, res.Err, log)
			}
			if tc.errPart != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), tc.errPart)) {
				t.Errorf("err %v, want it to mention %q", res.Err, tc.errPart)
			}
		})
	}
}

func TestGoKind(t *testing.T) {
	t.Parallel()
	funcs := executor.NewFuncs()
	_ = funcs.Register("echo", func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		info := executor.InfoFrom(ctx)
		return json.Marshal(map[string]any{"args": args, "task": info.TaskID, "input": info.Inputs["up"]})
	})
	_ = funcs.Register("panics", func(context.Context, json.RawMessage) (json.RawMessage, error) { panic("boom") })
	_ = funcs.Register("skips", func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, &executor.SkipError{Reason: "nothing new"}
	})
	_ = funcs.Register("hangs", func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err := funcs.Register("echo", nil); err == nil {
		t.Error("registering a name twice should fail")
	}
	reg := executor.NewRegistry(funcs)
	run := func(fn string, timeout time.Duration) executor.Result {
		j, _ := job(t, &dag.Task{ID: "g", Kind: dag.KindGo, Go: &dag.GoSpec{Func: fn, Args: map[string]any{"n": 2}}})
		j.Timeout = timeout
		return reg.Run(context.Background(), j)
	}
	if res := run("echo", 0); res.Outcome != executor.Succeeded || string(res.Output) != `{"args":{"n":2},"input":{"x":1},"task":"g"}` {
		t.Errorf("echo: %+v %s", res, res.Output)
	}
	if res := run("panics", 0); res.Outcome != executor.Failed || !strings.Contains(res.Err.Error(), "panicked: boom") {
		t.Errorf("panics: %+v", res)
	}
	if res := run("skips", 0); res.Outcome != executor.Skipped {
		t.Errorf("skips: %+v", res)
	}
	res := run("hangs", 50*time.Millisecond)
	var te *executor.TimeoutError
	if res.Outcome != executor.Failed || !errors.As(res.Err, &te) {
		t.Errorf("hangs: %+v, want a TimeoutError", res)
	}
	if res := run("missing", 0); res.Outcome != executor.FailedNoRetry || !strings.Contains(res.Err.Error(), "not registered") {
		t.Errorf("missing: %+v", res)
	}
	j, _ := job(t, &dag.Task{ID: "x", Kind: "quality.check"})
	if res := reg.Run(context.Background(), j); res.Outcome != executor.FailedNoRetry || !strings.Contains(res.Err.Error(), "unknown task kind") {
		t.Errorf("unknown kind: %+v", res)
	}
}

func TestCheckOutput(t *testing.T) {
	t.Parallel()
	if err := executor.CheckOutput(json.RawMessage(`{"a":1}`), 100); err != nil {
		t.Error(err)
	}
	if err := executor.CheckOutput(json.RawMessage(`"`+strings.Repeat("x", 200)+`"`), 100); err == nil || !strings.Contains(err.Error(), "over the limit of 100 B") {
		t.Errorf("large output: %v", err)
	}
	if err := executor.CheckOutput(json.RawMessage(`{`), 0); err == nil {
		t.Error("invalid JSON accepted")
	}
}
