package drift

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
)

// FormatLevel is how a numeric value is named as a category: strconv's shortest 'g'
// form (1, 0.5, 1e+06).
func FormatLevel(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// FromStats turns the statistics model.ReferenceStats saved at training time into
// references. Statistics from models saved before exact values and quantile sketches
// were kept (histogram only) are turned into a 1,000-quantile sketch interpolated in
// the histogram, an approximation.
func FromStats(stats []model.ColumnStats) []Reference {
	out := make([]Reference, 0, len(stats))
	for _, s := range stats {
		r := Reference{Name: s.Name, N: s.Count, Std: s.Std, Min: s.Min, Max: s.Max}
		switch s.Type {
		case frame.String:
			r.Categorical = true
			r.Levels = slices.Clone(s.Levels)
			r.Counts = slices.Clone(s.LevelCounts)
			if s.Other > 0 {
				r.Levels = append(r.Levels, OtherLevel)
				r.Counts = append(r.Counts, s.Other)
			}
		case frame.Float, frame.Int, frame.Bool:
			r.Categorical = s.Type == frame.Bool
			r.Values, r.Quantiles = s.Values, s.Quantiles
			if r.Values == nil && r.Quantiles == nil && s.Count > 0 {
				r.Quantiles = histogramQuantiles(s.Edges, s.Counts, model.SketchSize)
			}
			for i, v := range s.Distinct {
				r.Levels = append(r.Levels, FormatLevel(v))
				r.Counts = append(r.Counts, s.DistinctCounts[i])
			}
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

// OtherLevel names the reference categories beyond the 100 most frequent that
// model.ReferenceStats keeps (counted together).
const OtherLevel = "\x00other"

func histogramQuantiles(edges []float64, counts []int, k int) []float64 {
	var total int
	for _, c := range counts {
		total += c
	}
	if total == 0 || len(edges) != len(counts)+1 {
		return nil
	}
	out := make([]float64, k)
	b, below := 0, 0
	for i := range out {
		target := (float64(i) + 0.5) / float64(k) * float64(total)
		for b < len(counts)-1 && float64(below+counts[b]) < target {
			below += counts[b]
			b++
		}
		frac := 0.0
		if counts[b] > 0 {
			frac = (target - float64(below)) / float64(counts[b])
		}
		out[i] = edges[b] + min(max(frac, 0), 1)*(edges[b+1]-edges[b])
	}
	return out
}

// CurrentFrom extracts the named columns of f (all columns with a reference when
// names is empty) as current batches, typed as their references are. The numeric
// values are copies that Compare and Column sort in place (no second copy): after
// those, a batch's Values are filtered and sorted.
func CurrentFrom(f *frame.Frame, refs []Reference, names []string) ([]Current, error) {
	byName := map[string]Reference{}
	for _, r := range refs {
		byName[r.Name] = r
	}
	if len(names) == 0 {
		for _, r := range refs {
			if slices.Contains(f.Names(), r.Name) {
				names = append(names, r.Name)
			}
		}
	}
	idx := map[string]int{}
	for i, n := range f.Names() {
		idx[n] = i
	}
	out := make([]Current, len(names))
	errs := make([]error, len(names))
	parallel(len(names), func(k int) {
		name := names[k]
		r, ok := byName[name]
		if !ok {
			errs[k] = fmt.Errorf("drift: column %q has no reference statistics in the model", name)
			return
		}
		i, ok := idx[name]
		if !ok {
			errs[k] = fmt.Errorf("drift: column %q is not in the current data (columns: %v)", name, f.Names())
			return
		}
		c := f.Col(i)
		out[k].Name = name
		if r.Categorical {
			out[k].Labels = make([]string, c.Len())
			for row := range out[k].Labels {
				if c.IsNull(row) {
					continue
				}
				switch c.Type() {
				case frame.Bool:
					out[k].Labels[row] = "0"
					if c.Bool(row) {
						out[k].Labels[row] = "1"
					}
				case frame.Float, frame.Int:
					out[k].Labels[row] = FormatLevel(c.Float(row))
				default:
					out[k].Labels[row] = c.Str(row)
				}
			}
			return
		}
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
		default:
			errs[k] = fmt.Errorf("drift: column %q is %s in the current data but numeric in the reference", name, c.Type())
			return
		}
		vals := make([]float64, c.Len())
		for row := range vals {
			if c.IsNull(row) {
				vals[row] = math.NaN()
			} else {
				vals[row] = c.Float(row)
			}
		}
		out[k].Values, out[k].owned = vals, true
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parallel runs fn(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
