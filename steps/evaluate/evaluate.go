// Package evaluate is the model.evaluate task kind: a model's metrics on a held-out data
// set (regression: r2, rmse, mse, mae, mape; classification: accuracy, precision, recall,
// f1, f1_macro, log_loss, roc_auc and the confusion matrix), plots as PNG artifacts
// (residuals; ROC curve and confusion matrix) and pass/fail thresholds whose verdict,
// `passed`, a branch can read.
package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/executor"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/steps/scoring"
	"github.com/weirhq/weir/steps/stepio"
)

// Name is the kind's name.
const Name = "model.evaluate"

// Spec is a model.evaluate task's fields.
type Spec struct {
	Model      string         `yaml:"model" template:"true" required:"the model: a URI from model.train, models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN/model" doc:"The model: model.train's model output, models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/model or a path."`
	Data       string         `yaml:"data" template:"true" required:"the held-out data set" doc:"The held-out data set (\"{{ outputs.split.test }}\"), with the target column."`
	Target     string         `yaml:"target" template:"true" doc:"The target column; default the model's."`
	Thresholds map[string]any `yaml:"thresholds" doc:"Pass/fail bounds by metric: {r2: {min: 0.5}, rmse: {max: 3}}; passed in the output says whether all hold."`
	Fail       bool           `yaml:"fail" doc:"Fail the task (without retry) when a threshold does not hold, instead of reporting passed: false."`
	Plots      *bool          `yaml:"plots" doc:"Draw the plots (default true)."`
	// PermutationImportance, when set, measures each input column's permutation importance
	// on the held-out data.
	PermutationImportance Permutation `yaml:"permutation_importance" doc:"Measure each input column's permutation importance on this data ({repeats: 5, seed: 0, metric: r2}: on when repeats is set) and draw it as plots/permutation_importance.png."`
}

// Metrics lists the metric names a threshold may name.
var Metrics = []string{"r2", "rmse", "mse", "mae", "mape", "accuracy", "precision", "recall", "f1", "f1_macro", "log_loss", "roc_auc"}

