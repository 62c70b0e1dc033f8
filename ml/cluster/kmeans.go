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
	// K is the number of clusters, ≥ 1; 0 means 8.
	K int `json:"k"`
	// NInit is the number of seedings tried, keeping the best, ≥ 1; 0
	// means 10.
	NInit int `json:"n_init,omitempty"`
	// MaxIter is the maximum number of Lloyd iterations per run, ≥ 1; 0
	// means 300.
	MaxIter int `json:"max_iter,omitempty"`
	// Tol stops a run when the centres move (sum of squared shifts) less
	// than Tol times the mean per-feature variance of X, a finite number
	// ≥ 0; nil means 1e-4. 0 stops only when the assignments stop
	// changing or at MaxIter.
	Tol *float64 `json:"tol,omitempty"`
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
	const est = "cluster.KMeans"
	k, nInit, maxIter, tol := m.K, m.NInit, m.MaxIter, check.Or(m.Tol, 1e-4)
	if err := check.First(
		check.IntAtLeast(est, "K", k, 1, true),
		check.IntAtLeast(est, "NInit", nInit, 1, true),
		check.IntAtLeast(est, "MaxIter", maxIter, 1, true),
		check.NonNegative(est, "Tol", tol),
	); err != nil {
		return err
	}
	if err := check.X(x); err != nil {
		return err
	}
	if k == 0 {
		k = 8
	}
	if nInit == 0 {
		nInit = 10
	}
	if maxIter == 0 {
		maxIter = 300
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
	// Squared row norms, shared by every seeding.
	norms := make([]float64, n)
	forBlocks((n+blockRows-1)/blockRows, func(b int) {
		for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
			var s float64
			for _, v := range raw.Data[i*raw.Stride : i*raw.Stride+p] {
				s += v * v
			}
			norms[i] = s
		}
	})
	// The runs are independent (each has its own random stream derived
	// from Seed and its index), so they run concurrently, one per core;
	// the best inertia wins, ties going to the lower index.
	type outcome struct {
		centers [][]float64
		inertia float64
		iters   int
	}
	runs := make([]outcome, nInit)
	next := make(chan int, nInit)
	for i := 0; i < nInit; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(nInit, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for run := range next {
				r := rand.New(rand.NewPCG(m.Seed, 0x6b6d65616e73+uint64(run)))
				centers := seedPlusPlus(raw.Data, raw.Stride, n, p, k, norms, r)
				inertia, iters := lloyd(raw.Data, raw.Stride, n, p, centers, maxIter, tol)
				runs[run] = outcome{centers, inertia, iters}
			}
		}()
	}
	wg.Wait()
	best := 0
	for i, o := range runs {
		if o.inertia < runs[best].inertia {
			best = i
		}
	}
	m.Centers, m.Inertia, m.Iterations, m.K = runs[best].centers, runs[best].inertia, runs[best].iters, k
	return nil
}

func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	j := 0
	for ; j+2 <= len(a); j += 2 {
		d0 := a[j] - b[j]
		d1 := a[j+1] - b[j+1]
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if j < len(a) {
		d := a[j] - b[j]
		s0 += d * d
	}
	return s0 + s1
}

// seedPlusPlus is scikit-learn's greedy k-means++: each new centre is the
// best, by resulting potential, of 2+ln(k) candidates drawn with
// probability proportional to the squared distance to the nearest centre.
// The candidates are evaluated together in one parallel pass over the
// rows, with per-block sums added in block order.
func seedPlusPlus(data []float64, stride, n, p, k int, norms []float64, r *rand.Rand) [][]float64 {
	row := func(i int) []float64 { return data[i*stride : i*stride+p] }
	trials := 2 + int(math.Log(float64(k)))
	centers := make([][]float64, 0, k)
	centers = append(centers, append([]float64(nil), row(r.IntN(n))...))
	closest := make([]float64, n)
	nb := (n + blockRows - 1) / blockRows
	partial := make([]float64, nb*trials)
	forBlocks(nb, func(b int) {
		var s float64
		for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
			closest[i] = sqDist(row(i), centers[0])
			s += closest[i]
		}
		partial[b] = s
	})
	var pot float64
	for b := 0; b < nb; b++ {
		pot += partial[b]
	}
	cands := make([][]float64, trials)
	// candDist[t*n+i] is the squared distance of row i to candidate t,
	// kept so that the chosen candidate's distances need no second pass.
	candDist := make([]float64, trials*n)
	for len(centers) < k {
		// Draw the candidates.
		idx := make([]int, trials)
		for t := range idx {
			target := r.Float64() * pot
			idx[t] = n - 1
			var acc float64
			for i, d := range closest {
				acc += d
				if acc > target {
					idx[t] = i
					break
				}
			}
			cands[t] = row(idx[t])
		}
		// Potential of each candidate, in one pass.
		fc := flatten(cands)
		forBlocks(nb, func(b int) {
			sums := partial[b*trials : (b+1)*trials]
			clear(sums)
			d := make([]float64, trials)
			for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
				sqDistsNorm(row(i), norms[i], fc, d)
				for t, v := range d {
					candDist[t*n+i] = v
					sums[t] += min(closest[i], v)
				}
			}
		})
		best, bestPot := 0, math.Inf(1)
		for t := range cands {
			var cp float64
			for b := 0; b < nb; b++ {
				cp += partial[b*trials+t]
			}
			if cp < bestPot {
				best, bestPot = t, cp
			}
		}
		centers = append(centers, append([]float64(nil), cands[best]...))
		bd := candDist[best*n : best*n+n]
		forBlocks(nb, func(b int) {
			for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
				closest[i] = min(closest[i], bd[i])
			}
		})
		pot = bestPot
	}
	return centers
}

