// Package monitor is the monitor.drift task kind: per-feature data drift of a batch
// against the reference statistics a model saved at training time (no training data
// needed), with Evidently's default tests (package monitor/drift), a per-feature table
// in the log, metrics and reference-vs-current plots in the tracking run, and a JSON
// report.
//
// To start a retraining DAG only when drift is found, follow the check with a
// short_circuit on outputs.<id>.drift and a task with outlets: the outlet's dataset
// event is emitted only when that task runs and succeeds, and DAGs scheduled on the
// dataset then run (see examples/dags/drift_check.yaml and drift_retrain.yaml).
package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/weirhq/weir/monitor/live"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/monitor/drift"
	"github.com/weirhq/weir/steps/stepio"
)

// Name is the kind's name.
const Name = "monitor.drift"

// Spec is a monitor.drift task's fields.
type Spec struct {
	Model       string   `yaml:"model" template:"true" required:"the model whose training reference the data is compared with: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN/model or a URI" doc:"The model whose reference statistics (saved at training time) the data is compared with: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model, model.train's model output or a path."`
	Data        string   `yaml:"data" template:"true" required:"the current batch: a CSV, JSON lines or Parquet data set" doc:"The current batch: a URI, a path relative to the DAG file or a blob URL; CSV, JSON lines or Parquet."`
	Columns     []string `yaml:"columns,single" template:"true" doc:"The features to check (default every model input present in the data)."`
	Stattest    string   `yaml:"stattest" doc:"A test for every feature instead of Evidently's default choice: ks, wasserstein, psi, jensenshannon, chisquare or z."`
	Threshold   *float64 `yaml:"threshold" doc:"The test's threshold instead of its default (p-value tests 0.05, distances 0.1)."`
	DriftShare  *float64 `yaml:"drift_share" doc:"The share of drifted features at which the data set drifts (default 0.5)."`
	FailOnDrift bool     `yaml:"fail_on_drift" doc:"Fail the task (without retry) when the data set drifts, instead of reporting drift: true."`
	Plots       *bool    `yaml:"plots" doc:"Draw a reference-vs-current distribution plot per feature (default true)."`
}

// Kind returns the monitor.drift registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name: Name,
			Doc:  "Measures data drift of a batch per feature against the model's training reference statistics, with Evidently's default tests; drift: true when at least drift_share of the features drift.",
			New:  func() any { return &Spec{} },
			Validate: func(c *dag.KindCheck, spec any) {
				s := spec.(*Spec)
				if s.Stattest != "" && !slices.Contains(drift.Tests, drift.Test(s.Stattest)) {
					c.Errorf("stattest", "want one of ks, wasserstein, psi, jensenshannon, chisquare, z; got %q", s.Stattest)
				}
				if s.Threshold != nil && *s.Threshold <= 0 {
					c.Errorf("threshold", "want a positive number, got %g", *s.Threshold)
				}
				if s.DriftShare != nil && (*s.DriftShare <= 0 || *s.DriftShare > 1) {
					c.Errorf("drift_share", "want a share in (0, 1], got %g", *s.DriftShare)
				}
			},
			Tracked:  true,
			CPUBound: true,
		},
		Run: executor.KindFunc(func(ctx context.Context, job *executor.Job) executor.Result {
			return run(ctx, deps, job)
		}),
	}
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

