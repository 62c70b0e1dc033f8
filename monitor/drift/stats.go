package drift

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// maxAutoN is the sample size up to which KS2Samp computes the exact p-value, as
// scipy.stats.ks_2samp's method="auto" does.
const maxAutoN = 10000

// KS2Samp returns the two-sided two-sample Kolmogorov–Smirnov statistic of a and b
// and its p-value, as scipy.stats.ks_2samp(a, b) computes them with its defaults:
// exact when both samples have at most 10,000 values, asymptotic otherwise. a and b
// must be sorted ascending and not empty.
//
// The asymptotic p-value is kstwo.sf(d, round(n1·n2/(n1+n2))) as SciPy computes it.
func KS2Samp(a, b []float64) (d, p float64) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return math.NaN(), math.NaN()
	}
	// Walk both sorted samples; at every distinct value compare the two ECDFs (side
	// "right", so ties are counted before the comparison).
	var i, j int
	var maxS, minS float64
	for i < n1 || j < n2 {
		var x float64
		switch {
		case i == n1:
			x = b[j]
		case j == n2:
			x = a[i]
		default:
			x = min(a[i], b[j])
		}
		for i < n1 && a[i] <= x {
			i++
		}
		for j < n2 && b[j] <= x {
			j++
		}
		diff := float64(i)/float64(n1) - float64(j)/float64(n2)
		maxS = max(maxS, diff)
		minS = max(minS, -diff)
	}
	d = max(maxS, min(minS, 1))
	if max(n1, n2) <= maxAutoN {
		if dd, pp, ok := exactKS(n1, n2, d); ok {
			return dd, min(max(pp, 0), 1)
		}
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := math.Round(m * n / (m + n))
	return d, kstwoSF(int(en), d)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// exactKS follows scipy's _attempt_exact_2kssamp for the two-sided alternative.
func exactKS(n1, n2 int, d float64) (float64, float64, bool) {
	g := gcd(n1, n2)
	lcm := (n1 / g) * n2
	h := int(math.Round(d * float64(lcm)))
	d = float64(h) / float64(lcm)
	if h == 0 {
		return d, 1, true
	}
	var p float64
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = outerProbInside(n1, n2, g, h)
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || p > 1 {
		return d, p, false
	}
	return d, p, true
}

// probOutsideSquare is scipy's _compute_prob_outside_square.
func probOutsideSquare(n, h int) float64 {
	var P float64
	for k := n / h; k >= 0; k-- {
		p1 := 1.0
		for j := 0; j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		P = p1 * (1 - P)
	}
	return 2 * P
}

// outerProbInside is scipy's _compute_outer_prob_inside_method: the proportion of
// lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm(m,n),
// by Viehmann's 1-p recursion.
func outerProbInside(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	minj, maxj := 0, min(int(math.Ceil(float64(h)/float64(mg))), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	A := make([]float64, lenA)
	for k := range A {
		A[k] = 1
	}
	for k := minj; k < maxj; k++ {
		A[k] = 0
	}
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(int(math.Floor(float64(ng*i-h)/float64(mg)))+1, 0)
		minj = min(minj, n)
		maxj = min(int(math.Ceil(float64(ng*i+h)/float64(mg))), n+1)
		if maxj <= minj {
			return 1
		}
		val := 0.0
		if minj != 0 {
			val = 1
		}
		for jj := 0; jj < maxj-minj; jj++ {
			j := jj + minj
			val = (A[jj+minj-lastminj]*float64(i) + val*float64(j)) / float64(i+j)
			A[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			for k := maxj - minj; k < maxj-minj+(lastlen-curlen) && k < len(A); k++ {
				A[k] = 1
			}
		}
	}
	return A[maxj-minj-1]
}

// WassersteinDistance returns the first Wasserstein distance between the empirical
// distributions of u and v, as scipy.stats.wasserstein_distance(u, v). Both must be
// sorted ascending and not empty.
func WassersteinDistance(u, v []float64) float64 {
	nu, nv := len(u), len(v)
	if nu == 0 || nv == 0 {
		return math.NaN()
	}
	var i, j int
	var total float64
	// x is the current position on the merged, sorted values; before it both CDFs
	// are i/nu and j/nv.
	x := min(u[0], v[0])
	for i < nu || j < nv {
		var next float64
		switch {
		case i == nu:
			next = v[j]
		case j == nv:
			next = u[i]
		default:
			next = min(u[i], v[j])
		}
		total += math.Abs(float64(i)/float64(nu)-float64(j)/float64(nv)) * (next - x)
		x = next
		for i < nu && u[i] <= x {
			i++
		}
		for j < nv && v[j] <= x {
			j++
		}
	}
	return total
}

// ChiSquareTest returns Pearson's chi-squared statistic of observed against expected
// frequencies and its p-value with len(obs)-1 degrees of freedom, as
// scipy.stats.chisquare(obs, exp).
func ChiSquareTest(obs, exp []float64) (stat, p float64) {
	for i := range obs {
		d := obs[i] - exp[i]
		stat += d * d / exp[i]
	}
	df := float64(len(obs) - 1)
	if math.IsNaN(stat) {
		return stat, math.NaN()
	}
	if math.IsInf(stat, 1) {
		return stat, 0
	}
	return stat, mathext.GammaIncRegComp(df/2, stat/2)
}

// JensenShannonDistance returns the Jensen–Shannon distance (natural logarithm) between the
// distributions p and q, each normalised to sum 1 first, as
// scipy.spatial.distance.jensenshannon(p, q).
func JensenShannonDistance(p, q []float64) float64 {
	var sp, sq float64
	for i := range p {
		sp += p[i]
		sq += q[i]
	}
	var js float64
	for i := range p {
		a, b := p[i]/sp, q[i]/sq
		m := (a + b) / 2
		js += relEntr(a, m) + relEntr(b, m)
	}
	return math.Sqrt(js / 2)
}

func relEntr(x, y float64) float64 {
	switch {
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	}
	return math.Inf(1)
}

// ZTest returns the two-sided p-value of the two-proportion Z-test Evidently runs on
// binary columns: k1 of n1 reference values and k2 of n2 current values are the
// second category.
func ZTest(k1, n1, k2, n2 int) float64 {
	p1 := float64(k1) / float64(n1)
	p2 := float64(k2) / float64(n2)
	P := (p1*float64(n1) + p2*float64(n2)) / float64(n1+n2)
	z := (p1 - p2) / math.Sqrt(P*(1-P)*(1/float64(n1)+1/float64(n2)))
	return 2 * (1 - normCDF(math.Abs(z)))
}

// normCDF is scipy.special.ndtr.
func normCDF(x float64) float64 {
	const sqrtHalf = 0.70710678118654752440
	xx := x * sqrtHalf
	z := math.Abs(xx)
	var y float64
	if z < sqrtHalf {
		y = 0.5 + 0.5*math.Erf(xx)
	} else {
		y = 0.5 * math.Erfc(z)
		if xx > 0 {
			y = 1 - y
		}
	}
	return y
}

// PSIScore returns the population stability index of two binned distributions (shares
// that sum to 1, no zeros): sum((r-c)·ln(r/c)).
func PSIScore(ref, cur []float64) float64 {
	var s float64
	for i := range ref {
		s += (ref[i] - cur[i]) * math.Log(ref[i]/cur[i])
	}
	return s
}

// SturgesEdges returns NumPy's histogram_bin_edges(data, bins="sturges") for data of
// n values ranging from lo to hi: ceil(log2(n)+1) equal bins.
func SturgesEdges(lo, hi float64, n int) []float64 {
	bins := int(math.Ceil(math.Log2(float64(n)) + 1))
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	edges := make([]float64, bins+1)
	step := (hi - lo) / float64(bins)
	for i := range edges {
		edges[i] = float64(i)*step + lo
	}
	edges[bins] = hi
	return edges
}

// histogram counts sorted values into the bins of edges as numpy.histogram does:
// [e_i, e_{i+1}) except the last bin, closed; values outside are not counted.
func histogram(sorted []float64, edges []float64) []float64 {
	out := make([]float64, len(edges)-1)
	prev, _ := slices.BinarySearch(sorted, edges[0])
	for b := 1; b < len(edges); b++ {
		var at int
		if b == len(edges)-1 {
			at = upperBound(sorted, edges[b])
		} else {
			at, _ = slices.BinarySearch(sorted, edges[b])
		}
		out[b-1] = float64(at - prev)
		prev = at
	}
	return out
}

// upperBound is the index of the first value greater than x.
func upperBound(sorted []float64, x float64) int {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sorted[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// fillZeroes replaces zero shares as Evidently's get_binned_data does: by 0.0001, or
// by the smallest non-zero share / 1e6 when that share is at most 0.0001.
func fillZeroes(p []float64) {
	least := math.Inf(1)
	for _, v := range p {
		if v != 0 {
			least = min(least, v)
		}
	}
	fill := 0.0001
	if least <= 0.0001 {
		fill = least / 1e6
	}
	for i, v := range p {
		if v == 0 {
			p[i] = fill
		}
	}
}
