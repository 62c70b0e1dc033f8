package features

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/steps/stepio"
)

// FitSpec is the YAML of a features.fit task.
type FitSpec struct {
	// Data is the training data.
	Data string `yaml:"data" template:"true" required:"the training data: a path relative to the DAG file, a URL, or an upstream step's URI such as {{ outputs.split.train }}" doc:"The training data: a CSV, JSON-lines or Parquet path (relative to the DAG file), a URL, or a URI from an upstream step's output."`
	// Target is the label column, never transformed.
	Target string `yaml:"target" doc:"The label column: not transformed, copied last to the output data."`
	// Inputs are the columns the pipeline sees; empty means every column but Target and
	// Keep.
	Inputs []string `yaml:"inputs,single" doc:"The columns the pipeline transforms (default: every column but target and keep)."`
	// Keep are columns copied unchanged (identifiers).
	Keep []string `yaml:"keep,single" doc:"Columns copied unchanged to the output data, after the pipeline's (identifiers)."`
	// Steps are the transforms, applied first to last.
	Steps []Step `yaml:"steps" required:"the transforms to fit, such as [{kind: standard_scaler, columns: [age]}]" doc:"The transforms, fitted and applied first to last."`
}

// TransformSpec is the YAML of a features.transform task.
type TransformSpec struct {
	// Data is the data transformed.
	Data string `yaml:"data" template:"true" required:"the data to transform: a path, a URL, or an upstream step's URI such as {{ outputs.split.test }}" doc:"The data to transform (a path, a URL or an upstream step's URI)."`
	// Pipeline is the URI of a pipeline file features.fit wrote.
	Pipeline string `yaml:"pipeline" template:"true" required:"the fitted pipeline, such as {{ outputs.fit.pipeline }}" doc:"The pipeline file features.fit wrote: its URI, such as {{ outputs.fit.pipeline }}."`
}

// FitKind returns the features.fit registration.
func FitKind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     "features.fit",
			Doc:      "Fits a preprocessing pipeline (scalers, encoders, imputers, column selection) on training data and saves it, with the transformed data, to the artifact store.",
			New:      func() any { return &FitSpec{} },
			Validate: validateFit,
			Tracked:  true,
			CPUBound: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return runFit(ctx, deps, job)
		}),
	}
}

// TransformKind returns the features.transform registration.
func TransformKind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     "features.transform",
			Doc:      "Applies a pipeline features.fit saved to a data set, exactly as to the training data.",
			New:      func() any { return &TransformSpec{} },
			Tracked:  true,
			CPUBound: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return runTransform(ctx, deps, job)
		}),
	}
}

// ValidateSteps reports the problems of steps at field (such as "steps"): unknown
// transforms, fields that do not apply, bad values, and columns that are the target or,
// when inputs are listed, not among them. Other kinds that take inline steps (model.train)
// call it from their Validate.
func ValidateSteps(c *dag.KindCheck, field string, steps []Step, inputs []string, target string) {
	known := inputs // nil: any column may exist
	for i, s := range steps {
		at := fmt.Sprintf("%s[%d]", field, i)
		if _, err := s.Transformer(); err != nil {
			var se *StepError
			if errors.As(err, &se) {
				c.Errorf(at+"."+se.Field, "%s", se.Msg)
			} else {
				c.Errorf(at, "%v", err)
			}
			continue
		}
		for j, col := range s.Columns {
			switch {
			case col == target && target != "":
				c.Errorf(fmt.Sprintf("%s.columns[%d]", at, j), "%q is the target, which the pipeline does not transform: remove it from the step", col)
			case known != nil && !slices.Contains(known, col):
				c.Errorf(fmt.Sprintf("%s.columns[%d]", at, j), "column %q is not among the inputs (%s)", col, strings.Join(inputs, ", "))
			}
		}
		switch Kinds[s.Kind] {
		case "onehot_encoder":
			known = nil // renames its columns: later steps name columns we cannot list here
		case "select":
			if known != nil {
				known = s.Columns
			}
		}
	}
}

func validateFit(c *dag.KindCheck, spec any) {
	s := spec.(*FitSpec)
	for i, n := range s.Inputs {
		if n == s.Target && n != "" {
			c.Errorf(fmt.Sprintf("inputs[%d]", i), "%q is the target: the pipeline's inputs are the features, not the label", n)
		}
		if slices.Contains(s.Keep, n) {
			c.Errorf(fmt.Sprintf("inputs[%d]", i), "%q is also kept unchanged: list it in inputs or keep, not both", n)
		}
	}
	for i, n := range s.Keep {
		if n == s.Target && n != "" {
			c.Errorf(fmt.Sprintf("keep[%d]", i), "%q is the target, which is always kept", n)
		}
	}
	ValidateSteps(c, "steps", s.Steps, s.Inputs, s.Target)
}

func inputError(kind, format string, args ...any) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: fmt.Errorf(kind+": "+format, args...)}
}

// Output is the JSON output of features.fit and features.transform.
type Output struct {
	// Pipeline is the URI of the pipeline file (features.fit only).
	Pipeline string `json:"pipeline,omitempty"`
	// Data is the URI of the transformed data.
	Data string `json:"data"`
	// Rows is its row count.
	Rows int `json:"rows"`
	// Columns are its columns, in order.
	Columns []string `json:"columns"`
	// Features are the pipeline's output columns: Columns without the kept and target
	// columns, what a model trains on.
	Features []string `json:"features"`
	// Target is the target column ("" when none).
	Target string `json:"target,omitempty"`
	// Datasets describes the transformed data ("data").
	Datasets map[string]*stepio.Dataset `json:"datasets"`
}

