package model

import (
	"math"
	"slices"
	"sort"

	"github.com/weirhq/weir/ml/frame"
)

// ColumnStats summarises one input column of the training data: the reference a drift
// check compares serving data with.
type ColumnStats struct {
	// Name and Type are the column's.
	Name string     `json:"name"`
	Type frame.Type `json:"type"`
	// Count is the number of present values; Missing the number of missing ones.
	Count   int `json:"count"`
	Missing int `json:"missing"`
	// Mean, Std (population), Min and Max summarise numeric columns (Float, Int, Bool).
	Mean float64 `json:"mean,omitempty"`
	Std  float64 `json:"std,omitempty"`
	Min  float64 `json:"min,omitempty"`
	Max  float64 `json:"max,omitempty"`
	// Edges are the histogram's bin edges of a numeric column (len(Counts)+1 ascending
	// values, equal widths from Min to Max); Counts the present values in each bin, the
	// last bin closed.
	Edges  []float64 `json:"edges,omitempty"`
	Counts []int     `json:"counts,omitempty"`
	// Levels and LevelCounts are the distinct values of a String column and their counts,
	// most frequent first (at most 100; the rest are counted in Other).
	Levels      []string `json:"levels,omitempty"`
	LevelCounts []int    `json:"level_counts,omitempty"`
	Other       int      `json:"other,omitempty"`
	// Values are the present values of a numeric column, sorted, when there are at
	// most ExactLimit of them: drift tests on them are exact (monitor/drift).
	Values []float64 `json:"values,omitempty"`
	// Quantiles is a sketch of a numeric column with more than ExactLimit present
	// values: SketchSize values at probabilities (i+0.5)/SketchSize, each standing
	// for Count/SketchSize values. Wasserstein distance and PSI are computed from it.
	Quantiles []float64 `json:"quantiles,omitempty"`
	// Distinct and DistinctCounts are the distinct values of a numeric column with at
	// most 20 of them, ascending, and their counts: such columns are binned by value.
	Distinct       []float64 `json:"distinct,omitempty"`
	DistinctCounts []int     `json:"distinct_counts,omitempty"`
}

// ExactLimit is the number of present values up to which ReferenceStats keeps a
// numeric column's values; SketchSize the number of quantiles kept beyond it.
// Values, Quantiles and Distinct were added within format version 1: older files
// lack them and still load (monitor/drift then approximates from the histogram).
const (
	ExactLimit = 1000
	SketchSize = 1000
)

// ReferenceStats summarises every column of f, with numeric histograms of bins bins
// (0 means 10).
func ReferenceStats(f *frame.Frame, bins int) []ColumnStats {
	if bins <= 0 {
		bins = 10
	}
	out := make([]ColumnStats, 0, f.NumCols())
	for _, c := range f.Columns() {
		s := ColumnStats{Name: c.Name(), Type: c.Type(), Missing: c.NullCount()}
		s.Count = c.Len() - s.Missing
		switch c.Type() {
		case frame.Float, frame.Int, frame.Bool:
			numericStats(&s, c, bins)
		case frame.String:
			levelStats(&s, c)
		}
		out = append(out, s)
	}
	return out
}

func numericStats(s *ColumnStats, c *frame.Column, bins int) {
	var vals []float64
	for i := 0; i < c.Len(); i++ {
		if c.IsNull(i) {
			continue
		}
		var v float64
		switch c.Type() {
		case frame.Float:
			v = c.Float(i)
		case frame.Int:
			v = float64(c.Int(i))
		case frame.Bool:
			if c.Bool(i) {
				v = 1
			}
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		vals = append(vals, v)
	}
	s.Count = len(vals)
	s.Missing = c.Len() - len(vals)
	if len(vals) == 0 {
		return
	}
	s.Min, s.Max = vals[0], vals[0]
	var sum float64
	for _, v := range vals {
		sum += v
		s.Min, s.Max = min(s.Min, v), max(s.Max, v)
	}
	s.Mean = sum / float64(len(vals))
	var ss float64
	for _, v := range vals {
		ss += (v - s.Mean) * (v - s.Mean)
	}
	s.Std = math.Sqrt(ss / float64(len(vals)))
	if s.Max == s.Min {
		bins = 1
	}
	s.Edges = make([]float64, bins+1)
	width := (s.Max - s.Min) / float64(bins)
	for b := range s.Edges {
		s.Edges[b] = s.Min + float64(b)*width
	}
	s.Edges[bins] = s.Max
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	if len(sorted) <= ExactLimit {
		s.Values = sorted
	} else {
		s.Quantiles = make([]float64, SketchSize)
		for i := range s.Quantiles {
			s.Quantiles[i] = sorted[int((float64(i)+0.5)*float64(len(sorted))/SketchSize)]
		}
	}
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		if len(s.Distinct) == 20 {
			s.Distinct, s.DistinctCounts = nil, nil
			break
		}
		s.Distinct = append(s.Distinct, sorted[i])
		s.DistinctCounts = append(s.DistinctCounts, j-i)
		i = j
	}
	s.Counts = make([]int, bins)
	for _, v := range vals {
		b := bins - 1
		if width > 0 {
			b = min(int((v-s.Min)/width), bins-1)
		}
		s.Counts[b]++
	}
}

func levelStats(s *ColumnStats, c *frame.Column) {
	counts := map[string]int{}
	for i := 0; i < c.Len(); i++ {
		if !c.IsNull(i) {
			counts[c.Str(i)]++
		}
	}
	levels := make([]string, 0, len(counts))
	for l := range counts {
		levels = append(levels, l)
	}
	sort.Slice(levels, func(i, j int) bool {
		if counts[levels[i]] != counts[levels[j]] {
			return counts[levels[i]] > counts[levels[j]]
		}
		return levels[i] < levels[j]
	})
	for i, l := range levels {
		if i >= 100 {
			s.Other += counts[l]
			continue
		}
		s.Levels = append(s.Levels, l)
		s.LevelCounts = append(s.LevelCounts, counts[l])
	}
}
