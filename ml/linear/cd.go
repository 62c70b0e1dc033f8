package linear

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/internal/check"
)

// ElasticNet is least squares with combined L1 and L2 penalties, fitted by
// cyclic coordinate descent with scikit-learn's duality-gap stopping rule
// (scikit-learn's ElasticNet).
type ElasticNet struct {
	// Alpha is the overall penalty strength, a finite number ≥ 0; nil
	// means 1. 0 is no penalty (scikit-learn advises LinearRegression
	// then). Set it with new(0.1).
	Alpha *float64 `json:"alpha,omitempty"`
	// L1Ratio is the share of the L1 penalty, in [0, 1]; nil means 0.5.
	// 0 is a pure L2 penalty, 1 the lasso.
	L1Ratio *float64 `json:"l1_ratio,omitempty"`
	// NoIntercept fits no intercept.
	NoIntercept bool `json:"no_intercept,omitempty"`
	// Tol stops when the duality gap falls below Tol·||y-ȳ||², a finite
	// number ≥ 0; nil means 1e-4. 0 runs all MaxIter passes unless the
	// gap reaches exactly 0.
	Tol *float64 `json:"tol,omitempty"`
	// MaxIter is the maximum number of passes over the coefficients; 0
	// means 1000.
	MaxIter int `json:"max_iter,omitempty"`
	// Coef are the fitted coefficients.
	Coef []float64 `json:"coef"`
	// Intercept is the fitted intercept.
	Intercept float64 `json:"intercept"`
	// Iterations is the number of passes the fit took.
	Iterations int `json:"iterations"`
	// Converged reports whether the duality gap reached Tol.
	Converged bool `json:"converged"`
}

// Lasso is ElasticNet with L1Ratio 1 (scikit-learn's Lasso).
type Lasso struct {
	// Alpha is the L1 penalty strength, a finite number ≥ 0; nil means
	// 1. 0 is no penalty. Set it with new(0.1).
	Alpha *float64 `json:"alpha,omitempty"`
	// NoIntercept fits no intercept.
	NoIntercept bool `json:"no_intercept,omitempty"`
	// Tol is as for ElasticNet; nil means 1e-4.
	Tol *float64 `json:"tol,omitempty"`
	// MaxIter is as for ElasticNet; 0 means 1000.
	MaxIter int `json:"max_iter,omitempty"`
	// Coef are the fitted coefficients.
	Coef []float64 `json:"coef"`
	// Intercept is the fitted intercept.
	Intercept float64 `json:"intercept"`
	// Iterations is the number of passes the fit took.
	Iterations int `json:"iterations"`
	// Converged reports whether the duality gap reached Tol.
	Converged bool `json:"converged"`
}

// Fit fits the model to X and y.
func (m *Lasso) Fit(x *mat.Dense, y []float64) error {
	return m.FitWeighted(x, y, nil)
}

// FitWeighted fits the model with a weight per row (nil means 1 each),
// scikit-learn's fit(X, y, sample_weight): the weights are rescaled to sum
// to the number of rows and weight each row's squared error.
func (m *Lasso) FitWeighted(x *mat.Dense, y, w []float64) error {
	e := ElasticNet{Alpha: m.Alpha, L1Ratio: new(1.0), NoIntercept: m.NoIntercept, Tol: m.Tol, MaxIter: m.MaxIter}
	if err := e.fit("linear.Lasso", x, y, w); err != nil {
		return err
	}
	m.Coef, m.Intercept, m.Iterations, m.Converged = e.Coef, e.Intercept, e.Iterations, e.Converged
	return nil
}

// Predict returns X·Coef + Intercept.
func (m *Lasso) Predict(x *mat.Dense) ([]float64, error) {
	return predictLinear(x, m.Coef, m.Intercept)
}

// Predict returns X·Coef + Intercept.
func (m *ElasticNet) Predict(x *mat.Dense) ([]float64, error) {
	return predictLinear(x, m.Coef, m.Intercept)
}

// Fit fits the model to X and y.
func (m *ElasticNet) Fit(x *mat.Dense, y []float64) error {
	return m.fit("linear.ElasticNet", x, y, nil)
}

// FitWeighted fits the model with a weight per row (nil means 1 each),
// scikit-learn's fit(X, y, sample_weight): the weights are rescaled to sum
// to the number of rows and weight each row's squared error.
func (m *ElasticNet) FitWeighted(x *mat.Dense, y, w []float64) error {
	return m.fit("linear.ElasticNet", x, y, w)
}

