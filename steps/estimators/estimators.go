// Package estimators is the one registry of the estimators ML steps train by name
// (model.train, model.search): each name with its task, its constructor and its
// hyperparameters, checked before anything is fitted.
//
// Hyperparameters use scikit-learn's names (alpha, l1_ratio, C, max_depth, n_estimators,
// fit_intercept, random_state, ...). A value that is missing takes the library's default;
// a value that is out of range, not finite or of the wrong type is refused with the
// hyperparameter named, never clamped.
package estimators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/tree"
)

// Param describes one hyperparameter of an estimator.
type Param struct {
	// Name is the hyperparameter's name in YAML (scikit-learn's).
	Name string
	// Type is "float", "int", "bool" or "string" (one of Choices).
	Type string
	// Choices are the values a string hyperparameter takes.
	Choices []string
	// Doc says what it does and its range.
	Doc string

	key     string   // the estimator's JSON field it sets
	invert  bool     // a bool stored negated (fit_intercept → no_intercept)
	min     *float64 // inclusive lower bound
	above   *float64 // exclusive lower bound
	max     *float64 // inclusive upper bound
	aliasOf string   // another name for the same field (random_state for seed)
}

// Estimator is one registered estimator.
type Estimator struct {
	// Name is what a task's estimator field says ("ridge").
	Name string
	// Task is "regression", "classification" or "clustering".
	Task string
	// Doc names the scikit-learn counterpart.
	Doc string
	// Params are its hyperparameters.
	Params []Param

	new func() any
}

func f(v float64) *float64 { return &v }

func float(name, key, doc string, min, above, max *float64) Param {
	return Param{Name: name, Type: "float", Doc: doc, key: key, min: min, above: above, max: max}
}

func integer(name, key, doc string, min float64) Param {
	return Param{Name: name, Type: "int", Doc: doc, key: key, min: f(min)}
}

func boolean(name, key, doc string, invert bool) Param {
	return Param{Name: name, Type: "bool", Doc: doc, key: key, invert: invert}
}

var (
	fitIntercept = boolean("fit_intercept", "no_intercept", "Fit an intercept (default true).", true)
	tol          = float("tol", "tol", "Convergence tolerance, > 0.", nil, f(0), nil)
	maxIter      = integer("max_iter", "max_iter", "Most iterations, ≥ 1.", 1)
	seed         = integer("seed", "seed", "Random seed, ≥ 0.", 0)
	randomState  = Param{Name: "random_state", Type: "int", Doc: "Same as seed.", key: "seed", min: f(0), aliasOf: "seed"}
	maxDepthTree = integer("max_depth", "max_depth", "Deepest level; 0 means unlimited.", 0)
	minSplit     = integer("min_samples_split", "min_samples_split", "Fewest rows to split a node, ≥ 2.", 2)
	minLeaf      = integer("min_samples_leaf", "min_samples_leaf", "Fewest rows per leaf, ≥ 1.", 1)
	maxFeatures  = integer("max_features", "max_features", "Features tried per split; 0 means the default.", 0)
)

// classWeight is scikit-learn's class_weight="balanced" (the library's ml.ClassWeight).
var classWeight = Param{Name: "class_weight", Type: "string", Choices: []string{"balanced"}, key: "class_weight",
	Doc: "balanced weighs each class inversely to its frequency (default: every row weighs 1)."}

func treeParams() []Param {
	return []Param{maxDepthTree, minSplit, minLeaf, maxFeatures, seed, randomState}
}

func withClassWeight(ps []Param) []Param { return append(ps, classWeight) }

func forestParams() []Param {
	return []Param{integer("n_estimators", "n_estimators", "Number of trees, ≥ 1.", 1), maxDepthTree, minSplit, minLeaf, maxFeatures,
		boolean("bootstrap", "no_bootstrap", "Grow each tree on a bootstrap sample (default true).", true), seed, randomState}
}

func boostParams() []Param {
	return []Param{integer("n_estimators", "n_estimators", "Boosting rounds, ≥ 1.", 1),
		float("learning_rate", "learning_rate", "Shrinkage of each tree, > 0.", nil, f(0), nil),
		integer("max_depth", "max_depth", "Depth of each tree, ≥ 1 (default 3).", 1), minLeaf,
		float("l2", "l2", "L2 penalty on leaf values, ≥ 0.", f(0), nil, nil),
		{Name: "max_bins", Type: "int", Doc: "Bins per feature, 2 to 256.", key: "max_bins", min: f(2), max: f(256)},
		float("subsample", "subsample", "Share of the rows each round grows on, in (0, 1] (default 1).", nil, f(0), f(1)),
		boolean("early_stopping", "early_stopping", "Stop when the loss on a held-out validation_fraction stops improving (default false).", false),
		float("validation_fraction", "validation_fraction", "Share of rows held out for early stopping, in (0, 1) (default 0.1).", nil, f(0), f(0.999999)),
		integer("n_iter_no_change", "n_iter_no_change", "Rounds without improvement that stop early, ≥ 1 (default 10).", 1)}
}

