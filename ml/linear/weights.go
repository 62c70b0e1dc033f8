package linear

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// weightedCentre returns √w·(X - μ) and √w·(y - ȳ), μ and ȳ the
// w-weighted means (zero without an intercept), and those means: least
// squares on the result is weighted least squares on X and y, scikit-
// learn's _rescale_data.
func weightedCentre(x *mat.Dense, y, w []float64, noIntercept bool) (*mat.Dense, []float64, []float64, float64) {
	n, p := x.Dims()
	raw := x.RawMatrix()
	mu := make([]float64, p)
	var ymu float64
	if !noIntercept {
		var sw float64
		for i := 0; i < n; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+p]
			for j, v := range row {
				mu[j] += w[i] * v
			}
			ymu += w[i] * y[i]
			sw += w[i]
		}
		for j := range mu {
			mu[j] /= sw
		}
		ymu /= sw
	}
	out := mat.NewDense(n, p, nil)
	data := out.RawMatrix().Data
	ys := make([]float64, n)
	for i := 0; i < n; i++ {
		s := math.Sqrt(w[i])
		row := raw.Data[i*raw.Stride : i*raw.Stride+p]
		dst := data[i*p : i*p+p]
		for j, v := range row {
			dst[j] = s * (v - mu[j])
		}
		ys[i] = s * (y[i] - ymu)
	}
	return out, ys, mu, ymu
}