// FeatureOutput is one feature's entry in the task's output.
type FeatureOutput struct {
	Type      string  `json:"type"`
	Stattest  string  `json:"stattest"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Drift     bool    `json:"drift"`
}

var metricRE = regexp.MustCompile(`[^A-Za-z0-9_./ -]`)

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("%s: spec is %T", Name, job.Task.Spec))
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	m, src, err := o.ReadModel(ctx, s.Model)
	if err != nil {
		return fail(err)
	}
	refs := drift.FromStats(m.Metadata.Reference)
	if len(refs) == 0 {
		return fail(fmt.Errorf("model %s has no reference statistics (models trained by weir record them; retrain it with this version)", s.Model))
	}
	data, ds, err := o.ReadFrame(ctx, s.Data)
	if err != nil {
		return fail(err)
	}
	cur, err := drift.CurrentFrom(data, refs, s.Columns)
	if err != nil {
		return fail(fmt.Errorf("%s against %s: %w", s.Data, s.Model, err))
	}
	if len(cur) == 0 {
		return fail(fmt.Errorf("%s has none of model %s's input columns %v", s.Data, s.Model, refNames(refs)))
	}
	opts := drift.Options{Test: drift.Test(s.Stattest)}
	if s.Threshold != nil {
		opts.Threshold = *s.Threshold
	}
	if s.DriftShare != nil {
		opts.DriftShare = *s.DriftShare
	}
	rep, err := drift.Compare(refs, cur, opts)
	if err != nil {
		return fail(fmt.Errorf("%s against %s: %w", s.Data, s.Model, err))
	}
	features := map[string]FeatureOutput{}
	metrics := map[string]float64{"drift_share": rep.Share, "drifted_features": float64(rep.Drifted), "dataset_drift": 0}
	if rep.Drift {
		metrics["dataset_drift"] = 1
	}
	for _, f := range rep.Features {
		features[f.Column] = FeatureOutput{Type: f.Type, Stattest: string(f.Test), Score: f.Score, Threshold: f.Threshold, Drift: f.Drift}
		metrics["drift_score."+metricRE.ReplaceAllString(f.Column, "_")] = f.Score
	}
	if err := o.LogParams(ctx, map[string]any{"model": s.Model, "model_uri": src.URI, "data": s.Data, "rows": data.NumRows(), "stattest": s.Stattest}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogMetrics(ctx, metrics); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	plots := map[string]string{}
	if s.Plots == nil || *s.Plots {
		for _, f := range rep.Features {
			b, err := live.DistributionPlot(f)
			if err != nil {
				return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("plot %s: %w", f.Column, err)}
			}
			name := "drift_" + metricRE.ReplaceAllString(strings.ReplaceAll(f.Column, "/", "_"), "_") + ".png"
			p, err := o.LogArtifact(ctx, "plots/"+name, b)
			if err != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			if p == "" {
				if p, err = o.WriteFile(ctx, name, b); err != nil {
					return executor.Result{Outcome: executor.Failed, Err: err}
				}
			}
			plots[f.Column] = p
		}
	}
	full, err := json.MarshalIndent(map[string]any{"model": src, "data": ds, "report": rep}, "", "  ")
	if err != nil {
		return fail(err)
	}
	reportURI, err := o.WriteFile(ctx, "drift_report.json", full)
	if err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if _, err := o.LogArtifact(ctx, "drift_report.json", full); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	table(job.Log, s, rep, data.NumRows())
	out := map[string]any{
		"drift": rep.Drift, "share": rep.Share, "drifted": rep.Drifted, "drift_share": rep.DriftShare,
		"features": features, "report": reportURI, "plots": plots, "rows": data.NumRows(), "model": src,
		"datasets": map[string]any{"data": ds},
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fail(err)
	}
	if rep.Drift && s.FailOnDrift {
		return executor.Result{Outcome: executor.FailedNoRetry, Output: b,
			Err: fmt.Errorf("data drift in %s against model %s: %d of %d features drifted (share %.2f ≥ %.2f)", s.Data, s.Model, rep.Drifted, len(rep.Features), rep.Share, rep.DriftShare)}
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

func refNames(refs []drift.Reference) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Name
	}
	return out
}

// table logs the per-feature results.
func table(w io.Writer, s *Spec, rep *drift.Report, rows int) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "%s: %d rows of %s against model %s\n", Name, rows, s.Data, s.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "feature\ttype\tstattest\tscore\tthreshold\tdrift")
	for _, f := range rep.Features {
		verdict := "no"
		if f.Drift {
			verdict = "DRIFT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.6g\t%g\t%s\n", f.Column, f.Type, f.Test, f.Score, f.Threshold, verdict)
	}
	tw.Flush()
	verdict := "no data set drift"
	if rep.Drift {
		verdict = "DATA SET DRIFT"
	}
	fmt.Fprintf(w, "%d of %d features drifted (share %.2f, threshold %.2f): %s\n", rep.Drifted, len(rep.Features), rep.Share, rep.DriftShare, verdict)
}