func (m *ElasticNet) fit(est string, x *mat.Dense, y, w []float64) error {
	alpha, l1Ratio, tol, maxIter := check.Or(m.Alpha, 1), check.Or(m.L1Ratio, 0.5), check.Or(m.Tol, 1e-4), m.MaxIter
	if maxIter == 0 {
		maxIter = 1000
	}
	if err := check.First(
		check.NonNegative(est, "Alpha", alpha),
		check.Unit(est, "L1Ratio", l1Ratio),
		check.NonNegative(est, "Tol", tol),
		check.IntAtLeast(est, "MaxIter", m.MaxIter, 1, true),
	); err != nil {
		return err
	}
	if err := check.XY(x, y); err != nil {
		return err
	}
	n, p := x.Dims()
	if err := check.Weights(w, n); err != nil {
		return err
	}
	mu, ymu := make([]float64, p), 0.0
	// interceptMu and interceptY are the means the intercept is computed
	// from; with weights, X and y are replaced by their weighted, centred
	// and √w-scaled copies (weights rescaled to sum to n).
	interceptMu, interceptY := mu, ymu
	if w != nil {
		var sum float64
		for _, v := range w {
			sum += v
		}
		ws := make([]float64, n)
		for i, v := range w {
			ws[i] = v * float64(n) / sum
		}
		x, y, interceptMu, interceptY = weightedCentre(x, y, ws, m.NoIntercept)
	} else if !m.NoIntercept {
		mu, ymu = columnMeans(x, y)
		interceptMu, interceptY = mu, ymu
	}
	// Column-major centred copy of X, and the centred target.
	raw := x.RawMatrix()
	cols := make([][]float64, p)
	norms := make([]float64, p)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+p]
		for j, v := range row {
			cols[j][i] = v - mu[j]
		}
	}
	for j, c := range cols {
		norms[j] = dot(c, c)
	}
	yc := make([]float64, n)
	for i, v := range y {
		yc[i] = v - ymu
	}
	resid := append([]float64(nil), yc...)
	coef := make([]float64, p)
	l1 := alpha * l1Ratio * float64(n)
	l2 := alpha * (1 - l1Ratio) * float64(n)
	dwTol := tol
	tol *= dot(yc, yc)
	m.Converged = false
	var iter int
	for iter = 1; iter <= maxIter; iter++ {
		var wMax, dwMax float64
		for j := 0; j < p; j++ {
			if norms[j] == 0 {
				continue
			}
			old := coef[j]
			rho := dot(cols[j], resid) + old*norms[j]
			nw := math.Copysign(math.Max(math.Abs(rho)-l1, 0), rho) / (norms[j] + l2)
			if d := nw - old; d != 0 {
				axpy(-d, cols[j], resid)
				coef[j] = nw
			}
			dwMax = math.Max(dwMax, math.Abs(nw-old))
			wMax = math.Max(wMax, math.Abs(nw))
		}
		if wMax == 0 || dwMax/wMax < dwTol || iter == maxIter {
			if gap := dualityGap(cols, resid, yc, coef, l1, l2); gap < tol {
				m.Converged = true
				break
			}
		}
	}
	m.Iterations = min(iter, maxIter)
	m.Coef = coef
	m.Intercept = interceptY
	for j, c := range coef {
		m.Intercept -= interceptMu[j] * c
	}
	return nil
}

// dualityGap is scikit-learn's enet_coordinate_descent gap.
func dualityGap(cols [][]float64, resid, y, w []float64, l1, l2 float64) float64 {
	var dualNorm float64
	for j, c := range cols {
		v := math.Abs(dot(c, resid) - l2*w[j])
		dualNorm = math.Max(dualNorm, v)
	}
	rNorm2 := dot(resid, resid)
	wNorm2 := dot(w, w)
	var konst, gap float64
	if dualNorm > l1 {
		konst = l1 / dualNorm
		gap = 0.5 * (rNorm2 + rNorm2*konst*konst)
	} else {
		konst = 1
		gap = rNorm2
	}
	var l1Norm float64
	for _, v := range w {
		l1Norm += math.Abs(v)
	}
	gap += l1*l1Norm - konst*dot(resid, y) + 0.5*l2*(1+konst*konst)*wNorm2
	return gap
}

// dot and axpy use gonum's assembly kernels.
func dot(a, b []float64) float64 { return floats.Dot(a, b[:len(a)]) }

func axpy(alpha float64, x, y []float64) { floats.AddScaled(y[:len(x)], alpha, x) }
