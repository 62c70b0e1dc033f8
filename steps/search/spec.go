package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/ml/model"
)

// SearchSpec is the spec of a model.search task.
type SearchSpec struct {
	// Data is the training data set.
	Data string `yaml:"data" template:"true" required:"the training data set: a URI from an upstream step (\"{{ outputs.split.train }}\") or a path" doc:"The training data set: a URI an upstream step wrote, a path relative to the DAG file, or a blob URL (CSV, JSON lines or Parquet)."`
	// Target is the target column.
	Target string `yaml:"target" template:"true" required:"the target column" doc:"The target column."`
	// Inputs are the input columns; empty means every column but the target.
	Inputs []string `yaml:"inputs,single" template:"true" doc:"The input columns (numeric); default every column but the target."`
	// Pipeline is a preprocessing pipeline file, refitted on each fold.
	Pipeline string `yaml:"pipeline" template:"true" doc:"A preprocessing pipeline file written by features.fit (\"{{ outputs.features.pipeline }}\"): its steps are fitted anew on each fold's training rows (a scikit-learn Pipeline inside the search), and model.select's refit saves them in the model; inputs default to the pipeline's."`
	// Estimator names the estimator.
	Estimator string `yaml:"estimator" required:"an estimator name, such as ridge" doc:"The estimator's name (ridge, lasso, logistic_regression, random_forest_regressor, ...)."`
	// Params are hyperparameters every candidate shares.
	Params map[string]any `yaml:"params" doc:"Hyperparameters every candidate shares (max_iter: 1000)."`
	// Grid maps hyperparameters to the values to try: every combination is a candidate.
	Grid map[string]any `yaml:"grid" doc:"Grid search: each hyperparameter's list of values; one candidate per combination (scikit-learn's ParameterGrid order)."`
	// Random draws candidates at random.
	Random RandomSpec `yaml:"random" doc:"Random search: n candidates drawn from space with seed."`
	// Halving runs successive halving over the grid or random candidates, in one task.
	Halving map[string]any `yaml:"halving" doc:"Successive halving over the grid or random candidates, in this one task: {factor: 3, min_rows: auto, seed: 0}."`
	// CV is the number of folds (default 5).
	CV int `yaml:"cv" doc:"The number of cross-validation folds (default 5, at least 2)."`
	// Shuffle shuffles rows before cutting the folds.
	Shuffle bool `yaml:"shuffle" doc:"Shuffle the rows (with seed) before cutting the folds; default consecutive folds, as scikit-learn's KFold."`
	// Stratify keeps the class proportions in every fold (classification).
	Stratify bool `yaml:"stratify" doc:"Stratified folds on the target's classes (shuffled with seed)."`
	// Seed seeds the folds' shuffle.
	Seed int `yaml:"seed" doc:"Seed of the folds' shuffle (default 0)."`
	// Metric is the score candidates are ranked by.
	Metric string `yaml:"metric" doc:"The score to rank by: r2, mse, rmse, mae (regression; default r2) or accuracy, f1_macro, precision_macro, recall_macro, log_loss, roc_auc (classification; default accuracy)."`
	// Mode is max or min.
	Mode string `yaml:"mode" doc:"max or min: whether a higher score is better (default the metric's: min for errors and log_loss)."`
	// Candidate is one candidate's hyperparameters.
	Candidate map[string]any `yaml:"candidate" template:"value" doc:"The hyperparameters of the one candidate to score; a grid or random search sets it for each of its instances, as does expand_kwargs on the task (candidates computed by an upstream task)."`
}

// RandomSpec is a random search.
type RandomSpec struct {
	// N is the number of candidates.
	N int `yaml:"n" doc:"The number of candidates to draw."`
	// Seed seeds the draws.
	Seed int `yaml:"seed" doc:"The seed of the draws (default 0): the same seed draws the same candidates."`
	// Space maps each hyperparameter to a list of values (drawn uniformly) or a range
	// {min, max, log: bool, int: bool}.
	Space map[string]any `yaml:"space" doc:"Each hyperparameter's values: a list (one drawn uniformly) or {min, max, log: true for log-uniform, int: true for integers}."`
}

func (r RandomSpec) set() bool { return r.N != 0 || r.Space != nil || r.Seed != 0 }

// halving is a parsed halving spec.
type halving struct {
	factor  int
	minRows int
	seed    uint64
}

func (s *SearchSpec) halving() (*halving, error) {
	if s.Halving == nil {
		return nil, nil
	}
	h := &halving{factor: 3}
	for _, k := range sortedKeys(s.Halving) {
		v := s.Halving[k]
		n, ok := intValue(v)
		switch {
		case k != "factor" && k != "min_rows" && k != "seed":
			return nil, fieldErr("halving."+k, "unknown field; valid: factor, min_rows, seed")
		case !ok:
			return nil, fieldErr("halving."+k, "want an integer, got %s", jsonText(v))
		case k == "factor":
			if n < 2 {
				return nil, fieldErr("halving.factor", "want at least 2, got %d", n)
			}
			h.factor = n
		case k == "min_rows":
			if n < 1 {
				return nil, fieldErr("halving.min_rows", "want at least 1, got %d", n)
			}
			h.minRows = n
		case k == "seed":
			h.seed = uint64(n)
		}
	}
	return h, nil
}

