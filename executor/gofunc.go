package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Func is a Go task function at the JSON boundary: it receives the task's rendered args as
// JSON and returns its output as JSON (nil for none). The SDK wraps typed functions into
// this form.
type Func func(ctx context.Context, args json.RawMessage) (json.RawMessage, error)

// Funcs is a set of named Go task functions. It is safe for concurrent use.
type Funcs struct {
	mu sync.RWMutex
	m  map[string]Func
}

// NewFuncs returns an empty set.
func NewFuncs() *Funcs { return &Funcs{m: map[string]Func{}} }

// Register adds fn under name; registering a name twice is an error.
func (f *Funcs) Register(name string, fn Func) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "" {
		return fmt.Errorf("go function name is empty")
	}
	if _, dup := f.m[name]; dup {
		return fmt.Errorf("go function %q is registered twice", name)
	}
	f.m[name] = fn
	return nil
}

// Lookup returns the function registered under name.
func (f *Funcs) Lookup(name string) (Func, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn, ok := f.m[name]
	return fn, ok
}

// Has reports whether name is registered.
func (f *Funcs) Has(name string) bool { _, ok := f.Lookup(name); return ok }

// Names lists the registered names, sorted.
func (f *Funcs) Names() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]string, 0, len(f.m))
	for k := range f.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TaskInfo describes the running try to a Go task function; get it with InfoFrom.
type TaskInfo struct {
	DAGID       string
	RunID       string
	TaskID      string
	MapIndex    int
	TryNumber   int
	LogicalDate time.Time
	Params      map[string]any
	// Inputs maps direct upstream task IDs to their JSON outputs.
	Inputs map[string]json.RawMessage
	// Log is the try's log file.
	Log io.Writer
	// Tracking is the try's experiment-tracking run, nil when the task is not tracked.
	Tracking *Tracking
}

type infoKey struct{}

// InfoFrom returns the task info of the try running with ctx, or nil outside a task.
func InfoFrom(ctx context.Context) *TaskInfo {
	ti, _ := ctx.Value(infoKey{}).(*TaskInfo)
	return ti
}

// GoKind runs Go functions registered in Funcs.
type GoKind struct {
	Funcs *Funcs
}

// Run calls the function named by the task's go spec with its args.
func (g GoKind) Run(ctx context.Context, job *Job) Result {
	spec := job.Task.Go
	if spec == nil {
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("task %s has no go spec", job.TaskID)}
	}
	fn, ok := g.Funcs.Lookup(spec.Func)
	if !ok {
		return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("go function %q is not registered in this binary (registered: %v); register it with weir.Register in your main package", spec.Func, g.Funcs.Names())}
	}
	var args json.RawMessage
	if spec.Args != nil {
		b, err := json.Marshal(spec.Args)
		if err != nil {
			return Result{Outcome: FailedNoRetry, Err: fmt.Errorf("encode args: %w", err)}
		}
		args = b
	}
	ctx = context.WithValue(ctx, infoKey{}, &TaskInfo{
		DAGID: job.DAGID, RunID: job.RunID, TaskID: job.TaskID, MapIndex: job.MapIndex,
		TryNumber: job.TryNumber, LogicalDate: job.LogicalDate, Params: job.Params,
		Inputs: job.Inputs, Log: job.Log, Tracking: job.Tracking,
	})
	type ret struct {
		out json.RawMessage
		err error
	}
	done := make(chan ret, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- ret{err: fmt.Errorf("go function %q panicked: %v", spec.Func, p)}
			}
		}()
		out, err := fn(ctx, args)
		done <- ret{out, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && job.Log != nil {
			fmt.Fprintf(job.Log, "error: %v\n", r.err)
		}
		return resultOf(r.out, r.err)
	case <-ctx.Done():
		// A Go function cannot be killed: it is abandoned and its result ignored.
		return Result{Outcome: Failed, Err: context.Cause(ctx)}
	}
}
