package live

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/monitor/drift"
	"github.com/weirhq/weir/steps/scoring"
)

// judge fills res with the monitor's verdict on the window of the deployment's primary
// model version m (registered as name/version).
func (r *Runner) judge(ctx context.Context, res *Result, spec Spec, m *model.Model, now time.Time) error {
	var since time.Time
	if spec.Span > 0 {
		since = now.Add(-time.Duration(spec.Span))
	}
	w, err := readWindow(ctx, r.cfg.Store, res.Endpoint, res.Model, res.Version, spec.Rows, since, time.Time{})
	if err != nil {
		return err
	}
	res.Rows, res.Predictions, res.From, res.To = w.rows, w.preds, w.from, w.to
	if w.rows < spec.MinRows {
		res.Note = fmt.Sprintf("%d rows in the window, fewer than min_rows %d: not judged", w.rows, spec.MinRows)
		return nil
	}
	res.Judged = true
	in, err := inputFrame(m, w, nil)
	if err != nil {
		return err
	}

	// Data drift, per feature, against the training reference.
	refs := drift.FromStats(m.Metadata.Reference)
	if len(refs) == 0 {
		return fmt.Errorf("model %s version %s has no reference statistics (models trained by weir record them; retrain it with this version of weir)", res.Model, res.Version)
	}
	names := spec.Features
	if len(names) == 0 {
		for _, ref := range refs {
			if slices.Contains(in.Names(), ref.Name) {
				names = append(names, ref.Name)
			}
		}
	}
	cur, err := drift.CurrentFrom(in, refs, names)
	if err != nil {
		return err
	}
	byName := map[string]drift.Reference{}
	for _, ref := range refs {
		byName[ref.Name] = ref
	}
	rep := &drift.Report{DriftShare: spec.DriftShare}
	for _, c := range cur {
		th := spec.Threshold
		if v, ok := spec.Thresholds[c.Name]; ok {
			th = v
		}
		f, err := drift.Column(byName[c.Name], c, drift.Test(spec.Method), th)
		if err != nil {
			res.Reasons = append(res.Reasons, fmt.Sprintf("feature %s not tested: %v", c.Name, err))
			continue
		}
		rep.Features = append(rep.Features, f)
		if f.Drift {
			rep.Drifted++
		}
	}
	if len(rep.Features) > 0 {
		rep.Share = float64(rep.Drifted) / float64(len(rep.Features))
		rep.Drift = rep.Share >= spec.DriftShare
	}
	res.Data = rep
	if rep.Drift {
		res.Drift = true
		res.Reasons = append(res.Reasons, fmt.Sprintf("data drift: %d of %d features drifted (share %.2f ≥ %.2f)", rep.Drifted, len(rep.Features), rep.Share, rep.DriftShare))
	}

	// Prediction drift.
	res.Prediction = r.predictionDrift(ctx, res, spec, m, w)
	if f := res.Prediction.Feature; f != nil && f.Drift && res.Prediction.Counts {
		res.Drift = true
		res.Reasons = append(res.Reasons, fmt.Sprintf("prediction drift against the %s: %s %.4g (threshold %g)", res.Prediction.Reference, f.Test, f.Score, f.Threshold))
	}

	// Performance, once labels arrive.
	res.Performance = performance(spec, m, w)
	if p := res.Performance; p != nil && p.Degraded {
		res.Drift = true
		res.Reasons = append(res.Reasons, fmt.Sprintf("performance: %s %.4g against %.4g at training (%.1f%% worse, %.1f%% allowed)", p.Metric, p.Value, *p.Training, 100*p.Degradation, 100*p.Allowed))
	}
	return nil
}

// inputFrame builds the model's input frame from the window's rows (those keep accepts;
// nil keeps all).
func inputFrame(m *model.Model, w *window, keep func(i int) bool) (*frame.Frame, error) {
	cols := make([]*frame.Column, 0, len(m.Signature.Inputs))
	for _, in := range m.Signature.Inputs {
		vals, ok := w.values[in.Name]
		if !ok {
			vals = make([]any, w.rows)
		}
		cols = append(cols, column(in.Name, in.Type, vals, keep))
	}
	f, err := frame.New(cols...)
	if err != nil {
		return nil, fmt.Errorf("window frame: %w", err)
	}
	return f, nil
}

