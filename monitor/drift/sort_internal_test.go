package drift

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortFloats(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	v := make([]float64, 100_000)
	for i := range v {
		v[i] = rng.NormFloat64() * 1e3
		if i%10 == 0 {
			v[i] = float64(i % 7)
		}
	}
	want := slices.Clone(v)
	slices.Sort(want)
	sortFloats(v)
	if !slices.Equal(v, want) {
		t.Fatal("sortFloats differs from slices.Sort")
	}
}

func BenchmarkSortFloats1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]float64, 1_000_000)
	for i := range src {
		src[i] = rng.NormFloat64()
	}
	v := make([]float64, len(src))
	for range b.N {
		copy(v, src)
		sortFloats(v)
	}
}
