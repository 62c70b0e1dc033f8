package linear_test

import (
	"math"
	"testing"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/linear"
)

func TestSampleWeightsAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct {
		Linear struct {
			Dataset string
			Weights []float64
			Cases   []struct {
				Model     string
				Coef      []float64
				Intercept float64
			}
		}
		Logistic []struct {
			Dataset     string
			ClassWeight *ml.ClassWeight `json:"class_weight"`
			Weights     []float64
			Coef        [][]float64
			Intercept   []float64
		}
	}
	fixture(t, "weights.json", &fx)
	x, y := dataset(t, fx.Linear.Dataset, false)
	w := fx.Linear.Weights
	for _, c := range fx.Linear.Cases {
		var coef []float64
		var b float64
		tol := 1e-6
		switch c.Model {
		case "ols":
			m := &linear.LinearRegression{}
			if err := m.FitWeighted(x, y, w); err != nil {
				t.Fatal(err)
			}
			coef, b = m.Coef, m.Intercept
		case "ridge":
			m := &linear.Ridge{}
			if err := m.FitWeighted(x, y, w); err != nil {
				t.Fatal(err)
			}
			coef, b = m.Coef, m.Intercept
		case "lasso":
			m := &linear.Lasso{Alpha: new(0.1), Tol: new(1e-10), MaxIter: 100000}
			if err := m.FitWeighted(x, y, w); err != nil {
				t.Fatal(err)
			}
			coef, b, tol = m.Coef, m.Intercept, 1e-4
		case "enet":
			m := &linear.ElasticNet{Alpha: new(0.1), L1Ratio: new(0.5), Tol: new(1e-10), MaxIter: 100000}
			if err := m.FitWeighted(x, y, w); err != nil {
				t.Fatal(err)
			}
			coef, b, tol = m.Coef, m.Intercept, 1e-4
		default:
			t.Fatalf("unknown model %q", c.Model)
		}
		scale := 0.0
		for _, v := range c.Coef {
			scale = math.Max(scale, math.Abs(v))
		}
		for j, v := range c.Coef {
			if math.Abs(coef[j]-v) > tol*math.Max(math.Abs(v), 1e-3*scale) {
				t.Errorf("%s: coef[%d] = %.10g, scikit-learn %.10g", c.Model, j, coef[j], v)
			}
		}
		if math.Abs(b-c.Intercept) > tol*math.Max(1, math.Abs(c.Intercept)) {
			t.Errorf("%s: intercept %.10g, scikit-learn %.10g", c.Model, b, c.Intercept)
		}
	}
	for _, c := range fx.Logistic {
		x, y := dataset(t, c.Dataset, true)
		m := &linear.LogisticRegression{Tol: new(1e-8), MaxIter: 5000, ClassWeight: c.ClassWeight}
		if err := m.FitWeighted(x, labels(y), c.Weights); err != nil {
			t.Fatal(err)
		}
		if c.ClassWeight == nil {
			t.Fatalf("%s: fixture has no class weight", c.Dataset)
		}
		var worst float64
		for r := range c.Coef {
			for j, v := range c.Coef[r] {
				worst = math.Max(worst, math.Abs(m.Coef[r][j]-v)/math.Max(1, math.Abs(v)))
			}
			worst = math.Max(worst, math.Abs(m.Intercept[r]-c.Intercept[r])/math.Max(1, math.Abs(c.Intercept[r])))
		}
		t.Logf("%s (class weight %+v, sample weights %v): largest relative coefficient difference %.2g", c.Dataset, *c.ClassWeight, c.Weights != nil, worst)
		if worst > 1e-3 {
			t.Errorf("%s: coefficients %v, scikit-learn %v", c.Dataset, m.Coef, c.Coef)
		}
	}
}