// predictionDrift compares the window's outputs with the training target's statistics
// when the model kept them, else with the window just before.
func (r *Runner) predictionDrift(ctx context.Context, res *Result, spec Spec, m *model.Model, w *window) *PredictionDrift {
	const name = "prediction"
	pd := &PredictionDrift{Reference: "previous window"}
	typ := outputType(w.outputs)
	cur, err := frame.New(column(name, typ, w.outputs, nil))
	if err != nil {
		pd.Note = err.Error()
		return pd
	}
	var ref *drift.Reference
	if t := m.Signature.Target; t != nil {
		for _, s := range m.Metadata.Reference {
			if s.Name == t.Name {
				s.Name = name
				refs := drift.FromStats([]model.ColumnStats{s})
				if len(refs) == 1 {
					ref, pd.Reference, pd.Counts = &refs[0], "training target", true
				}
			}
		}
	}
	if ref == nil {
		pd.Note = "the model saved no statistics of its target or predictions: compared with the window before, reported but not judged"
		until := w.from
		if until.IsZero() {
			return pd
		}
		var since time.Time
		if spec.Span > 0 {
			since = until.Add(-time.Duration(spec.Span))
		}
		prev, err := readWindow(ctx, r.cfg.Store, res.Endpoint, res.Model, res.Version, w.rows, since, until)
		if err != nil {
			pd.Note = err.Error()
			return pd
		}
		if prev.rows < spec.MinRows {
			pd.Note = fmt.Sprintf("the model saved no statistics of its target or predictions, and the window before has %d rows (fewer than min_rows %d): not compared", prev.rows, spec.MinRows)
			return pd
		}
		pf, err := frame.New(column(name, typ, prev.outputs, nil))
		if err != nil {
			pd.Note = err.Error()
			return pd
		}
		refs := drift.FromStats(model.ReferenceStats(pf, 0))
		if len(refs) != 1 {
			pd.Note = "the previous window's predictions have no statistics"
			return pd
		}
		ref = &refs[0]
	}
	cs, err := drift.CurrentFrom(cur, []drift.Reference{*ref}, []string{name})
	if err != nil {
		pd.Note = err.Error()
		return pd
	}
	f, err := drift.Column(*ref, cs[0], drift.Test(spec.Method), spec.Thresholds[name])
	if err != nil {
		pd.Note = err.Error()
		return pd
	}
	pd.Feature = &f
	return pd
}

// performance measures the model on the window's labelled rows, as model.train measured
// it on the training data (steps/scoring), and compares the metric with its training value.
func performance(spec Spec, m *model.Model, w *window) *Performance {
	if m.Task == model.Clustering || m.Signature.Target == nil {
		return nil
	}
	keep := func(i int) bool { return w.labels[i] != nil }
	n := 0
	for i := range w.labels {
		if keep(i) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	p := &Performance{Labelled: n, Metric: spec.Metric, Allowed: spec.MaxDegradation}
	if p.Metric == "" {
		p.Metric = "rmse"
		if m.Task == model.Classification {
			p.Metric = "accuracy"
		}
	}
	in, err := inputFrame(m, w, keep)
	if err != nil {
		p.Note = err.Error()
		return p
	}
	target := m.Signature.Target.Name
	typ := frame.Float
	if m.Task == model.Classification {
		typ = frame.String
	}
	f, err := in.With(column(target, typ, w.labels, keep))
	if err != nil {
		p.Note = err.Error()
		return p
	}
	sc, err := scoring.Score(m, f, target)
	if err != nil {
		p.Note = fmt.Sprintf("the labelled rows could not be scored: %v", err)
		return p
	}
	p.Metrics = sc.Metrics
	v, ok := sc.Metrics[p.Metric]
	if !ok {
		p.Note = fmt.Sprintf("metric %q is not computed for a %s model (computed: %v)", p.Metric, m.Task, keys(sc.Metrics))
		return p
	}
	p.Value = v
	train, ok := m.Metadata.Metrics[p.Metric]
	if !ok {
		if train, ok = m.Metadata.Metrics["cv_"+p.Metric]; ok {
			p.Note = "compared with the cross-validated training metric cv_" + p.Metric
		}
	}
	if !ok {
		p.Note = fmt.Sprintf("the model recorded no training %s: measured, not compared", p.Metric)
		return p
	}
	p.Training = &train
	scale := math.Max(math.Abs(train), 1e-12)
	if scoring.Lower(p.Metric) {
		p.Degradation = (v - train) / scale
	} else {
		p.Degradation = (train - v) / scale
	}
	if n >= spec.MinLabels {
		p.Degraded = p.Degradation > p.Allowed
	} else {
		p.Note = fmt.Sprintf("%d labelled rows, fewer than min_labels %d: not judged", n, spec.MinLabels)
	}
	return p
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
