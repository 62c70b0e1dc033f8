// Package weir is weir's Go SDK: a user's own main package embeds weir, defines DAGs in Go,
// registers Go functions as tasks with typed inputs and outputs, and gets the whole weir
// command line (run, dags, runs, tasks, logs, clear, pools) in its own binary.
//
//	type TrainIn struct{ Rows int `json:"rows"`; LR float64 `json:"lr"` }
//	type TrainOut struct{ Accuracy float64 `json:"accuracy"` }
//
//	func main() {
//		app := weir.New()
//		weir.Register(app, "train", func(ctx context.Context, in TrainIn) (TrainOut, error) {
//			return TrainOut{Accuracy: 0.93}, nil
//		})
//		app.AddDAG(&weir.DAG{ID: "pipeline", Tasks: []*weir.Task{
//			{ID: "train", Go: &weir.GoSpec{Func: "train", Args: map[string]any{"rows": 100, "lr": "{{ params.lr }}"}}},
//		}})
//		app.Main() // weir run pipeline, weir dags show pipeline, …
//	}
//
// Go functions receive their task's args (templates rendered) decoded into their input
// type, and their output is encoded as the task's JSON output, which downstream tasks read
// through templates ("{{ outputs.train.accuracy }}") or $WEIR_INPUTS. YAML DAGs in the DAG
// folder can call the same functions with `go: train`.
package weir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"syscall"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/internal/cli"
)

// The DAG model, shared with the YAML loader.
type (
	// DAG is a pipeline definition; see dag.DAG.
	DAG = dag.DAG
	// Task is one node of a DAG; see dag.Task.
	Task = dag.Task
	// Group is a task group; see dag.Group.
	Group = dag.Group
	// Param is a run parameter with a JSON schema; see dag.Param.
	Param = dag.Param
	// TaskOptions are retries, timeouts, pools, priorities and callbacks; see dag.TaskOptions.
	TaskOptions = dag.TaskOptions
	// CommandSpec is a command task's program or script; see dag.CommandSpec.
	CommandSpec = dag.CommandSpec
	// HTTPSpec is an http task's request; see dag.HTTPSpec.
	HTTPSpec = dag.HTTPSpec
	// GoSpec names a registered Go function and its args; see dag.GoSpec.
	GoSpec = dag.GoSpec
	// Callback is a command or webhook fired on failure, retry or success.
	Callback = dag.Callback
	// Duration is a duration that reads "90s" or a number of seconds.
	Duration = dag.Duration
	// TriggerRule is one of Airflow's trigger rules.
	TriggerRule = dag.TriggerRule
	// TaskInfo describes the running try to a Go task; see Info.
	TaskInfo = executor.TaskInfo
)

// App is a weir program: its Go task functions and Go-defined DAGs.
type App struct {
	funcs *executor.Funcs
	dags  []*dag.DAG
	errs  []error
	// Version is printed by `version`; default "dev".
	Version string
	// Stdout and Stderr receive the command line's output; default the process's.
	Stdout, Stderr io.Writer
}

// New returns an empty App.
func New() *App { return &App{funcs: executor.NewFuncs()} }

// Register makes fn callable from go tasks (in Go or YAML DAGs) under name. The task's
// args are decoded from JSON into In (unknown fields are an error, so a typo in a YAML
// DAG is caught); the returned Out is encoded as the task's output. Return Skip(reason) to
// skip the task, FailNow(err) to fail it without retries. A duplicate name is reported when
// the App runs.
func Register[In, Out any](app *App, name string, fn func(ctx context.Context, in In) (Out, error)) {
	wrapped := func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		var in In
		if len(args) > 0 && string(args) != "null" {
			if err := decodeStrict(args, &in); err != nil {
				return nil, FailNow(fmt.Errorf("go function %q: args do not fit %s: %w", name, reflect.TypeFor[In](), err))
			}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		b, merr := json.Marshal(out)
		if merr != nil {
			return nil, FailNow(fmt.Errorf("go function %q: encode output: %w", name, merr))
		}
		if string(b) == "null" {
			return nil, nil
		}
		return b, nil
	}
	if err := app.funcs.Register(name, wrapped); err != nil {
		app.errs = append(app.errs, err)
	}
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// AddDAG adds a DAG defined in Go. A task's Kind is inferred from its spec when empty.
// The DAG is validated when the App runs, like a YAML file.
func (a *App) AddDAG(d *DAG) {
	if d.Source == "" {
		d.Source = "go:" + os.Args[0]
	}
	for _, t := range d.Tasks {
		if t.Kind == "" {
			switch {
			case t.Go != nil:
				t.Kind = dag.KindGo
			case t.Command != nil:
				t.Kind = dag.KindCommand
			case t.HTTP != nil:
				t.Kind = dag.KindHTTP
			}
		}
	}
	a.dags = append(a.dags, d)
}

// Funcs returns the registered Go functions (for embedding weir's engine directly).
func (a *App) Funcs() *executor.Funcs { return a.funcs }

// DAGs returns the Go-defined DAGs.
func (a *App) DAGs() []*DAG { return a.dags }

// Execute runs weir's command line with args (without the program name) and returns the
// exit code. Signals are the caller's business; Main handles them.
func (a *App) Execute(ctx context.Context, args []string) int {
	if err := errors.Join(a.errs...); err != nil {
		stderr := a.Stderr
		if stderr == nil {
			stderr = os.Stderr
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return cli.Main(ctx, args, cli.Options{Funcs: a.funcs, DAGs: a.dags, Version: a.Version, Stdout: a.Stdout, Stderr: a.Stderr})
}

// Main runs weir's command line with the process's arguments, stopping softly on SIGINT or
// SIGTERM, and exits with its code.
func (a *App) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := a.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Skip makes a Go task end as skipped, with a reason; downstream tasks follow their trigger
// rules (Airflow's AirflowSkipException).
func Skip(reason string) error { return &executor.SkipError{Reason: reason} }

// FailNow makes a Go task fail without further retries (Airflow's AirflowFailException).
func FailNow(err error) error { return &executor.NoRetryError{Err: err} }

// Tracking returns the experiment-tracking client of a tracked try (track: true), or nil
// when the task is not tracked: log params, metrics and tags into the try's tracking run.
func Tracking(ctx context.Context) executor.TrackingClient {
	if info := executor.InfoFrom(ctx); info != nil && info.Tracking != nil {
		return info.Tracking.Client
	}
	return nil
}

// Info returns the running try's identity, params, upstream outputs and log writer, or nil
// outside a task.
func Info(ctx context.Context) *TaskInfo { return executor.InfoFrom(ctx) }