var registry = []Estimator{
	{Name: "linear_regression", Task: "regression", Doc: "Ordinary least squares (LinearRegression).",
		Params: []Param{fitIntercept}, new: func() any { return &linear.LinearRegression{} }},
	{Name: "ridge", Task: "regression", Doc: "L2-penalised least squares (Ridge).",
		Params: []Param{float("alpha", "alpha", "Penalty strength, > 0 (default 1).", nil, f(0), nil), fitIntercept},
		new:    func() any { return &linear.Ridge{} }},
	{Name: "lasso", Task: "regression", Doc: "L1-penalised least squares (Lasso).",
		Params: []Param{float("alpha", "alpha", "Penalty strength, > 0 (default 1).", nil, f(0), nil), fitIntercept, tol, maxIter},
		new:    func() any { return &linear.Lasso{} }},
	{Name: "elastic_net", Task: "regression", Doc: "L1 and L2 penalised least squares (ElasticNet).",
		Params: []Param{float("alpha", "alpha", "Penalty strength, > 0 (default 1).", nil, f(0), nil),
			float("l1_ratio", "l1_ratio", "Share of the L1 penalty, in (0, 1] (default 0.5).", nil, f(0), f(1)), fitIntercept, tol, maxIter},
		new: func() any { return &linear.ElasticNet{} }},
	{Name: "logistic_regression", Task: "classification", Doc: "L2-penalised logistic regression, L-BFGS (LogisticRegression).",
		Params: []Param{float("C", "c", "Inverse penalty strength, > 0 (default 1).", nil, f(0), nil), fitIntercept, tol,
			integer("max_iter", "max_iter", "Most L-BFGS iterations, ≥ 1 (default 100).", 1), classWeight},
		new: func() any { return &linear.LogisticRegression{} }},
	{Name: "decision_tree_classifier", Task: "classification", Doc: "CART tree, Gini (DecisionTreeClassifier).",
		Params: withClassWeight(treeParams()), new: func() any { return &tree.Classifier{} }},
	{Name: "decision_tree_regressor", Task: "regression", Doc: "CART tree, squared error (DecisionTreeRegressor).",
		Params: treeParams(), new: func() any { return &tree.Regressor{} }},
	{Name: "random_forest_classifier", Task: "classification", Doc: "Random forest (RandomForestClassifier).",
		Params: withClassWeight(forestParams()), new: func() any { return &ensemble.ForestClassifier{} }},
	{Name: "random_forest_regressor", Task: "regression", Doc: "Random forest (RandomForestRegressor).",
		Params: forestParams(), new: func() any { return &ensemble.ForestRegressor{} }},
	{Name: "gradient_boosting_classifier", Task: "classification", Doc: "Histogram gradient boosting (HistGradientBoostingClassifier).",
		Params: withClassWeight(boostParams()), new: func() any { return &ensemble.BoostingClassifier{} }},
	{Name: "gradient_boosting_regressor", Task: "regression", Doc: "Histogram gradient boosting (HistGradientBoostingRegressor).",
		Params: boostParams(), new: func() any { return &ensemble.BoostingRegressor{} }},
	{Name: "kmeans", Task: "clustering", Doc: "k-means, k-means++ seeding (KMeans).",
		Params: []Param{integer("n_clusters", "k", "Number of clusters, ≥ 1 (default 8).", 1),
			integer("n_init", "n_init", "Seedings tried, ≥ 1 (default 10).", 1), maxIter, tol, seed, randomState},
		new: func() any { return &cluster.KMeans{} }},
}

// Names lists the registered estimators' names, sorted.
func Names() []string {
	out := make([]string, len(registry))
	for i, e := range registry {
		out[i] = e.Name
	}
	sort.Strings(out)
	return out
}

// Lookup returns the estimator named name.
func Lookup(name string) (Estimator, bool) {
	for _, e := range registry {
		if e.Name == name {
			return e, true
		}
	}
	return Estimator{}, false
}

