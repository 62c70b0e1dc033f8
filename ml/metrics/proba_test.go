package metrics_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/metrics"
)

type probaFixture struct {
	Multi struct {
		YTrue []int       `json:"y_true"`
		Proba [][]float64 `json:"proba"`
	} `json:"multi"`
	ProbaAUC struct {
		BinaryClasses []int       `json:"binary_classes"`
		BinaryYTrue   []int       `json:"binary_y_true"`
		BinaryProba   [][]float64 `json:"binary_proba"`
		BinaryROCAUC  float64     `json:"binary_roc_auc"`
		MultiROCAUC   float64     `json:"multi_roc_auc"`
	} `json:"proba_auc"`
	OneClass struct {
		YTrue   []int       `json:"y_true"`
		Proba   [][]float64 `json:"proba"`
		Labels  []int       `json:"labels"`
		LogLoss float64     `json:"log_loss"`
		Error   string      `json:"error"`
	} `json:"one_class"`
}

func loadProba(t *testing.T) *probaFixture {
	t.Helper()
	b, err := os.ReadFile("../testdata/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var f probaFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestROCAUCProba(t *testing.T) {
	t.Parallel()
	f := loadProba(t)
	a := f.ProbaAUC
	got, err := metrics.ROCAUCProba(a.BinaryYTrue, a.BinaryProba, a.BinaryClasses)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "binary roc_auc from proba", got, a.BinaryROCAUC)
	got, err = metrics.ROCAUCProba(f.Multi.YTrue, f.Multi.Proba, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "multiclass roc_auc from proba", got, a.MultiROCAUC)
	if _, err := metrics.ROCAUCProba([]int{3, 9}, [][]float64{{0.5, 0.5}, {0.1, 0.9}}, []int{3, 7}); err == nil || !strings.Contains(err.Error(), "y_true[1] = 9 is not one of the classes [3 7]") {
		t.Errorf("unknown label: %v", err)
	}
	if _, err := metrics.ROCAUCProba([]int{7, 7}, [][]float64{{0.5, 0.5}, {0.1, 0.9}}, []int{3, 7}); err == nil || !strings.Contains(err.Error(), "only one class") {
		t.Errorf("one class: %v", err)
	}
}

func TestLogLossOneClass(t *testing.T) {
	t.Parallel()
	o := loadProba(t).OneClass
	if o.Error == "" {
		t.Fatal("fixture: scikit-learn accepted a one-class target")
	}
	_, err := metrics.LogLoss(o.YTrue, o.Proba, nil)
	if err == nil || !strings.Contains(err.Error(), "only one label (1)") || !strings.Contains(err.Error(), "labels") {
		t.Errorf("one-class log loss: err = %v; scikit-learn says %q", err, o.Error)
	}
	got, err := metrics.LogLoss(o.YTrue, o.Proba, o.Labels)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "one-class log loss with labels", got, o.LogLoss)
}
