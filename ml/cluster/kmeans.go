// Package cluster groups rows without labels. KMeans is scikit-learn's
// k-means: greedy k-means++ seeding, Lloyd iterations, the best of NInit
// runs by inertia.
//
// The assignment step runs on all cores over fixed blocks of rows whose
// partial sums are combined in block order, so a fit is deterministic
// given Seed, whatever the number of cores.
package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/internal/check"
)

// KMeans partitions rows into K clusters minimising the inertia, the sum
// of squared distances of rows to their cluster's centre.
type KMeans struct {
	// K is the number of clusters; 0 means 8.
	K int `json:"k"`
	// NInit is the number of seedings tried, keeping the best; 0 means 10.
	NInit int `json:"n_init,omitempty"`
	// MaxIter is the maximum number of Lloyd iterations per run; 0 means
	// 300.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol stops a run when the centres move (sum of squared shifts) less
	// than Tol times the mean per-feature variance of X; 0 means 1e-4.
	Tol float64 `json:"tol,omitempty"`
	// Seed makes the fit reproducible.
	Seed uint64 `json:"seed"`
	// Centers are the fitted cluster centres, K rows of p values.
	Centers [][]float64 `json:"centers"`
	// Inertia is the fitted sum of squared distances to the centres.
	Inertia float64 `json:"inertia"`
	// Iterations is the number of Lloyd iterations of the best run.
	Iterations int `json:"iterations"`
}

const blockRows = 2048

// Fit clusters the rows of X.
func (m *KMeans) Fit(x *mat.Dense) error {
	if err := check.X(x); err != nil {
		return err
	}
	if m.K < 0 || m.NInit < 0 || m.MaxIter < 0 || m.Tol < 0 {
		return fmt.Errorf("k-means: options must not be negative")
	}
	k, nInit, maxIter, tol := m.K, m.NInit, m.MaxIter, m.Tol
	if k == 0 {
		k = 8
	}
	if nInit == 0 {
		nInit = 10
	}
	if maxIter == 0 {
		maxIter = 300
	}
	if tol == 0 {
		tol = 1e-4
	}
	n, p := x.Dims()
	if n < k {
		return fmt.Errorf("k-means: %d rows cannot make %d clusters", n, k)
	}
	raw := x.RawMatrix()
	// Scale the tolerance by the mean variance of the features.
	var meanVar float64
	for j := 0; j < p; j++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			v := raw.Data[i*raw.Stride+j]
			s += v
			ss += v * v
		}
		mu := s / float64(n)
		meanVar += ss/float64(n) - mu*mu
	}
	tol *= meanVar / float64(p)
	r := rand.New(rand.NewPCG(m.Seed, 0x6b6d65616e73))
	best := math.Inf(1)
	for run := 0; run < nInit; run++ {
		centers := seedPlusPlus(raw.Data, raw.Stride, n, p, k, r)
		inertia, iters := lloyd(raw.Data, raw.Stride, n, p, centers, maxIter, tol)
		if inertia < best {
			best = inertia
			m.Centers, m.Inertia, m.Iterations = centers, inertia, iters
		}
	}
	m.K = k
	return nil
}

func sqDist(a, b []float64) float64 {
	var s float64
	for j, v := range a {
		d := v - b[j]
		s += d * d
	}
	return s
}

