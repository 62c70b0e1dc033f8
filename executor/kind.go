package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/weirhq/weir/dag"
)

// Job is one try of one task instance, handed to a Kind.
type Job struct {
	// DAGID, RunID, TaskID, MapIndex and TryNumber identify the try.
	DAGID     string
	RunID     string
	TaskID    string
	MapIndex  int
	TryNumber int
	// LogicalDate is the run's logical date.
	LogicalDate time.Time
	// Task is the task with its templates already rendered.
	Task *dag.Task
	// Params are the run's resolved params.
	Params map[string]any
	// Inputs maps each direct upstream task ID to its JSON output (upstreams without output
	// are absent).
	Inputs map[string]json.RawMessage
	// Dir is the folder relative paths resolve against (the DAG file's folder).
	Dir string
	// Log receives the task's log lines (stdout and stderr for commands).
	Log io.Writer
	// OutputLimit is the maximum output size in bytes.
	OutputLimit int
	// Timeout limits the try; zero means no limit. When it passes, the kind's context is
	// cancelled (a command's whole process group is killed) and the try fails.
	Timeout time.Duration
	// TempDir, when set, is an existing folder where the try's input and output files are
	// created (and removed after the try); otherwise each try makes its own temporary folder.
	TempDir string
	// Home is the absolute home folder of the weir that runs the job; command tasks get it
	// as $WEIR_HOME (it cannot be overridden), and crash recovery finds a dead process's
	// orphaned tries by it.
	Home string
	// Env holds extra environment variables for subprocesses (for example the tracking
	// server's address in a later issue).
	Env map[string]string
	// FirstStartedAt is when the first poke of a rescheduled sensor started (its timeout
	// counts from there); for other tries it is the try's start.
	FirstStartedAt time.Time
	// Rescheduled is true when this start of a sensor follows a reschedule (it is not the
	// try's first poke), false for every first start.
	Rescheduled bool
	// Template is the context the task's templates were rendered with (nil when the task
	// has none); kinds that evaluate expressions of their own use it.
	Template *dag.TemplateContext
	// Tracking is the try's experiment-tracking run, nil when the task is not tracked.
	Tracking *Tracking
	// Started, when set, is called once with the PID of a subprocess the job started, so
	// the engine can record it for crash recovery.
	Started func(pid int)
}

// Outcome is how a try ended.
type Outcome int

// The outcomes.
const (
	// Succeeded means the try succeeded.
	Succeeded Outcome = iota
	// Failed means the try failed; it may be retried.
	Failed
	// FailedNoRetry means the try failed and must not be retried.
	FailedNoRetry
	// Skipped means the task skipped itself.
	Skipped
	// Rescheduled means a sensor in reschedule mode found its condition false: the try
	// ends without counting, its slot is freed, and it pokes again at Result.RescheduleAt.
	Rescheduled
)

// Result is what a Kind reports at the end of a try.
type Result struct {
	// Outcome is how the try ended.
	Outcome Outcome
	// Output is the task's JSON output, nil when none.
	Output json.RawMessage
	// Err describes the failure or the reason for a skip.
	Err error
	// RescheduleAt is when a Rescheduled sensor pokes again.
	RescheduleAt time.Time
	// Follow, when not nil on a success, makes the try a branch: the task's direct
	// downstreams not named in it (task or group IDs) are skipped, as a branch task's are,
	// and an empty list skips them all. An approval that was rejected or answered with a
	// branch's option sets it; nil means the task does not branch.
	Follow []string
}

// Kind runs tasks of one kind. Run must return when ctx is done (timeout, cancelled run),
// having stopped everything it started.
type Kind interface {
	Run(ctx context.Context, job *Job) Result
}

// KindFunc adapts a function to Kind.
type KindFunc func(ctx context.Context, job *Job) Result

// Run calls f.
func (f KindFunc) Run(ctx context.Context, job *Job) Result { return f(ctx, job) }

// Registry maps kind names to their implementations. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]Kind
	funcs *Funcs
	defs  *dag.Kinds
}

// NewRegistry returns a registry holding the built-in kinds: command, http, and go (calling
// the functions registered in funcs; nil means an empty set). kinds.Set.Registry builds the
// registry of a whole kind set (sensors and any other registered kind included).
func NewRegistry(funcs *Funcs) *Registry {
	if funcs == nil {
		funcs = NewFuncs()
	}
	r := &Registry{kinds: map[string]Kind{}, funcs: funcs}
	r.Register(dag.KindCommand, Command{})
	r.Register(dag.KindHTTP, HTTP{})
	r.Register(dag.KindGo, GoKind{Funcs: funcs})
	return r
}

