package drift

import "math"

// kstwoSF is the survival function of the two-sided one-sample Kolmogorov–Smirnov
// statistic D_n at x, following SciPy's kstwo.sf (scipy.stats._ksstats._kolmogn, after
// Simard and L'Ecuyer 2011): Ruben–Gambino at the ends, 2·smirnov(n, x) in the tail,
// the Durbin matrix (Marsaglia–Tsang–Wang) for small x, Pomeranz's recursion for n ≤ 140
// and Pelz–Good otherwise.
func kstwoSF(n int, x float64) float64 {
	clip := func(p float64) float64 { return min(max(p, 0), 1) }
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	nf := float64(n)
	t := nf * x
	if t <= 1 {
		if t <= 0.5 {
			return 1
		}
		var p float64
		if n <= 140 {
			p = 1
			for i := 1; i <= n; i++ {
				p *= float64(i) * (1 / nf) * (2*t - 1)
			}
		} else {
			p = math.Exp(logNFactorialDivNPowN(nf) + nf*math.Log(2*t-1))
		}
		return clip(1 - p)
	}
	if t >= nf-1 {
		return clip(2 * math.Pow(1-x, nf))
	}
	if x >= 0.5 {
		return clip(2 * smirnov(n, x))
	}
	nx2 := t * x
	if n <= 140 {
		if nx2 <= 0.754693 {
			return clip(1 - durbinMTW(n, x))
		}
		if nx2 <= 4 {
			return clip(1 - pomeranz(n, x))
		}
		return clip(2 * smirnov(n, x))
	}
	if nx2 >= 370 {
		return 0
	}
	if nx2 >= 2.2 {
		return clip(2 * smirnov(n, x))
	}
	var cdf float64
	switch {
	case nx2 >= 18:
		cdf = 1
	case n <= 100000 && nf*math.Pow(x, 1.5) <= 1.4:
		cdf = durbinMTW(n, x)
	default:
		cdf = pelzGood(nf, x)
	}
	return clip(1 - cdf)
}

var stirlingCoeffs = []float64{-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2}

func logNFactorialDivNPowN(n float64) float64 {
	rn := 1 / n
	var poly float64
	for _, c := range stirlingCoeffs {
		poly = poly*(rn/n) + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// smirnov is the one-sided Smirnov survival function P(D_n⁺ ≥ x), by Birnbaum and
// Tingey's sum, in logarithms.
func smirnov(n int, x float64) float64 {
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	nf := float64(n)
	lgN, _ := math.Lgamma(nf + 1)
	var p float64
	for v := 0; v <= int(math.Floor(nf*(1-x))); v++ {
		e := x + float64(v)/nf
		om := 1 - e
		if om <= 0 {
			continue
		}
		lv, _ := math.Lgamma(float64(v) + 1)
		lnv, _ := math.Lgamma(nf - float64(v) + 1)
		p += math.Exp(lgN - lv - lnv + float64(v-1)*math.Log(e) + (nf-float64(v))*math.Log(om))
	}
	return p * x
}

// durbinMTW is P(D_n ≤ d) by the Durbin matrix algorithm as Marsaglia, Tsang and Wang
// compute it (SciPy's _kolmogn_DMTW).
func durbinMTW(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	H := newMat(m)
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r][i] = w[r-i+1]
		}
	}
	for r := 0; r < m; r++ {
		H[r][0] = v[r]
	}
	for c := 0; c < m; c++ {
		H[m-1][c] = v[m-1-c]
	}
	const e128 = 128
	ep128 := math.Ldexp(1, 128)
	em128 := math.Ldexp(1, -128)
	P := newMat(m)
	for i := range P {
		P[i][i] = 1
	}
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			P = matMul(P, H)
			expnt += hexpnt
		}
		H = matMul(H, H)
		hexpnt *= 2
		if math.Abs(H[k-1][k-1]) > ep128 {
			for i := range H {
				for j := range H[i] {
					H[i][j] /= ep128
				}
			}
			hexpnt += e128
		}
	}
	p := P[k-1][k-1]
	for i := 1; i <= n; i++ {
		p = float64(i) * p / float64(n)
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= e128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return p
}

func newMat(m int) [][]float64 {
	out := make([][]float64, m)
	for i := range out {
		out[i] = make([]float64, m)
	}
	return out
}

