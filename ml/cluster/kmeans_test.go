package cluster_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/cluster"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
)

func features(t *testing.T, name string, standardize bool) *mat.Dense {
	t.Helper()
	f, err := frame.Open(t.Context(), "../testdata/data/"+name+".csv", frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ = f.Drop("target_class")
	if standardize {
		s := &preprocess.StandardScaler{}
		_ = s.Fit(f)
		f, _ = s.Transform(f)
	}
	x, err := f.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestKMeansAgainstSklearn(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../testdata/kmeans.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []struct {
			Dataset     string
			K           int
			Standardize bool
			Inertia     float64
		}
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	for _, c := range fx.Cases {
		x := features(t, c.Dataset, c.Standardize)
		m := &cluster.KMeans{K: c.K, Seed: 1}
		if err := m.Fit(x); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s k=%d: inertia %.6g, scikit-learn %.6g", c.Dataset, c.K, m.Inertia, c.Inertia)
		if math.Abs(m.Inertia-c.Inertia) > 0.01*c.Inertia {
			t.Errorf("%s k=%d: inertia %.6g, scikit-learn %.6g (more than 1%% apart)", c.Dataset, c.K, m.Inertia, c.Inertia)
		}
		labels, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		// The inertia of the predicted assignment is the fitted inertia.
		var in float64
		for i, l := range labels {
			for j := range m.Centers[l] {
				d := x.At(i, j) - m.Centers[l][j]
				in += d * d
			}
		}
		if math.Abs(in-m.Inertia) > 1e-9*in {
			t.Errorf("inertia of Predict's labels %v != %v", in, m.Inertia)
		}
	}
}

func TestKMeansBadInput(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	if err := (&cluster.KMeans{K: 3}).Fit(x); err == nil || !strings.Contains(err.Error(), "2 rows cannot make 3 clusters") {
		t.Errorf("k > n: %v", err)
	}
	if err := (&cluster.KMeans{K: 1}).Fit(mat.NewDense(1, 1, []float64{math.Inf(-1)})); err == nil {
		t.Error("Inf accepted")
	}
	if _, err := (&cluster.KMeans{}).Predict(x); err == nil {
		t.Error("predict before fit")
	}
	m := &cluster.KMeans{K: 2, Seed: 1}
	if err := m.Fit(x); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(mat.NewDense(2, 2, []float64{1, 2, 3, math.NaN()})); err == nil || !strings.Contains(err.Error(), "X column 1, row 2") {
		t.Errorf("NaN at predict: %v", err)
	}
}

func ExampleKMeans() {
	x := mat.NewDense(6, 1, []float64{1, 1.1, 0.9, 10, 10.2, 9.8})
	m := &cluster.KMeans{K: 2, Seed: 42}
	if err := m.Fit(x); err != nil {
		panic(err)
	}
	labels, _ := m.Predict(x)
	fmt.Println(labels[0] == labels[2], labels[0] != labels[3], math.Round(m.Inertia*100)/100)
	// Output: true true 0.1
}
