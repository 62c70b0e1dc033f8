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
	// Missing reports, per feature, whether it held missing values (NaN)
	// when the bins were fitted. Such a feature gets at most MaxBins-1
	// bins of values and one more bin, after them, for the missing values.
	Missing []bool `json:"missing,omitempty"`
}

// FitBinner computes bin edges from the columns of x, using at most
// sampleRows evenly spaced rows (0 means all). NaN values are missing:
// they are left out of the edges and the feature is marked in Missing.
func FitBinner(x *mat.Dense, maxBins, sampleRows int) *Binner {
	return FitBinnerHint(x, maxBins, sampleRows, true)
}

// FitBinnerHint is FitBinner for a caller that knows whether x holds any
// NaN (from check.XMissing): with mayHaveNaN false and sampleRows below
// the number of rows, the columns are not scanned again for NaN outside
// the sampled rows.
func FitBinnerHint(x *mat.Dense, maxBins, sampleRows int, mayHaveNaN bool) *Binner {
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
	missing := make([]bool, p)
	parallelFeatures(p, func(j int) {
		vals := make([]float64, 0, n/step+1)
		for i := 0; i < n; i += step {
			vals = append(vals, raw.Data[i*raw.Stride+j])
		}
		// slices.Sort puts NaNs first. Missing values anywhere in the
		// column (not only in the sampled rows) need their bin.
		slices.Sort(vals)
		missing[j] = len(vals) > 0 && math.IsNaN(vals[0])
		if step > 1 && mayHaveNaN {
			for i := 0; i < n && !missing[j]; i++ {
				missing[j] = math.IsNaN(raw.Data[i*raw.Stride+j])
			}
		}
		maxBins := maxBins
		if missing[j] {
			vals = slices.DeleteFunc(vals, math.IsNaN)
			maxBins = min(maxBins, MaxBins-1)
		}
		if len(vals) == 0 {
			b.Values[j] = []float64{}
			return
		}
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
	if slices.Contains(missing, true) {
		b.Missing = missing
	}
	return b
}

// HasMissing reports whether feature j held missing values at fit time.
func (b *Binner) HasMissing(j int) bool { return b.Missing != nil && b.Missing[j] }

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

// Bin returns the bin of value v of feature j; NaN falls in the missing
// bin, after the bins of values, when the feature had missing values.
func (b *Binner) Bin(j int, v float64) uint8 {
	if math.IsNaN(v) && b.HasMissing(j) {
		return uint8(len(b.Edges[j]) + 1)
	}
	return uint8(sort.SearchFloat64s(b.Edges[j], v))
}

// Binned is a binned copy of a feature matrix, stored column by column.
type Binned struct {
	// Cols holds, per feature, the bin of every row.
	Cols [][]uint8
	// NBins is the number of bins of values of each feature; a feature
	// with missing values has its missing bin at index NBins[j].
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
				if !b.HasMissing(j) {
					errs[j] = fmt.Errorf("X column %d, row %d: NaN, but the bins were fitted without missing values", j, i+1)
					return
				}
				col[i] = uint8(len(e) + 1)
				continue
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
