package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// Default exit codes of command tasks.
var (
	// DefaultSkipExitCodes make a command task skipped (Airflow's BashOperator uses 99).
	DefaultSkipExitCodes = []int{99}
	// DefaultFailFastExitCodes make a command task fail without retries.
	DefaultFailFastExitCodes = []int{98}
)

// trySeq numbers the temporary files of tries.
var trySeq atomic.Uint64

// Command runs command tasks as subprocesses, each in its own process group.
type Command struct{}

// defaultShell is the interpreter of scripts: bash that stops at the first failing command
// (like a CI step), or POSIX sh where bash is missing.
func defaultShell() []string {
	if _, err := exec.LookPath("bash"); err == nil {
		return []string{"bash", "-eo", "pipefail", "-c"}
	}
	return []string{"sh", "-e", "-c"}
}

// Run starts the process, waits for it, and reads its output file.
func (Command) Run(ctx context.Context, job *Job) Result {
	spec := job.Task.Command
	if spec == nil {
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("task %s has no command spec", job.TaskID)}
	}
	var argv []string
	switch {
	case len(spec.Argv) > 0:
		argv = spec.Argv
	case spec.Script != "":
		shell := spec.Shell
		if len(shell) == 0 {
			shell = defaultShell()
		}
		argv = append(slices.Clone(shell), spec.Script)
	default:
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("task %s: command has neither argv nor script", job.TaskID)}
	}

	tmp := job.TempDir
	if tmp == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "weir-try-"); err != nil {
			return Result{Outcome: Failed, Err: fmt.Errorf("create the task's temporary folder: %w", err)}
		}
		defer os.RemoveAll(tmp)
	}
	prefix := filepath.Join(tmp, fmt.Sprintf("try-%d-%d", os.Getpid(), trySeq.Add(1)))
	outPath := prefix + ".output.json"
	inPath := prefix + ".inputs.json"
	defer os.Remove(outPath)
	inputs := job.Inputs
	if inputs == nil {
		inputs = map[string]json.RawMessage{}
	}
	inJSON, err := json.Marshal(inputs)
	if err != nil {
		return Result{Outcome: Failed, Err: fmt.Errorf("encode inputs: %w", err)}
	}
	if err := os.WriteFile(inPath, inJSON, 0o600); err != nil {
		return Result{Outcome: Failed, Err: fmt.Errorf("write inputs: %w", err)}
	}
	defer os.Remove(inPath)
	params, _ := json.Marshal(job.Params)

	dir := job.Dir
	if spec.Dir != "" {
		dir = spec.Dir
		if !filepath.IsAbs(dir) && job.Dir != "" {
			dir = filepath.Join(job.Dir, dir)
		}
	}

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"WEIR_OUTPUT="+outPath,
		"WEIR_INPUTS="+inPath,
		"WEIR_DAG_ID="+job.DAGID,
		"WEIR_RUN_ID="+job.RunID,
		"WEIR_TASK_ID="+job.TaskID,
		"WEIR_MAP_INDEX="+strconv.Itoa(job.MapIndex),
		"WEIR_TRY_NUMBER="+strconv.Itoa(job.TryNumber),
		"WEIR_LOGICAL_DATE="+job.LogicalDate.UTC().Format(time.RFC3339),
		"WEIR_PARAMS="+string(params),
	)
	for k, v := range job.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range spec.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if job.Home != "" {
		// Last, so that it wins: it is how crash recovery tells this home's tries from those
		// of another installation on the host.
		cmd.Env = append(cmd.Env, "WEIR_HOME="+job.Home)
	}
	cmd.Stdout, cmd.Stderr = job.Log, job.Log
	if lf, ok := job.Log.(interface{ File() (*os.File, error) }); ok {
		// Hand the log file itself to the process: no pipe, no copying goroutine.
		if f, err := lf.File(); err == nil {
			cmd.Stdout, cmd.Stderr = f, f
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Kill the whole process group: the shell and everything it started.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second

	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("start %q: %w (is it installed and on PATH? dir %s)", argv[0], err, dir)}
		}
		return Result{Outcome: Failed, Err: fmt.Errorf("start %q: %w", argv[0], err)}
	}
	if job.Started != nil {
		job.Started(cmd.Process.Pid)
	}
	waitErr := cmd.Wait()
	// Leave no stragglers behind: whatever the leader left running in its group dies too.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	if ctx.Err() != nil {
		return Result{Outcome: Failed, Err: context.Cause(ctx)}
	}
	code := 0
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return Result{Outcome: Failed, Err: fmt.Errorf("%s: %w", argv[0], waitErr)}
		}
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return Result{Outcome: Failed, Err: fmt.Errorf("%s was killed by signal %s", argv[0], ws.Signal())}
		}
	}
	out, outErr := readOutput(outPath, job.OutputLimit)
	skipCodes, failFast := spec.SkipExitCodes, spec.FailFastExitCodes
	if skipCodes == nil {
		skipCodes = DefaultSkipExitCodes
	}
	if failFast == nil {
		failFast = DefaultFailFastExitCodes
	}
	switch {
	case code == 0:
		if outErr != nil {
			return Result{Outcome: FailedNoRetry, Err: outErr}
		}
		return Result{Outcome: Succeeded, Output: out}
	case slices.Contains(skipCodes, code):
		return Result{Outcome: Skipped, Err: fmt.Errorf("exit status %d (skip_exit_codes)", code)}
	case slices.Contains(failFast, code):
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("exit status %d (fail_fast_exit_codes: no retry)", code)}
	default:
		return Result{Outcome: Failed, Err: fmt.Errorf("exit status %d", code)}
	}
}

// readOutput reads the JSON output file a command wrote, if any, refusing files past limit.
func readOutput(path string, limit int) (json.RawMessage, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read $WEIR_OUTPUT: %w", err)
	}
	if limit <= 0 {
		limit = defaultOutputLimit()
	}
	if st.Size() > int64(limit) {
		return nil, fmt.Errorf("the output written to $WEIR_OUTPUT is %s, over the limit of %s (output_limit): write large data to a file or the artifact store and output its path",
			byteSize(int(st.Size())), byteSize(limit))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read $WEIR_OUTPUT: %w", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("the output written to $WEIR_OUTPUT is not valid JSON: %.80q", b)
	}
	return json.RawMessage(b), nil
}
