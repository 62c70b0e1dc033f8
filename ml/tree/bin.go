package tree

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// MaxBins is the largest number of bins per feature.
const MaxBins = 256

// Binner maps each feature's values to at most MaxBins ordered bins. A
// feature with at most MaxBins distinct training values gets one bin per
// value (so splits are exact); otherwise the bin edges are quantiles.
type Binner struct {
	// Edges holds, per feature, the ascending upper bounds of all bins but
	// the last: bin b holds the values in (Edges[b-1], Edges[b]]. A split
	// after bin b is the threshold x ≤ Edges[b].
	Edges [][]float64 `json:"edges"`
	// Values holds, per feature binned exactly (at most MaxBins distinct
	// values), the value of each bin; nil for quantile-binned features.
	Values [][]float64 `json:"values,omitempty"`
}

// FitBinner computes bin edges from the columns of x, using at most
// sampleRows evenly spaced rows (0 means all).
func FitBinner(x *mat.Dense, maxBins, sampleRows int) *Binner {
	if maxBins <= 1 || maxBins > MaxBins {
		maxBins = MaxBins
	}
	n, p := x.Dims()
	step := 1
	if sampleRows > 0 && n > sampleRows {
		step = n / sampleRows
	}
	raw := x.RawMatrix()
	b := &Binner{Edges: make([][]float64, p), Values: make([][]float64, p)}
	parallelFeatures(p, func(j int) {
		vals := make([]float64, 0, n/step+1)
		for i := 0; i < n; i += step {
			vals = append(vals, raw.Data[i*raw.Stride+j])
		}
		slices.Sort(vals)
		distinct := slices.Compact(slices.Clone(vals))
		var edges []float64
		if len(distinct) <= maxBins && step == 1 {
			b.Values[j] = distinct
			for k := 0; k+1 < len(distinct); k++ {
				edges = append(edges, midpoint(distinct[k], distinct[k+1]))
			}
		} else {
			// Quantile edges, deduplicated.
			for q := 1; q < maxBins; q++ {
				pos := float64(q) / float64(maxBins) * float64(len(vals)-1)
				lo := int(pos)
				hi := min(lo+1, len(vals)-1)
				e := midpoint(vals[lo], vals[hi])
				if len(edges) == 0 || e > edges[len(edges)-1] {
					edges = append(edges, e)
				}
			}
			// The largest value must fall in the last bin.
			for len(edges) > 0 && edges[len(edges)-1] >= distinct[len(distinct)-1] {
				edges = edges[:len(edges)-1]
			}
		}
		b.Edges[j] = edges
	})
	return b
}

// parallelFeatures calls fn(j) for j in [0, p) on all cores.
func parallelFeatures(p int, fn func(j int)) {
	next := make(chan int, p)
	for j := 0; j < p; j++ {
		next <- j
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(p, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				fn(j)
			}
		}()
	}
	wg.Wait()
}

func midpoint(a, b float64) float64 {
	m := a + (b-a)/2
	if m >= b { // a and b adjacent floats
		m = a
	}
	return m
}

// Bin returns the bin of value v of feature j.
func (b *Binner) Bin(j int, v float64) uint8 {
	return uint8(sort.SearchFloat64s(b.Edges[j], v))
}

// Binned is a binned copy of a feature matrix, stored column by column.
type Binned struct {
	// Cols holds, per feature, the bin of every row.
	Cols [][]uint8
	// NBins is the number of bins of each feature.
	NBins []int
	// Binner made the bins.
	Binner *Binner
}

// Transform bins every value of x.
func (b *Binner) Transform(x *mat.Dense) (*Binned, error) {
	n, p := x.Dims()
	if p != len(b.Edges) {
		return nil, fmt.Errorf("X has %d columns; the bins were fitted on %d", p, len(b.Edges))
	}
	raw := x.RawMatrix()
	out := &Binned{Cols: make([][]uint8, p), NBins: make([]int, p), Binner: b}
	errs := make([]error, p)
	parallelFeatures(p, func(j int) {
		col := make([]uint8, n)
		e := b.Edges[j]
		for i := 0; i < n; i++ {
			v := raw.Data[i*raw.Stride+j]
			if math.IsNaN(v) {
				errs[j] = fmt.Errorf("X column %d, row %d: NaN", j, i+1)
				return
			}
			col[i] = uint8(sort.SearchFloat64s(e, v))
		}
		out.Cols[j] = col
		out.NBins[j] = len(e) + 1
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
