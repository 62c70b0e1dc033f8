package linear

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/internal/check"
)

// LogisticRegression is L2-penalised logistic regression fitted by L-BFGS,
// scikit-learn's LogisticRegression(solver="lbfgs"): binomial for two
// classes, multinomial (softmax over all classes) for more.
type LogisticRegression struct {
	// C is the inverse of the penalty strength, a finite number > 0; 0
	// means scikit-learn's default, 1 (C = 0 itself, an infinite penalty,
	// is not a model).
	C float64 `json:"c"`
	// NoIntercept fits no intercept.
	NoIntercept bool `json:"no_intercept,omitempty"`
	// Tol stops when the largest gradient component falls below it, a
	// finite number ≥ 0; nil means 1e-4. 0 stops only at MaxIter or when
	// the objective stops decreasing.
	Tol *float64 `json:"tol,omitempty"`
	// MaxIter is the maximum number of L-BFGS iterations, ≥ 1; 0 means
	// 100.
	MaxIter int `json:"max_iter,omitempty"`
	// ClassWeight weights each class's rows in the loss (nil: all 1;
	// ml.Balanced(): scikit-learn's class_weight="balanced").
	ClassWeight *ml.ClassWeight `json:"class_weight,omitempty"`
	// Classes are the sorted class labels seen in training.
	Classes []int `json:"classes"`
	// Coef has one row of coefficients per class (a single row, for the
	// greater class, when there are two classes).
	Coef [][]float64 `json:"coef"`
	// Intercept has one entry per row of Coef.
	Intercept []float64 `json:"intercept"`
	// Iterations is the number of L-BFGS iterations the fit took.
	Iterations int `json:"iterations"`
	// Converged reports whether L-BFGS stopped because the gradient fell
	// below Tol or the objective stopped decreasing, rather than at
	// MaxIter.
	Converged bool `json:"converged"`
	// Warning is empty after a converged fit; otherwise it says why the
	// fit stopped and what to change (scikit-learn's ConvergenceWarning).
	// The model is still usable.
	Warning string `json:"warning,omitempty"`
}

// Fit fits the model to X and the class labels y.
func (m *LogisticRegression) Fit(x *mat.Dense, y []int) error { return m.FitWeighted(x, y, nil) }

// FitWeighted fits the model with a weight per row (nil means 1 each),
// multiplied by ClassWeight: each row's log-loss counts wᵢ times, as in
// scikit-learn's fit(X, y, sample_weight).
func (m *LogisticRegression) FitWeighted(x *mat.Dense, y []int, w []float64) error {
	c, tol, maxIter := m.C, check.Or(m.Tol, 1e-4), m.MaxIter
	if c == 0 {
		c = 1
	}
	if maxIter == 0 {
		maxIter = 100
	}
	const est = "linear.LogisticRegression"
	if err := check.First(
		check.Positive(est, "C", c),
		check.NonNegative(est, "Tol", tol),
		check.IntAtLeast(est, "MaxIter", m.MaxIter, 1, true),
	); err != nil {
		return err
	}
	classes, yi, err := check.Classes(x, y)
	if err != nil {
		return err
	}
	n, p := x.Dims()
	if err := check.Weights(w, n); err != nil {
		return err
	}
	var cw []float64
	if m.ClassWeight != nil {
		if cw, err = m.ClassWeight.PerClass(classes, yi); err != nil {
			return fmt.Errorf("linear.LogisticRegression: %w", err)
		}
	}
	w = check.RowWeights(w, cw, yi)
	k := len(classes)
	rows := k
	if k == 2 {
		rows = 1
	}
	obj := &logLoss{x: x, y: yi, rows: rows, p: p, intercept: !m.NoIntercept, l2: 1 / c, w: w}
	dim := rows * (p + 1)
	// The line search asks for the value and then the gradient at the
	// same point; computing both in one pass over the data and caching
	// the gradient halves the work.
	var cacheW, cacheG []float64
	problem := optimize.Problem{
		Func: func(w []float64) float64 {
			if cacheG == nil {
				cacheG = make([]float64, len(w))
			}
			f, _ := obj.eval(w, cacheG)
			cacheW = append(cacheW[:0], w...)
			return f
		},
		Grad: func(g, w []float64) {
			if cacheW != nil && slices.Equal(cacheW, w) {
				copy(g, cacheG)
				return
			}
			obj.eval(w, g)
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: tol,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 0, Relative: 2.220446049250313e-09, Iterations: 1},
	}
	res, err := optimize.Minimize(problem, make([]float64, dim), settings, &optimize.LBFGS{Store: 10})
	if err != nil && res == nil {
		return fmt.Errorf("logistic regression: %w", err)
	}
	m.Classes = classes
	m.Coef = make([][]float64, rows)
	m.Intercept = make([]float64, rows)
	for r := 0; r < rows; r++ {
		m.Coef[r] = append([]float64(nil), res.X[r*(p+1):r*(p+1)+p]...)
		m.Intercept[r] = res.X[r*(p+1)+p]
	}
	m.Iterations = res.Stats.MajorIterations
	switch res.Status {
	case optimize.GradientThreshold, optimize.FunctionConvergence:
		m.Converged, m.Warning = true, ""
	case optimize.IterationLimit:
		m.Converged = false
		m.Warning = fmt.Sprintf("lbfgs did not converge in %d iterations (MaxIter); increase MaxIter or scale the data (preprocess.StandardScaler)", maxIter)
	default:
		m.Converged = false
		m.Warning = fmt.Sprintf("lbfgs stopped after %d iterations without converging: %v; scale the data or raise C's penalty (lower C)", m.Iterations, res.Status)
	}
	return nil
}

