// Package drift measures data drift per feature between a reference (the training
// data, or the statistics model.ReferenceStats saved from it) and a current batch,
// with Evidently's defaults so that results are comparable with Evidently's
// DataDriftPreset:
//
//   - reference of at most 1,000 values: numeric columns → two-sample
//     Kolmogorov–Smirnov p-value (scipy.stats.ks_2samp), drift when p ≤ 0.05;
//     categorical columns → chi-squared p-value with expected counts from the
//     reference shares (scipy.stats.chisquare), drift when p < 0.05; binary columns
//     (two values in reference and current together) → two-proportion Z-test,
//     drift when p < 0.05;
//   - larger reference: numeric → Wasserstein distance divided by
//     max(std(reference), 0.001), drift when ≥ 0.1; categorical → Jensen–Shannon
//     distance (natural logarithm), drift when ≥ 0.1;
//   - PSI on request, binned as Evidently bins (Sturges' rule over reference and
//     current together for numeric columns with more than 20 distinct reference
//     values, value counts otherwise), drift when ≥ 0.1;
//   - a numeric column with at most 5 distinct values in reference and current
//     together is tested as categorical; a Bool or String column is categorical;
//   - the data set drifts when the share of drifted features is at least 0.5.
//
// Where the repository's reference notes and Evidently's source differ, this package
// follows the source (evidently/legacy/calculations/stattests): KS drifts at
// p ≤ threshold (not <); empty bins of PSI become 0.0001, or the smallest non-zero
// share / 10⁶ when that share is at most 0.0001; Jensen–Shannon bins are not filled.
// Missing and infinite values are dropped before testing, as Evidently drops them.
package drift

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Test names a statistical test.
type Test string

// The tests, named as Evidently names them.
const (
	KS            Test = "ks"
	Wasserstein   Test = "wasserstein"
	PSI           Test = "psi"
	JensenShannon Test = "jensenshannon"
	ChiSquare     Test = "chisquare"
	Z             Test = "z"
)

// Tests lists every test, for validation and documentation.
var Tests = []Test{KS, Wasserstein, PSI, JensenShannon, ChiSquare, Z}

// DefaultThreshold returns Evidently's default threshold of t: 0.05 for the p-value
// tests (ks, chisquare, z), 0.1 for the distances (wasserstein, jensenshannon, psi).
func DefaultThreshold(t Test) float64 {
	switch t {
	case KS, ChiSquare, Z:
		return 0.05
	}
	return 0.1
}

// IsPValue reports whether t's score is a p-value (drift when small) rather than a
// distance (drift when large).
func IsPValue(t Test) bool { return t == KS || t == ChiSquare || t == Z }

// SmallReference is the largest reference, in values, tested with p-value tests by
// default.
const SmallReference = 1000

// Reference is one feature's reference distribution.
type Reference struct {
	// Name is the feature's column name.
	Name string
	// Categorical is true for String and Bool columns.
	Categorical bool
	// N is the number of present reference values.
	N int
	// Values are the present values of a numeric column, sorted ascending, when the
	// reference keeps them all (N ≤ 1,000: the tests are then exact).
	Values []float64
	// Quantiles is a sketch of a larger numeric column: len(Quantiles) values at
	// equally spaced probabilities, each standing for N/len(Quantiles) values.
	Quantiles []float64
	// Std is the population standard deviation of a numeric column; Min and Max its
	// range.
	Std, Min, Max float64
	// Levels and Counts are the distinct values of a categorical column (as strings),
	// or of a numeric column with at most 20 distinct values (as strconv 'g'
	// formatted floats), and how often each occurs.
	Levels []string
	Counts []int
}

// Current is one feature's current batch: Values for a numeric column (any order;
// NaN and ±Inf are dropped), Labels for a categorical one ("" is missing).
type Current struct {
	Name   string
	Values []float64
	Labels []string
	// owned marks Values built by CurrentFrom: Column may sort them in place.
	owned bool
}

// Options tune Compare.
type Options struct {
	// Test overrides the default choice of test for every feature.
	Test Test
	// Threshold overrides the test's default threshold (0 keeps the default).
	Threshold float64
	// DriftShare is the share of drifted features at which the data set drifts
	// (0 means 0.5).
	DriftShare float64
}

