package inspection_test

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/inspection"
	"github.com/weirhq/weir/ml/internal/mltest"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/metrics"
	"github.com/weirhq/weir/ml/preprocess"
)

type permCase struct {
	Dataset      string
	Standardize  bool
	NRepeats     int `json:"n_repeats"`
	Permutations [][]int
	Mean, Std    []float64
	Raw          [][]float64
}

// TestPermutationAgainstSklearn reproduces sklearn.inspection.
// permutation_importance exactly, given the row orders scikit-learn drew,
// for a ridge regression (R²) and a logistic regression (accuracy).
func TestPermutationAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct{ Permutation []permCase }
	mltest.Fixture(t, "weights.json", &fx)
	if len(fx.Permutation) != 2 {
		t.Fatalf("%d permutation cases in weights.json, want 2", len(fx.Permutation))
	}
	for _, c := range fx.Permutation {
		f, y := mltest.Frame(t, c.Dataset)
		if c.Standardize {
			s := &preprocess.StandardScaler{}
			if err := s.Fit(f); err != nil {
				t.Fatal(err)
			}
			f, _ = s.Transform(f)
		}
		x, err := f.Matrix()
		if err != nil {
			t.Fatal(err)
		}
		o := inspection.Options{Permutations: c.Permutations}
		var imp *inspection.Importances
		tol := 1e-6
		if c.Dataset == "diabetes" {
			m := &linear.Ridge{}
			if err := m.Fit(x, y); err != nil {
				t.Fatal(err)
			}
			imp, err = inspection.Permutation(m.Predict, x, y, metrics.R2, o)
		} else {
			yi := make([]int, len(y))
			for i, v := range y {
				yi[i] = int(v)
			}
			m := &linear.LogisticRegression{MaxIter: 1000}
			if err := m.Fit(x, yi); err != nil {
				t.Fatal(err)
			}
			imp, err = inspection.Permutation(m.Predict, x, yi, metrics.Accuracy[int], o)
			tol = 1e-12 // accuracies are counts; one flipped prediction would show
		}
		if err != nil {
			t.Fatal(err)
		}
		for j := range c.Mean {
			if math.Abs(imp.Mean[j]-c.Mean[j]) > tol || math.Abs(imp.Std[j]-c.Std[j]) > tol {
				t.Errorf("%s feature %d: mean %.10g std %.10g, scikit-learn %.10g %.10g", c.Dataset, j, imp.Mean[j], imp.Std[j], c.Mean[j], c.Std[j])
			}
			for r := range c.Raw[j] {
				if math.Abs(imp.Raw[j][r]-c.Raw[j][r]) > tol {
					t.Errorf("%s feature %d repeat %d: %.10g, scikit-learn %.10g", c.Dataset, j, r, imp.Raw[j][r], c.Raw[j][r])
				}
			}
		}
	}
}

// TestPermutationSeeded checks that the seeded shuffles are reproducible,
// leave X untouched, and find the one informative feature.
func TestPermutationSeeded(t *testing.T) {
	t.Parallel()
	n := 200
	x := mat.NewDense(n, 3, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		a, b, c := float64(i%17), float64((i*7)%13), float64((i*5)%11)
		x.SetRow(i, []float64{a, b, c})
		y[i] = 3*b + 0.01*a
	}
	before := mat.DenseCopyOf(x)
	m := &linear.LinearRegression{}
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	a, err := inspection.Permutation(m.Predict, x, y, metrics.R2, inspection.Options{Seed: 7, NRepeats: 10})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := inspection.Permutation(m.Predict, x, y, metrics.R2, inspection.Options{Seed: 7, NRepeats: 10})
	if !mat.Equal(x, before) {
		t.Fatal("Permutation modified X")
	}
	for j := range a.Mean {
		if a.Mean[j] != b.Mean[j] {
			t.Fatalf("same seed, different importances: %v vs %v", a.Mean, b.Mean)
		}
	}
	if len(a.Raw[0]) != 10 || a.Baseline < 0.999 {
		t.Fatalf("repeats %d, baseline %v", len(a.Raw[0]), a.Baseline)
	}
	if !(a.Mean[1] > 1 && a.Mean[0] < 0.01 && math.Abs(a.Mean[2]) < 1e-9) {
		t.Errorf("importances %v: want feature 1 ≫ feature 0 > feature 2 = 0", a.Mean)
	}
	if _, err := inspection.Permutation(m.Predict, x, y, metrics.R2, inspection.Options{Permutations: [][]int{{0, 1}}}); err == nil || !strings.Contains(err.Error(), "Permutations[0]: has 2 entries, want 200") {
		t.Errorf("bad permutation: %v", err)
	}
}