// fieldError is a problem with one field of the spec.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func fieldErr(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

// folds returns the number of folds.
func (s *SearchSpec) folds() int {
	if s.CV == 0 {
		return 5
	}
	return s.CV
}

// metric returns the metric and mode for an estimator task.
func (s *SearchSpec) metric(task string) (string, string) {
	m := s.Metric
	if m == "" {
		m = defaultMetric(task)
	}
	mode := s.Mode
	if mode == "" {
		mode = metricDefs[m].mode
	}
	return m, mode
}

// candidates returns the candidates of the grid or random search (nil for neither).
func (s *SearchSpec) candidates() ([]map[string]any, error) {
	switch {
	case s.Grid != nil:
		return gridCandidates(s.Grid)
	case s.Random.set():
		return randomCandidates(s.Random)
	}
	return nil, nil
}

// gridCandidates is scikit-learn's ParameterGrid: keys in sorted order, the first varying
// slowest.
func gridCandidates(grid map[string]any) ([]map[string]any, error) {
	if len(grid) == 0 {
		return nil, fieldErr("grid", "names no hyperparameter: give each one a list of values")
	}
	out := []map[string]any{{}}
	for _, k := range sortedKeys(grid) {
		list, ok := grid[k].([]any)
		if !ok {
			if str, isStr := grid[k].(string); isStr && strings.Contains(str, "{{") {
				return nil, fieldErr("grid."+k, "templates are not supported: a search's candidates are fixed when the DAG loads (one mapped instance each); write the list of values")
			}
			list = []any{grid[k]}
		}
		if len(list) == 0 {
			return nil, fieldErr("grid."+k, "an empty list of values")
		}
		next := make([]map[string]any, 0, len(out)*len(list))
		for _, base := range out {
			for _, v := range list {
				m := make(map[string]any, len(base)+1)
				for bk, bv := range base {
					m[bk] = bv
				}
				m[k] = v
				next = append(next, m)
			}
		}
		out = next
	}
	return out, nil
}

// randomCandidates draws r.N candidates from r.Space with a PCG generator seeded with
// r.Seed, hyperparameters in sorted order.
func randomCandidates(r RandomSpec) ([]map[string]any, error) {
	if r.N <= 0 {
		return nil, fieldErr("random.n", "want a positive number of candidates, got %d", r.N)
	}
	if len(r.Space) == 0 {
		return nil, fieldErr("random.space", "names no hyperparameter")
	}
	type dist struct {
		values   []any
		lo, hi   float64
		log, int bool
	}
	keys := sortedKeys(r.Space)
	dists := make([]dist, len(keys))
	for i, k := range keys {
		field := "random.space." + k
		switch x := r.Space[k].(type) {
		case []any:
			if len(x) == 0 {
				return nil, fieldErr(field, "an empty list of values")
			}
			dists[i].values = x
		case map[string]any:
			d := &dists[i]
			for _, dk := range sortedKeys(x) {
				switch dk {
				case "min", "max":
					v, ok := floatValue(x[dk])
					if !ok {
						return nil, fieldErr(field+"."+dk, "want a number, got %s", jsonText(x[dk]))
					}
					if dk == "min" {
						d.lo = v
					} else {
						d.hi = v
					}
				case "log", "int":
					b, ok := x[dk].(bool)
					if !ok {
						return nil, fieldErr(field+"."+dk, "want true or false, got %s", jsonText(x[dk]))
					}
					if dk == "log" {
						d.log = b
					} else {
						d.int = b
					}
				default:
					return nil, fieldErr(field+"."+dk, "unknown field; valid: min, max, log, int")
				}
			}
			if _, ok := x["min"]; !ok {
				return nil, fieldErr(field, "missing: min")
			}
			if _, ok := x["max"]; !ok {
				return nil, fieldErr(field, "missing: max")
			}
			switch {
			case !(d.lo <= d.hi):
				return nil, fieldErr(field, "min %v is greater than max %v", d.lo, d.hi)
			case d.log && d.lo <= 0:
				return nil, fieldErr(field, "a log-uniform range needs min > 0, got %v", d.lo)
			}
		default:
			return nil, fieldErr(field, "want a list of values or {min, max, log, int}, got %s", jsonText(x))
		}
	}
	rng := rand.New(rand.NewPCG(uint64(r.Seed), 0x5ea4c4))
	out := make([]map[string]any, r.N)
	for c := range out {
		m := make(map[string]any, len(keys))
		for i, k := range keys {
			d := dists[i]
			switch {
			case d.values != nil:
				m[k] = d.values[rng.IntN(len(d.values))]
			case d.int:
				lo, hi := math.Ceil(d.lo), math.Floor(d.hi)
				if d.log {
					v := math.Round(math.Exp(math.Log(d.lo) + rng.Float64()*(math.Log(d.hi)-math.Log(d.lo))))
					m[k] = int64(min(max(v, lo), hi))
				} else {
					m[k] = int64(lo) + rng.Int64N(int64(hi-lo)+1)
				}
			case d.log:
				m[k] = math.Exp(math.Log(d.lo) + rng.Float64()*(math.Log(d.hi)-math.Log(d.lo)))
			default:
				m[k] = d.lo + rng.Float64()*(d.hi-d.lo)
			}
		}
		out[c] = m
	}
	return out, nil
}

