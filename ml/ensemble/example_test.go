package ensemble_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/ensemble"
)

func ExampleForestClassifier() {
	// Two well separated groups.
	x := mat.NewDense(8, 2, []float64{0, 0, 0, 1, 1, 0, 1, 1, 5, 5, 5, 6, 6, 5, 6, 6})
	y := []int{0, 0, 0, 0, 1, 1, 1, 1}
	m := &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 20, Seed: 7}}
	if err := m.Fit(x, y); err != nil {
		panic(err)
	}
	pred, _ := m.Predict(mat.NewDense(2, 2, []float64{0.5, 0.5, 5.5, 5.5}))
	fmt.Println(pred)
	// Output: [0 1]
}

func ExampleBoostingRegressor() {
	x := mat.NewDense(6, 1, []float64{1, 2, 3, 4, 5, 6})
	y := []float64{1, 1, 1, 5, 5, 5}
	m := &ensemble.BoostingRegressor{BoostOptions: ensemble.BoostOptions{NEstimators: 50, LearningRate: 0.3}}
	if err := m.Fit(x, y); err != nil {
		panic(err)
	}
	pred, _ := m.Predict(mat.NewDense(2, 1, []float64{2, 5}))
	fmt.Printf("%.2f %.2f\n", pred[0], pred[1])
	// Output: 1.00 5.00
}

func TestDeterministicAndBadInput(t *testing.T) {
	t.Parallel()
	x, y := dataset(t, "wine")
	yi := make([]int, len(y))
	for i, v := range y {
		yi[i] = int(v)
	}
	a := &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 10, Seed: 3, Workers: 1}}
	b := &ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: 10, Seed: 3, Workers: 4}}
	if err := a.Fit(x, yi); err != nil {
		t.Fatal(err)
	}
	if err := b.Fit(x, yi); err != nil {
		t.Fatal(err)
	}
	pa, _ := a.PredictProba(x)
	pb, _ := b.PredictProba(x)
	for i := range pa {
		for k := range pa[i] {
			if math.Float64bits(pa[i][k]) != math.Float64bits(pb[i][k]) {
				t.Fatal("forest depends on the number of workers")
			}
		}
	}
	for name, err := range map[string]error{
		"one class":  (&ensemble.BoostingClassifier{}).Fit(x, make([]int, len(yi))),
		"lengths":    (&ensemble.ForestRegressor{}).Fit(x, y[:10]),
		"Inf":        (&ensemble.BoostingRegressor{}).Fit(mat.NewDense(2, 1, []float64{1, math.Inf(1)}), []float64{1, 2}),
		"negative":   (&ensemble.ForestClassifier{ForestOptions: ensemble.ForestOptions{NEstimators: -1}}).Fit(x, yi),
		"not fitted": func() error { _, err := (&ensemble.BoostingClassifier{}).Predict(x); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := a.Predict(mat.NewDense(1, 3, nil)); err == nil || !strings.Contains(err.Error(), "fitted on 13") {
		t.Errorf("wrong width: %v", err)
	}
}
