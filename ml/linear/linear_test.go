package linear_test

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/internal/mltest"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/preprocess"
)

// dataset loads ml/testdata/data/NAME.csv as X and the target column,
// standardizing X's columns when asked.
func dataset(t testing.TB, name string, standardize bool) (*mat.Dense, []float64) {
	t.Helper()
	f, y := mltest.Frame(t, name)
	if standardize {
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
	return x, y
}

var fixture = mltest.Fixture

type regressor interface {
	Fit(*mat.Dense, []float64) error
	Predict(*mat.Dense) ([]float64, error)
}

func TestRegressionAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct {
		Cases []struct {
			Dataset, Model string
			Params         struct {
				Alpha        *float64 `json:"alpha"`
				L1Ratio      *float64 `json:"l1_ratio"`
				FitIntercept *bool    `json:"fit_intercept"`
			}
			Coef      []float64
			Intercept float64
			Pred      []float64
		}
	}
	fixture(t, "linear.json", &fx)
	for _, c := range fx.Cases {
		t.Run(c.Dataset+"/"+c.Model, func(t *testing.T) {
			x, y := dataset(t, c.Dataset, false)
			noIntercept := c.Params.FitIntercept != nil && !*c.Params.FitIntercept
			var m regressor
			var get func() ([]float64, float64)
			tol := 1e-6
			switch {
			case c.Model == "ols":
				r := &linear.LinearRegression{}
				m, get = r, func() ([]float64, float64) { return r.Coef, r.Intercept }
			case strings.HasPrefix(c.Model, "ridge"):
				r := &linear.Ridge{Alpha: c.Params.Alpha, NoIntercept: noIntercept}
				m, get = r, func() ([]float64, float64) { return r.Coef, r.Intercept }
			case strings.HasPrefix(c.Model, "lasso"):
				r := &linear.Lasso{Alpha: c.Params.Alpha, Tol: new(1e-10), MaxIter: 100000}
				m, get, tol = r, func() ([]float64, float64) { return r.Coef, r.Intercept }, 1e-4
			case strings.HasPrefix(c.Model, "enet"):
				r := &linear.ElasticNet{Alpha: c.Params.Alpha, L1Ratio: c.Params.L1Ratio, Tol: new(1e-10), MaxIter: 100000}
				m, get, tol = r, func() ([]float64, float64) { return r.Coef, r.Intercept }, 1e-4
			default:
				t.Fatalf("unknown model %s", c.Model)
			}
			if err := m.Fit(x, y); err != nil {
				t.Fatal(err)
			}
			coef, b := get()
			scale := 0.0
			for _, w := range c.Coef {
				scale = math.Max(scale, math.Abs(w))
			}
			for j, w := range c.Coef {
				if math.Abs(coef[j]-w) > tol*math.Max(math.Abs(w), 1e-3*scale) {
					t.Errorf("coef[%d] = %.12g, scikit-learn %.12g", j, coef[j], w)
				}
			}
			if math.Abs(b-c.Intercept) > tol*math.Max(1, math.Abs(c.Intercept)) {
				t.Errorf("intercept = %.12g, scikit-learn %.12g", b, c.Intercept)
			}
			pred, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.Pred {
				if math.Abs(pred[i]-w) > tol*math.Max(1, math.Abs(w)) {
					t.Errorf("pred[%d] = %.12g, scikit-learn %.12g", i, pred[i], w)
				}
			}
		})
	}
}

func TestLogisticAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct {
		Cases []struct {
			Dataset   string
			C         float64
			Coef      [][]float64
			Intercept []float64
			Pred      []int
			Proba     [][]float64
		}
	}
	fixture(t, "logistic.json", &fx)
	for _, c := range fx.Cases {
		t.Run(c.Dataset, func(t *testing.T) {
			t.Parallel()
			x, yf := dataset(t, c.Dataset, true)
			y := make([]int, len(yf))
			for i, v := range yf {
				y[i] = int(v)
			}
			m := &linear.LogisticRegression{C: c.C, Tol: new(1e-8), MaxIter: 5000}
			if err := m.Fit(x, y); err != nil {
				t.Fatal(err)
			}
			pred, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			proba, err := m.PredictProba(x)
			if err != nil {
				t.Fatal(err)
			}
			agree, worst := 0, 0.0
			for i := range pred {
				if pred[i] == c.Pred[i] {
					agree++
				}
				for k := range proba[i] {
					worst = math.Max(worst, math.Abs(proba[i][k]-c.Proba[i][k]))
				}
			}
			if frac := float64(agree) / float64(len(pred)); frac < 0.99 {
				t.Errorf("predictions agree on %.4f of rows, want ≥ 0.99", frac)
			}
			if worst > 1e-3 {
				t.Errorf("largest probability difference %.3g, want ≤ 1e-3", worst)
			}
			t.Logf("%s: agreement %d/%d, max |Δp| %.2g, %d iterations", c.Dataset, agree, len(pred), worst, m.Iterations)
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"mismatched lengths", (&linear.LinearRegression{}).Fit(x, []float64{1, 2}), "X has 3 rows but y has 2 values"},
		{"NaN in X", (&linear.Ridge{}).Fit(mat.NewDense(2, 2, []float64{1, math.NaN(), 3, 4}), []float64{1, 2}), "X column 1, row 1: value NaN is not finite"},
		{"Inf in y", (&linear.Lasso{}).Fit(x, []float64{1, math.Inf(1), 2}), "y row 2: value +Inf is not finite"},
		{"empty", (&linear.ElasticNet{}).Fit(&mat.Dense{}, nil), "empty training set"},
		{"one class", (&linear.LogisticRegression{}).Fit(x, []int{1, 1, 1}), "y has only one class (1)"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	m := &linear.LinearRegression{}
	if _, err := m.Predict(x); err == nil || !strings.Contains(err.Error(), "not fitted") {
		t.Errorf("predict before fit: %v", err)
	}
	_ = m.Fit(x, []float64{1, 2, 4})
	if _, err := m.Predict(mat.NewDense(1, 3, nil)); err == nil || !strings.Contains(err.Error(), "fitted on 2") {
		t.Errorf("wrong width: %v", err)
	}
	if _, err := m.Predict(mat.NewDense(3, 2, []float64{1, 2, 3, 4, math.Inf(-1), 6})); err == nil || err.Error() != "X column 0, row 3: value -Inf is not finite (impute or drop it first)" {
		t.Errorf("Inf at predict: %v", err)
	}
	lr := &linear.LogisticRegression{}
	_ = lr.Fit(x, []int{0, 1, 1})
	if _, err := lr.PredictProba(mat.NewDense(2, 2, []float64{1, 2, math.NaN(), 4})); err == nil || !strings.Contains(err.Error(), "X column 0, row 2: value NaN") {
		t.Errorf("NaN at predict: %v", err)
	}
}

func TestCollinearOLSIsMinimumNorm(t *testing.T) {
	t.Parallel()
	// x2 = 2·x1: sklearn's lstsq gives the minimum-norm coefficients.
	x := mat.NewDense(4, 2, []float64{1, 2, 2, 4, 3, 6, 4, 8})
	y := []float64{5, 10, 15, 20}
	m := &linear.LinearRegression{}
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Coef[0]-1) > 1e-9 || math.Abs(m.Coef[1]-2) > 1e-9 || math.Abs(m.Intercept) > 1e-9 {
		t.Fatalf("coef %v intercept %v, want [1 2] 0", m.Coef, m.Intercept)
	}
}
