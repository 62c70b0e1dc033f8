package tree_test

import (
	"encoding/json"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/tree"
)

// TestMissingDirections checks the rules by hand: a missing value follows
// the direction learned at fit time (left here, with the low values it
// resembles), a feature that had none at fit time sends it to the child
// with more training rows, and a saved tree keeps the directions.
func TestMissingDirections(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	// Class 1 for x ≥ 4; the missing rows are class 0, like x ≤ 3.
	x := mat.NewDense(8, 2, []float64{1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, nan, 0, nan, 0})
	m := &tree.Classifier{MaxDepth: 1}
	if err := m.Fit(x, []int{0, 0, 0, 1, 1, 1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	tr := m.Tree
	if tr.Feature[0] != 0 || tr.Threshold[0] != 3.5 || !tr.MissingLeft[0] {
		t.Fatalf("root: x[%d] <= %v, missing left %v; want x[0] <= 3.5, missing left", tr.Feature[0], tr.Threshold[0], tr.MissingLeft[0])
	}
	pred, err := m.Predict(mat.NewDense(3, 2, []float64{nan, 0, 3.9, 0, 2, nan}))
	if err != nil {
		t.Fatal(err)
	}
	if pred[0] != 0 || pred[1] != 1 || pred[2] != 0 {
		t.Errorf("predictions %v, want [0 1 0]", pred)
	}
	// Without missing values at fit time: 4 rows left, 2 right, so a
	// missing value goes left; with 2 left and 4 right it goes right.
	for _, c := range []struct {
		y    []float64
		want float64
	}{{[]float64{0, 0, 0, 0, 10, 10}, 0}, {[]float64{0, 0, 10, 10, 10, 10}, 10}} {
		r := &tree.Regressor{MaxDepth: 1}
		if err := r.Fit(mat.NewDense(6, 1, []float64{1, 2, 3, 4, 5, 6}), c.y); err != nil {
			t.Fatal(err)
		}
		p, err := r.Predict(mat.NewDense(1, 1, []float64{nan}))
		if err != nil {
			t.Fatal(err)
		}
		if p[0] != c.want {
			t.Errorf("y %v: unseen missing value predicts %v, want %v (the larger child)", c.y, p[0], c.want)
		}
		// A tree saved before MissingLeft existed derives the same rule
		// from Samples.
		b, _ := json.Marshal(r.Tree)
		var old tree.Tree
		_ = json.Unmarshal(b, &old)
		old.MissingLeft = nil
		if got := old.Value[old.LeafMissing([]float64{nan})]; got != c.want {
			t.Errorf("tree without MissingLeft: missing value predicts %v, want %v", got, c.want)
		}
	}
	// Directions survive JSON.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back tree.Classifier
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Tree.Validate(2); err != nil || !back.Tree.MissingLeft[0] {
		t.Fatalf("round trip: %v, missing left %v", err, back.Tree.MissingLeft)
	}
}

// TestBinnerMissing checks the missing bin: after the bins of values,
// with the values binned as without NaN.
func TestBinnerMissing(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	x := mat.NewDense(5, 2, []float64{1, 7, nan, 7, 3, 8, nan, 9, 2, 8})
	b := tree.FitBinner(x, 0, 0)
	if !b.HasMissing(0) || b.HasMissing(1) {
		t.Fatalf("missing %v, want [true false]", b.Missing)
	}
	d, err := b.Transform(x)
	if err != nil {
		t.Fatal(err)
	}
	if d.NBins[0] != 3 || d.Cols[0][1] != 3 || d.Cols[0][3] != 3 || d.Cols[0][0] != 0 || d.Cols[0][2] != 2 {
		t.Errorf("bins %v (%d bins of values), want [0 3 2 3 1] with 3", d.Cols[0], d.NBins[0])
	}
	if _, err := b.Transform(mat.NewDense(1, 2, []float64{1, nan})); err == nil {
		t.Error("NaN in a feature fitted without missing values was binned")
	}
	// All values missing: no split, no panic.
	r := &tree.Regressor{}
	if err := r.Fit(mat.NewDense(3, 1, []float64{nan, nan, nan}), []float64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if len(r.Tree.Feature) != 1 {
		t.Errorf("all-missing feature split: %v", r.Tree.Feature)
	}
}
