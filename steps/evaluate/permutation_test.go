package evaluate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/weirhq/weir/steps/internal/steptest"
)

// Permutation importance on held-out data: a column the target depends on matters, a noise
// column does not, the numbers are in the output and drawn as a plot.
func TestPermutationImportance(t *testing.T) {
	t.Parallel()
	csv, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "data", "possum.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dags := steptest.Files(t, map[string]string{"possum.csv": string(csv), "pi.yaml": `
dag_id: pi
tasks:
  - id: split
    data.split: {data: possum.csv, target: taill, seed: 1}
  - id: train
    model.train: {data: "{{ outputs.split.train }}", target: taill, estimator: ridge, inputs: [totlngth, eye]}
  - id: evaluate
    model.evaluate:
      model: "{{ outputs.train.model }}"
      data: "{{ outputs.split.test }}"
      permutation_importance: {repeats: 8, seed: 3}
`})
	r := steptest.RunDAG(t, dags, "pi")
	var out struct {
		Perm  map[string]struct{ Mean, Std float64 } `json:"permutation_importance"`
		Plots map[string]string
	}
	if err := json.Unmarshal(r.Succeeded(t, "evaluate"), &out); err != nil {
		t.Fatal(err)
	}
	tot, eye := out.Perm["totlngth"], out.Perm["eye"]
	if tot.Mean < 0.2 || eye.Mean > 0.05 || tot.Std <= 0 {
		t.Fatalf("importances: totlngth %+v, eye %+v", tot, eye)
	}
	if out.Plots["permutation_importance"] != "plots/permutation_importance.png" {
		t.Fatalf("plots %v", out.Plots)
	}
	r.TrackedArtifacts(t, "plots/permutation_importance.png")
}
