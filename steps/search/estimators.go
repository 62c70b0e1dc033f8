package search

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/tree"
)

// Estimators builds the library's estimators by name, for the search's candidates and for
// model.select's refit. Package steps/estimators provides the complete registry; wire it
// with Estimators{New: estimators.New, Check: estimators.Check}.
type Estimators struct {
	// New returns a new, unfitted estimator (an ml/model Regressor or Classifier) of the
	// named kind with its hyperparameters set from params (YAML/JSON values); it fails
	// naming an unknown estimator or hyperparameter, or a value of the wrong type or range.
	// Required.
	New func(name string, params map[string]any) (any, error)
	// Check checks a name and its hyperparameters at load time without building anything;
	// nil means New is called and its result dropped.
	Check func(name string, params map[string]any) error
}

func (e Estimators) check(name string, params map[string]any) error {
	if e.Check != nil {
		return e.Check(name, params)
	}
	_, err := e.New(name, params)
	return err
}

// Fallback is a small built-in set of estimators (linear_regression, ridge, lasso,
// elastic_net, logistic_regression, decision_tree_classifier/regressor,
// random_forest_classifier/regressor) whose hyperparameters are the JSON names of the
// ml packages' options ("alpha", "max_depth"; "C" for logistic_regression). It stands in
// until steps/estimators, the complete registry, is wired in its place.
var Fallback = Estimators{New: newFallback}

type fallbackDef struct {
	new    func() any
	params []string // the option names, as the estimator's JSON tags spell them
}

var forestParams = []string{"n_estimators", "max_depth", "min_samples_split", "min_samples_leaf", "max_features", "no_bootstrap", "seed"}
var treeParams = []string{"max_depth", "min_samples_split", "min_samples_leaf", "max_features", "seed"}

var fallbacks = map[string]fallbackDef{
	"linear_regression":        {func() any { return &linear.LinearRegression{} }, []string{"no_intercept"}},
	"ridge":                    {func() any { return &linear.Ridge{} }, []string{"alpha", "no_intercept"}},
	"lasso":                    {func() any { return &linear.Lasso{} }, []string{"alpha", "no_intercept", "tol", "max_iter"}},
	"elastic_net":              {func() any { return &linear.ElasticNet{} }, []string{"alpha", "l1_ratio", "no_intercept", "tol", "max_iter"}},
	"logistic_regression":      {func() any { return &linear.LogisticRegression{} }, []string{"c", "no_intercept", "tol", "max_iter"}},
	"decision_tree_classifier": {func() any { return &tree.Classifier{} }, treeParams},
	"decision_tree_regressor":  {func() any { return &tree.Regressor{} }, treeParams},
	"random_forest_classifier": {func() any { return &ensemble.ForestClassifier{} }, forestParams},
	"random_forest_regressor":  {func() any { return &ensemble.ForestRegressor{} }, forestParams},
}

func fallbackNames() []string {
	names := make([]string, 0, len(fallbacks))
	for n := range fallbacks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func newFallback(name string, params map[string]any) (any, error) {
	def, ok := fallbacks[name]
	if !ok {
		return nil, fmt.Errorf("unknown estimator %q; valid: %s", name, strings.Join(fallbackNames(), ", "))
	}
	est := def.new()
	for _, k := range sortedKeys(params) {
		key := strings.ToLower(k)
		if !slices.Contains(def.params, key) {
			return nil, fmt.Errorf("estimator %s has no hyperparameter %q; valid: %s", name, k, strings.Join(def.params, ", "))
		}
		b, err := json.Marshal(map[string]any{key: params[k]})
		if err != nil {
			return nil, fmt.Errorf("estimator %s: hyperparameter %s: %v", name, k, err)
		}
		if err := json.Unmarshal(b, est); err != nil {
			return nil, fmt.Errorf("estimator %s: hyperparameter %s = %s: %v", name, k, jsonText(params[k]), typeProblem(err))
		}
	}
	return est, nil
}

// typeProblem shortens encoding/json's type errors to what the user must change.
func typeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if e, ok := err.(*json.UnmarshalTypeError); ok {
		te = e
		return fmt.Sprintf("want a %s, got a %s", te.Type, te.Value)
	}
	return err.Error()
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
