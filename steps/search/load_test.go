package search_test

import (
	"strings"
	"testing"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/kinds"
)

// Mistakes knowable at load time are file:line errors naming the field.
func TestLoadErrorsNameTheField(t *testing.T) {
	t.Parallel()
	opts := kinds.Builtin(kinds.Deps{}).LoadOptions()
	const head = "dag_id: x\ntasks:\n  - id: s\n    model.search:\n      data: d.csv\n      target: y\n"
	for _, c := range []struct{ body, want string }{
		{"      estimator: ridgee\n      grid: {alpha: [1]}\n", `x.yaml:7:18: model.search.estimator: estimator: unknown estimator "ridgee": did you mean "ridge"?`},
		{"      estimator: ridge\n      grid: {alpah: [1]}\n", `model.search.grid: candidate {"alpah":1}: params.alpah: estimator ridge has no hyperparameter "alpah": did you mean "alpha"?`},
		{"      estimator: ridge\n      grid: {alpha: [\"big\"]}\n", `params.alpha: ridge hyperparameter alpha: want a number, got "big"`},
		{"      estimator: ridge\n      metric: accuracy\n      grid: {alpha: [1]}\n", `model.search.metric: accuracy is a classification metric and ridge a regression estimator`},
		{"      estimator: ridge\n      metric: r3\n      grid: {alpha: [1]}\n", `unknown metric "r3"`},
		{"      estimator: ridge\n      grid: {alpha: [1]}\n      random: {n: 2, space: {alpha: [1, 2]}}\n", `a search has grid or random candidates, not both`},
		{"      estimator: ridge\n", `missing candidates: set grid, random`},
		{"      estimator: ridge\n      random: {n: 0, space: {alpha: {min: 1}}}\n", `model.search.random.n: want a positive number of candidates`},
		{"      estimator: ridge\n      random: {n: 3, space: {alpha: {min: 2, max: 1}}}\n", `model.search.random.space.alpha: min 2 is greater than max 1`},
		{"      estimator: ridge\n      grid: {alpha: [1]}\n      halving: {factor: 1}\n", `model.search.halving.factor: want at least 2, got 1`},
		{"      estimator: ridge\n      halving: {factor: 3}\n", `successive halving needs its candidates`},
		{"      estimator: ridge\n      cv: 1\n      grid: {alpha: [1]}\n", `model.search.cv: want at least 2 folds`},
		{"      estimator: ridge\n      params: {alpha: 1}\n      grid: {alpha: [1]}\n", `model.search.params.alpha: alpha is both a shared param and searched over`},
		{"      estimator: ridge\n      grid: {alpha: [1]}\n    expand: {alpha: [1, 2]}\n", `model.search task maps itself (one instance per item of its spec): remove expand`},
		{"      estimator: ridge\n      grid: {alpha: \"{{ params.alphas }}\"}\n", `model.search.grid.alpha: templates are not supported`},
		{"      estimator: ridge\n      stratify: true\n      grid: {alpha: [1]}\n", `stratified folds need classes`},
	} {
		_, err := dag.LoadBytes("x.yaml", []byte(head+c.body), opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v\nwant %q", c.body, err, c.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "x.yaml:") {
			t.Errorf("%s: no file:line in %v", c.body, err)
		}
	}
	for _, c := range []struct{ body, want string }{
		{"  - id: p\n    model.select: {candidates: \"{{ outputs.s }}\", mode: up}\n", `model.select.mode: want max or min, got "up"`},
		{"  - id: p\n    model.select: {candidates: [], data: d.csv}\n", `model.select.data: data is the refit's data set: add refit: true`},
		{"  - id: p\n    model.select: {metric: r2}\n", `model.select.candidates: missing: the search's outputs`},
	} {
		_, err := dag.LoadBytes("x.yaml", []byte("dag_id: x\ntasks:\n"+c.body), opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v\nwant %q", c.body, err, c.want)
		}
	}
	// A good search loads as a mapped task over its candidates.
	d, err := dag.LoadBytes("x.yaml", []byte(head+"      estimator: logistic_regression\n      params: {max_iter: 500}\n      grid: {C: [0.1, 1], tol: [0.001, 0.0001]}\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	list, ok := d.Tasks[0].ExpandKwargs.([]any)
	if !ok || len(list) != 4 {
		t.Fatalf("expand_kwargs = %#v, want 4 candidates", d.Tasks[0].ExpandKwargs)
	}
	if first := list[0].(map[string]any); first["C"] != 0.1 || first["tol"] != 0.001 {
		t.Errorf("first candidate %v, want ParameterGrid's order (C=0.1, tol=0.001)", first)
	}
}
