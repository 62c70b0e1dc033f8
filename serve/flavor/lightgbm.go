package flavor

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/dmitryikh/leaves"
)

// OpenLightGBM reads a LightGBM model in its text format (Booster.save_model("model.txt"),
// what mlflow.lightgbm writes as model.lgb) with github.com/dmitryikh/leaves, which
// applies the objective's transformation (binary: the sigmoid; multiclass: the softmax;
// poisson, gamma, tweedie: exp; regression: none). The inputs are the model's
// feature_names.
func OpenLightGBM(path string) (*Booster, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("LightGBM model: %w", err)
	}
	head, _, _ := bytes.Cut(b, []byte("\nTree="))
	var names []string
	for line := range strings.SplitSeq(string(head), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case "feature_names":
			names = strings.Fields(v)
		case "version":
			if v == "v4" {
				// LightGBM 4 writes v4, whose text format leaves reads as v3's.
				b = bytes.Replace(b, []byte("version=v4"), []byte("version=v3"), 1)
			}
		}
	}
	e, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(b)), true)
	if err != nil {
		return nil, fmt.Errorf("LightGBM model %s: %w (weir reads LightGBM's text format: Booster.save_model(\"model.txt\"))", path, err)
	}
	bst := &Booster{platform: "lightgbm", nFeatures: e.NFeatures(), nGroups: e.NOutputGroups()}
	if len(names) == bst.nFeatures {
		bst.names = names
	}
	bst.row = func(x []float64, _ []float32, out []float64) { _ = e.Predict(x, 0, out) }
	bst.defaultInputs()
	return bst, nil
}
