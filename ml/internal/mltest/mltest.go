// Package mltest loads the shared data sets and scikit-learn fixtures in
// ml/testdata for the model packages' tests.
package mltest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/weirhq/weir/ml/frame"
)

// Dir is the absolute path of ml/testdata.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Frame loads ml/testdata/data/NAME.csv and splits off its target column
// ("target_class" when present, else "target"): the features and y.
func Frame(t testing.TB, name string) (*frame.Frame, []float64) {
	t.Helper()
	f, err := frame.Open(t.Context(), filepath.Join(Dir(), "data", name+".csv"), frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := "target"
	if f.Has("target_class") {
		target = "target_class"
	}
	yc, err := f.Column(target)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yc.Floats()
	if err != nil {
		t.Fatal(err)
	}
	if f, err = f.Drop(target); err != nil {
		t.Fatal(err)
	}
	return f, y
}

// Dataset loads ml/testdata/data/NAME.csv as the matrix X and the target y.
func Dataset(t testing.TB, name string) (*mat.Dense, []float64) {
	t.Helper()
	f, y := Frame(t, name)
	x, err := f.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

// Rows copies the rows of x at idx, in that order, into a new matrix.
func Rows(x *mat.Dense, idx []int) *mat.Dense {
	_, p := x.Dims()
	out := mat.NewDense(len(idx), p, nil)
	for k, i := range idx {
		out.SetRow(k, x.RawRowView(i))
	}
	return out
}

// Fixture decodes the JSON file ml/testdata/NAME into v.
func Fixture(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
