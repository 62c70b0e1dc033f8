package linear

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// blockRows is the number of rows per block of the parallel reductions. It
// is fixed (not derived from the core count) so that results do not depend
// on the machine.
const blockRows = 4096

// forBlocks calls fn for each block [lo, hi) of n rows, on up to
// GOMAXPROCS goroutines, each block exactly once.
func forBlocks(n int, fn func(block, lo, hi int)) int {
	nb := (n + blockRows - 1) / blockRows
	workers := min(nb, maxWorkers())
	var wg sync.WaitGroup
	next := make(chan int, nb)
	for b := 0; b < nb; b++ {
		next <- b
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				fn(b, b*blockRows, min(n, (b+1)*blockRows))
			}
		}()
	}
	wg.Wait()
	return nb
}

// columnMeans returns the mean of each column of x and of y.
func columnMeans(x *mat.Dense, y []float64) ([]float64, float64) {
	n, p := x.Dims()
	raw := x.RawMatrix()
	nb := (n + blockRows - 1) / blockRows
	partial := make([][]float64, nb)
	forBlocks(n, func(b, lo, hi int) {
		s := make([]float64, p+1)
		for i := lo; i < hi; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+p]
			for j, v := range row {
				s[j] += v
			}
			s[p] += y[i]
		}
		partial[b] = s
	})
	sum := make([]float64, p+1)
	for _, s := range partial {
		for j, v := range s {
			sum[j] += v
		}
	}
	for j := range sum {
		sum[j] /= float64(n)
	}
	return sum[:p], sum[p]
}

// centredGram returns (X-μ)ᵀ(X-μ) and (X-μ)ᵀ(y-ȳ), computed block by block
// in parallel without copying X.
func centredGram(x *mat.Dense, mu []float64, y []float64, ymu float64) (*mat.SymDense, []float64) {
	n, p := x.Dims()
	raw := x.RawMatrix()
	nb := (n + blockRows - 1) / blockRows
	grams := make([][]float64, nb)
	xys := make([][]float64, nb)
	pool := sync.Pool{New: func() any { return make([]float64, blockRows*p) }}
	forBlocks(n, func(b, lo, hi int) {
		m := hi - lo
		blk := pool.Get().([]float64)[:m*p]
		defer pool.Put(blk[:cap(blk)])
		xy := make([]float64, p)
		for i := lo; i < hi; i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+p]
			dst := blk[(i-lo)*p : (i-lo+1)*p]
			yc := y[i] - ymu
			for j, v := range row {
				c := v - mu[j]
				dst[j] = c
				xy[j] += c * yc
			}
		}
		g := blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: make([]float64, p*p)}
		blas64.Syrk(blas.Trans, 1, blas64.General{Rows: m, Cols: p, Stride: p, Data: blk}, 0, g)
		grams[b], xys[b] = g.Data, xy
	})
	gram := make([]float64, p*p)
	xy := make([]float64, p)
	for b := 0; b < nb; b++ {
		for k, v := range grams[b] {
			gram[k] += v
		}
		for k, v := range xys[b] {
			xy[k] += v
		}
	}
	return mat.NewSymDense(p, gram), xy
}

// solveSym solves (G + alpha·I) w = b by Cholesky, falling back to the
// minimum-norm least-squares solution through an SVD when the matrix is
// singular (as scikit-learn's lstsq does for collinear features).
func solveSym(g *mat.SymDense, alpha float64, b []float64) []float64 {
	p := g.SymmetricDim()
	a := mat.NewSymDense(p, nil)
	a.CopySym(g)
	for j := 0; j < p; j++ {
		a.SetSym(j, j, a.At(j, j)+alpha)
	}
	var chol mat.Cholesky
	w := mat.NewVecDense(p, nil)
	if chol.Factorize(a) {
		if cond := chol.Cond(); cond < 1e12 {
			if err := chol.SolveVecTo(w, mat.NewVecDense(p, append([]float64(nil), b...))); err == nil {
				return w.RawVector().Data
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDFull) {
		return make([]float64, p)
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	s := svd.Values(nil)
	tol := s[0] * float64(p) * 2.220446049250313e-16
	out := make([]float64, p)
	for k, sk := range s {
		if sk <= tol {
			continue
		}
		var ub float64
		for i := 0; i < p; i++ {
			ub += u.At(i, k) * b[i]
		}
		for i := 0; i < p; i++ {
			out[i] += v.At(i, k) * ub / sk
		}
	}
	return out
}
