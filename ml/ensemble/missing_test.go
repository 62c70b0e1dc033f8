package ensemble_test

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/internal/mltest"
	"github.com/weirhq/weir/ml/metrics"
	"github.com/weirhq/weir/ml/tree"
)

type stump struct {
	Name  string
	X     [][]*float64
	Y     []float64
	XTest [][]*float64 `json:"X_test"`
	Pred  []float64
}

func nanMatrix(rows [][]*float64) *mat.Dense {
	out := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		for j, v := range r {
			if v == nil {
				out.Set(i, j, math.NaN())
			} else {
				out.Set(i, j, *v)
			}
		}
	}
	return out
}

// TestMissingStumpsAgainstSklearn fits one-split models on data whose
// best split isolates the missing values (they go right), groups them
// with the low values (they go left), or has none at fit time (a missing
// value at predict time goes to the child with more rows), and compares
// the predictions with scikit-learn's HistGradientBoostingRegressor
// (one round, learning rate 1, no L2: each leaf predicts its mean). A
// depth-1 tree.Regressor and a one-tree forest must agree.
func TestMissingStumpsAgainstSklearn(t *testing.T) {
	t.Parallel()
	var fx struct{ Stumps []stump }
	mltest.Fixture(t, "missing.json", &fx)
	if len(fx.Stumps) != 4 {
		t.Fatalf("%d stumps in missing.json, want 4", len(fx.Stumps))
	}
	for _, c := range fx.Stumps {
		x, xt := nanMatrix(c.X), nanMatrix(c.XTest)
		b := &ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{NEstimators: 1, LearningRate: 1, MaxDepth: 1}}
		if err := b.Fit(x, c.Y); err != nil {
			t.Fatal(err)
		}
		tr := &tree.Regressor{MaxDepth: 1}
		if err := tr.Fit(x, c.Y); err != nil {
			t.Fatal(err)
		}
		f := &ensemble.ForestRegressor{ForestOptions: ensemble.ForestOptions{NEstimators: 1, NoBootstrap: true, MaxDepth: 1}}
		if err := f.Fit(x, c.Y); err != nil {
			t.Fatal(err)
		}
		for name, m := range map[string]interface {
			Predict(*mat.Dense) ([]float64, error)
		}{"boosting": b, "tree": tr, "forest": f} {
			pred, err := m.Predict(xt)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range c.Pred {
				if math.Abs(pred[i]-want) > 1e-6 {
					t.Errorf("%s %s: row %d (%v) predicts %v, scikit-learn %v", c.Name, name, i, xt.RawRowView(i), pred[i], want)
				}
			}
		}
	}
}

// TestMissingValuesAgainstSklearn injects missing values (15% at random
// in six features, and informative ones in a seventh) and compares the
// held-out score of boosting with HistGradientBoosting's on the same data.
func TestMissingValuesAgainstSklearn(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("large data sets skipped under the race detector")
	}
	var fx struct {
		Cases []struct {
			Dataset, Task string
			Missing       [][]int
			Train, Test   []int
			Score         float64
		}
	}
	mltest.Fixture(t, "missing.json", &fx)
	for _, c := range fx.Cases {
		x, y := dataset(t, c.Dataset)
		for j, rows := range c.Missing {
			for _, i := range rows {
				x.Set(i, j, math.NaN())
			}
		}
		xtr, xte := rowsOf(x, c.Train), rowsOf(x, c.Test)
		o := ensemble.BoostOptions{NEstimators: 100, MaxDepth: 6, MinSamplesLeaf: 20}
		var score float64
		if c.Task == "classification" {
			m := &ensemble.BoostingClassifier{BoostOptions: o}
			if err := m.Fit(xtr, ints(pick(y, c.Train))); err != nil {
				t.Fatal(err)
			}
			pred, err := m.Predict(xte)
			if err != nil {
				t.Fatal(err)
			}
			score, _ = metrics.Accuracy(ints(pick(y, c.Test)), pred)
		} else {
			m := &ensemble.BoostingRegressor{BoostOptions: o}
			if err := m.Fit(xtr, pick(y, c.Train)); err != nil {
				t.Fatal(err)
			}
			pred, err := m.Predict(xte)
			if err != nil {
				t.Fatal(err)
			}
			score, _ = metrics.R2(pick(y, c.Test), pred)
		}
		t.Logf("%s with missing values: weir %.4f, scikit-learn %.4f", c.Dataset, score, c.Score)
		if score < c.Score-0.01 {
			t.Errorf("%s: score %.4f is more than 1 point below scikit-learn's %.4f", c.Dataset, score, c.Score)
		}
	}
}

// TestForestLearnsFromMissingness checks a forest on data where only the
// missingness of a feature tells the class, and that the NaN-aware
// prediction walk gives the fast walk's results on rows without NaN.
func TestForestLearnsFromMissingness(t *testing.T) {
	t.Parallel()
	n := 400
	x := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		y[i] = i % 2
		a := float64(i % 7)
		if y[i] == 1 {
			a = math.NaN()
		}
		x.SetRow(i, []float64{a, float64((i * 13) % 11)})
	}
	m := &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 20, Seed: 4, MaxFeatures: 2}}
	if err := m.Fit(x, y); err != nil {
		t.Fatal(err)
	}
	pred, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := metrics.Accuracy(y, pred); acc != 1 {
		t.Errorf("accuracy %v on a class told by missingness, want 1", acc)
	}
	// Rows without NaN: both walks agree.
	clean := mat.NewDense(3, 2, []float64{0, 1, 3, 5, 6, 10})
	p1, _ := m.PredictProba(clean)
	for _, tr := range m.Trees {
		for i := 0; i < 3; i++ {
			if tr.Leaf(clean.RawRowView(i)) != tr.LeafMissing(clean.RawRowView(i)) {
				t.Fatalf("row %d: Leaf and LeafMissing disagree", i)
			}
		}
	}
	if p1[0][0] < 0.99 {
		t.Errorf("a present value predicts class 0 with %v", p1[0][0])
	}
	if _, err := m.Predict(mat.NewDense(1, 2, []float64{math.Inf(1), 1})); err == nil || !strings.Contains(err.Error(), "infinite one is not allowed") {
		t.Errorf("Inf at predict: %v", err)
	}
}