// merged returns the shared params overlaid with a candidate's.
func merged(params, candidate map[string]any) map[string]any {
	out := make(map[string]any, len(params)+len(candidate))
	for k, v := range params {
		out[k] = v
	}
	for k, v := range candidate {
		out[k] = v
	}
	return out
}

func intValue(v any) (int, bool) {
	f, ok := floatValue(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

func floatValue(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// searchDef is the model.search kind's definition.
func searchDef(est Estimators) dag.KindDef {
	return dag.KindDef{
		Name: "model.search",
		Doc: "Cross-validated hyperparameter search: grid and random searches map the task, one instance (and tracking run) " +
			"per candidate; halving runs successive halving inside the task.",
		New:      func() any { return &SearchSpec{} },
		Tracked:  true,
		CPUBound: true,
		MapArgs:  "candidate",
		Validate: func(c *dag.KindCheck, spec any) {
			validateSearch(c, spec.(*SearchSpec), est)
		},
		Expand: func(spec any) ([]map[string]any, error) {
			s := spec.(*SearchSpec)
			if s.Halving != nil || s.Candidate != nil {
				return nil, nil
			}
			return s.candidates()
		},
	}
}

func report(c *dag.KindCheck, field string, err error) {
	if fe, ok := err.(*fieldError); ok {
		c.Errorf(fe.field, "%s", fe.msg)
		return
	}
	c.Errorf(field, "%v", err)
}

func validateSearch(c *dag.KindCheck, s *SearchSpec, est Estimators) {
	if s.CV != 0 && s.CV < 2 {
		c.Errorf("cv", "want at least 2 folds, got %d", s.CV)
	}
	if s.Mode != "" && s.Mode != "max" && s.Mode != "min" {
		c.Errorf("mode", "want max or min, got %q", s.Mode)
	}
	if s.Metric != "" {
		if _, ok := metricDefs[s.Metric]; !ok {
			c.Errorf("metric", "unknown metric %q%s; valid: %s", s.Metric, dag.DidYouMean(s.Metric, metricNames("")), strings.Join(metricNames(""), ", "))
			return
		}
	}
	if slices.Contains(s.Inputs, s.Target) {
		c.Errorf("inputs", "the target column %q is also an input", s.Target)
	}
	if s.Stratify && s.Shuffle {
		c.Errorf("shuffle", "stratified folds are always shuffled (with seed): drop shuffle")
	}
	strategies := 0
	for _, set := range []bool{s.Grid != nil, s.Random.set()} {
		if set {
			strategies++
		}
	}
	switch {
	case strategies > 1:
		c.Errorf("random", "a search has grid or random candidates, not both")
		return
	case s.Halving != nil && strategies == 0:
		c.Errorf("halving", "successive halving needs its candidates: add grid or random")
		return
	case s.Candidate != nil && (strategies > 0 || s.Halving != nil):
		c.Errorf("candidate", "a search sets each instance's candidate: drop candidate, or grid, random and halving")
		return
	case s.Candidate == nil && strategies == 0 && !c.Task().IsMapped():
		c.Errorf("", "missing candidates: set grid, random (with halving for successive halving), one candidate, or map the task with expand_kwargs (each instance's arguments are its candidate)")
		return
	}
	if _, err := s.halving(); err != nil {
		report(c, "halving", err)
	}
	base, err := est.New(s.Estimator, s.Params)
	if err != nil {
		c.Errorf("estimator", "%v", err)
		return
	}
	task, err := taskOf(base)
	if err != nil {
		c.Errorf("estimator", "%v", err)
		return
	}
	if s.Metric != "" && metricDefs[s.Metric].task != task {
		c.Errorf("metric", "%s is a %s metric and %s a %s estimator; valid: %s", s.Metric, metricDefs[s.Metric].task,
			s.Estimator, task, strings.Join(metricNames(task), ", "))
	}
	if s.Stratify && task != model.Classification {
		c.Errorf("stratify", "stratified folds need classes: %s is a %s estimator", s.Estimator, task)
	}
	cands, err := s.candidates()
	if err != nil {
		report(c, "grid", err)
		return
	}
	if s.Candidate != nil {
		cands = []map[string]any{s.Candidate}
	}
	field := "grid"
	if s.Random.set() {
		field = "random.space"
	}
	for _, k := range sortedKeys(s.Params) {
		if slices.ContainsFunc(cands, func(m map[string]any) bool { _, ok := m[k]; return ok }) {
			c.Errorf("params."+k, "%s is both a shared param and searched over: drop one", k)
		}
	}
	for _, cand := range cands {
		if err := est.check(s.Estimator, merged(s.Params, cand)); err != nil {
			c.Errorf(field, "candidate %s: %v", jsonText(cand), err)
			return
		}
	}
}
