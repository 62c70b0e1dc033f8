package drift

import (
	"math"
	"slices"
)

// sortFloats sorts v ascending (v holds no NaN): by an LSD radix sort on the values'
// order-preserving bit patterns for large slices, several times faster than a
// comparison sort on millions of values.
func sortFloats(v []float64) {
	if len(v) < 4096 {
		slices.Sort(v)
		return
	}
	keys := make([]uint64, len(v))
	for i, x := range v {
		b := math.Float64bits(x)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
	}
	const bits, passes = 11, 6
	const mask = 1<<bits - 1
	var counts [passes][1 << bits]int
	for _, k := range keys {
		for p := 0; p < passes; p++ {
			counts[p][(k>>(bits*p))&mask]++
		}
	}
	buf := make([]uint64, len(keys))
	src, dst := keys, buf
	for p := 0; p < passes; p++ {
		shift := uint(bits * p)
		c := &counts[p]
		if c[(src[0]>>shift)&mask] == len(src) {
			continue // every key has the same digit
		}
		var sum int
		for d := range c {
			c[d], sum = sum, sum+c[d]
		}
		for _, k := range src {
			d := (k >> shift) & mask
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	for i, b := range src {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		v[i] = math.Float64frombits(b)
	}
}