// logLoss is the penalised negative log-likelihood and its gradient.
type logLoss struct {
	x         *mat.Dense
	y         []int
	rows, p   int
	intercept bool
	l2        float64
	w         []float64 // row weights, nil for all 1
}

// eval returns the objective at w and, when grad is non-nil, stores the
// gradient in it. Rows are processed in fixed blocks in parallel and the
// partial sums are added in block order, so the result is deterministic.
func (o *logLoss) eval(w, grad []float64) (float64, []float64) {
	n, p := o.x.Dims()
	raw := o.x.RawMatrix()
	rows := o.rows
	stride := p + 1
	nb := (n + blockRows - 1) / blockRows
	losses := make([]float64, nb)
	var grads [][]float64
	if grad != nil {
		grads = make([][]float64, nb)
	}
	forBlocks(n, func(b, lo, hi int) {
		var g []float64
		if grad != nil {
			g = make([]float64, len(w))
		}
		z := make([]float64, rows)
		var loss float64
		for i := lo; i < hi; i++ {
			xi := raw.Data[i*raw.Stride : i*raw.Stride+p]
			for r := 0; r < rows; r++ {
				wr := w[r*stride : r*stride+p]
				s := 0.0
				if o.intercept {
					s = w[r*stride+p]
				}
				z[r] = s + dot(xi, wr)
			}
			if rows == 1 {
				// Binomial: loss = log(1+e^z) - y z.
				zz := z[0]
				yv := float64(o.y[i])
				if o.w == nil {
					loss += softplus(zz) - yv*zz
				} else {
					loss += o.w[i] * (softplus(zz) - yv*zz)
				}
				if g != nil {
					d := sigmoid(zz) - yv
					if o.w != nil {
						d *= o.w[i]
					}
					axpy(d, xi, g[:p])
					g[p] += d
				}
				continue
			}
			zmax := z[0]
			for _, v := range z[1:] {
				zmax = max(zmax, v)
			}
			var sum float64
			for r := range z {
				z[r] = math.Exp(z[r] - zmax)
				sum += z[r]
			}
			// loss = logsumexp - z_y
			wi := 1.0
			if o.w != nil {
				wi = o.w[i]
			}
			loss += wi * (math.Log(sum) + zmax - (math.Log(z[o.y[i]]) + zmax))
			if g != nil {
				for r := 0; r < rows; r++ {
					d := z[r] / sum
					if r == o.y[i] {
						d--
					}
					d *= wi
					axpy(d, xi, g[r*stride:r*stride+p])
					g[r*stride+p] += d
				}
			}
		}
		losses[b] = loss
		if g != nil {
			grads[b] = g
		}
	})
	var f float64
	for _, l := range losses {
		f += l
	}
	if grad != nil {
		for k := range grad {
			grad[k] = 0
		}
		for _, g := range grads {
			for k, v := range g {
				grad[k] += v
			}
		}
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < p; j++ {
			v := w[r*stride+j]
			f += 0.5 * o.l2 * v * v
			if grad != nil {
				grad[r*stride+j] += o.l2 * v
			}
		}
		if !o.intercept && grad != nil {
			grad[r*stride+p] = 0
		}
	}
	return f, grad
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// DecisionFunction returns the linear scores: one column for two classes
// (the score of the greater class), else one column per class.
func (m *LogisticRegression) DecisionFunction(x *mat.Dense) ([][]float64, error) {
	if len(m.Coef) == 0 {
		return nil, check.Features(x, 0)
	}
	if err := check.Shape(x, len(m.Coef[0])); err != nil {
		return nil, err
	}
	n, p := x.Dims()
	raw := x.RawMatrix()
	k := len(m.Coef)
	flat := make([]float64, n*k)
	out := make([][]float64, n)
	nb := (n + blockRows - 1) / blockRows
	bad := make([]bool, nb)
	forBlocks(n, func(b, lo, hi int) {
		var acc float64
		for i := lo; i < hi; i++ {
			xi := raw.Data[i*raw.Stride : i*raw.Stride+p]
			z := flat[i*k : i*k+k : i*k+k]
			for r, w := range m.Coef {
				z[r] = m.Intercept[r] + dot(xi, w)
				acc += z[r] * 0
			}
			out[i] = z
		}
		bad[b] = acc != 0
	})
	// Only rows whose scores are not finite can hold a bad value.
	if err := check.Finite(x, n, func(i int) bool {
		if !bad[i/blockRows] {
			return false
		}
		for _, v := range out[i] {
			if !isFinite(v) {
				return true
			}
		}
		return false
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// PredictProba returns, for each row, the probability of each class in
// the order of Classes.
func (m *LogisticRegression) PredictProba(x *mat.Dense) ([][]float64, error) {
	z, err := m.DecisionFunction(x)
	if err != nil {
		return nil, err
	}
	for i, zi := range z {
		if len(zi) == 1 {
			p := sigmoid(zi[0])
			z[i] = []float64{1 - p, p}
			continue
		}
		zmax := zi[0]
		for _, v := range zi[1:] {
			zmax = max(zmax, v)
		}
		var sum float64
		for r := range zi {
			zi[r] = math.Exp(zi[r] - zmax)
			sum += zi[r]
		}
		for r := range zi {
			zi[r] /= sum
		}
	}
	return z, nil
}

// Predict returns the most probable class of each row.
func (m *LogisticRegression) Predict(x *mat.Dense) ([]int, error) {
	z, err := m.DecisionFunction(x)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(z))
	for i, zi := range z {
		if len(zi) == 1 {
			if zi[0] > 0 {
				out[i] = m.Classes[1]
			} else {
				out[i] = m.Classes[0]
			}
			continue
		}
		best := 0
		for r, v := range zi {
			if v > zi[best] {
				best = r
			}
		}
		out[i] = m.Classes[best]
	}
	return out, nil
}
