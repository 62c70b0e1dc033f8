package linear

import (
	"math"
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/internal/check"
)

func maxWorkers() int { return runtime.GOMAXPROCS(0) }

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// LinearRegression is ordinary least squares, scikit-learn's
// LinearRegression. With collinear features it returns the minimum-norm
// solution.
type LinearRegression struct {
	// NoIntercept fits no intercept (scikit-learn's fit_intercept=False).
	NoIntercept bool `json:"no_intercept,omitempty"`
	// Coef are the fitted coefficients, one per column of X.
	Coef []float64 `json:"coef"`
	// Intercept is the fitted intercept (0 with NoIntercept).
	Intercept float64 `json:"intercept"`
}

// Fit fits the model to X and y.
func (m *LinearRegression) Fit(x *mat.Dense, y []float64) error { return m.FitWeighted(x, y, nil) }

// FitWeighted fits the model to X and y with a weight per row (nil means
// 1 each), minimising Σ wᵢ·(yᵢ - xᵢ·w - b)², scikit-learn's
// fit(X, y, sample_weight).
func (m *LinearRegression) FitWeighted(x *mat.Dense, y, w []float64) error {
	coef, b, err := fitLeastSquares(x, y, w, 0, m.NoIntercept)
	if err != nil {
		return err
	}
	m.Coef, m.Intercept = coef, b
	return nil
}

// Predict returns X·Coef + Intercept.
func (m *LinearRegression) Predict(x *mat.Dense) ([]float64, error) {
	return predictLinear(x, m.Coef, m.Intercept)
}

// Ridge is least squares with an L2 penalty, scikit-learn's Ridge with the
// Cholesky solver.
type Ridge struct {
	// Alpha is the penalty strength, a finite number ≥ 0; nil means
	// scikit-learn's default, 1. 0 is no penalty (ordinary least squares,
	// minimum-norm with collinear features). Set it with new(0.5).
	Alpha *float64 `json:"alpha,omitempty"`
	// NoIntercept fits no intercept.
	NoIntercept bool `json:"no_intercept,omitempty"`
	// Coef are the fitted coefficients.
	Coef []float64 `json:"coef"`
	// Intercept is the fitted intercept.
	Intercept float64 `json:"intercept"`
}

// Fit fits the model to X and y.
func (m *Ridge) Fit(x *mat.Dense, y []float64) error { return m.FitWeighted(x, y, nil) }

// FitWeighted fits the model to X and y with a weight per row (nil means
// 1 each), minimising Σ wᵢ·(yᵢ - xᵢ·w - b)² + Alpha·||w||², scikit-learn's
// fit(X, y, sample_weight).
func (m *Ridge) FitWeighted(x *mat.Dense, y, w []float64) error {
	alpha := check.Or(m.Alpha, 1)
	if err := check.NonNegative("linear.Ridge", "Alpha", alpha); err != nil {
		return err
	}
	coef, b, err := fitLeastSquares(x, y, w, alpha, m.NoIntercept)
	if err != nil {
		return err
	}
	m.Coef, m.Intercept = coef, b
	return nil
}

// Predict returns X·Coef + Intercept.
func (m *Ridge) Predict(x *mat.Dense) ([]float64, error) {
	return predictLinear(x, m.Coef, m.Intercept)
}

func fitLeastSquares(x *mat.Dense, y, w []float64, alpha float64, noIntercept bool) ([]float64, float64, error) {
	if err := check.XY(x, y); err != nil {
		return nil, 0, err
	}
	n, p := x.Dims()
	if err := check.Weights(w, n); err != nil {
		return nil, 0, err
	}
	if w != nil {
		xs, ys, mu, ymu := weightedCentre(x, y, w, noIntercept)
		coef, _, _ := fitLeastSquares(xs, ys, nil, alpha, true)
		b := ymu
		for j, c := range coef {
			b -= mu[j] * c
		}
		return coef, b, nil
	}
	mu, ymu := make([]float64, p), 0.0
	if !noIntercept {
		mu, ymu = columnMeans(x, y)
	}
	g, xy := centredGram(x, mu, y, ymu)
	coef := solveSym(g, alpha, xy)
	b := ymu
	for j, c := range coef {
		b -= mu[j] * c
	}
	return coef, b, nil
}

func predictLinear(x *mat.Dense, coef []float64, intercept float64) ([]float64, error) {
	if err := check.Shape(x, len(coef)); err != nil {
		return nil, err
	}
	n, p := x.Dims()
	raw := x.RawMatrix()
	out := make([]float64, n)
	// A NaN or infinite input makes its output non-finite, so only those
	// rows are scanned for bad values.
	nb := (n + blockRows - 1) / blockRows
	bad := make([]bool, nb)
	forBlocks(n, func(b, lo, hi int) {
		// out = X·coef + intercept through gonum's assembly GEMV.
		dst := out[lo:hi]
		for i := range dst {
			dst[i] = intercept
		}
		blk := blas64.General{Rows: hi - lo, Cols: p, Stride: raw.Stride, Data: raw.Data[lo*raw.Stride : (hi-1)*raw.Stride+p]}
		blas64.Gemv(blas.NoTrans, 1, blk, blas64.Vector{N: p, Inc: 1, Data: coef}, 1, blas64.Vector{N: hi - lo, Inc: 1, Data: dst})
		var acc float64
		for _, s := range dst {
			acc += s * 0
		}
		bad[b] = acc != 0
	})
	if err := check.Finite(x, n, func(i int) bool { return bad[i/blockRows] && !isFinite(out[i]) }); err != nil {
		return nil, err
	}
	return out, nil
}
