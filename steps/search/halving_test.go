package search_test

import (
	"strings"
	"testing"

	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// A random search draws n candidates in range, the same ones for the same seed, one mapped
// instance each; successive halving runs in one task, cutting the candidates by the factor
// each round on more rows, with one tracking run per candidate nested under the task's.
func TestRandomAndHalvingSearches(t *testing.T) {
	t.Parallel()
	diabetes := fixture(t, "../../ml/testdata/data/diabetes.csv")
	iris := fixture(t, "testdata/iris_shuffled.csv")
	e := setup(t, map[string]string{"more.yaml": `dag_id: more
tasks:
  - id: random
    model.search:
      data: ` + diabetes + `
      target: target
      estimator: ridge
      random: {n: 5, seed: 7, space: {alpha: {min: 0.001, max: 10, log: true}}}
  - id: again
    model.search:
      data: ` + diabetes + `
      target: target
      estimator: ridge
      random: {n: 5, seed: 7, space: {alpha: {min: 0.001, max: 10, log: true}}}
  - id: pick
    upstream: random
    model.select: {candidates: "{{ outputs.random }}", metric: rmse}
  - id: halving
    model.search:
      data: ` + diabetes + `
      target: target
      estimator: lasso
      grid: {alpha: [0.001, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30]}
      halving: {factor: 3, seed: 1}
  - id: pick_halving
    upstream: halving
    model.select: {candidates: "{{ outputs.halving }}"}
  - id: make_grid
    script: |
      echo '[{"alpha": 0.5}, {"alpha": 5}]' > "$WEIR_OUTPUT"
  - id: dynamic
    upstream: make_grid
    expand_kwargs: "{{ outputs.make_grid }}"
    model.search: {data: ` + diabetes + `, target: target, estimator: ridge}
  - id: classes
    model.search:
      data: ` + iris + `
      target: target_class
      estimator: logistic_regression
      params: {max_iter: 1000}
      grid: {C: [0.01, 0.1, 1, 10]}
      halving: {factor: 2}
      stratify: true
      seed: 3
      metric: log_loss
`})
	run := e.run("more")
	if run.State != store.RunSuccess {
		for _, task := range []string{"random", "again", "pick", "halving", "pick_halving", "make_grid", "dynamic", "classes"} {
			for _, ti := range e.tis(run, task) {
				t.Logf("%s[%d]: %s %s", task, ti.MapIndex, ti.State, ti.Error)
			}
		}
		t.Fatalf("run %s", run.State)
	}
	random, again := e.tis(run, "random"), e.tis(run, "again")
	if len(random) != 5 || len(again) != 5 {
		t.Fatalf("random: %d and %d instances, want 5", len(random), len(again))
	}
	best, bestRMSE := -1, 0.0
	for i := range random {
		var a, b candidate
		e.output(random[i], &a)
		e.output(again[i], &b)
		alpha, _ := a.Params["alpha"].(float64)
		if alpha < 0.001 || alpha > 10 || a.Params["alpha"] != b.Params["alpha"] {
			t.Errorf("random[%d]: alpha %v (again: %v): want the same draw in [0.001, 10]", i, a.Params["alpha"], b.Params["alpha"])
		}
		if best < 0 || a.Metrics["rmse"] < bestRMSE {
			best, bestRMSE = i, a.Metrics["rmse"]
		}
	}
	var sel selection
	e.output(e.tis(run, "pick")[0], &sel)
	if sel.Index != best || sel.Mode != "min" || !near(sel.Score, bestRMSE) {
		t.Errorf("pick by rmse: %+v, want candidate %d with %v (min)", sel, best, bestRMSE)
	}

	var out struct {
		Candidates []candidate `json:"candidates"`
		Best       candidate   `json:"best"`
		History    []candidate `json:"history"`
		Rounds     []struct {
			Round, Rows, Candidates, Kept int
		} `json:"rounds"`
	}
	h := e.tis(run, "halving")
	if len(h) != 1 || h[0].MapIndex != -1 {
		t.Fatalf("halving: %d instances, want one unmapped task", len(h))
	}
	e.output(h[0], &out)
	// 9 candidates, factor 3: rounds of 9, 3 and 1 candidates on 49, 147 and 441 rows.
	if len(out.Rounds) != 3 || out.Rounds[0].Candidates != 9 || out.Rounds[1].Candidates != 3 || out.Rounds[2].Candidates != 1 {
		t.Fatalf("halving rounds: %+v", out.Rounds)
	}
	if out.Rounds[0].Rows != 442/9 || out.Rounds[1].Rows != 3*(442/9) || out.Rounds[2].Rows != 9*(442/9) {
		t.Errorf("halving rows: %+v", out.Rounds)
	}
	if len(out.History) != 13 || len(out.Candidates) != 1 || out.Best.Round != 2 || out.Best.Rows != 441 {
		t.Errorf("halving: %d scored, %d last, best %+v", len(out.History), len(out.Candidates), out.Best)
	}
	// Round 1 keeps the best third of round 0 (r2, max).
	var r0 []candidate
	for _, c := range out.History {
		if c.Round == 0 {
			r0 = append(r0, c)
		}
	}
	kept := 0
	for _, c := range out.History {
		if c.Round != 1 {
			continue
		}
		better := 0
		for _, o := range r0 {
			if o.Score > r0ScoreOf(r0, c.Params["alpha"]) {
				better++
			}
		}
		if better >= 3 {
			t.Errorf("round 1 kept alpha %v, beaten by %d candidates in round 0", c.Params["alpha"], better)
		}
		kept++
	}
	if kept != 3 {
		t.Errorf("round 1 scored %d candidates, want 3", kept)
	}
	parent := e.runs(run, "halving")
	var taskRun string
	children := map[string]tracking.Run{}
	for _, r := range parent {
		if _, ok := r.Tag("weir.candidate"); ok {
			children[r.Info.RunID] = r
		} else {
			taskRun = r.Info.RunID
		}
	}
	if len(children) != 9 || taskRun == "" {
		t.Fatalf("halving: %d candidate runs and task run %q, want 9 and one", len(children), taskRun)
	}
	for _, r := range children {
		if p, _ := r.Tag(tracking.TagParentRunID); p != taskRun {
			t.Errorf("candidate run %s: parent %q, want the task's run %s", r.Info.RunID, p, taskRun)
		}
		if r.Info.Status != tracking.RunFinished || param(r, "alpha") == "" {
			t.Errorf("candidate run %s: status %s, params %v", r.Info.RunID, r.Info.Status, r.Params)
		}
	}
	if c, ok := children[out.Best.RunID]; !ok {
		t.Errorf("best candidate's run_id %q is not a candidate run", out.Best.RunID)
	} else if v, _ := metric(c, "r2_mean"); !near(v, out.Best.Score) {
		t.Errorf("best candidate's last r2_mean %v, output %v", v, out.Best.Score)
	}
	// Candidates computed by an upstream task: the task mapped with expand_kwargs.
	dyn := e.tis(run, "dynamic")
	if len(dyn) != 2 {
		t.Fatalf("dynamic: %d instances, want 2", len(dyn))
	}
	for i, want := range []float64{0.5, 5} {
		var c candidate
		e.output(dyn[i], &c)
		if c.Params["alpha"] != want || c.Metrics["r2"] == 0 {
			t.Errorf("dynamic[%d]: %+v, want alpha %v scored", i, c, want)
		}
	}
	// Stratified folds on iris (50 rows per class, 5 folds): every fold's test rows hold
	// each class equally; log_loss is minimised.
	var cls struct {
		Best   candidate `json:"best"`
		Rounds []struct{ Rows, Candidates int }
	}
	e.output(e.tis(run, "classes")[0], &cls)
	// 4 candidates, factor 2: 3 rounds (4, 2, 1 candidates) from 150/4 = 37 rows (at least
	// 2·5 folds·3 classes = 30).
	if len(cls.Rounds) != 3 || cls.Rounds[0].Rows != 37 || cls.Rounds[2].Candidates != 1 || cls.Best.Metric != "log_loss" || cls.Best.Mode != "min" {
		t.Errorf("classification halving: rounds %+v, best %+v", cls.Rounds, cls.Best)
	}
	if _, ok := cls.Best.Metrics["accuracy"]; !ok || cls.Best.Score <= 0 || cls.Best.Score != cls.Best.Metrics["log_loss"] {
		t.Errorf("classification halving: best metrics %v, score %v", cls.Best.Metrics, cls.Best.Score)
	}
	e.output(e.tis(run, "pick_halving")[0], &sel)
	if sel.Params["alpha"] != out.Best.Params["alpha"] || !near(sel.Score, out.Best.Score) {
		t.Errorf("pick_halving: %+v, want the halving's best %v", sel, out.Best.Params)
	}
}

func r0ScoreOf(r0 []candidate, alpha any) float64 {
	for _, c := range r0 {
		if c.Params["alpha"] == alpha {
			return c.Score
		}
	}
	return 0
}

// Bad input at run time fails the task without retries, naming the column or the rule.
func TestBadInputFailsNamingTheProblem(t *testing.T) {
	t.Parallel()
	diabetes := fixture(t, "../../ml/testdata/data/diabetes.csv")
	dir := t.TempDir()
	one := dir + "/one_class.csv"
	writeFile(t, one, "x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n")
	str := dir + "/string.csv"
	writeFile(t, str, "x,y\n1,1.5\n2,2.5\nthree,3.5\n4,4.5\n")
	empty := dir + "/empty.csv"
	writeFile(t, empty, "x,y\n")
	e := setup(t, map[string]string{"bad.yaml": `dag_id: bad
tasks:
  - id: missing_target
    model.search: {data: ` + diabetes + `, target: nope, estimator: ridge, grid: {alpha: [1]}}
  - id: missing_input
    model.search: {data: ` + diabetes + `, target: target, inputs: [age, weight], estimator: ridge, grid: {alpha: [1]}}
  - id: one_class
    model.search: {data: ` + one + `, target: y, estimator: logistic_regression, grid: {C: [1]}, cv: 2}
  - id: string_input
    model.search: {data: ` + str + `, target: y, estimator: ridge, grid: {alpha: [1]}, cv: 2}
  - id: empty
    model.search: {data: ` + empty + `, target: y, estimator: ridge, grid: {alpha: [1]}}
  - id: good
    model.search: {data: ` + diabetes + `, target: target, estimator: ridge, grid: {alpha: [1, 2]}}
  - id: wrong_metric
    upstream: good
    model.select: {candidates: "{{ outputs.good }}", metric: accuracy}
  - id: not_a_search
    upstream: good
    model.select: {candidates: "{{ outputs.good[0].params }}"}
  - id: no_file
    model.search: {data: ` + dir + `/absent.csv, target: y, estimator: ridge, grid: {alpha: [1]}}
`})
	run := e.run("bad")
	if run.State != store.RunFailed {
		t.Fatalf("run %s", run.State)
	}
	for task, want := range map[string]string{
		"missing_target": `target: no column "nope"`,
		"missing_input":  `inputs: no column "weight"`,
		"one_class":      `only one class`,
		"empty":          `no rows`,
		"string_input":   `inputs: column "x" holds text where a number is needed (row 3: "three")`,
		"no_file":        `absent.csv`,
		"wrong_metric":   `metric: candidate 0 ({"alpha":1}) has no accuracy score; it has mae, mse, r2, rmse`,
		"not_a_search":   `candidates: got an object without a candidates list`,
	} {
		ti := e.tis(run, task)[0]
		if ti.State != store.TIFailed || !strings.Contains(ti.Error, want) || ti.TryNumber != 1 {
			t.Errorf("%s: %s after %d tries: %q, want failed once with %q", task, ti.State, ti.TryNumber, ti.Error, want)
		}
	}
}
