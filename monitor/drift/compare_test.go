package drift_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/monitor/drift"
)

func mixedFrame(rows int, shift float64, seed uint64) *frame.Frame {
	rng := rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1))
	x := make([]float64, rows)
	small := make([]int64, rows)
	flag := make([]bool, rows)
	color := make([]string, rows)
	colors := []string{"red", "green", "blue"}
	for i := range x {
		x[i] = rng.NormFloat64() + shift
		small[i] = int64(rng.IntN(4))
		flag[i] = rng.Float64() < 0.3
		color[i] = colors[rng.IntN(3)]
	}
	f, err := frame.New(frame.NewFloat("x", x, nil), frame.NewInt("small", small, nil),
		frame.NewBool("flag", flag, nil), frame.NewString("color", color, nil))
	if err != nil {
		panic(err)
	}
	return f
}

func compare(t *testing.T, ref, cur *frame.Frame, opts drift.Options) *drift.Report {
	t.Helper()
	refs := drift.FromStats(model.ReferenceStats(ref, 0))
	c, err := drift.CurrentFrom(cur, refs, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := drift.Compare(refs, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestDefaultTests checks Evidently's choice of test by reference size and column type.
func TestDefaultTests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		refRows int
		want    map[string]drift.Test
	}{
		{1000, map[string]drift.Test{"x": drift.KS, "small": drift.ChiSquare, "flag": drift.Z, "color": drift.ChiSquare}},
		{1001, map[string]drift.Test{"x": drift.Wasserstein, "small": drift.JensenShannon, "flag": drift.JensenShannon, "color": drift.JensenShannon}},
	} {
		// The same rows: no test may find drift (Evidently's chi-squared takes the reference
		// shares as exact, so two independent samples of one distribution drift more often
		// than 5% of the time).
		rep := compare(t, mixedFrame(tc.refRows, 0, 1), mixedFrame(tc.refRows, 0, 1), drift.Options{})
		for _, f := range rep.Features {
			if f.Test != tc.want[f.Column] {
				t.Errorf("reference of %d rows: %s tested by %s, want %s", tc.refRows, f.Column, f.Test, tc.want[f.Column])
			}
			if f.Drift {
				t.Errorf("reference of %d rows: %s drifted on the same distribution (%s %g)", tc.refRows, f.Column, f.Test, f.Score)
			}
		}
		if rep.Drift || rep.Share != 0 {
			t.Errorf("same distribution: drift %v share %g", rep.Drift, rep.Share)
		}
	}
}

// TestDatasetDrift checks the share rule: one of four features drifting is not data set
// drift at 0.5, is at 0.25.
func TestDatasetDrift(t *testing.T) {
	t.Parallel()
	ref, cur := mixedFrame(800, 0, 3), mixedFrame(800, 1, 3) // x shifted by 1, the rest equal
	rep := compare(t, ref, cur, drift.Options{})
	if rep.Drifted != 1 || rep.Share != 0.25 || rep.Drift {
		t.Fatalf("drifted %d share %g drift %v, want 1, 0.25, false", rep.Drifted, rep.Share, rep.Drift)
	}
	if rep = compare(t, ref, cur, drift.Options{DriftShare: 0.25}); !rep.Drift {
		t.Fatal("share 0.25 at drift_share 0.25 is not drift")
	}
	rep = compare(t, ref, cur, drift.Options{Test: drift.PSI, Threshold: 0.2})
	for _, f := range rep.Features {
		if f.Test != drift.PSI || f.Threshold != 0.2 {
			t.Errorf("%s: %s at %g, want psi at 0.2", f.Column, f.Test, f.Threshold)
		}
	}
	if _, err := drift.Compare(nil, nil, drift.Options{Test: "anderson"}); err == nil || !strings.Contains(err.Error(), "unknown test") {
		t.Errorf("unknown test: %v", err)
	}
	refs := drift.FromStats(model.ReferenceStats(ref, 0))
	c, _ := drift.CurrentFrom(cur, refs, []string{"color"})
	if _, err := drift.Compare(refs, c, drift.Options{Test: drift.KS}); err == nil || !strings.Contains(err.Error(), "categorical") {
		t.Errorf("ks on a categorical column: %v", err)
	}
}

// TestSketchReference checks the large-reference path: the Wasserstein distance from the
// 1,000-quantile sketch is close to the one from all training values, and a model saved
// and loaded keeps the sketch.
func TestSketchReference(t *testing.T) {
	t.Parallel()
	ref, cur := mixedFrame(50_000, 0, 5), mixedFrame(20_000, 0.2, 6)
	stats := model.ReferenceStats(ref, 0)
	if len(stats[0].Quantiles) != model.SketchSize || stats[0].Values != nil {
		t.Fatalf("50,000 rows kept %d quantiles and %d values", len(stats[0].Quantiles), len(stats[0].Values))
	}
	refs := drift.FromStats(stats)
	c, err := drift.CurrentFrom(cur, refs, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := drift.Column(refs[0], c[0], "", 0)
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := ref.Col(0).Floats()
	cs, _ := cur.Col(0).Floats()
	sort.Float64s(xs)
	sort.Float64s(cs)
	exact := drift.WassersteinDistance(xs, cs) / refs[0].Std
	if f.Test != drift.Wasserstein || math.Abs(f.Score-exact) > 0.01 || !f.Drift {
		t.Errorf("sketch wasserstein %g (%s, drift %v), exact %g", f.Score, f.Test, f.Drift, exact)
	}
	// A model file keeps the sketch.
	var buf bytes.Buffer
	trained := trainSmall(t, ref)
	if err := trained.Save(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := model.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	r2 := drift.FromStats(back.Metadata.Reference)
	for _, r := range r2 {
		if r.Name == "x" && len(r.Quantiles) != model.SketchSize {
			t.Errorf("loaded model keeps %d quantiles of x", len(r.Quantiles))
		}
	}
}

// TestOldReference checks that statistics without values or sketch (models saved before
// they were kept) still give a drift score, from the histogram.
func TestOldReference(t *testing.T) {
	t.Parallel()
	ref, cur := mixedFrame(5000, 0, 8), mixedFrame(5000, 0.5, 9)
	stats := model.ReferenceStats(ref, 0)
	exact := drift.FromStats(stats)
	for i := range stats {
		stats[i].Values, stats[i].Quantiles = nil, nil
	}
	old := drift.FromStats(stats)
	c, err := drift.CurrentFrom(cur, old, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := drift.Column(old[0], c[0], "", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := drift.Column(exact[0], c[0], "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Drift || math.Abs(a.Score-b.Score) > 0.05 {
		t.Errorf("from the histogram %g (drift %v), from the sketch %g", a.Score, a.Drift, b.Score)
	}
}

// trainSmall trains a linear regression of small on x.
func trainSmall(t *testing.T, f *frame.Frame) *model.Model {
	t.Helper()
	m, err := model.Train(f, model.Config{Target: "small", Inputs: []string{"x"}, Estimator: &linear.LinearRegression{}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFewReferenceValuesManyCurrent checks binning by value when the reference has at
// most 20 distinct values and the batch many: every batch value is its own category.
func TestFewReferenceValuesManyCurrent(t *testing.T) {
	t.Parallel()
	ref := make([]float64, 2000)
	for i := range ref {
		ref[i] = float64(i % 10)
	}
	f, err := frame.New(frame.NewFloat("v", ref, nil))
	if err != nil {
		t.Fatal(err)
	}
	refs := drift.FromStats(model.ReferenceStats(f, 0))
	cur := make([]float64, 100)
	for i := range cur {
		cur[i] = float64(i) / 2
	}
	for _, test := range []drift.Test{drift.JensenShannon, drift.PSI} {
		got, err := drift.Column(refs[0], drift.Current{Name: "v", Values: cur}, test, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Labels) != 100 || !got.Drift {
			t.Errorf("%s: %d categories (want the 100 of the union), drift %v", test, len(got.Labels), got.Drift)
		}
	}
}
