// Package train is the model.train task kind: it fits an estimator of the ML library,
// chosen by name with its hyperparameters (package steps/estimators), with an optional
// preprocessing pipeline, and saves the complete model (preprocessing, estimator, input
// signature, training metadata and reference statistics of the training inputs) in the
// artifact store and as the tracking artifact model/model.json.
package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/steps/estimators"
	"github.com/weirhq/weir/steps/scoring"
	"github.com/weirhq/weir/steps/stepio"
)

// Name is the kind's name.
const Name = "model.train"

// Spec is a model.train task's fields.
type Spec struct {
	Data      string         `yaml:"data" template:"true" required:"the training data set: a URI from an upstream step or a path" doc:"The training data set: a URI an upstream step wrote (\"{{ outputs.split.train }}\"), a path relative to the DAG file or a blob URL; CSV, JSON lines or Parquet."`
	Target    string         `yaml:"target" template:"true" doc:"The target column; required except for kmeans."`
	Estimator string         `yaml:"estimator" required:"the estimator's name, e.g. ridge or random_forest_classifier" doc:"The estimator by name: linear_regression, ridge, lasso, elastic_net, logistic_regression, decision_tree_classifier, decision_tree_regressor, random_forest_classifier, random_forest_regressor, gradient_boosting_classifier, gradient_boosting_regressor, kmeans."`
	Params    map[string]any `yaml:"params" template:"value" doc:"The estimator's hyperparameters by scikit-learn's names (alpha, C, max_depth, n_estimators, ...); unknown names and out-of-range values are refused."`
	Inputs    []string       `yaml:"inputs,single" template:"true" doc:"The input columns; default every column but the target."`
	Pipeline  string         `yaml:"pipeline" template:"true" doc:"A preprocessing pipeline file (features.fit's pipeline output), fitted again on this data (give the untransformed data) as the model's first stage so serving transforms identically; its inputs are the model's unless inputs is set."`
	File      string         `yaml:"file" doc:"The model file's name in the step's folder (default model.json)."`
}

