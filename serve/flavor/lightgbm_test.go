package flavor_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/serve/flavor"
)

// TestLightGBMHandWrittenModel checks leaves' answers on testdata/lightgbm/binary.txt
// (see its README) against the trees walked by hand.
func TestLightGBMHandWrittenModel(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "lightgbm", "binary.txt")
	if !flavor.IsBoosterFile(path) {
		t.Fatal("IsBoosterFile: a .txt LightGBM model is not recognised")
	}
	p, err := flavor.OpenFile(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Inputs().String(); got != "a:float, b:float" {
		t.Fatalf("inputs %s, want the model's feature_names a, b", got)
	}
	nan := math.NaN()
	rows := []struct {
		a, b float64
		raw  float64 // tree 0 + tree 1 + tree 2
	}{
		// a ≤ 0.5 → leaf 0.4; b = 3 > 1 → 0.25; + 0.05
		{0.2, 3, 0.4 + 0.25 + 0.05},
		// a > 0.5, b ≤ 2 → −0.2; b = 1.5 > 1 → 0.25; + 0.05
		{1.0, 1.5, -0.2 + 0.25 + 0.05},
		// a missing (NaN type, default left) → 0.4; b missing (type None: 0 ≤ 1) → −0.3; + 0.05
		{nan, nan, 0.4 - 0.3 + 0.05},
		// a > 0.5, b missing (NaN type, default right) → 0.1; b as 0 in tree 1 → −0.3; + 0.05
		{0.9, nan, 0.1 - 0.3 + 0.05},
		// the thresholds themselves go left: a = 0.5 → 0.4; b = 1 → −0.3; + 0.05
		{0.5, 1, 0.4 - 0.3 + 0.05},
		// a > 0.5, b = 2 → left: −0.2; b = 2 > 1 → 0.25; + 0.05
		{3, 2, -0.2 + 0.25 + 0.05},
	}
	a := make([]float64, len(rows))
	b := make([]float64, len(rows))
	av := make([]bool, len(rows))
	bv := make([]bool, len(rows))
	for i, r := range rows {
		a[i], av[i] = r.a, !math.IsNaN(r.a)
		b[i], bv[i] = r.b, !math.IsNaN(r.b)
	}
	f, err := frame.New(frame.NewFloat("b", b, bv), frame.NewFloat("a", a, av))
	if err != nil {
		t.Fatal(err)
	}
	pred, err := p.Predict(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(pred.Values) != len(rows) {
		t.Fatalf("%d values for %d rows", len(pred.Values), len(rows))
	}
	for i, r := range rows {
		want := 1 / (1 + math.Exp(-r.raw))
		if math.Abs(pred.Values[i]-want) > 1e-12 {
			t.Errorf("row %d (a=%v, b=%v): %.15g, want %.15g (raw %.2f)", i+1, r.a, r.b, pred.Values[i], want, r.raw)
		}
	}
}