// ParamNames lists the estimator's hyperparameter names, sorted.
func (e Estimator) ParamNames() []string {
	out := make([]string, len(e.Params))
	for i, p := range e.Params {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

func (e Estimator) param(name string) (Param, bool) {
	for _, p := range e.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Error is a problem with an estimator name or one of its hyperparameters. Field is
// "estimator" or "params.<name>", relative to the task's spec, so a loader reports it at
// the right line.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

// Check checks an estimator name and its hyperparameters without fitting anything: an
// unknown name or hyperparameter (with the closest known one), a value of the wrong type,
// not finite or out of range. Values that are templates ("{{ params.alpha }}") are checked
// after rendering, by New. The error is an *Error.
func Check(name string, params map[string]any) error {
	e, ok := Lookup(name)
	if !ok {
		return &Error{Field: "estimator", Msg: fmt.Sprintf("unknown estimator %q%s (known: %s)", name, didYouMean(name, Names()), strings.Join(Names(), ", "))}
	}
	for _, k := range sortedKeys(params) {
		v := params[k]
		if s, ok := v.(string); ok && strings.Contains(s, "{{") {
			if _, known := e.param(k); !known {
				return unknownParam(e, k)
			}
			continue
		}
		if _, err := e.value(k, v); err != nil {
			return err
		}
	}
	return nil
}

func unknownParam(e Estimator, k string) error {
	return &Error{Field: "params." + k, Msg: fmt.Sprintf("estimator %s has no hyperparameter %q%s (its hyperparameters: %s)",
		e.Name, k, didYouMean(k, e.ParamNames()), strings.Join(e.ParamNames(), ", "))}
}

// value checks v for the hyperparameter k and returns what to store in the estimator's
// JSON field.
func (e Estimator) value(k string, v any) (any, error) {
	p, ok := e.param(k)
	if !ok {
		return nil, unknownParam(e, k)
	}
	bad := func(format string, args ...any) error {
		return &Error{Field: "params." + k, Msg: fmt.Sprintf("%s hyperparameter %s: ", e.Name, k) + fmt.Sprintf(format, args...)}
	}
	if p.Type == "string" {
		str, ok := v.(string)
		if !ok || !slices.Contains(p.Choices, str) {
			return nil, bad("want one of %s, got %v", strings.Join(p.Choices, ", "), v)
		}
		return str, nil
	}
	if p.Type == "bool" {
		b, ok := v.(bool)
		if s, isStr := v.(string); isStr {
			var err error
			b, err = strconv.ParseBool(s)
			ok = err == nil
		}
		if !ok {
			return nil, bad("want true or false, got %v (%T)", v, v)
		}
		return b != p.invert, nil
	}
	x, ok := number(v)
	if !ok {
		return nil, bad("want a number, got %q (%T)", fmt.Sprint(v), v)
	}
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return nil, bad("want a finite number, got %v", x)
	case p.Type == "int" && x != math.Trunc(x):
		return nil, bad("want a whole number, got %v", x)
	case p.min != nil && x < *p.min:
		return nil, bad("want ≥ %v, got %v (%s)", *p.min, x, p.Doc)
	case p.above != nil && x <= *p.above:
		return nil, bad("want > %v, got %v (%s)", *p.above, x, p.Doc)
	case p.max != nil && x > *p.max:
		return nil, bad("want ≤ %v, got %v (%s)", *p.max, x, p.Doc)
	}
	if p.Type == "int" {
		return int64(x), nil
	}
	return x, nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// New returns the unfitted estimator named name with params set: a pointer to one of the
// ml/linear, ml/tree, ml/ensemble or ml/cluster estimator types, ready for model.Train. It
// refuses what Check refuses, templates that rendered to something invalid included. The
// error is an *Error.
func New(name string, params map[string]any) (any, error) {
	e, ok := Lookup(name)
	if !ok {
		return nil, Check(name, params)
	}
	fields := map[string]any{}
	for _, k := range sortedKeys(params) {
		v, err := e.value(k, params[k])
		if err != nil {
			return nil, err
		}
		p, _ := e.param(k)
		if p.aliasOf != "" {
			if _, both := params[p.aliasOf]; both {
				return nil, &Error{Field: "params." + k, Msg: fmt.Sprintf("give %s or %s, not both", k, p.aliasOf)}
			}
		}
		fields[p.key] = v
	}
	est := e.new()
	if len(fields) > 0 {
		b, err := json.Marshal(fields)
		if err != nil {
			return nil, &Error{Field: "params", Msg: err.Error()}
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields() // a hyperparameter this build's library lacks is refused, not ignored
		if err := dec.Decode(est); err != nil {
			return nil, &Error{Field: "params", Msg: fmt.Sprintf("estimator %s: this build's ML library cannot set it: %v", e.Name, err)}
		}
	}
	return est, nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// didYouMean returns ` (did you mean "x"?)` for the closest of names to s, or "".
func didYouMean(s string, names []string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := distance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, len(s)/3) {
		return ""
	}
	return fmt.Sprintf(": did you mean %q?", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
