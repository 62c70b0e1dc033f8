package model_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/ensemble"
	"github.com/weirhq/weir/ml/linear"
	"github.com/weirhq/weir/ml/model"
)

// TestTreesTrainOnMissingValues checks that the tree ensembles take a
// frame's missing values as NaN (no imputer), in training and prediction,
// and that a saved model predicts the same, while a linear model still
// refuses them.
func TestTreesTrainOnMissingValues(t *testing.T) {
	t.Parallel()
	f := customers(t)
	c, err := f.Column("alcohol")
	if err != nil {
		t.Fatal(err)
	}
	if c.NullCount() == 0 {
		t.Fatal("the test frame's alcohol column has no missing values")
	}
	cfg := model.Config{Target: "cultivar", Inputs: []string{"alcohol", "proline"},
		Estimator: &ensemble.BoostingClassifier{BoostOptions: ensemble.BoostOptions{NEstimators: 20}}}
	m, err := model.Train(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := model.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	q, err := back.Predict(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Probabilities {
		for k := range p.Probabilities[i] {
			if math.Float64bits(p.Probabilities[i][k]) != math.Float64bits(q.Probabilities[i][k]) {
				t.Fatalf("row %d: saved model predicts %v, fitted %v", i, q.Probabilities[i], p.Probabilities[i])
			}
		}
	}
	_, err = model.Train(f, model.Config{Target: "proline", Inputs: []string{"alcohol"}, Estimator: &linear.Ridge{}})
	if err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("ridge on missing values: %v", err)
	}
}