// seedPlusPlus is scikit-learn's greedy k-means++: each new centre is the
// best, by resulting potential, of 2+ln(k) candidates drawn with
// probability proportional to the squared distance to the nearest centre.
func seedPlusPlus(data []float64, stride, n, p, k int, r *rand.Rand) [][]float64 {
	row := func(i int) []float64 { return data[i*stride : i*stride+p] }
	trials := 2 + int(math.Log(float64(k)))
	centers := make([][]float64, 0, k)
	first := r.IntN(n)
	centers = append(centers, append([]float64(nil), row(first)...))
	closest := make([]float64, n)
	var pot float64
	for i := 0; i < n; i++ {
		closest[i] = sqDist(row(i), centers[0])
		pot += closest[i]
	}
	cand := make([]float64, n)
	bestD := make([]float64, n)
	for len(centers) < k {
		bestPot, bestIdx := math.Inf(1), -1
		for t := 0; t < trials; t++ {
			target := r.Float64() * pot
			idx := n - 1
			var acc float64
			for i, d := range closest {
				acc += d
				if acc > target {
					idx = i
					break
				}
			}
			c := row(idx)
			var cp float64
			for i := 0; i < n; i++ {
				cand[i] = math.Min(closest[i], sqDist(row(i), c))
				cp += cand[i]
			}
			if cp < bestPot {
				bestPot, bestIdx = cp, idx
				copy(bestD, cand)
			}
		}
		centers = append(centers, append([]float64(nil), row(bestIdx)...))
		copy(closest, bestD)
		pot = bestPot
	}
	return centers
}

// lloyd runs Lloyd iterations from centers (updated in place) and returns
// the final inertia and the number of iterations.
func lloyd(data []float64, stride, n, p int, centers [][]float64, maxIter int, tol float64) (float64, int) {
	k := len(centers)
	nb := (n + blockRows - 1) / blockRows
	sums := make([][]float64, nb)
	counts := make([][]int, nb)
	inert := make([]float64, nb)
	for b := range sums {
		sums[b] = make([]float64, k*p)
		counts[b] = make([]int, k)
	}
	assign := func() float64 {
		forBlocks(nb, func(b int) {
			lo, hi := b*blockRows, min(n, (b+1)*blockRows)
			s, c := sums[b], counts[b]
			clear(s)
			clear(c)
			var in float64
			for i := lo; i < hi; i++ {
				xi := data[i*stride : i*stride+p]
				best, bd := 0, math.Inf(1)
				for ci, cen := range centers {
					if d := sqDist(xi, cen); d < bd {
						best, bd = ci, d
					}
				}
				in += bd
				c[best]++
				dst := s[best*p : best*p+p]
				for j, v := range xi {
					dst[j] += v
				}
			}
			inert[b] = in
		})
		var total float64
		for _, v := range inert {
			total += v
		}
		return total
	}
	iter := 0
	for iter < maxIter {
		iter++
		assign()
		var shift float64
		for ci := range centers {
			var cnt int
			sum := make([]float64, p)
			for b := 0; b < nb; b++ {
				cnt += counts[b][ci]
				for j := range sum {
					sum[j] += sums[b][ci*p+j]
				}
			}
			if cnt == 0 {
				continue // an empty cluster keeps its centre
			}
			for j := range sum {
				v := sum[j] / float64(cnt)
				d := v - centers[ci][j]
				shift += d * d
				centers[ci][j] = v
			}
		}
		if shift <= tol {
			break
		}
	}
	return assign(), iter
}

func forBlocks(nb int, fn func(b int)) {
	workers := min(runtime.GOMAXPROCS(0), nb)
	if workers <= 1 {
		for b := 0; b < nb; b++ {
			fn(b)
		}
		return
	}
	next := make(chan int, nb)
	for b := 0; b < nb; b++ {
		next <- b
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				fn(b)
			}
		}()
	}
	wg.Wait()
}

// Predict returns the index of the nearest centre of each row.
func (m *KMeans) Predict(x *mat.Dense) ([]int, error) {
	if len(m.Centers) == 0 {
		return nil, check.Features(x, 0)
	}
	if err := check.Features(x, len(m.Centers[0])); err != nil {
		return nil, err
	}
	n, p := x.Dims()
	raw := x.RawMatrix()
	out := make([]int, n)
	nb := (n + blockRows - 1) / blockRows
	forBlocks(nb, func(b int) {
		for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
			xi := raw.Data[i*raw.Stride : i*raw.Stride+p]
			best, bd := 0, math.Inf(1)
			for ci, cen := range m.Centers {
				if d := sqDist(xi, cen); d < bd {
					best, bd = ci, d
				}
			}
			out[i] = best
		}
	})
	return out, nil
}
