// Package scoring measures a trained model on a data set with a target (the metrics of
// model.train, model.evaluate and model.register's comparison), and checks data sets
// against what a model or an estimator needs, naming the column, row and rule of the first
// problem.
package scoring

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/metrics"
	"github.com/weirhq/weir/ml/model"
)

// Result is a model's predictions on a data set and the metrics computed from them.
type Result struct {
	// Task is the model's task (regression, classification, clustering).
	Task string
	// Metrics are the scores by name: r2, rmse, mse, mae, mape (regression); accuracy,
	// f1, precision, recall, f1_macro, log_loss, roc_auc (classification; roc_auc only
	// when the data hold at least two classes).
	Metrics map[string]float64
	// YTrue and YPred are a regression's targets and predictions.
	YTrue, YPred []float64
	// Classes are a classifier's class labels; True and Pred the class index of each row
	// (True is -1 for a label the model never saw); Proba the probabilities.
	Classes    []string
	True, Pred []int
	Proba      [][]float64
	// Confusion counts rows by true class (row) and predicted class (column), in the
	// order of Classes.
	Confusion [][]int
}

// InputError is bad input data: it names the column, the row (1-based, 0 when the
// problem is the whole column) and the rule broken.
type InputError struct {
	Column string
	Row    int
	Rule   string
}

func (e *InputError) Error() string {
	if e.Row > 0 {
		return fmt.Sprintf("column %q, row %d: %s", e.Column, e.Row, e.Rule)
	}
	return fmt.Sprintf("column %q: %s", e.Column, e.Rule)
}

// CheckColumns checks that f has the columns names, each numeric (float, int or bool)
// when numeric is true. A string column whose values are mostly numbers is reported at
// its first value that is not one ("a string in a float column").
func CheckColumns(f *frame.Frame, names []string, numeric bool, what string) error {
	for _, n := range names {
		c, err := f.Column(n)
		if err != nil {
			return &InputError{Column: n, Rule: fmt.Sprintf("missing: the %s column is not in the data set (its columns: %s)", what, strings.Join(f.Names(), ", "))}
		}
		if numeric && c.Type() == frame.String {
			return stringInNumeric(c, what)
		}
	}
	return nil
}

// stringInNumeric describes a string column that should be numeric.
func stringInNumeric(c *frame.Column, what string) error {
	numbers, first := 0, 0
	for i := 0; i < c.Len(); i++ {
		if c.IsNull(i) {
			continue
		}
		if _, err := strconv.ParseFloat(strings.TrimSpace(c.Str(i)), 64); err == nil {
			numbers++
		} else if first == 0 {
			first = i + 1
		}
	}
	if numbers > 0 && first > 0 {
		return &InputError{Column: c.Name(), Row: first, Rule: fmt.Sprintf("value %q is not a number: %s columns must hold numbers only (%d of its values are numbers)", c.Str(first-1), what, numbers)}
	}
	return &InputError{Column: c.Name(), Rule: fmt.Sprintf("is text (string); %s columns must be numeric: encode it with features.fit (one_hot) or leave it out of inputs", what)}
}

// CheckModelInputs checks f against the model's input signature: every input present,
// numeric where the model was trained on numbers, naming the first offending value.
func CheckModelInputs(m *model.Model, f *frame.Frame) error {
	for _, in := range m.Signature.Inputs {
		c, err := f.Column(in.Name)
		if err != nil {
			return &InputError{Column: in.Name, Rule: fmt.Sprintf("missing: the model takes it as input (%s); the data set has %s", in.Type, strings.Join(f.Names(), ", "))}
		}
		if in.Type != frame.String && c.Type() == frame.String {
			return stringInNumeric(c, "model input")
		}
	}
	if err := m.CheckInputs(f); err != nil {
		return err
	}
	return nil
}

