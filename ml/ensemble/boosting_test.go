package ensemble_test

import (
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/internal/mltest"
	"github.com/weirhq/weir/ml/metrics"
)

type boostingCase struct {
	Dataset, Task, Model string
	Params               struct {
		NEstimators        int     `json:"n_estimators"`
		LearningRate       float64 `json:"learning_rate"`
		MaxDepth           int     `json:"max_depth"`
		ValidationFraction float64 `json:"validation_fraction"`
		NIterNoChange      int     `json:"n_iter_no_change"`
		MinSamplesLeaf     int     `json:"min_samples_leaf"`
		Subsample          float64
	}
	Train, Test []int
	Score       float64
	NIter       []int `json:"n_iter"`
}

// TestEarlyStoppingAndSubsampleAgainstSklearn compares held-out scores
// (mean over seeds) with HistGradientBoosting's early stopping and
// GradientBoosting's subsample, and the number of rounds early stopping
// keeps with scikit-learn's.
func TestEarlyStoppingAndSubsampleAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct{ Cases []boostingCase }
	mltest.Fixture(t, "boosting.json", &fx)
	if len(fx.Cases) == 0 {
		t.Fatal("no cases in boosting.json")
	}
	for _, c := range fx.Cases {
		t.Run(c.Dataset+"/"+c.Model, func(t *testing.T) {
			t.Parallel()
			if raceEnabled && strings.HasPrefix(c.Dataset, "synth") {
				t.Skip("large data set skipped under the race detector")
			}
			o := ensemble.BoostOptions{
				NEstimators: c.Params.NEstimators, LearningRate: c.Params.LearningRate, MaxDepth: c.Params.MaxDepth,
				MinSamplesLeaf: c.Params.MinSamplesLeaf, Subsample: c.Params.Subsample,
			}
			if c.Model == "early_stopping" {
				o.EarlyStopping, o.ValidationFraction, o.NIterNoChange = true, c.Params.ValidationFraction, c.Params.NIterNoChange
			}
			x, y := dataset(t, c.Dataset)
			xtr, xte := rowsOf(x, c.Train), rowsOf(x, c.Test)
			seeds := []uint64{1, 2, 3}
			var score, iters float64
			for _, seed := range seeds {
				o.Seed = seed
				s, n := boostScore(t, c.Task, o, xtr, xte, pick(y, c.Train), pick(y, c.Test))
				score += s / float64(len(seeds))
				iters += float64(n) / float64(len(seeds))
			}
			lo, hi := c.NIter[0], c.NIter[0]
			for _, n := range c.NIter {
				lo, hi = min(lo, n), max(hi, n)
			}
			t.Logf("%s/%s: weir %.4f in %.1f rounds, scikit-learn %.4f in %v", c.Dataset, c.Model, score, iters, c.Score, c.NIter)
			slack := 0.01
			if c.Dataset == "diabetes" {
				slack = 0.03 // 133 test rows, R² about 0.3: a few points of noise
			}
			if score < c.Score-slack {
				t.Errorf("score %.4f is more than %g below scikit-learn's %.4f", score, slack, c.Score)
			}
			if c.Model == "early_stopping" && (iters < float64(lo)/2 || iters > float64(2*hi)) {
				t.Errorf("early stopping kept %.1f rounds; scikit-learn %v", iters, c.NIter)
			}
		})
	}
}

func pick(y []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = y[i]
	}
	return out
}

func boostScore(t *testing.T, task string, o ensemble.BoostOptions, xtr, xte *mat.Dense, ytr, yte []float64) (float64, int) {
	t.Helper()
	if task == "classification" {
		m := &ensemble.BoostingClassifier{BoostOptions: o}
		if err := m.Fit(xtr, ints(ytr)); err != nil {
			t.Fatal(err)
		}
		pred, err := m.Predict(xte)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := metrics.Accuracy(ints(yte), pred)
		return s, m.NIter
	}
	m := &ensemble.BoostingRegressor{BoostOptions: o}
	if err := m.Fit(xtr, ytr); err != nil {
		t.Fatal(err)
	}
	pred, err := m.Predict(xte)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := metrics.R2(yte, pred)
	return s, m.NIter
}

