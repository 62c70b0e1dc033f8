package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/metrics"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/ml/preprocess"
)

// metricDef is a score the search computes on each fold.
type metricDef struct {
	task string // model.Regression or model.Classification
	mode string // "max" when higher is better, else "min"
}

// metricDefs are the metrics a search scores with; every one of the estimator's task is
// computed on each fold.
var metricDefs = map[string]metricDef{
	"r2":              {model.Regression, "max"},
	"mse":             {model.Regression, "min"},
	"rmse":            {model.Regression, "min"},
	"mae":             {model.Regression, "min"},
	"accuracy":        {model.Classification, "max"},
	"f1_macro":        {model.Classification, "max"},
	"precision_macro": {model.Classification, "max"},
	"recall_macro":    {model.Classification, "max"},
	"log_loss":        {model.Classification, "min"},
	"roc_auc":         {model.Classification, "max"},
}

func metricNames(task string) []string {
	var out []string
	for n, d := range metricDefs {
		if task == "" || d.task == task {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// defaultMetric is the metric of a task when the spec names none (scikit-learn's
// estimators' score: R² and accuracy).
func defaultMetric(task string) string {
	if task == model.Classification {
		return "accuracy"
	}
	return "r2"
}

// taskOf says whether est is a regressor or a classifier.
func taskOf(est any) (string, error) {
	switch est.(type) {
	case model.Classifier:
		return model.Classification, nil
	case model.Regressor:
		return model.Regression, nil
	}
	return "", fmt.Errorf("%T is neither a regressor nor a classifier: a search needs a supervised estimator", est)
}

// better reports whether score a beats b in mode ("max" or "min"); NaN never wins.
func better(a, b float64, mode string) bool {
	if math.IsNaN(a) {
		return false
	}
	if math.IsNaN(b) {
		return true
	}
	if mode == "min" {
		return a < b
	}
	return a > b
}

// cvConfig says how a candidate is cross-validated.
type cvConfig struct {
	target string
	inputs []string
	folds  []preprocess.Fold
	metric string // the search's metric: its failure fails the candidate
	// pipeline returns a new unfitted copy of the preprocessing; nil means none.
	pipeline func() (*preprocess.Pipeline, error)
}

// cvResult holds the fold scores of every metric computed, with their mean and
// population standard deviation (numpy's std, as scikit-learn's cv_results_ report).
type cvResult struct {
	scores map[string][]float64
	mean   map[string]float64
	std    map[string]float64
}

// makeFolds returns the k folds of f: scikit-learn's KFold(k) by default (consecutive
// rows, no shuffle), shuffled with seed, or stratified on the target's classes.
func makeFolds(f *frame.Frame, target string, k int, shuffle, stratify bool, seed uint64) ([]preprocess.Fold, error) {
	if f.NumRows() < k {
		return nil, fmt.Errorf("cv: %d folds need at least %d rows, the data set has %d", k, k, f.NumRows())
	}
	if !stratify {
		return preprocess.KFold(f.NumRows(), k, shuffle, seed)
	}
	col, err := f.Column(target)
	if err != nil {
		return nil, err
	}
	var le preprocess.LabelEncoder
	if err := le.Fit(col); err != nil {
		return nil, err
	}
	y, err := le.Encode(col)
	if err != nil {
		return nil, err
	}
	folds, err := preprocess.StratifiedKFold(y, k, seed)
	if err != nil {
		return nil, fmt.Errorf("stratify: %w", err)
	}
	return folds, nil
}

// crossValidate fits a new estimator on each fold's training rows and scores it on the
// fold's test rows.
func crossValidate(ctx context.Context, f *frame.Frame, cfg cvConfig, newEst func() (any, error)) (*cvResult, error) {
	res := &cvResult{scores: map[string][]float64{}, mean: map[string]float64{}, std: map[string]float64{}}
	failed := map[string]bool{}
	for i, fold := range cfg.folds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		train, err := f.Take(fold.Train)
		if err != nil {
			return nil, err
		}
		test, err := f.Take(fold.Test)
		if err != nil {
			return nil, err
		}
		est, err := newEst()
		if err != nil {
			return nil, err
		}
		var pre *preprocess.Pipeline
		if cfg.pipeline != nil {
			if pre, err = cfg.pipeline(); err != nil {
				return nil, err
			}
		}
		m, err := model.Train(train, model.Config{Target: cfg.target, Inputs: cfg.inputs, Estimator: est, Preprocess: pre})
		if err != nil {
			return nil, fmt.Errorf("fold %d of %d: %w", i+1, len(cfg.folds), err)
		}
		scores, errs, err := foldScores(m, test, cfg.target)
		if err != nil {
			return nil, fmt.Errorf("fold %d of %d: %w", i+1, len(cfg.folds), err)
		}
		if e := errs[cfg.metric]; e != nil {
			return nil, fmt.Errorf("fold %d of %d: metric %s: %w", i+1, len(cfg.folds), cfg.metric, e)
		}
		for name := range errs {
			failed[name] = true
		}
		for name, v := range scores {
			res.scores[name] = append(res.scores[name], v)
		}
	}
	for name, s := range res.scores {
		if failed[name] || len(s) != len(cfg.folds) {
			delete(res.scores, name) // a secondary metric undefined on some fold
			continue
		}
		res.mean[name], res.std[name] = meanStd(s)
	}
	return res, nil
}

// foldScores computes every metric of the model's task on test. Metrics that cannot be
// computed on this fold (ROC AUC of a fold with one class) are in errs.
func foldScores(m *model.Model, test *frame.Frame, target string) (map[string]float64, map[string]error, error) {
	pred, err := m.Predict(test)
	if err != nil {
		return nil, nil, err
	}
	col, err := test.Column(target)
	if err != nil {
		return nil, nil, err
	}
	scores, errs := map[string]float64{}, map[string]error{}
	put := func(name string, v float64, err error) {
		if err != nil {
			errs[name] = err
			return
		}
		scores[name] = v
	}
	if m.Task == model.Regression {
		y, err := col.Floats()
		if err != nil {
			return nil, nil, fmt.Errorf("target: %w", err)
		}
		r2, err := metrics.R2(y, pred.Values)
		put("r2", r2, err)
		mse, err := metrics.MSE(y, pred.Values)
		put("mse", mse, err)
		put("rmse", math.Sqrt(mse), err)
		mae, err := metrics.MAE(y, pred.Values)
		put("mae", mae, err)
		return scores, errs, nil
	}
	y := make([]string, col.Len())
	for i := range y {
		y[i] = col.Format(i)
	}
	acc, err := metrics.Accuracy(y, pred.Labels)
	put("accuracy", acc, err)
	f1, err := metrics.F1(y, pred.Labels, metrics.Macro)
	put("f1_macro", f1, err)
	p, err := metrics.Precision(y, pred.Labels, metrics.Macro)
	put("precision_macro", p, err)
	r, err := metrics.Recall(y, pred.Labels, metrics.Macro)
	put("recall_macro", r, err)
	classes := m.Signature.Classes
	ll, err := metrics.LogLoss(y, pred.Probabilities, classes)
	put("log_loss", ll, err)
	if len(classes) == 2 {
		score := make([]float64, len(pred.Probabilities))
		for i, row := range pred.Probabilities {
			score[i] = row[1]
		}
		auc, err := metrics.ROCAUC(y, score)
		put("roc_auc", auc, err)
	} else {
		auc, err := metrics.ROCAUCOvR(y, pred.Probabilities, classes)
		put("roc_auc", auc, err)
	}
	return scores, errs, nil
}

func meanStd(s []float64) (mean, std float64) {
	for _, v := range s {
		mean += v
	}
	mean /= float64(len(s))
	for _, v := range s {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(s)))
}

// checkColumns checks that the target and inputs are columns of f, and returns the
// inputs (every column but the target when none are named); without preprocessing the
// inputs must be numeric.
func checkColumns(f *frame.Frame, target string, inputs []string, preprocessed bool) ([]string, error) {
	if !f.Has(target) {
		return nil, fmt.Errorf("target: no column %q in the data set; its columns: %s", target, strings.Join(f.Names(), ", "))
	}
	for _, in := range inputs {
		if !f.Has(in) {
			return nil, fmt.Errorf("inputs: no column %q in the data set; its columns: %s", in, strings.Join(f.Names(), ", "))
		}
	}
	if len(inputs) == 0 {
		for _, n := range f.Names() {
			if n != target {
				inputs = append(inputs, n)
			}
		}
	}
	for _, in := range inputs {
		if preprocessed {
			break
		}
		if err := numeric(f, in); err != nil {
			return nil, err
		}
	}
	if slices.Contains(inputs, target) {
		return nil, fmt.Errorf("inputs: the target column %q is also an input", target)
	}
	if f.NumRows() == 0 {
		return nil, fmt.Errorf("data: the data set has no rows (an empty training set)")
	}
	return inputs, nil
}

// numeric checks that an input column holds numbers (the search fits estimators on the
// columns as they are), naming the first value that is not one.
func numeric(f *frame.Frame, name string) error {
	c, err := f.Column(name)
	if err != nil {
		return err
	}
	switch c.Type() {
	case frame.Float, frame.Int, frame.Bool:
		return nil
	case frame.String:
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				continue
			}
			if _, err := strconv.ParseFloat(strings.TrimSpace(c.Str(i)), 64); err != nil {
				return fmt.Errorf("inputs: column %q holds text where a number is needed (row %d: %q): fix the data, or encode the column upstream (features.fit) and search on the encoded data", name, i+1, c.Str(i))
			}
		}
	}
	return fmt.Errorf("inputs: column %q is %s, not numeric: encode it upstream (features.fit) and search on the encoded data", name, c.Type())
}