// Score predicts f with m and measures the predictions against f's column target (""
// means the model's own target). A clustering model has no metrics here.
func Score(m *model.Model, f *frame.Frame, target string) (*Result, error) {
	if target == "" && m.Signature.Target != nil {
		target = m.Signature.Target.Name
	}
	if m.Task == model.Clustering {
		return nil, errors.New("a clustering model has no target to score against")
	}
	if f.NumRows() == 0 {
		return nil, errors.New("the data set has no rows: nothing to score")
	}
	if err := CheckColumns(f, []string{target}, m.Task == model.Regression, "target"); err != nil {
		return nil, err
	}
	if err := CheckModelInputs(m, f); err != nil {
		return nil, err
	}
	pred, err := m.Predict(f)
	if err != nil {
		return nil, err
	}
	tc, _ := f.Column(target)
	r := &Result{Task: m.Task, Metrics: map[string]float64{}}
	if m.Task == model.Regression {
		y, err := tc.Floats()
		if err != nil {
			return nil, fmt.Errorf("target column %q: %w", target, err)
		}
		for i, v := range y {
			if tc.IsNull(i) || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &InputError{Column: target, Row: i + 1, Rule: "the target is missing or not finite: every row needs a target value"}
			}
		}
		r.YTrue, r.YPred = y, pred.Values
		return r, r.regression()
	}
	r.Classes, r.Proba = m.Signature.Classes, pred.Probabilities
	index := map[string]int{}
	for k, c := range r.Classes {
		index[c] = k
	}
	r.True, r.Pred = make([]int, f.NumRows()), make([]int, f.NumRows())
	for i := range r.True {
		if tc.IsNull(i) {
			return nil, &InputError{Column: target, Row: i + 1, Rule: "the target is missing: every row needs a label"}
		}
		k, ok := index[tc.Format(i)]
		if !ok {
			return nil, &InputError{Column: target, Row: i + 1, Rule: fmt.Sprintf("label %q is not a class the model knows (%s)", tc.Format(i), strings.Join(r.Classes, ", "))}
		}
		r.True[i] = k
		r.Pred[i] = index[pred.Labels[i]]
	}
	return r, r.classification()
}

func (r *Result) regression() error {
	for name, fn := range map[string]func(a, b []float64) (float64, error){
		"r2": metrics.R2, "rmse": metrics.RMSE, "mse": metrics.MSE, "mae": metrics.MAE, "mape": metrics.MAPE,
	} {
		v, err := fn(r.YTrue, r.YPred)
		if err != nil {
			if name == "r2" || name == "mape" {
				continue // a constant target has no R², a zero target no MAPE
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		r.Metrics[name] = v
	}
	return nil
}

func (r *Result) classification() error {
	labels := make([]int, len(r.Classes))
	for k := range labels {
		labels[k] = k
	}
	var err error
	set := func(name string, v float64, e error) {
		if e != nil && err == nil {
			err = fmt.Errorf("%s: %w", name, e)
		}
		r.Metrics[name] = v
	}
	acc, e := metrics.Accuracy(r.True, r.Pred)
	set("accuracy", acc, e)
	if len(r.Classes) == 2 {
		p, rec, f1, e := metrics.BinaryScores(r.True, r.Pred, 1)
		set("precision", p, e)
		set("recall", rec, e)
		set("f1", f1, e)
	} else {
		f1, e := metrics.F1(r.True, r.Pred, metrics.Macro)
		set("f1", f1, e)
		p, e := metrics.Precision(r.True, r.Pred, metrics.Macro)
		set("precision", p, e)
		rec, e := metrics.Recall(r.True, r.Pred, metrics.Macro)
		set("recall", rec, e)
	}
	f1m, e := metrics.F1(r.True, r.Pred, metrics.Macro)
	set("f1_macro", f1m, e)
	ll, e := metrics.LogLoss(r.True, r.Proba, labels)
	set("log_loss", ll, e)
	if present := metrics.Labels(r.True); len(present) >= 2 {
		var auc float64
		if len(r.Classes) == 2 {
			score := make([]float64, len(r.Proba))
			for i, p := range r.Proba {
				score[i] = p[1]
			}
			auc, e = metrics.ROCAUC(r.True, score)
		} else {
			auc, e = metrics.ROCAUCOvR(r.True, r.Proba, labels)
		}
		if e == nil {
			r.Metrics["roc_auc"] = auc
		}
	}
	r.Confusion, _, e = metrics.ConfusionMatrix(r.True, r.Pred, labels)
	if e != nil && err == nil {
		err = fmt.Errorf("confusion matrix: %w", e)
	}
	return err
}

// Better reports whether score a beats score b for mode "min" or "max".
func Better(a, b float64, mode string) bool {
	if mode == "min" {
		return a < b
	}
	return a > b
}

// Lower reports whether a smaller value of the metric is better (errors and losses).
func Lower(metric string) bool {
	switch metric {
	case "rmse", "mse", "mae", "mape", "log_loss":
		return true
	}
	return false
}
