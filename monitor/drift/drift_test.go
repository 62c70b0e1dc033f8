package drift_test

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/monitor/drift"
)

type fixture struct {
	Name      string    `json:"name"`
	Test      string    `json:"test"`
	Numeric   bool      `json:"numeric"`
	Ref       []float64 `json:"ref"`
	Cur       []float64 `json:"cur"`
	RefLabels []string  `json:"ref_labels"`
	CurLabels []string  `json:"cur_labels"`
	Score     float64   `json:"score"`
	Tolerance float64   `json:"tolerance"`
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []fixture `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 20 {
		t.Fatalf("fixtures hold %d cases; regenerate with testdata/gen_fixtures.py", len(doc.Cases))
	}
	return doc.Cases
}

// reference builds a reference the way a trained model saves it: through
// model.ReferenceStats and drift.FromStats.
func reference(t *testing.T, c fixture) drift.Reference {
	t.Helper()
	var col *frame.Column
	if c.Numeric {
		col = frame.NewFloat("x", c.Ref, nil)
	} else {
		col = frame.NewString("x", c.RefLabels, nil)
	}
	f, err := frame.New(col)
	if err != nil {
		t.Fatal(err)
	}
	refs := drift.FromStats(model.ReferenceStats(f, 0))
	if len(refs) != 1 {
		t.Fatalf("%d references", len(refs))
	}
	return refs[0]
}

// TestAgainstSciPy checks every statistic against SciPy's on the same seeded samples
// (testdata/gen_fixtures.py), to 1e-9.
func TestAgainstSciPy(t *testing.T) {
	t.Parallel()
	for _, c := range loadFixtures(t) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			ref := reference(t, c)
			cur := drift.Current{Name: "x", Values: c.Cur, Labels: c.CurLabels}
			f, err := drift.Column(ref, cur, drift.Test(c.Test), 0)
			if err != nil {
				t.Fatal(err)
			}
			tol := 1e-9
			if c.Tolerance > 0 {
				tol = c.Tolerance
			}
			if math.Abs(f.Score-c.Score) > tol || math.IsNaN(f.Score) {
				t.Errorf("%s score %.17g, scipy %.17g (diff %.3g)", c.Test, f.Score, c.Score, f.Score-c.Score)
			}
			if c.Score > 1e-300 && c.Tolerance == 0 && math.Abs(f.Score-c.Score)/c.Score > 1e-6 {
				t.Errorf("%s score %.17g, scipy %.17g: relative difference %.3g", c.Test, f.Score, c.Score, math.Abs(f.Score-c.Score)/c.Score)
			}
			thr := drift.DefaultThreshold(f.Test)
			want := c.Score >= thr
			if drift.IsPValue(f.Test) {
				want = c.Score < thr
			}
			if f.Drift != want || f.Threshold != thr {
				t.Errorf("drift %v at threshold %g with scipy's score %g, want %v", f.Drift, f.Threshold, c.Score, want)
			}
		})
	}
}

// TestLowLevelAgainstSciPy checks the sample functions directly on the raw samples.
func TestLowLevelAgainstSciPy(t *testing.T) {
	t.Parallel()
	for _, c := range loadFixtures(t) {
		if c.Test != "ks" || c.Tolerance > 0 {
			continue
		}
		a, b := sorted(c.Ref), sorted(c.Cur)
		if _, p := drift.KS2Samp(a, b); math.Abs(p-c.Score) > 1e-9 {
			t.Errorf("%s: KS2Samp p %.17g, scipy %.17g", c.Name, p, c.Score)
		}
		if _, p := drift.KS2Samp(b, a); math.Abs(p-c.Score) > 1e-9 {
			t.Errorf("%s: KS2Samp is not symmetric: %.17g, scipy %.17g", c.Name, p, c.Score)
		}
	}
}

func sorted(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Float64s(out)
	return out
}

// TestSortLargeColumn checks the large-slice sort path on values of both signs,
// zeros, infinities-free duplicates and tiny magnitudes.
func TestSortLargeColumn(t *testing.T) {
	t.Parallel()
	v := make([]float64, 50_000)
	for i := range v {
		v[i] = float64((i*7919)%1000-500) * math.Pow(10, float64(i%7-3))
	}
	v[10], v[20] = math.Copysign(0, -1), 0
	ref := drift.Reference{Name: "x", N: len(v), Values: sorted(v[:1000])}
	want := drift.WassersteinDistance(sorted(v[:1000]), sorted(v))
	f, err := drift.Column(ref, drift.Current{Name: "x", Values: v}, drift.Wasserstein, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Score * max(ref.Std, 0.001); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
		t.Fatalf("wasserstein after the large-slice sort %g, after sort.Float64s %g", got, want)
	}
}