// lloyd runs Lloyd iterations from centers (updated in place) and returns
// the final inertia and the number of iterations. It uses Hamerly's bounds
// (an upper bound on each row's distance to its centre and a lower bound
// on the distance to any other) to skip the rows whose assignment cannot
// change; the assignments, hence the centres, are those of plain Lloyd.
func lloyd(data []float64, stride, n, p int, centers [][]float64, maxIter int, tol float64) (float64, int) {
	k := len(centers)
	nb := (n + blockRows - 1) / blockRows
	row := func(i int) []float64 { return data[i*stride : i*stride+p] }
	assign := make([]int32, n)
	upper := make([]float64, n)
	lower := make([]float64, n)
	sums := make([][]float64, nb)
	counts := make([][]int, nb)
	for b := range sums {
		sums[b] = make([]float64, k*p)
		counts[b] = make([]int, k)
	}
	// nearest computes the closest and second-closest centres of row i.
	flat := flatten(centers)
	nearest := func(xi []float64, d []float64) (int32, float64, float64) {
		best, d1, d2 := nearestFlat(xi, flat, d)
		return int32(best), math.Sqrt(d1), math.Sqrt(d2)
	}
	forBlocks(nb, func(b int) {
		d := make([]float64, k)
		for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
			assign[i], upper[i], lower[i] = nearest(row(i), d)
		}
	})
	half := make([]float64, k)  // half the distance to the nearest other centre
	moved := make([]float64, k) // how far each centre moved
	iter := 0
	for iter < maxIter {
		iter++
		// New centres from the assignments.
		forBlocks(nb, func(b int) {
			s, c := sums[b], counts[b]
			clear(s)
			clear(c)
			for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
				a := int(assign[i])
				c[a]++
				dst := s[a*p : a*p+p]
				for j, v := range row(i) {
					dst[j] += v
				}
			}
		})
		var shift, maxMove float64
		for ci := range centers {
			var cnt int
			sum := make([]float64, p)
			for b := 0; b < nb; b++ {
				cnt += counts[b][ci]
				for j := range sum {
					sum[j] += sums[b][ci*p+j]
				}
			}
			moved[ci] = 0
			if cnt == 0 {
				continue // an empty cluster keeps its centre
			}
			var d2 float64
			for j := range sum {
				v := sum[j] / float64(cnt)
				d := v - centers[ci][j]
				d2 += d * d
				centers[ci][j] = v
			}
			shift += d2
			moved[ci] = math.Sqrt(d2)
			maxMove = max(maxMove, moved[ci])
		}
		if shift <= tol {
			break
		}
		flat = flatten(centers)
		for ci := range centers {
			half[ci] = math.Inf(1)
			for cj := range centers {
				if cj != ci {
					half[ci] = min(half[ci], math.Sqrt(sqDist(centers[ci], centers[cj]))/2)
				}
			}
		}
		// Reassign, skipping rows whose bounds prove they stay.
		forBlocks(nb, func(b int) {
			d := make([]float64, k)
			for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
				a := assign[i]
				upper[i] += moved[a]
				lower[i] -= maxMove
				bound := max(half[a], lower[i])
				if upper[i] <= bound {
					continue
				}
				xi := row(i)
				upper[i] = math.Sqrt(sqDist(xi, centers[a]))
				if upper[i] <= bound {
					continue
				}
				assign[i], upper[i], lower[i] = nearest(xi, d)
			}
		})
	}
	// Final assignment and inertia.
	flat = flatten(centers)
	inert := make([]float64, nb)
	forBlocks(nb, func(b int) {
		var in float64
		for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
			// The inertia uses exact differences, not the norm expansion.
			xi := row(i)
			bd := math.Inf(1)
			for _, c := range centers {
				bd = min(bd, sqDist(xi, c))
			}
			in += bd
		}
		inert[b] = in
	})
	var total float64
	for _, v := range inert {
		total += v
	}
	return total, iter
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
	if err := check.Shape(x, len(m.Centers[0])); err != nil {
		return nil, err
	}
	n, p := x.Dims()
	raw := x.RawMatrix()
	out := make([]int, n)
	flat := flatten(m.Centers)
	nb := (n + blockRows - 1) / blockRows
	bad := make([]bool, nb)
	forBlocks(nb, func(b int) {
		for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
			best, d := nearestIndex(raw.Data[i*raw.Stride:i*raw.Stride+p], flat)
			out[i] = best
			if !(d < math.Inf(1)) { // a NaN or infinite value in the row
				bad[b] = true
			}
		}
	})
	for b, isBad := range bad {
		if isBad {
			for i := b * blockRows; i < min(n, (b+1)*blockRows); i++ {
				if err := check.Row(x, i); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// flatCenters holds centres one after the other, with their squared
// norms, for the distance kernel.
type flatCenters struct {
	data  []float64
	norms []float64
}

// flatten stores the centres one after the other.
func flatten(centers [][]float64) flatCenters {
	var f flatCenters
	for _, c := range centers {
		f.data = append(f.data, c...)
		var n float64
		for _, v := range c {
			n += v * v
		}
		f.norms = append(f.norms, n)
	}
	return f
}

// sqDists stores in out the squared distances from x to every centre of
// f, as ||x||² + ||c||² - 2x·c (clamped at 0), four centres at a time so
// that each value of x is loaded once per four products. This is the hot
// loop of k-means.
func sqDists(x []float64, f flatCenters, out []float64) {
	var xn float64
	for _, v := range x {
		xn += v * v
	}
	sqDistsNorm(x, xn, f, out)
}

// sqDistsNorm is sqDists with ||x||² given.
func sqDistsNorm(x []float64, xn float64, f flatCenters, out []float64) {
	p := len(x)
	k := len(f.norms)
	ci := 0
	for ; ci+4 <= k; ci += 4 {
		c0 := f.data[ci*p : ci*p+p]
		c1 := f.data[(ci+1)*p : (ci+1)*p+p]
		c2 := f.data[(ci+2)*p : (ci+2)*p+p]
		c3 := f.data[(ci+3)*p : (ci+3)*p+p]
		c0, c1, c2, c3 = c0[:len(x)], c1[:len(x)], c2[:len(x)], c3[:len(x)]
		var s0, s1, s2, s3 float64
		for j, v := range x {
			s0 += v * c0[j]
			s1 += v * c1[j]
			s2 += v * c2[j]
			s3 += v * c3[j]
		}
		out[ci] = max(0, xn+f.norms[ci]-2*s0)
		out[ci+1] = max(0, xn+f.norms[ci+1]-2*s1)
		out[ci+2] = max(0, xn+f.norms[ci+2]-2*s2)
		out[ci+3] = max(0, xn+f.norms[ci+3]-2*s3)
	}
	for ; ci < k; ci++ {
		c := f.data[ci*p : ci*p+p]
		c = c[:len(x)]
		var s float64
		for j, v := range x {
			s += v * c[j]
		}
		out[ci] = max(0, xn+f.norms[ci]-2*s)
	}
}

// nearestIndex returns the index of the centre of f nearest to x and
// ||c||² - 2x·c for it (the squared distance minus ||x||², which is the
// same for every centre), four centres at a time. It is Predict's kernel.
func nearestIndex(x []float64, f flatCenters) (int, float64) {
	p := len(x)
	k := len(f.norms)
	best, bd := 0, math.Inf(1)
	ci := 0
	for ; ci+4 <= k; ci += 4 {
		c0 := f.data[ci*p : ci*p+p]
		c1 := f.data[(ci+1)*p : (ci+1)*p+p]
		c2 := f.data[(ci+2)*p : (ci+2)*p+p]
		c3 := f.data[(ci+3)*p : (ci+3)*p+p]
		c0, c1, c2, c3 = c0[:len(x)], c1[:len(x)], c2[:len(x)], c3[:len(x)]
		var s0, s1, s2, s3 float64
		for j, v := range x {
			s0 += v * c0[j]
			s1 += v * c1[j]
			s2 += v * c2[j]
			s3 += v * c3[j]
		}
		if d := f.norms[ci] - 2*s0; d < bd {
			best, bd = ci, d
		}
		if d := f.norms[ci+1] - 2*s1; d < bd {
			best, bd = ci+1, d
		}
		if d := f.norms[ci+2] - 2*s2; d < bd {
			best, bd = ci+2, d
		}
		if d := f.norms[ci+3] - 2*s3; d < bd {
			best, bd = ci+3, d
		}
	}
	for ; ci < k; ci++ {
		c := f.data[ci*p : ci*p+p]
		c = c[:len(x)]
		var s float64
		for j, v := range x {
			s += v * c[j]
		}
		if d := f.norms[ci] - 2*s; d < bd {
			best, bd = ci, d
		}
	}
	return best, bd
}

// nearestFlat returns the index of the centre of f nearest to x, its
// squared distance, and the squared distance to the second nearest. d is
// scratch space of one entry per centre. A NaN or infinite x gives a
// distance that is not < +Inf.
func nearestFlat(x []float64, f flatCenters, d []float64) (int, float64, float64) {
	sqDists(x, f, d)
	best, d1, d2 := 0, math.Inf(1), math.Inf(1)
	for ci, v := range d {
		if v < d1 {
			best, d1, d2 = ci, v, d1
		} else if v < d2 {
			d2 = v
		}
	}
	return best, d1, d2
}
