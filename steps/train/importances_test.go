package train_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/weirhq/weir/steps/internal/steptest"
)

// A tree's impurity importances are in the output, sum to one, and are drawn as a plot in
// the tracking run.
func TestTrainLogsFeatureImportances(t *testing.T) {
	t.Parallel()
	csv, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "data", "possum.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dags := steptest.Files(t, map[string]string{"possum.csv": string(csv), "fi.yaml": `
dag_id: fi
tasks:
  - id: train
    model.train:
      data: possum.csv
      target: taill
      estimator: decision_tree_regressor
      params: {max_depth: 3}
      inputs: [totlngth, footlgth, hdlngth]
  - id: linear
    model.train: {data: possum.csv, target: taill, estimator: ridge, inputs: [totlngth]}
`})
	r := steptest.RunDAG(t, dags, "fi")
	var out struct {
		Importances map[string]float64 `json:"feature_importances"`
		Plots       map[string]string
	}
	if err := json.Unmarshal(r.Succeeded(t, "train"), &out); err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range out.Importances {
		sum += v
	}
	if len(out.Importances) != 3 || math.Abs(sum-1) > 1e-9 || out.Importances["totlngth"] <= 0 {
		t.Fatalf("importances %v (sum %v)", out.Importances, sum)
	}
	if out.Plots["feature_importances"] != "plots/feature_importances.png" {
		t.Fatalf("plots %v", out.Plots)
	}
	pngs := r.TrackedArtifacts(t, "plots/feature_importances.png")
	found := false
	for _, b := range pngs {
		found = found || bytes.HasPrefix(b, []byte("\x89PNG"))
	}
	if !found {
		t.Fatal("no PNG among the train step's tracked artifacts")
	}
	// A linear model has no impurity importances: nothing is claimed.
	var lin map[string]any
	if err := json.Unmarshal(r.Succeeded(t, "linear"), &lin); err != nil {
		t.Fatal(err)
	}
	if _, ok := lin["feature_importances"]; ok {
		t.Fatalf("ridge output claims importances: %v", lin["feature_importances"])
	}
}