// Kind returns the model.train registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     Name,
			Doc:      "Trains an estimator of the ML library by name with its hyperparameters and saves the model (preprocessing, estimator, input signature, training metadata, reference statistics).",
			New:      func() any { return &Spec{} },
			Validate: validate,
			Tracked:  true,
			CPUBound: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func validate(c *dag.KindCheck, spec any) {
	s := spec.(*Spec)
	if err := estimators.Check(s.Estimator, s.Params); err != nil {
		var e *estimators.Error
		if errors.As(err, &e) {
			c.Errorf(e.Field, "%s", e.Msg)
		} else {
			c.Errorf("estimator", "%v", err)
		}
		return
	}
	e, _ := estimators.Lookup(s.Estimator)
	if e.Task != model.Clustering && s.Target == "" {
		c.Errorf("target", "missing: %s is a %s estimator and needs the target column", s.Estimator, e.Task)
	}
	if slices.Contains(s.Inputs, s.Target) && s.Target != "" {
		c.Errorf("inputs", "the target column %q cannot be an input too", s.Target)
	}
	if s.File != "" && (strings.ContainsAny(s.File, `/\`) || s.File == "." || s.File == "..") {
		c.Errorf("file", "a file name without folders, got %q", s.File)
	}
}

// inputError marks errors retrying cannot fix.
func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("model.train: spec is %T", job.Task.Spec))
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	est, err := estimators.New(s.Estimator, s.Params)
	if err != nil {
		return fail(err)
	}
	e, _ := estimators.Lookup(s.Estimator)
	data, ds, err := o.ReadFrame(ctx, s.Data)
	if err != nil {
		return fail(err)
	}
	var pipe *preprocess.Pipeline
	if s.Pipeline != "" {
		b, err := o.ReadFile(ctx, s.Pipeline)
		if err != nil {
			return fail(fmt.Errorf("pipeline: %w", err))
		}
		pipe = &preprocess.Pipeline{}
		if err := json.Unmarshal(b, pipe); err != nil {
			return fail(fmt.Errorf("pipeline %s: not a preprocessing pipeline: %w", s.Pipeline, err))
		}
		// A features.fit pipeline file names the columns it was fitted on: they are the
		// model's inputs unless the task lists its own.
		var declared struct {
			Inputs []struct {
				Name string `json:"name"`
			} `json:"inputs"`
		}
		if len(s.Inputs) == 0 && json.Unmarshal(b, &declared) == nil && len(declared.Inputs) > 0 {
			own := *s
			own.Inputs = nil
			for _, in := range declared.Inputs {
				own.Inputs = append(own.Inputs, in.Name)
			}
			s = &own
		}
	}
	inputs, err := check(data, ds, s, e, pipe != nil)
	if err != nil {
		return fail(err)
	}
	params := map[string]any{}
	for k, v := range s.Params {
		params[k] = v
	}
	meta := map[string]any{"estimator": s.Estimator, "hyperparameters": params, "data": ds.URI, "data_hash": ds.Hash,
		"dag_id": job.DAGID, "run_id": job.RunID, "task_id": job.TaskID}
	if job.Tracking != nil {
		// The tracking run that logs this training: model.register links a version
		// registered from the model file to it, as MLflow links a version to the run
		// that logged the model.
		meta["tracking_run_id"] = job.Tracking.RunID
	}
	m, err := model.Train(data, model.Config{Target: s.Target, Inputs: inputs, Preprocess: pipe, Estimator: est, Params: meta})
	if err != nil {
		return fail(fmt.Errorf("train %s on %s: %w", s.Estimator, s.Data, err))
	}
	mets := map[string]float64{}
	if m.Task == model.Clustering {
		if km, ok := m.Estimator.(*cluster.KMeans); ok {
			mets["inertia"] = km.Inertia
		}
	} else {
		res, err := scoring.Score(m, data, s.Target)
		if err != nil {
			return fail(fmt.Errorf("training metrics: %w", err))
		}
		mets = res.Metrics
	}
	m.Metadata.Metrics = mets
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	file := s.File
	if file == "" {
		file = "model.json"
	}
	uri, err := o.WriteFile(ctx, file, buf.Bytes())
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	joined := strings.Join(inputs, ",")
	if len(joined) > 5000 { // MLflow's limit on a param's value is 6000 characters
		cut := max(strings.LastIndex(joined[:5000], ","), 0)
		joined = joined[:cut] + fmt.Sprintf(",… (%d inputs)", len(inputs))
	}
	logParams := map[string]any{"estimator": s.Estimator, "target": s.Target, "rows": data.NumRows(), "inputs": joined}
	for k, v := range params {
		logParams[k] = v
	}
	if err := o.LogParams(ctx, logParams); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogInput(ctx, ds, "training"); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	prefixed := map[string]float64{}
	for k, v := range mets {
		prefixed["training_"+k] = v
	}
	if err := o.LogMetrics(ctx, prefixed); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	artifact, err := o.LogArtifact(ctx, "model/"+file, buf.Bytes())
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	out := map[string]any{
		"model": uri, "estimator": s.Estimator, "task": m.Task, "kind": m.Kind, "params": params, "metrics": mets,
		"rows": data.NumRows(), "inputs": inputs, "features": m.Signature.Features, "target": s.Target,
		"fingerprint": m.Metadata.DataFingerprint, "datasets": map[string]any{"train": ds},
	}
	if m.Signature.Classes != nil {
		out["classes"] = m.Signature.Classes
	}
	if imp := importances(m); imp != nil {
		out["feature_importances"] = imp
		png, err := importancePlot(imp)
		if err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		}
		if name, err := o.LogArtifact(ctx, "plots/feature_importances.png", png); err != nil {
			return executor.Result{Outcome: executor.Failed, Err: err}
		} else if name != "" {
			out["plots"] = map[string]string{"feature_importances": name}
		}
	}
	if artifact != "" {
		out["tracking_run_id"] = job.Tracking.RunID
		out["artifact"] = "runs:/" + job.Tracking.RunID + "/model"
	}
	report(job.Log, s, m, data.NumRows(), inputs, mets, uri)
	b, err := json.Marshal(out)
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

// check checks the training data against the spec and returns the input columns.
func check(data *frame.Frame, ds *stepio.Dataset, s *Spec, e estimators.Estimator, piped bool) ([]string, error) {
	if data.NumRows() == 0 {
		return nil, fmt.Errorf("empty training set: data set %s has no rows (check the split or filter upstream)", ds.URI)
	}
	inputs := s.Inputs
	if len(inputs) == 0 {
		for _, n := range data.Names() {
			if n != s.Target {
				inputs = append(inputs, n)
			}
		}
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("data set %s has no input columns besides the target %q", ds.URI, s.Target)
	}
	if e.Task != model.Clustering {
		if err := scoring.CheckColumns(data, []string{s.Target}, e.Task == model.Regression, "target"); err != nil {
			return nil, err
		}
	}
	if err := scoring.CheckColumns(data, inputs, !piped, "input"); err != nil {
		return nil, err
	}
	if e.Task == model.Classification {
		tc, _ := data.Column(s.Target)
		seen := map[string]bool{}
		for i := 0; i < tc.Len() && len(seen) < 2; i++ {
			if !tc.IsNull(i) {
				seen[tc.Format(i)] = true
			}
		}
		if len(seen) < 2 {
			var only []string
			for k := range seen {
				only = append(only, fmt.Sprintf("%q", k))
			}
			return nil, &scoring.InputError{Column: s.Target, Rule: fmt.Sprintf("one-class target: every row is %s; %s needs at least two classes (check the data or the split's stratify)", strings.Join(only, ""), s.Estimator)}
		}
	}
	return inputs, nil
}

// report writes a human-readable summary to the task's log.
func report(w io.Writer, s *Spec, m *model.Model, rows int, inputs []string, mets map[string]float64, uri string) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "model.train: %s (%s, %s) on %d rows, %d inputs", s.Estimator, m.Kind, m.Task, rows, len(inputs))
	if s.Target != "" {
		fmt.Fprintf(w, ", target %s", s.Target)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(s.Params) > 0 {
		fmt.Fprintln(tw, "hyperparameter\tvalue")
		for _, k := range keys(s.Params) {
			fmt.Fprintf(tw, "%s\t%v\n", k, s.Params[k])
		}
	}
	fmt.Fprintln(tw, "training metric\tvalue")
	names := make([]string, 0, len(mets))
	for k := range mets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%.6g\n", k, mets[k])
	}
	tw.Flush()
	fmt.Fprintf(w, "model: %s\n", uri)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