// Kind returns the model.evaluate registration.
func Kind(deps stepio.Deps) executor.Registration {
	return executor.Registration{
		Def: dag.KindDef{
			Name:     Name,
			Doc:      "Measures a model on a held-out data set: metrics, confusion matrix, residual or ROC plots as PNG artifacts, and pass/fail thresholds (passed) for a branch.",
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

// bound is one threshold.
type bound struct {
	Metric string   `json:"metric"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Value  *float64 `json:"value,omitempty"`
	Passed bool     `json:"passed"`
}

// parseThresholds reads the thresholds field; errors name the field path.
func parseThresholds(th map[string]any) ([]bound, string, error) {
	var out []bound
	names := make([]string, 0, len(th))
	for k := range th {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		field := "thresholds." + k
		known := false
		for _, m := range Metrics {
			known = known || m == k
		}
		if !known {
			return nil, field, fmt.Errorf("unknown metric %q (metrics: %s)", k, strings.Join(Metrics, ", "))
		}
		m, ok := th[k].(map[string]any)
		if !ok || len(m) == 0 {
			return nil, field, fmt.Errorf("want a mapping {min: x} or {max: y}, got %v", th[k])
		}
		b := bound{Metric: k}
		for _, side := range []string{"min", "max"} {
			v, ok := m[side]
			if !ok {
				continue
			}
			x, ok := toFloat(v)
			if !ok || math.IsNaN(x) {
				return nil, field + "." + side, fmt.Errorf("want a number, got %v", v)
			}
			if side == "min" {
				b.Min = &x
			} else {
				b.Max = &x
			}
		}
		for key := range m {
			if key != "min" && key != "max" {
				return nil, field + "." + key, fmt.Errorf("unknown bound %q: use min or max", key)
			}
		}
		out = append(out, b)
	}
	return out, "", nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func validate(c *dag.KindCheck, spec any) {
	s := spec.(*Spec)
	if _, field, err := parseThresholds(s.Thresholds); err != nil {
		c.Errorf(field, "%v", err)
	}
}

func fail(err error) executor.Result {
	return executor.Result{Outcome: executor.FailedNoRetry, Err: err}
}

func run(ctx context.Context, deps stepio.Deps, job *executor.Job) executor.Result {
	s, ok := job.Task.Spec.(*Spec)
	if !ok {
		return fail(fmt.Errorf("model.evaluate: spec is %T", job.Task.Spec))
	}
	o, err := stepio.New(deps, job)
	if err != nil {
		return fail(err)
	}
	bounds, field, err := parseThresholds(s.Thresholds)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", field, err))
	}
	m, src, err := o.ReadModel(ctx, s.Model)
	if err != nil {
		return fail(err)
	}
	data, ds, err := o.ReadFrame(ctx, s.Data)
	if err != nil {
		return fail(err)
	}
	if m.Task == model.Clustering {
		return fail(fmt.Errorf("model %s is a clustering model: model.evaluate measures regression and classification models", s.Model))
	}
	target := s.Target
	if target == "" {
		target = m.Signature.Target.Name
	}
	if data.NumRows() == 0 {
		return fail(fmt.Errorf("empty held-out set: data set %s has no rows", ds.URI))
	}
	res, err := scoring.Score(m, data, target)
	if err != nil {
		return fail(fmt.Errorf("evaluate %s on %s: %w", s.Model, s.Data, err))
	}
	passed := true
	var failures []string
	for i := range bounds {
		b := &bounds[i]
		v, ok := res.Metrics[b.Metric]
		if !ok {
			b.Passed = false
			failures = append(failures, fmt.Sprintf("%s: not computed for this %s model", b.Metric, m.Task))
			passed = false
			continue
		}
		b.Value = &v
		b.Passed = (b.Min == nil || v >= *b.Min) && (b.Max == nil || v <= *b.Max)
		if !b.Passed {
			passed = false
			if b.Min != nil && v < *b.Min {
				failures = append(failures, fmt.Sprintf("%s %.6g < min %g", b.Metric, v, *b.Min))
			} else {
				failures = append(failures, fmt.Sprintf("%s %.6g > max %g", b.Metric, v, *b.Max))
			}
		}
	}
	if err := o.LogParams(ctx, map[string]any{"model": s.Model, "data": s.Data, "target": target, "rows": data.NumRows()}); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogInput(ctx, ds, "eval"); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	if err := o.LogMetrics(ctx, res.Metrics); err != nil {
		return executor.Result{Outcome: executor.Failed, Err: err}
	}
	var perm map[string]importance
	if s.PermutationImportance.Repeats > 0 {
		var metric string
		perm, metric, err = permutationImportance(m, data, target, res.Metrics, &s.PermutationImportance)
		if err != nil {
			return fail(fmt.Errorf("permutation importance: %w", err))
		}
		fmt.Fprintf(job.Log, "permutation importance (drop of %s, %d repeats):\n", metric, s.PermutationImportance.Repeats)
		for _, name := range sortedImportances(perm) {
			fmt.Fprintf(job.Log, "  %-24s %10.6f ± %.6f\n", name, perm[name].Mean, perm[name].Std)
		}
	}
	plots := map[string]string{}
	if s.Plots == nil || *s.Plots {
		type drawing struct {
			name string
			draw func() ([]byte, error)
		}
		var ds []drawing
		if m.Task == model.Regression {
			ds = append(ds, drawing{"residuals", func() ([]byte, error) { return residualPlot(res, target) }})
		} else {
			ds = append(ds, drawing{"confusion_matrix", func() ([]byte, error) { return confusionPlot(res) }})
			if _, ok := res.Metrics["roc_auc"]; ok {
				ds = append(ds, drawing{"roc_curve", func() ([]byte, error) { return rocPlot(res) }})
			}
		}
		if perm != nil {
			ds = append(ds, drawing{"permutation_importance", func() ([]byte, error) { return permutationPlot(perm) }})
		}
		for _, d := range ds {
			b, err := d.draw()
			if err != nil {
				return executor.Result{Outcome: executor.Failed, Err: fmt.Errorf("plot %s: %w", d.name, err)}
			}
			name := "plots/" + d.name + ".png"
			p, err := o.LogArtifact(ctx, name, b)
			if err != nil {
				return executor.Result{Outcome: executor.Failed, Err: err}
			}
			if p == "" { // untracked: the step's own folder
				if p, err = o.WriteFile(ctx, d.name+".png", b); err != nil {
					return executor.Result{Outcome: executor.Failed, Err: err}
				}
			}
			plots[d.name] = p
		}
	}
	out := map[string]any{
		"metrics": res.Metrics, "passed": passed, "failures": failures, "thresholds": bounds, "plots": plots,
		"rows": data.NumRows(), "target": target, "task": m.Task, "model": src, "datasets": map[string]any{"data": ds},
	}
	if perm != nil {
		out["permutation_importance"] = perm
	}
	if res.Confusion != nil {
		out["confusion_matrix"] = map[string]any{"labels": res.Classes, "matrix": res.Confusion}
	}
	if failures == nil {
		out["failures"] = []string{}
	}
	if bounds == nil {
		out["thresholds"] = []bound{}
	}
	report(job.Log, s, m, res, bounds, passed, data.NumRows())
	b, err := json.Marshal(out)
	if err != nil {
		return fail(err)
	}
	if !passed && s.Fail {
		return executor.Result{Outcome: executor.FailedNoRetry, Output: b,
			Err: fmt.Errorf("model %s does not meet its thresholds on %s: %s", s.Model, s.Data, strings.Join(failures, "; "))}
	}
	return executor.Result{Outcome: executor.Succeeded, Output: b}
}

func report(w io.Writer, s *Spec, m *model.Model, res *scoring.Result, bounds []bound, passed bool, rows int) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "model.evaluate: %s model %s on %d rows of %s\n", m.Task, s.Model, rows, s.Data)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\tthreshold\tresult")
	names := make([]string, 0, len(res.Metrics))
	for k := range res.Metrics {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		th, verdict := "", ""
		for _, b := range bounds {
			if b.Metric == k {
				if b.Min != nil {
					th += fmt.Sprintf("≥ %g ", *b.Min)
				}
				if b.Max != nil {
					th += fmt.Sprintf("≤ %g", *b.Max)
				}
				verdict = "pass"
				if !b.Passed {
					verdict = "FAIL"
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%.6g\t%s\t%s\n", k, res.Metrics[k], strings.TrimSpace(th), verdict)
	}
	tw.Flush()
	if res.Confusion != nil {
		fmt.Fprintln(w, "confusion matrix (rows: true, columns: predicted):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\t%s\t\n", strings.Join(res.Classes, "\t"))
		for i, row := range res.Confusion {
			cells := make([]string, len(row))
			for j, v := range row {
				cells[j] = fmt.Sprint(v)
			}
			fmt.Fprintf(tw, "%s\t%s\t\n", res.Classes[i], strings.Join(cells, "\t"))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "passed: %v\n", passed)
}
