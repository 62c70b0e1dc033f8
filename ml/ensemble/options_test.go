package ensemble_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/ml/tree"
)

// TestBadHyperparameters checks that the tree, ensemble and cluster
// estimators refuse NaN and out-of-range options with the field named,
// instead of clamping them or falling back to a default.
func TestBadHyperparameters(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(6, 2, []float64{1, 2, 3, 4, 5, 7, 8, 8, 2, 1, 0, 3})
	y := []float64{1, 2, 3, 5, 1, 0}
	yc := []int{0, 1, 0, 1, 1, 0}
	for _, tc := range []struct {
		name, field, msg string
		err              error
	}{
		{"tree max features", "MaxFeatures", "tree.Classifier: MaxFeatures is 3; it must be at most the number of features, 2", (&tree.Classifier{MaxFeatures: 3}).Fit(x, yc)},
		{"tree negative depth", "MaxDepth", "tree.Regressor: MaxDepth is -1; it must be an integer ≥ 1 (or 0 for the default)", (&tree.Regressor{MaxDepth: -1}).Fit(x, y)},
		{"tree min split", "MinSamplesSplit", "tree.Regressor: MinSamplesSplit is 1; it must be an integer ≥ 2 (or 0 for the default)", (&tree.Regressor{MinSamplesSplit: 1}).Fit(x, y)},
		{"forest estimators", "NEstimators", "ensemble.ForestRegressor: NEstimators is -5; it must be an integer ≥ 1 (or 0 for the default)", (&ensemble.ForestRegressor{ForestOptions: ensemble.ForestOptions{NEstimators: -5}}).Fit(x, y)},
		{"forest max features", "MaxFeatures", "ensemble.ForestClassifier: MaxFeatures is 9; it must be at most the number of features, 2", (&ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{MaxFeatures: 9}}).Fit(x, yc)},
		{"boost NaN rate", "LearningRate", "ensemble.BoostingRegressor: LearningRate is NaN; it must be a finite number > 0", (&ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{LearningRate: math.NaN()}}).Fit(x, y)},
		{"boost max bins", "MaxBins", "ensemble.BoostingClassifier: MaxBins is 1000; it must be an integer in [2, 256] (or 0 for 256)", (&ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{MaxBins: 1000}}).Fit(x, yc)},
		{"boost L2", "L2", "ensemble.BoostingClassifier: L2 is -1; it must be a finite number ≥ 0", (&ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{L2: -1}}).Fit(x, yc)},
		{"kmeans tol", "Tol", "cluster.KMeans: Tol is NaN; it must be a finite number ≥ 0", (&cluster.KMeans{Tol: new(math.NaN())}).Fit(x)},
		{"kmeans k", "K", "cluster.KMeans: K is -2; it must be an integer ≥ 1 (or 0 for the default)", (&cluster.KMeans{K: -2}).Fit(x)},
	} {
		var pe *ml.ParamError
		if !errors.As(tc.err, &pe) || pe.Field != tc.field || tc.err.Error() != tc.msg {
			t.Errorf("%s: err = %v, want ParamError on %s: %q", tc.name, tc.err, tc.field, tc.msg)
		}
	}
}

// TestFitLeavesOptions checks that Fit does not write defaults back into
// the options, so that a fitted estimator's options are still what the
// caller asked for (and can be logged or reused as such).
func TestFitLeavesOptions(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(6, 2, []float64{1, 2, 3, 4, 5, 7, 8, 8, 2, 1, 0, 3})
	yc := []int{0, 1, 0, 1, 1, 0}
	b := &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{NEstimators: 3}}
	if err := b.Fit(x, yc); err != nil {
		t.Fatal(err)
	}
	if b.BoostOptions != (ensemble.BoostOptions{NEstimators: 3}) {
		t.Errorf("boosting options after Fit: %+v", b.BoostOptions)
	}
	f := &ensemble.ForestClassifier{}
	if err := f.Fit(x, yc); err != nil {
		t.Fatal(err)
	}
	if f.NEstimators != 0 || len(f.Trees) != 100 {
		t.Errorf("forest: NEstimators %d after Fit, %d trees", f.NEstimators, len(f.Trees))
	}
	k := &cluster.KMeans{K: 2}
	if err := k.Fit(x); err != nil {
		t.Fatal(err)
	}
	if k.Tol != nil || k.NInit != 0 || k.MaxIter != 0 {
		t.Errorf("k-means options after Fit: Tol %v NInit %d MaxIter %d", k.Tol, k.NInit, k.MaxIter)
	}
	zero := &cluster.KMeans{K: 2, Tol: new(0.0)}
	if err := zero.Fit(x); err != nil {
		t.Fatal(err)
	}
	if math.Abs(zero.Inertia-k.Inertia) > 1e-9*k.Inertia {
		t.Errorf("tol 0 inertia %v, default %v", zero.Inertia, k.Inertia)
	}
	s := &preprocess.MinMaxScaler{}
	fr := mustFrame(t, x)
	if err := s.Fit(fr); err != nil {
		t.Fatal(err)
	}
	if s.Low != 0 || s.High != 0 {
		t.Errorf("MinMaxScaler wrote its default range back: [%v, %v]", s.Low, s.High)
	}
	if err := (&preprocess.MinMaxScaler{Low: math.NaN(), High: 1}).Fit(fr); err == nil {
		t.Error("MinMaxScaler accepted a NaN Low")
	}
}

func mustFrame(t *testing.T, x *mat.Dense) *frame.Frame {
	t.Helper()
	n, p := x.Dims()
	cols := make([]*frame.Column, p)
	for j := range cols {
		v := make([]float64, n)
		mat.Col(v, j, x)
		cols[j] = frame.NewFloat(fmt.Sprintf("x%d", j), v, nil)
	}
	f, err := frame.New(cols...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
