package drift

import (
	"math"
	"slices"
	"sync"
	"unsafe"
)

var bufPool = sync.Pool{New: func() any { return new([]uint64) }}

// sortFloats sorts v ascending (v holds no NaN): by an LSD radix sort on the values'
// order-preserving bit patterns for large slices, several times faster than a
// comparison sort on millions of values.
func sortFloats(v []float64) {
	if len(v) < 4096 {
		slices.Sort(v)
		return
	}
	// The keys overwrite v in place (same size), then are decoded back.
	keys := unsafe.Slice((*uint64)(unsafe.Pointer(&v[0])), len(v))
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
	bp := bufPool.Get().(*[]uint64)
	defer bufPool.Put(bp)
	if cap(*bp) < len(keys) {
		*bp = make([]uint64, len(keys))
	}
	buf := (*bp)[:len(keys)]
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
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		keys[i] = b
	}
}