// TestEarlyStoppingRule checks scikit-learn's stopping rule on the
// recorded scores: the fit stops at the first round where none of the
// last NIterNoChange validation scores beats the one before them by more
// than Tol, and not before.
func TestEarlyStoppingRule(t *testing.T) {
	t.Parallel()
	x, y := dataset(t, "diabetes")
	const nc = 4
	m := &ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{
		NEstimators: 500, LearningRate: 0.5, EarlyStopping: true, NIterNoChange: nc, ValidationFraction: 0.25, Seed: 3,
	}}
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	v := m.ValidationScore
	if m.NIter >= 500 || len(m.Trees) != m.NIter || len(v) != m.NIter+1 || len(m.TrainScore) != m.NIter+1 {
		t.Fatalf("NIter %d, %d trees, %d validation and %d train scores", m.NIter, len(m.Trees), len(v), len(m.TrainScore))
	}
	stops := func(s []float64) bool {
		if len(s) < nc+1 {
			return false
		}
		ref := s[len(s)-nc-1] + 1e-7
		for _, x := range s[len(s)-nc:] {
			if x > ref {
				return false
			}
		}
		return true
	}
	for k := 1; k < len(v); k++ {
		if stops(v[:k]) {
			t.Fatalf("the rule held after %d rounds but boosting went on to %d", k-1, m.NIter)
		}
	}
	if !stops(v) {
		t.Fatalf("stopped after %d rounds but the rule does not hold: %v", m.NIter, v[len(v)-nc-1:])
	}
	if m.TrainScore[len(m.TrainScore)-1] <= m.TrainScore[0] {
		t.Errorf("training loss did not fall: %v → %v", m.TrainScore[0], m.TrainScore[len(m.TrainScore)-1])
	}
	// A tolerance no improvement can beat stops after exactly nc rounds.
	h := &ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{EarlyStopping: true, NIterNoChange: nc, Tol: new(1e9)}}
	if err := h.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if h.NIter != nc {
		t.Errorf("with Tol 1e9: %d rounds, want %d", h.NIter, nc)
	}
	if h.Tol == nil || *h.Tol != 1e9 || h.NEstimators != 0 {
		t.Errorf("Fit changed the options: %+v", h.BoostOptions)
	}
}

// TestSubsampleGrowsOnAFraction checks that each tree is grown on
// int(Subsample·n) rows, that a seed reproduces the fit, and that
// Subsample outside (0, 1] is refused.
func TestSubsampleGrowsOnAFraction(t *testing.T) {
	t.Parallel()
	x, y := dataset(t, "breast_cancer")
	o := ensemble.BoostOptions{NEstimators: 5, Subsample: 0.3, Seed: 9}
	a := &ensemble.BoostingClassifier{BoostOptions: o}
	if err := a.Fit(x, ints(y)); err != nil {
		t.Fatal(err)
	}
	want := int32(0.3 * float64(len(y)))
	for r, round := range a.Trees {
		if got := round[0].Samples[0]; got != want {
			t.Errorf("round %d grown on %d rows, want %d", r, got, want)
		}
	}
	b := &ensemble.BoostingClassifier{BoostOptions: o}
	_ = b.Fit(x, ints(y))
	pa, _ := a.PredictProba(x)
	pb, _ := b.PredictProba(x)
	for i := range pa {
		if pa[i][1] != pb[i][1] {
			t.Fatalf("same seed, row %d: %v vs %v", i, pa[i], pb[i])
		}
	}
	for _, bad := range []float64{-0.5, 1.5} {
		m := &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{Subsample: bad}}
		if err := m.Fit(x, ints(y)); err == nil || !strings.Contains(err.Error(), "Subsample") {
			t.Errorf("Subsample %v: %v", bad, err)
		}
	}
}

func TestEarlyStoppingNeedsValidationRows(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(4, 1, []float64{1, 2, 3, 4})
	m := &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{EarlyStopping: true}}
	err := m.Fit(x, []int{0, 0, 1, 1})
	if err == nil || !strings.Contains(err.Error(), "leaves 4 training and 0 validation rows") {
		t.Errorf("tiny stratified split: %v", err)
	}
}