func runFit(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*FitSpec)
	if !ok {
		return inputError("features.fit", "the task's spec is %T, not a features.fit spec", job.Task.Spec)
	}
	io, err := stepio.New(deps, job)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	f, in, err := io.ReadFrame(ctx, s.Data)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("features.fit: data: %w", err)}
	}
	fitted, out, err := Fit(f, s.Steps, s.Inputs, s.Keep, s.Target)
	if err != nil {
		return inputError("features.fit", "data %s: %v", s.Data, err)
	}
	fitted.FittedOn = in
	b, err := json.Marshal(fitted)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	uri, err := io.WriteFile(ctx, "pipeline.json", b)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if _, err := io.LogArtifact(ctx, "pipeline.json", b); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	ds, err := io.WriteFrame(ctx, "data", out)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	var kinds []string
	for _, t := range fitted.Pipeline.Steps {
		kinds = append(kinds, t.Kind())
	}
	if err := io.LogParams(ctx, map[string]any{"data": s.Data, "data_hash": in.Hash, "steps": strings.Join(kinds, ","),
		"inputs": inputNames(fitted.Inputs), "target": s.Target}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := io.LogMetrics(ctx, map[string]float64{"rows": float64(out.NumRows()), "columns_in": float64(len(fitted.Inputs)),
		"columns_out": float64(len(fitted.Outputs))}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	fmt.Fprintf(job.Log, "features.fit on %s: %d rows, %s\ninputs: %s\n\n", s.Data, f.NumRows(), in.Hash, inputNames(fitted.Inputs))
	logSteps(job, fitted)
	fmt.Fprintf(job.Log, "\noutput columns (%d): %s\npipeline: %s\ndata: %s\n", out.NumCols(), strings.Join(out.Names(), ", "), uri, ds.URI)
	noteNonNumeric(job, out, fitted.Outputs)
	return result(Output{Pipeline: uri, Data: ds.URI, Rows: ds.Rows, Columns: out.Names(), Features: fitted.Outputs, Target: s.Target,
		Datasets: map[string]*stepio.Dataset{"data": ds}})
}

func runTransform(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*TransformSpec)
	if !ok {
		return inputError("features.transform", "the task's spec is %T, not a features.transform spec", job.Task.Spec)
	}
	io, err := stepio.New(deps, job)
	if err != nil {
		return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
	}
	b, err := io.ReadFile(ctx, s.Pipeline)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("features.transform: pipeline: %w", err)}
	}
	fitted, err := Parse(b)
	if err != nil {
		return inputError("features.transform", "pipeline %s: %v", s.Pipeline, err)
	}
	f, in, err := io.ReadFrame(ctx, s.Data)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("features.transform: data: %w", err)}
	}
	if f.NumRows() == 0 {
		return inputError("features.transform", "data %s has no rows: there is nothing to transform", s.Data)
	}
	out, err := fitted.Apply(f)
	if err != nil {
		return inputError("features.transform", "data %s: %v", s.Data, err)
	}
	ds, err := io.WriteFrame(ctx, "data", out)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := io.LogParams(ctx, map[string]any{"data": s.Data, "data_hash": in.Hash, "pipeline": s.Pipeline}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := io.LogMetrics(ctx, map[string]float64{"rows": float64(out.NumRows())}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	fmt.Fprintf(job.Log, "features.transform of %s: %d rows, %s\npipeline: %s", s.Data, f.NumRows(), in.Hash, s.Pipeline)
	if fitted.FittedOn != nil {
		fmt.Fprintf(job.Log, " (fitted on %s, %d rows, %s)", fitted.FittedOn.URI, fitted.FittedOn.Rows, fitted.FittedOn.Hash)
	}
	fmt.Fprintf(job.Log, "\n\n")
	logSteps(job, fitted)
	fmt.Fprintf(job.Log, "\noutput columns (%d): %s\ndata: %s\n", out.NumCols(), strings.Join(out.Names(), ", "), ds.URI)
	target := ""
	if fitted.Target != "" && out.Has(fitted.Target) {
		target = fitted.Target
	}
	return result(Output{Data: ds.URI, Rows: ds.Rows, Columns: out.Names(), Features: fitted.Outputs, Target: target, Datasets: map[string]*stepio.Dataset{"data": ds}})
}

// noteNonNumeric tells in the log which feature columns are not numbers, which models
// cannot train on.
func noteNonNumeric(job *executor.Job, f *frame.Frame, features []string) {
	var names []string
	for _, n := range features {
		if c, err := f.Column(n); err == nil && (c.Type() == frame.String || c.Type() == frame.Time) {
			names = append(names, fmt.Sprintf("%s (%s)", n, c.Type()))
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(job.Log, "note: feature columns %s are not numeric: encode them (one_hot, ordinal) or leave them out of inputs before training a model\n", strings.Join(names, ", "))
	}
}

func result(out Output) executor.Result {
	b, err := json.Marshal(out)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// logSteps writes one line per fitted step: its kind and its fitted parameters.
func logSteps(job *executor.Job, p *Fitted) {
	fmt.Fprintf(job.Log, "%-4s %-16s %s\n", "step", "kind", "fitted")
	for i, t := range p.Pipeline.Steps {
		b, _ := json.Marshal(t)
		s := string(b)
		if len(s) > 240 {
			s = s[:240] + "…"
		}
		fmt.Fprintf(job.Log, "%-4d %-16s %s\n", i, t.Kind(), s)
	}
}
