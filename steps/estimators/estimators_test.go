package estimators

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
)

func TestNewSetsHyperparameters(t *testing.T) {
	t.Parallel()
	est, err := New("elastic_net", map[string]any{"alpha": 0.5, "l1_ratio": "0.25", "fit_intercept": false, "max_iter": 50})
	if err != nil {
		t.Fatal(err)
	}
	en := est.(*linear.ElasticNet)
	if en.Alpha == nil || *en.Alpha != 0.5 || en.L1Ratio == nil || *en.L1Ratio != 0.25 || !en.NoIntercept || en.MaxIter != 50 {
		t.Fatalf("%+v", en)
	}
	est, err = New("random_forest_classifier", map[string]any{"n_estimators": 7, "random_state": 3, "bootstrap": false})
	if err != nil {
		t.Fatal(err)
	}
	fc := est.(*ensemble.ForestClassifier)
	if fc.NEstimators != 7 || fc.Seed != 3 || !fc.NoBootstrap {
		t.Fatalf("%+v", fc.ForestOptions)
	}
	est, err = New("logistic_regression", map[string]any{"C": 2})
	if err != nil || est.(*linear.LogisticRegression).C != 2 {
		t.Fatalf("%v %+v", err, est)
	}
}

func TestCheckNamesTheProblem(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		params map[string]any
		field  string
		want   string
	}{
		{"rige", nil, "estimator", `unknown estimator "rige": did you mean "ridge"?`},
		{"ridge", map[string]any{"alpah": 1.0}, "params.alpah", `estimator ridge has no hyperparameter "alpah": did you mean "alpha"?`},
		{"ridge", map[string]any{"alpha": -1}, "params.alpha", "ridge hyperparameter alpha: want > 0, got -1"},
		{"lasso", map[string]any{"alpha": "abc"}, "params.alpha", `want a number, got "abc"`},
		{"lasso", map[string]any{"max_iter": 2.5}, "params.max_iter", "want a whole number, got 2.5"},
		{"elastic_net", map[string]any{"l1_ratio": 1.5}, "params.l1_ratio", "want ≤ 1, got 1.5"},
		{"ridge", map[string]any{"fit_intercept": 3}, "params.fit_intercept", "want true or false"},
		{"random_forest_classifier", map[string]any{"class_weight": "heavy"}, "params.class_weight", "want one of balanced, got heavy"},
		{"gradient_boosting_regressor", map[string]any{"subsample": 0}, "params.subsample", "want > 0, got 0"},
		{"ridge", map[string]any{"class_weight": "balanced"}, "params.class_weight", "estimator ridge has no hyperparameter"},
		{"kmeans", map[string]any{"n_clusters": "{{ params.k }}", "nclusters": "{{ params.k }}"}, "params.nclusters", `did you mean "n_clusters"?`},
	} {
		err := Check(c.name, c.params)
		var e *Error
		if !errors.As(err, &e) || e.Field != c.field || !strings.Contains(e.Msg, c.want) {
			t.Errorf("Check(%s, %v) = %v; want field %s, %q", c.name, c.params, err, c.field, c.want)
		}
	}
	if err := Check("kmeans", map[string]any{"n_clusters": "{{ params.k }}"}); err != nil {
		t.Errorf("a template is checked after rendering: %v", err)
	}
	if _, err := New("kmeans", map[string]any{"n_clusters": "zero"}); err == nil {
		t.Error("New accepted a rendered template that is not a number")
	}
	if _, err := New("kmeans", map[string]any{"seed": 1, "random_state": 2}); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("seed and random_state: %v", err)
	}
	for _, n := range Names() {
		if _, err := New(n, nil); err != nil {
			t.Errorf("New(%s): %v", n, err)
		}
	}
}

// Every registered estimator, built with hyperparameters, trains through ml/model and
// keeps them in its saved model.
func TestEveryEstimatorTrains(t *testing.T) {
	t.Parallel()
	n := 60
	x1, x2, yr := make([]float64, n), make([]float64, n), make([]float64, n)
	yc := make([]string, n)
	for i := range x1 {
		x1[i], x2[i] = float64(i%10), float64((i*7)%11)
		yr[i] = 2*x1[i] - x2[i]
		yc[i] = "a"
		if x1[i]+x2[i] > 9 {
			yc[i] = "b"
		}
	}
	f, err := frame.New(frame.NewFloat("x1", x1, nil), frame.NewFloat("x2", x2, nil), frame.NewFloat("yr", yr, nil), frame.NewString("yc", yc, nil))
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]map[string]any{
		"random_forest_classifier":     {"n_estimators": 5, "max_depth": 3, "random_state": 1},
		"random_forest_regressor":      {"n_estimators": 5, "seed": 2, "bootstrap": false},
		"gradient_boosting_classifier": {"n_estimators": 5, "learning_rate": 0.3, "max_bins": 16},
		"gradient_boosting_regressor":  {"n_estimators": 5, "max_depth": 2, "l2": 1},
		"decision_tree_classifier":     {"max_depth": 2, "min_samples_leaf": 2},
		"decision_tree_regressor":      {"max_depth": 3, "min_samples_split": 4},
		"kmeans":                       {"n_clusters": 3, "n_init": 2, "random_state": 4},
		"logistic_regression":          {"C": 0.5, "max_iter": 200},
		"lasso":                        {"alpha": 0.01, "tol": 1e-6},
	}
	for _, name := range Names() {
		e, _ := Lookup(name)
		est, err := New(name, params[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg := model.Config{Inputs: []string{"x1", "x2"}, Estimator: est}
		switch e.Task {
		case "regression":
			cfg.Target = "yr"
		case "classification":
			cfg.Target = "yc"
		}
		m, err := model.Train(f, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Task != e.Task {
			t.Fatalf("%s: task %s, registered as %s", name, m.Task, e.Task)
		}
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range params[name] {
			p, _ := e.param(k)
			if !strings.Contains(buf.String(), `"`+p.key+`":`) {
				t.Errorf("%s: %s=%v is not in the saved estimator", name, p.key, v)
			}
		}
	}
}
