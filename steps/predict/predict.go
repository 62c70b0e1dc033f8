// Package predict is the model.predict task kind: batch scoring of a data set (CSV,
// Parquet or JSON lines) by a model reference — models:/NAME@ALIAS, models:/NAME/VERSION,
// runs:/RUN_ID/model, or a URI — writing the predictions as a data set.
package predict

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/steps/scoring"
	"github.com/weirhq/weir/steps/stepio"
)

// Name is the kind's name.
const Name = "model.predict"

// Spec is a model.predict task's fields.
type Spec struct {
	Model  string   `yaml:"model" template:"true" required:"the model: a URI from model.train, models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN/model" doc:"The model: model.train's model output, models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or a path."`
	Data   string   `yaml:"data" template:"true" required:"the data set to score" doc:"The data set to score: a URI, a path relative to the DAG file or a blob URL; CSV, JSON lines or Parquet."`
	Output string   `yaml:"output" doc:"The predictions data set's name (default predictions)."`
	Keep   []string `yaml:"keep,single" template:"true" doc:"The columns of the data set copied beside the predictions (default all, unless predictions_only)."`
	Only   bool     `yaml:"predictions_only" doc:"Write only the prediction columns (and the keep columns, if given)."`
	Column string   `yaml:"column" doc:"The prediction column's name (default prediction; cluster for clustering models)."`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Kind returns the model.predict registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name: Name,
			Doc:  "Scores a data set with a model (models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or a URI) and writes the predictions as a data set.",
			New:  func() any { return &Spec{} },
			Validate: func(c *dag.KindCheck, spec any) {
				s := spec.(*Spec)
				if s.Output != "" && !nameRE.MatchString(s.Output) {
					c.Errorf("output", "a data set name of letters, digits, _, . and -, got %q", s.Output)
				}
			},
			Tracked: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("model.predict: spec is %T", job.Task.Spec))
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	m, src, err := o.ReadModel(ctx, s.Model)
	if err != nil {
		return fail(err)
	}
	data, ds, err := o.ReadFrame(ctx, s.Data)
	if err != nil {
		return fail(err)
	}
	if err := scoring.CheckModelInputs(m, data); err != nil {
		return fail(fmt.Errorf("score %s with %s: %w", s.Data, s.Model, err))
	}
	pred, err := m.Predict(data)
	if err != nil {
		return fail(fmt.Errorf("score %s with %s: %w", s.Data, s.Model, err))
	}
	keep := s.Keep
	if len(keep) == 0 && !s.Only {
		keep = data.Names()
	}
	var cols []*frame.Column
	for _, k := range keep {
		c, err := data.Column(k)
		if err != nil {
			return fail(fmt.Errorf("keep: column %q is not in %s", k, s.Data))
		}
		cols = append(cols, c)
	}
	name := s.Column
	n := data.NumRows()
	switch m.Task {
	case model.Regression:
		if name == "" {
			name = "prediction"
		}
		cols = append(cols, frame.NewFloat(name, orEmpty(pred.Values, n), nil))
	case model.Classification:
		if name == "" {
			name = "prediction"
		}
		labels := pred.Labels
		if labels == nil {
			labels = make([]string, n)
		}
		cols = append(cols, frame.NewString(name, labels, nil))
		for k, class := range m.Signature.Classes {
			p := make([]float64, n)
			for i := range p {
				if i < len(pred.Probabilities) {
					p[i] = pred.Probabilities[i][k]
				}
			}
			cols = append(cols, frame.NewFloat("proba_"+class, p, nil))
		}
	case model.Clustering:
		if name == "" {
			name = "cluster"
		}
		v := make([]int64, n)
		for i := range v {
			if i < len(pred.Clusters) {
				v[i] = int64(pred.Clusters[i])
			}
		}
		cols = append(cols, frame.NewInt(name, v, nil))
	}
	out, err := frame.New(cols...)
	if err != nil {
		return fail(fmt.Errorf("predictions: %w (a kept column may be named like a prediction column: set column)", err))
	}
	output := s.Output
	if output == "" {
		output = "predictions"
	}
	written, err := o.WriteFrame(ctx, output, out)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogParams(ctx, map[string]any{"model": s.Model, "model_uri": src.URI, "data": s.Data, "rows": n}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogMetrics(ctx, map[string]float64{"rows": float64(n)}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if job.Log != nil {
		fmt.Fprintf(job.Log, "model.predict: scored %d rows of %s with %s (%s %s, %s)\npredictions: %s\n",
			n, s.Data, s.Model, m.Task, m.Kind, src.URI, written.URI)
		fmt.Fprintln(job.Log, out.Head(5).String())
	}
	b, err := json.Marshal(map[string]any{
		"predictions": written.URI, "rows": n, "column": name, "task": m.Task, "model": src,
		"datasets": map[string]any{"data": ds, "predictions": written},
	})
	if err != nil {
		return fail(err)
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

func orEmpty(v []float64, n int) []float64 {
	if v == nil {
		return make([]float64, n)
	}
	return v
}