func matMul(a, b [][]float64) [][]float64 {
	m := len(a)
	out := newMat(m)
	for i := 0; i < m; i++ {
		for k := 0; k < m; k++ {
			aik := a[i][k]
			if aik == 0 {
				continue
			}
			for j := 0; j < m; j++ {
				out[i][j] += aik * b[k][j]
			}
		}
	}
	return out
}

// pelzGood is P(D_n ≤ x) by the Pelz–Good asymptotic series (SciPy's
// _kolmogn_PelzGood).
func pelzGood(n, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	pi2, pi4, pi6 := math.Pi*math.Pi, math.Pow(math.Pi, 4), math.Pow(math.Pi, 6)
	sqrt2pi := math.Sqrt(2 * math.Pi)
	z := math.Sqrt(n) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)
	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)
	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, m*m*m*m, math.Pow(m, 6)
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{1, k1a + k1b*m2, k2a + k2b*m2 + k2c*m4, k3a + k3b*m2 + k3c*m4 + k3d*m6}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2pi / div[i]
	}
	q = math.Exp(-pi2 / 2 / z2)
	var k2extra, k3extra float64
	s3z := math.Sqrt(3) * z
	for k := maxk; k > 0; k-- {
		kf := float64(k)
		qp := math.Pow(q, kf*kf)
		k2extra += kf * kf * qp
		kspi := math.Pi * kf
		k3extra += (s3z + kspi) * (s3z - kspi) * kf * kf * qp
	}
	K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3)
	K[3] += k3extra * pi2 * sqrt2pi / (216 * z6)
	var sum float64
	for i := range K {
		sum += K[i] / math.Pow(n, float64(i)/2)
	}
	return sum
}

// pomeranzJ1J2 is SciPy's _pomeranz_compute_j1j2: the ends of row i's interval.
func pomeranzJ1J2(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		ip1div2, ip1mod2 := (i+1)/2, (i+1)%2
		if ip1mod2 == 0 {
			if ip1div2 == n+1 {
				j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
			} else {
				j1, j2 = ip1div2-1-ll-roundf-1, ip1div2+ll-1+ceilf-1
			}
		} else {
			j1, j2 = ip1div2-1-ll-1, ip1div2+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// pomeranz is P(D_n ≤ x) by Pomeranz's recursion (SciPy's _kolmogn_Pomeranz).
func pomeranz(n int, x float64) float64 {
	const e128 = 128
	ep128 := math.Ldexp(1, 128)
	em128 := math.Ldexp(1, -128)
	nf := float64(n)
	t := nf * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gp := make([]float64, npwrs)
	tgp := make([]float64, npwrs)
	o2gp := make([]float64, npwrs)
	gp[0], tgp[0], o2gp[0] = 1, 1, 1
	for m := 1; m < npwrs; m++ {
		gp[m] = gp[m-1] * (g / nf) / float64(m)
		tgp[m] = tgp[m-1] * (2 * g / nf) / float64(m)
		o2gp[m] = o2gp[m-1] * ((1 - 2*g) / nf) / float64(m)
	}
	V0 := make([]float64, npwrs)
	V1 := make([]float64, npwrs)
	V1[0] = 1
	V0s, V1s := 0, 0
	expnt := 0
	j1, j2 := pomeranzJ1J2(0, n, ll, ceilf, roundf)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		V0, V1 = V1, V0
		V0s, V1s = V1s, V0s
		for k := range V1 {
			V1[k] = 0
		}
		j1, j2 = pomeranzJ1J2(i, n, ll, ceilf, roundf)
		pwrs := o2gp
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gp
		case i%2 == 1:
			pwrs = tgp
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		lo := k1 - V0s
		a := V0[lo:min(lo+ln2, npwrs)]
		b := pwrs[:min(ln2, npwrs)]
		convStart, convLen := j1-k1, j2-j1+1
		var top float64
		for idx := 0; idx < convLen; idx++ {
			c := convStart + idx
			var s float64
			for j := max(0, c-len(b)+1); j <= min(c, len(a)-1); j++ {
				s += a[j] * b[c-j]
			}
			V1[idx] = s
			top = max(top, s)
		}
		if top > 0 && top < em128 {
			for k := range V1 {
				V1[k] *= ep128
			}
			expnt -= e128
		}
		V1s = V0s + j1 - k1
	}
	ans := V1[n-V1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ep128 {
			ans *= em128
			expnt += e128
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return ans
}
