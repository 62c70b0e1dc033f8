package ensemble_test

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml"
	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/internal/mltest"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/metrics"
)

func ints(y []float64) []int {
	out := make([]int, len(y))
	for i, v := range y {
		out[i] = int(v)
	}
	return out
}

// TestImportancesAgainstSklearn compares impurity importances with
// scikit-learn's feature_importances_. Forests differ by their random
// draws and weir bins features with more than 256 values, so the check is
// on the distance and the leading feature; the boosting regressor on
// diabetes (exact bins) must be close to GradientBoostingRegressor's.
func TestImportancesAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct {
		Ensembles []struct {
			Dataset, Model string
			Importances    []float64
		}
	}
	mltest.Fixture(t, "weights.json", &fx)
	for _, c := range fx.Ensembles {
		x, y := dataset(t, c.Dataset)
		var imp []float64
		limit := 0.15
		switch {
		case c.Model == "forest" && c.Dataset == "diabetes":
			m := &ensemble.ForestRegressor{ForestOptions: ensemble.ForestOptions{NEstimators: 200, Seed: 1}}
			if err := m.Fit(x, y); err != nil {
				t.Fatal(err)
			}
			imp = m.FeatureImportances()
		case c.Model == "forest":
			// 30 strongly correlated features: the trees split on one or
			// another of a correlated group depending on their draws.
			m := &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 200, Seed: 1}}
			if err := m.Fit(x, ints(y)); err != nil {
				t.Fatal(err)
			}
			imp, limit = m.FeatureImportances(), 0.25
		case c.Dataset == "diabetes":
			m := &ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{NEstimators: 50, MaxDepth: 3}}
			if err := m.Fit(x, y); err != nil {
				t.Fatal(err)
			}
			imp, limit = m.FeatureImportances(), 0.02
		default:
			// Newton-gain importances of log-loss trees against
			// scikit-learn's squared-error ones: only the picture agrees,
			// so at least 3 of the 5 leading features must be the same.
			m := &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{NEstimators: 50, MaxDepth: 3}}
			if err := m.Fit(x, ints(y)); err != nil {
				t.Fatal(err)
			}
			imp = m.FeatureImportances()
			a, b := top(imp, 5), top(c.Importances, 5)
			common := 0
			for _, j := range a {
				if slices.Contains(b, j) {
					common++
				}
			}
			t.Logf("%s/%s: leading features %v, scikit-learn %v", c.Dataset, c.Model, a, b)
			if common < 3 {
				t.Errorf("%s/%s: leading features %v share %d with scikit-learn's %v", c.Dataset, c.Model, a, common, b)
			}
			continue
		}
		var l1, sum float64
		for j, v := range c.Importances {
			l1 += math.Abs(imp[j] - v)
			sum += imp[j]
		}
		t.Logf("%s/%s: L1 distance to scikit-learn %.3g (limit %g)", c.Dataset, c.Model, l1, limit)
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s/%s: importances sum to %v", c.Dataset, c.Model, sum)
		}
		if l1 > limit || argmax(imp) != argmax(c.Importances) {
			t.Errorf("%s/%s: importances %.3f, scikit-learn %.3f", c.Dataset, c.Model, imp, c.Importances)
		}
	}
}

// top returns the indexes of the k largest values, largest first.
func top(v []float64, k int) []int {
	idx := make([]int, len(v))
	for j := range idx {
		idx[j] = j
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v[b], v[a]) })
	return idx[:k]
}

func argmax(v []float64) int {
	best := 0
	for j := range v {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// TestClassWeightAgainstSklearn fits class_weight="balanced" models on a
// data set with a rare class and compares the held-out balanced accuracy
// and the rare class's recall with scikit-learn's.
func TestClassWeightAgainstSklearn(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("large data set skipped under the race detector")
	}
	var fx struct {
		ClassWeightScores struct {
			Dataset           string
			Keep, Train, Test []int
			Cases             []struct {
				Model            string
				BalancedAccuracy float64 `json:"balanced_accuracy"`
				Recall           []float64
			}
		} `json:"class_weight_scores"`
	}
	mltest.Fixture(t, "weights.json", &fx)
	f := fx.ClassWeightScores
	x, y := dataset(t, f.Dataset)
	x = rowsOf(x, f.Keep)
	yk := make([]int, len(f.Keep))
	for k, i := range f.Keep {
		yk[k] = int(y[i])
	}
	sub := func(idx []int) []int {
		out := make([]int, len(idx))
		for k, i := range idx {
			out[k] = yk[i]
		}
		return out
	}
	xtr, xte, ytr, yte := rowsOf(x, f.Train), rowsOf(x, f.Test), sub(f.Train), sub(f.Test)
	for _, c := range f.Cases {
		var m interface {
			Fit(*mat.Dense, []int) error
			Predict(*mat.Dense) ([]int, error)
		}
		switch c.Model {
		case "hgbt":
			m = &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{NEstimators: 100, MaxDepth: 6, MinSamplesLeaf: 20}, ClassWeight: ml.Balanced()}
		case "forest":
			m = &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{Seed: 1}, ClassWeight: ml.Balanced()}
		case "logistic":
			m = &linear.LogisticRegression{MaxIter: 1000, ClassWeight: ml.Balanced()}
		}
		if err := m.Fit(xtr, ytr); err != nil {
			t.Fatal(err)
		}
		pred, err := m.Predict(xte)
		if err != nil {
			t.Fatal(err)
		}
		recall, err := metrics.Recall(yte, pred, metrics.Macro)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: balanced accuracy %.4f, scikit-learn %.4f (recall per class %v)", c.Model, recall, c.BalancedAccuracy, c.Recall)
		if recall < c.BalancedAccuracy-0.02 {
			t.Errorf("%s: balanced accuracy %.4f is more than 2 points below scikit-learn's %.4f", c.Model, recall, c.BalancedAccuracy)
		}
	}
}

// TestBoostingWeightsAreRepeats checks that a row of weight 2 counts as
// the row twice (on a small set binned exactly, with MinSamplesLeaf 1 so
// that row counts do not constrain the splits).
func TestBoostingWeightsAreRepeats(t *testing.T) {
	t.Parallel()
	x, y := dataset(t, "wine")
	yi := ints(y)
	w := make([]float64, len(y))
	var rep []int
	for i := range w {
		w[i] = float64(1 + i%2)
		for k := 0; k < 1+i%2; k++ {
			rep = append(rep, i)
		}
	}
	opts := ensemble.BoostOptions{NEstimators: 10, MaxDepth: 3}
	a := &ensemble.BoostingClassifier{BoostOptions: opts}
	if err := a.FitWeighted(x, yi, w); err != nil {
		t.Fatal(err)
	}
	yr := make([]int, len(rep))
	for k, i := range rep {
		yr[k] = yi[i]
	}
	b := &ensemble.BoostingClassifier{BoostOptions: opts}
	if err := b.Fit(rowsOf(x, rep), yr); err != nil {
		t.Fatal(err)
	}
	pa, _ := a.PredictProba(x)
	pb, _ := b.PredictProba(x)
	for i := range pa {
		for k := range pa[i] {
			if math.Abs(pa[i][k]-pb[i][k]) > 1e-9 {
				t.Fatalf("row %d: weighted proba %v, repeated rows %v", i, pa[i], pb[i])
			}
		}
	}
}