// pipelineFile is what the search reads of a features.fit pipeline file: its steps (in
// ml/preprocess's JSON), and the columns it takes.
type pipelineFile struct {
	Inputs []struct {
		Name string `json:"name"`
	} `json:"inputs"`
	Keep []string `json:"keep"`
}

// readPipeline parses a pipeline file and returns a maker of unfitted copies and the
// columns the pipeline takes (its inputs, then the columns it keeps as they are).
func readPipeline(b []byte, uri string) (func() (*preprocess.Pipeline, error), []string, error) {
	var pf pipelineFile
	p := &preprocess.Pipeline{}
	if err := json.Unmarshal(b, &pf); err != nil {
		return nil, nil, fmt.Errorf("pipeline %s: not a pipeline file written by features.fit: %w", uri, err)
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, nil, fmt.Errorf("pipeline %s: %w", uri, err)
	}
	if len(p.Steps) == 0 {
		return nil, nil, fmt.Errorf("pipeline %s has no steps: pass the pipeline output of a features.fit task", uri)
	}
	var cols []string
	for _, in := range pf.Inputs {
		cols = append(cols, in.Name)
	}
	cols = append(cols, pf.Keep...)
	return func() (*preprocess.Pipeline, error) {
		p := &preprocess.Pipeline{}
		if err := json.Unmarshal(b, p); err != nil {
			return nil, fmt.Errorf("pipeline %s: %w", uri, err)
		}
		return p, nil
	}, cols, nil
}
