package linear_test

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/linear"
)

// TestZeroIsNotDefault checks that an explicit zero is honoured and that
// Fit leaves the options as the caller set them: Lasso{Alpha: new(0.0)}
// is least squares, Lasso{} is alpha 1 and stays nil.
func TestZeroIsNotDefault(t *testing.T) {
	t.Parallel()
	x, y := dataset(t, "diabetes", false)
	ols := &linear.LinearRegression{}
	if err := ols.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	zero := &linear.Lasso{Alpha: new(0.0), Tol: new(1e-12), MaxIter: 1000000}
	if err := zero.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if *zero.Alpha != 0 {
		t.Errorf("Fit changed Alpha to %v", *zero.Alpha)
	}
	for j := range ols.Coef {
		if d := math.Abs(zero.Coef[j] - ols.Coef[j]); d > 1e-3*math.Max(1, math.Abs(ols.Coef[j])) {
			t.Errorf("alpha 0 coef[%d] = %v, OLS %v", j, zero.Coef[j], ols.Coef[j])
		}
	}
	def := &linear.Lasso{}
	if err := def.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if def.Alpha != nil || def.Tol != nil {
		t.Errorf("Fit wrote defaults back: Alpha %v Tol %v", def.Alpha, def.Tol)
	}
	one := &linear.Lasso{Alpha: new(1.0)}
	if err := one.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	for j := range one.Coef {
		if one.Coef[j] != def.Coef[j] {
			t.Fatalf("nil Alpha is not alpha 1: coef[%d] %v vs %v", j, def.Coef[j], one.Coef[j])
		}
	}
	r := &linear.Ridge{Alpha: new(0.0)}
	if err := r.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	for j := range ols.Coef {
		if d := math.Abs(r.Coef[j] - ols.Coef[j]); d > 1e-6*math.Max(1, math.Abs(ols.Coef[j])) {
			t.Errorf("ridge alpha 0 coef[%d] = %v, OLS %v", j, r.Coef[j], ols.Coef[j])
		}
	}
	lr := &linear.LogisticRegression{}
	xc, yc := dataset(t, "iris", true)
	if err := lr.Fit(xc, labels(yc)); err != nil {
		t.Fatal(err)
	}
	if lr.C != 0 || lr.Tol != nil || lr.MaxIter != 0 {
		t.Errorf("Fit wrote defaults back: C %v Tol %v MaxIter %v", lr.C, lr.Tol, lr.MaxIter)
	}
}

func labels(y []float64) []int {
	out := make([]int, len(y))
	for i, v := range y {
		out[i] = int(v)
	}
	return out
}

// TestBadHyperparameters checks that NaN and out-of-range options are
// refused with the field and rule named, before any fitting.
func TestBadHyperparameters(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(4, 2, []float64{1, 2, 3, 4, 5, 7, 8, 8})
	y := []float64{1, 2, 3, 5}
	yc := []int{0, 1, 0, 1}
	nan := math.NaN()
	for _, tc := range []struct {
		name, field, msg string
		err              error
	}{
		{"ridge NaN alpha", "Alpha", "linear.Ridge: Alpha is NaN; it must be a finite number ≥ 0", (&linear.Ridge{Alpha: &nan}).Fit(x, y)},
		{"ridge negative alpha", "Alpha", "linear.Ridge: Alpha is -1; it must be a finite number ≥ 0", (&linear.Ridge{Alpha: new(-1.0)}).Fit(x, y)},
		{"lasso Inf alpha", "Alpha", "linear.Lasso: Alpha is +Inf; it must be a finite number ≥ 0", (&linear.Lasso{Alpha: new(math.Inf(1))}).Fit(x, y)},
		{"enet l1 ratio", "L1Ratio", "linear.ElasticNet: L1Ratio is 1.5; it must be a number in [0, 1]", (&linear.ElasticNet{L1Ratio: new(1.5)}).Fit(x, y)},
		{"enet NaN tol", "Tol", "linear.ElasticNet: Tol is NaN; it must be a finite number ≥ 0", (&linear.ElasticNet{Tol: &nan}).Fit(x, y)},
		{"enet max iter", "MaxIter", "linear.ElasticNet: MaxIter is -3; it must be an integer ≥ 1 (or 0 for the default)", (&linear.ElasticNet{MaxIter: -3}).Fit(x, y)},
		{"logistic NaN C", "C", "linear.LogisticRegression: C is NaN; it must be a finite number > 0", (&linear.LogisticRegression{C: nan}).Fit(x, yc)},
		{"logistic negative C", "C", "linear.LogisticRegression: C is -2; it must be a finite number > 0", (&linear.LogisticRegression{C: -2}).Fit(x, yc)},
		{"logistic tol", "Tol", "linear.LogisticRegression: Tol is -1; it must be a finite number ≥ 0", (&linear.LogisticRegression{Tol: new(-1.0)}).Fit(x, yc)},
	} {
		var pe *ml.ParamError
		if !errors.As(tc.err, &pe) || pe.Field != tc.field || tc.err.Error() != tc.msg {
			t.Errorf("%s: err = %v, want ParamError on %s: %q", tc.name, tc.err, tc.field, tc.msg)
		}
	}
}

// TestLogisticConvergence compares the converged flag with whether
// scikit-learn raised a ConvergenceWarning for the same data and
// max_iter.
func TestLogisticConvergence(t *testing.T) {
	t.Parallel()
	var fx struct {
		Convergence []struct {
			Dataset     string
			Standardize bool
			MaxIter     int  `json:"max_iter"`
			NIter       int  `json:"n_iter"`
			Converged   bool `json:"converged"`
		}
	}
	fixture(t, "logistic.json", &fx)
	if len(fx.Convergence) == 0 {
		t.Fatal("no convergence cases in logistic.json")
	}
	for _, c := range fx.Convergence {
		x, y := dataset(t, c.Dataset, c.Standardize)
		m := &linear.LogisticRegression{MaxIter: c.MaxIter}
		if err := m.Fit(x, labels(y)); err != nil {
			t.Fatal(err)
		}
		if m.Converged != c.Converged {
			t.Errorf("%s (standardize %v, max_iter %d): converged %v after %d iterations; scikit-learn %v after %d",
				c.Dataset, c.Standardize, c.MaxIter, m.Converged, m.Iterations, c.Converged, c.NIter)
		}
		if m.Iterations > c.MaxIter {
			t.Errorf("%s: %d iterations exceed MaxIter %d", c.Dataset, m.Iterations, c.MaxIter)
		}
		if (m.Warning == "") != m.Converged {
			t.Errorf("%s: converged %v but warning %q", c.Dataset, m.Converged, m.Warning)
		}
		t.Logf("%s: %d iterations (scikit-learn %d), converged %v, warning %q", c.Dataset, m.Iterations, c.NIter, m.Converged, m.Warning)
	}
}