// NewEmptyRegistry returns a registry without kinds whose Funcs are funcs (nil means an
// empty set) and whose Defs are defs, the definitions of the kinds that will be registered
// (nil: the built-in ones). Package kinds fills it from a kind set, so the engine runs
// exactly the kinds the DAGs were loaded with.
func NewEmptyRegistry(funcs *Funcs, defs *dag.Kinds) *Registry {
	if funcs == nil {
		funcs = NewFuncs()
	}
	return &Registry{kinds: map[string]Kind{}, funcs: funcs, defs: defs}
}

// Defs returns the definitions of the registry's kinds (nil: the built-in ones); the
// engine restores the specs of a run's DAG snapshot with them (dag.Kinds.Restore).
func (r *Registry) Defs() *dag.Kinds { return r.defs }

// Register adds or replaces a kind.
func (r *Registry) Register(name string, k Kind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds[name] = k
}

// Lookup returns the kind registered under name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kinds[name]
	return k, ok
}

// Names lists the registered kinds, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Funcs returns the Go functions the go kind calls.
func (r *Registry) Funcs() *Funcs { return r.funcs }

// Run runs one job with the kind its task names, enforcing the task's timeout and the
// output limit.
func (r *Registry) Run(ctx context.Context, job *Job) Result {
	k, ok := r.Lookup(job.Task.Kind)
	if !ok {
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("unknown task kind %q (known: %v)", job.Task.Kind, r.Names())}
	}
	if timeout := job.Timeout; timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, &TimeoutError{Timeout: timeout})
		defer cancel()
	}
	res := safeRun(ctx, k, job)
	if res.Outcome == Succeeded || res.Outcome == Skipped {
		if err := CheckOutput(res.Output, job.OutputLimit); err != nil {
			return Result{Outcome: FailedNoRetry, Err: err}
		}
	}
	if res.Outcome != Succeeded && res.Err != nil {
		if cause := context.Cause(ctx); cause != nil && errors.As(cause, new(*TimeoutError)) {
			res.Err = cause
			res.Outcome = Failed
		}
	}
	return res
}

// safeRun turns a panic in a kind into a failed result.
func safeRun(ctx context.Context, k Kind, job *Job) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = Result{Outcome: Failed, Err: fmt.Errorf("task panicked: %v", p)}
		}
	}()
	return k.Run(ctx, job)
}

// TimeoutError is the failure of a try that ran past its timeout.
type TimeoutError struct {
	// Timeout is the task's timeout.
	Timeout time.Duration
}

// Error says the try timed out and was killed.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s (the task's timeout); the process group was killed", e.Timeout)
}

// CheckOutput verifies that out is valid JSON no larger than limit bytes (limit ≤ 0 means
// the default, 1 MiB).
func CheckOutput(out json.RawMessage, limit int) error {
	if out == nil {
		return nil
	}
	if limit <= 0 {
		limit = dag.DefaultOutputLimit
	}
	if len(out) > limit {
		return fmt.Errorf("output is %s, over the limit of %s (output_limit): write large data to a file or the artifact store and output its path",
			byteSize(len(out)), byteSize(limit))
	}
	if !json.Valid(out) {
		return fmt.Errorf("output is not valid JSON: %.80q", out)
	}
	return nil
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// SkipError makes a try end as skipped. Go tasks return it (through the SDK's Skip).
type SkipError struct{ Reason string }

// Error gives the skip's reason.
func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// NoRetryError makes a try fail without further retries.
type NoRetryError struct{ Err error }

// Error is the wrapped error's message.
func (e *NoRetryError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *NoRetryError) Unwrap() error { return e.Err }

// resultOf maps a Go error to a Result.
func resultOf(out json.RawMessage, err error) Result {
	if err == nil {
		return Result{Outcome: Succeeded, Output: out}
	}
	var skip *SkipError
	if errors.As(err, &skip) {
		return Result{Outcome: Skipped, Output: out, Err: err}
	}
	var nr *NoRetryError
	if errors.As(err, &nr) {
		return Result{Outcome: FailedNoRetry, Err: err}
	}
	return Result{Outcome: Failed, Err: err}
}

func defaultOutputLimit() int { return dag.DefaultOutputLimit }

// Tracking is a tracked try's experiment-tracking run.
type Tracking struct {
	// RunID and ExperimentID identify the tracking run (MLflow's run_id and experiment_id).
	RunID        string
	ExperimentID string
	// Env is added to a command task's environment (MLFLOW_TRACKING_URI, MLFLOW_RUN_ID,
	// MLFLOW_EXPERIMENT_ID), so an unchanged mlflow client logs into the run.
	Env map[string]string
	// Client logs into the run from Go tasks.
	Client TrackingClient
}

// TrackingClient logs params, metrics and tags into a tracking run.
type TrackingClient interface {
	LogParam(ctx context.Context, key, value string) error
	LogMetric(ctx context.Context, key string, value float64, step int64) error
	SetTag(ctx context.Context, key, value string) error
}
