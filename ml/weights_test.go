package ml_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/weirhq/weir/ml"
)

func TestClassWeight(t *testing.T) {
	t.Parallel()
	// scikit-learn: compute_class_weight("balanced", classes=[0, 1, 2],
	// y=[0, 0, 0, 0, 1, 1, 2]) = 7/(3·[4, 2, 1]).
	got, err := ml.Balanced().PerClass([]int{0, 1, 2}, []int{0, 0, 0, 0, 1, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range []float64{7.0 / 12, 7.0 / 6, 7.0 / 3} {
		if math.Abs(got[k]-want) > 1e-15 {
			t.Errorf("balanced weight of class %d = %v, want %v", k, got[k], want)
		}
	}
	var cw ml.ClassWeight
	if err := json.Unmarshal([]byte(`{"3": 2.5}`), &cw); err != nil {
		t.Fatal(err)
	}
	got, err = cw.PerClass([]int{3, 5}, []int{0, 1})
	if err != nil || got[0] != 2.5 || got[1] != 1 {
		t.Errorf("explicit weights: %v, %v", got, err)
	}
	if err := json.Unmarshal([]byte(`"balanced"`), &cw); err != nil || !cw.Balanced {
		t.Errorf("\"balanced\": %+v, %v", cw, err)
	}
	if b, _ := json.Marshal(ml.Balanced()); string(b) != `"balanced"` {
		t.Errorf("marshal balanced: %s", b)
	}
	if err := json.Unmarshal([]byte(`"even"`), &cw); err == nil {
		t.Error("accepted class_weight \"even\"")
	}
	if _, err := (&ml.ClassWeight{Weights: map[int]float64{9: 1}}).PerClass([]int{0, 1}, []int{0, 1}); err == nil {
		t.Error("accepted a weight for an unknown class")
	}
	var pe *ml.ParamError
	if _, err := (&ml.ClassWeight{Weights: map[int]float64{1: math.NaN()}}).PerClass([]int{0, 1}, []int{0, 1}); !errors.As(err, &pe) || pe.Field != "Weights[1]" {
		t.Errorf("NaN weight: %v", err)
	}
}