// Feature is one feature's result.
type Feature struct {
	Column    string  `json:"column"`
	Type      string  `json:"type"`
	Test      Test    `json:"stattest"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Drift     bool    `json:"drift"`
	// ReferenceN and CurrentN are the present values compared.
	ReferenceN int `json:"reference_n"`
	CurrentN   int `json:"current_n"`
	// Edges, RefShares and CurShares are the binned distributions (for plots): bin
	// edges of a numeric feature, or nil with Labels naming the categories.
	Edges     []float64 `json:"edges,omitempty"`
	Labels    []string  `json:"labels,omitempty"`
	RefShares []float64 `json:"reference_shares,omitempty"`
	CurShares []float64 `json:"current_shares,omitempty"`
}

// Report is the result of Compare.
type Report struct {
	Drift      bool      `json:"drift"`
	Share      float64   `json:"share"`
	Drifted    int       `json:"drifted"`
	DriftShare float64   `json:"drift_share"`
	Features   []Feature `json:"features"`
}

// Compare tests every current feature against its reference (matched by name) and
// decides data set drift. A feature with no reference is an error.
func Compare(refs []Reference, cur []Current, opts Options) (*Report, error) {
	if opts.Test != "" && !slices.Contains(Tests, opts.Test) {
		return nil, fmt.Errorf("drift: unknown test %q; want one of %v", opts.Test, Tests)
	}
	byName := make(map[string]*Reference, len(refs))
	for i := range refs {
		byName[refs[i].Name] = &refs[i]
	}
	share := opts.DriftShare
	if share <= 0 {
		share = 0.5
	}
	rep := &Report{DriftShare: share, Features: make([]Feature, len(cur))}
	errs := make([]error, len(cur))
	parallel(len(cur), func(i int) {
		r, ok := byName[cur[i].Name]
		if !ok {
			errs[i] = fmt.Errorf("drift: column %q has no reference statistics; the model's reference has %d columns", cur[i].Name, len(refs))
			return
		}
		rep.Features[i], errs[i] = Column(*r, cur[i], opts.Test, opts.Threshold)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, f := range rep.Features {
		if f.Drift {
			rep.Drifted++
		}
	}
	if len(cur) > 0 {
		rep.Share = float64(rep.Drifted) / float64(len(cur))
	}
	rep.Drift = len(cur) > 0 && rep.Share >= share
	return rep, nil
}

// Column tests one feature. test "" chooses Evidently's default; threshold 0 keeps
// the test's default threshold.
func Column(ref Reference, cur Current, test Test, threshold float64) (Feature, error) {
	f := Feature{Column: ref.Name, ReferenceN: ref.N}
	if ref.N == 0 {
		return f, fmt.Errorf("drift: column %q has no reference values", ref.Name)
	}
	categorical := ref.Categorical
	var values []float64
	var counts map[string]int
	if categorical {
		counts = map[string]int{}
		for _, l := range cur.Labels {
			if l != "" {
				counts[l]++
				f.CurrentN++
			}
		}
	} else {
		if cur.owned {
			values = cur.Values[:0]
		} else {
			values = make([]float64, 0, len(cur.Values))
		}
		for _, v := range cur.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				values = append(values, v)
			}
		}
		f.CurrentN = len(values)
		sortFloats(values)
	}
	if f.CurrentN == 0 {
		return f, fmt.Errorf("drift: column %q has no current values", ref.Name)
	}
	// A numeric column with few distinct values is tested as categorical.
	nValues := 0
	if categorical {
		nValues = len(unionKeys(ref.Levels, counts))
	} else if ref.Levels != nil {
		counts = countFloats(values, 6+len(ref.Levels))
		if counts != nil {
			nValues = len(unionKeys(ref.Levels, counts))
		} else {
			nValues = 6
		}
	} else {
		nValues = 6
	}
	f.Type = "numeric"
	if categorical || nValues <= 5 {
		f.Type = "categorical"
		if nValues <= 2 {
			f.Type = "binary"
		}
	}
	if test == "" {
		switch {
		case ref.N <= SmallReference && f.Type == "numeric":
			test = KS
		case ref.N <= SmallReference && f.Type == "binary":
			test = Z
		case ref.N <= SmallReference:
			test = ChiSquare
		case f.Type == "numeric":
			test = Wasserstein
		default:
			test = JensenShannon
		}
	}
	if threshold == 0 {
		threshold = DefaultThreshold(test)
	}
	f.Test, f.Threshold = test, threshold
	refCat := categorical || f.Type != "numeric"
	if refCat && counts == nil {
		counts = countFloats(values, -1)
	}
	switch test {
	case KS, Wasserstein:
		if categorical {
			return f, fmt.Errorf("drift: column %q is categorical; %s tests numeric columns (use chisquare, z, jensenshannon or psi)", ref.Name, test)
		}
		sample := ref.sample()
		if test == KS {
			_, f.Score = KS2Samp(sample, values)
		} else {
			f.Score = WassersteinDistance(sample, values) / max(ref.Std, 0.001)
		}
	case ChiSquare, Z:
		keys, r, c := categoryCounts(ref, counts, f.CurrentN)
		f.Labels = keys
		if test == ChiSquare {
			k := float64(f.CurrentN) / float64(ref.N)
			exp := make([]float64, len(r))
			for i := range r {
				exp[i] = r[i] * k
			}
			_, f.Score = ChiSquareTest(c, exp)
		} else {
			if len(keys) > 2 {
				return f, fmt.Errorf("drift: column %q has %d categories; the z test needs at most 2 (use chisquare)", ref.Name, len(keys))
			}
			if len(keys) == 1 {
				f.Score = 1
			} else {
				f.Score = ZTest(int(r[1]), ref.N, int(c[1]), f.CurrentN)
			}
		}
		f.RefShares, f.CurShares = shares(r, float64(ref.N)), shares(c, float64(f.CurrentN))
	case JensenShannon, PSI:
		var r, c []float64
		if !refCat && len(ref.Levels) == 0 {
			f.Edges = SturgesEdges(min(ref.Min, values[0]), max(ref.Max, values[len(values)-1]), ref.N+f.CurrentN)
			r = histogram(ref.sample(), f.Edges)
			c = histogram(values, f.Edges)
			r = shares(r, float64(len(ref.sample())))
		} else {
			if counts == nil {
				counts = countFloats(values, -1)
			}
			var rc []float64
			f.Labels, rc, c = categoryCounts(ref, counts, f.CurrentN)
			r = shares(rc, float64(ref.N))
		}
		c = shares(c, float64(f.CurrentN))
		f.RefShares, f.CurShares = slices.Clone(r), slices.Clone(c)
		if test == JensenShannon {
			f.Score = JensenShannonDistance(r, c)
		} else {
			fillZeroes(r)
			fillZeroes(c)
			f.Score = PSIScore(r, c)
		}
	}
	if f.RefShares == nil {
		// KS and Wasserstein bin nothing: bin for plots as the binned tests do.
		if !refCat && (len(ref.Levels) == 0 || counts == nil) {
			sample := ref.sample()
			f.Edges = SturgesEdges(min(ref.Min, values[0]), max(ref.Max, values[len(values)-1]), ref.N+f.CurrentN)
			f.RefShares = shares(histogram(sample, f.Edges), float64(len(sample)))
			f.CurShares = shares(histogram(values, f.Edges), float64(f.CurrentN))
		} else {
			var r, c []float64
			f.Labels, r, c = categoryCounts(ref, counts, f.CurrentN)
			f.RefShares, f.CurShares = shares(r, float64(ref.N)), shares(c, float64(f.CurrentN))
		}
	}
	if IsPValue(test) {
		f.Drift = f.Score < threshold || (test == KS && f.Score <= threshold)
	} else {
		f.Drift = f.Score >= threshold
	}
	return f, nil
}

func shares(counts []float64, n float64) []float64 {
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = c / n
	}
	return out
}

// sample is the reference's values or its quantile sketch.
func (r Reference) sample() []float64 {
	if r.Values != nil {
		return r.Values
	}
	return r.Quantiles
}

func unionKeys(levels []string, counts map[string]int) []string {
	set := map[string]bool{}
	for _, l := range levels {
		set[l] = true
	}
	for l := range counts {
		set[l] = true
	}
	keys := make([]string, 0, len(set))
	for l := range set {
		keys = append(keys, l)
	}
	sort.Strings(keys)
	return keys
}

// categoryCounts aligns reference and current counts over the sorted union of
// their categories.
func categoryCounts(ref Reference, cur map[string]int, _ int) (keys []string, r, c []float64) {
	keys = unionKeys(ref.Levels, cur)
	refCounts := make(map[string]int, len(ref.Levels))
	for i, l := range ref.Levels {
		refCounts[l] = ref.Counts[i]
	}
	r = make([]float64, len(keys))
	c = make([]float64, len(keys))
	for i, k := range keys {
		r[i] = float64(refCounts[k])
		c[i] = float64(cur[k])
	}
	return keys, r, c
}

// countFloats counts the distinct values of sorted as FormatLevel strings; it gives
// up (nil) past limit distinct values when limit ≥ 0.
func countFloats(sorted []float64, limit int) map[string]int {
	out := map[string]int{}
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		out[FormatLevel(sorted[i])] = j - i
		if limit >= 0 && len(out) > limit {
			return nil
		}
		i = j
	}
	return out
}
