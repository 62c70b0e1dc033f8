package metrics_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/weirhq/weir/ml/metrics"
)

type fixture struct {
	Regression struct {
		YTrue []float64 `json:"y_true"`
		YPred []float64 `json:"y_pred"`
		MSE   float64   `json:"mse"`
		RMSE  float64   `json:"rmse"`
		MAE   float64   `json:"mae"`
		R2    float64   `json:"r2"`
		MAPE  float64   `json:"mape"`
	} `json:"regression"`
	Classification map[string]json.RawMessage `json:"classification"`
	Binary         struct {
		YTrue     []int     `json:"y_true"`
		Score     []float64 `json:"score"`
		YPred     []int     `json:"y_pred"`
		ROCAUC    float64   `json:"roc_auc"`
		Precision float64   `json:"precision"`
		Recall    float64   `json:"recall"`
		F1        float64   `json:"f1"`
	} `json:"binary"`
	Multi struct {
		YTrue     []int       `json:"y_true"`
		Proba     [][]float64 `json:"proba"`
		LogLoss   float64     `json:"log_loss"`
		ROCAUCOvR float64     `json:"roc_auc_ovr"`
	} `json:"multi"`
}

func load(t *testing.T) *fixture {
	t.Helper()
	b, err := os.ReadFile("../testdata/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.15g, scikit-learn %.15g", name, got, want)
	}
}

func TestRegressionAgainstSklearn(t *testing.T) {
	t.Parallel()
	f := load(t).Regression
	for _, tc := range []struct {
		name string
		fn   func(a, b []float64) (float64, error)
		want float64
	}{
		{"MSE", metrics.MSE, f.MSE},
		{"RMSE", metrics.RMSE, f.RMSE},
		{"MAE", metrics.MAE, f.MAE},
		{"R2", metrics.R2, f.R2},
		{"MAPE", metrics.MAPE, f.MAPE},
	} {
		got, err := tc.fn(f.YTrue, f.YPred)
		if err != nil {
			t.Fatal(err)
		}
		near(t, tc.name, got, tc.want)
	}
}

func TestClassificationAgainstSklearn(t *testing.T) {
	t.Parallel()
	c := load(t).Classification
	var yTrue, yPred []int
	var confusion [][]int
	_ = json.Unmarshal(c["y_true"], &yTrue)
	_ = json.Unmarshal(c["y_pred"], &yPred)
	_ = json.Unmarshal(c["confusion"], &confusion)
	num := func(k string) float64 {
		var v float64
		if err := json.Unmarshal(c[k], &v); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return v
	}
	acc, err := metrics.Accuracy(yTrue, yPred)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "accuracy", acc, num("accuracy"))
	for _, avg := range []metrics.Average{metrics.Macro, metrics.Micro, metrics.Weighted} {
		p, _ := metrics.Precision(yTrue, yPred, avg)
		r, _ := metrics.Recall(yTrue, yPred, avg)
		f, _ := metrics.F1(yTrue, yPred, avg)
		near(t, "precision_"+avg.String(), p, num("precision_"+avg.String()))
		near(t, "recall_"+avg.String(), r, num("recall_"+avg.String()))
		near(t, "f1_"+avg.String(), f, num("f1_"+avg.String()))
	}
	cm, labels, err := metrics.ConfusionMatrix(yTrue, yPred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != len(confusion) {
		t.Fatalf("labels %v", labels)
	}
	for i := range cm {
		for j := range cm[i] {
			if cm[i][j] != confusion[i][j] {
				t.Errorf("confusion[%d][%d] = %d, want %d", i, j, cm[i][j], confusion[i][j])
			}
		}
	}
}

func TestBinaryAndProbabilisticAgainstSklearn(t *testing.T) {
	t.Parallel()
	f := load(t)
	auc, err := metrics.ROCAUC(f.Binary.YTrue, f.Binary.Score)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "roc_auc", auc, f.Binary.ROCAUC)
	p, r, f1, err := metrics.BinaryScores(f.Binary.YTrue, f.Binary.YPred, 1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "precision", p, f.Binary.Precision)
	near(t, "recall", r, f.Binary.Recall)
	near(t, "f1", f1, f.Binary.F1)
	ll, err := metrics.LogLoss(f.Multi.YTrue, f.Multi.Proba, nil)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "log_loss", ll, f.Multi.LogLoss)
	ovr, err := metrics.ROCAUCOvR(f.Multi.YTrue, f.Multi.Proba, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "roc_auc_ovr", ovr, f.Multi.ROCAUCOvR)
}

func TestStringLabels(t *testing.T) {
	t.Parallel()
	yTrue := []string{"cat", "dog", "dog", "bird", "cat"}
	yPred := []string{"cat", "dog", "cat", "bird", "dog"}
	cm, labels, err := metrics.ConfusionMatrix(yTrue, yPred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if labels[0] != "bird" || labels[1] != "cat" || labels[2] != "dog" {
		t.Fatalf("labels = %v", labels)
	}
	if cm[1][1] != 1 || cm[1][2] != 1 || cm[2][1] != 1 || cm[0][0] != 1 {
		t.Fatalf("cm = %v", cm)
	}
	f, _ := metrics.F1(yTrue, yPred, metrics.Micro)
	near(t, "micro f1", f, 0.6)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	if _, err := metrics.MSE([]float64{1, 2}, []float64{1}); !errors.Is(err, metrics.ErrLength) {
		t.Errorf("length mismatch: %v", err)
	}
	if _, err := metrics.MAE(nil, nil); !errors.Is(err, metrics.ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := metrics.R2([]float64{1, math.NaN()}, []float64{1, 2}); !errors.Is(err, metrics.ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
	if _, err := metrics.ROCAUC([]int{1, 1, 1}, []float64{0.1, 0.2, 0.3}); err == nil {
		t.Error("one class: no error")
	}
	if _, err := metrics.Accuracy([]int{1}, []int{1, 2}); !errors.Is(err, metrics.ErrLength) {
		t.Errorf("accuracy length: %v", err)
	}
	if _, err := metrics.LogLoss([]int{0, 1}, [][]float64{{0.5, 0.5}, {0.5}}, nil); !errors.Is(err, metrics.ErrLength) {
		t.Errorf("ragged proba: %v", err)
	}
}
