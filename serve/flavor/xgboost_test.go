package flavor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/serve/flavor"
)

// cases is testdata/xgboost/cases.json, written by make_fixtures.py: test rows (nil =
// missing) and XGBoost's own predictions for each model.
type cases struct {
	Version     string                     `json:"xgboost_version"`
	Columns     []string                   `json:"columns"`
	Data        [][]*float64               `json:"data"`
	Predictions map[string]json.RawMessage `json:"predictions"`
}

func readCases(t *testing.T) *cases {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "xgboost", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c cases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// frameOf builds the test rows as a frame with the given column order.
func (c *cases) frameOf(t *testing.T, order []string) *frame.Frame {
	t.Helper()
	cols := make([]*frame.Column, len(order))
	for k, name := range order {
		j := -1
		for jj, cn := range c.Columns {
			if cn == name {
				j = jj
			}
		}
		vals := make([]float64, len(c.Data))
		valid := make([]bool, len(c.Data))
		for i, row := range c.Data {
			if row[j] != nil {
				vals[i], valid[i] = *row[j], true
			}
		}
		cols[k] = frame.NewFloat(name, vals, valid)
	}
	f, err := frame.New(cols...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const tol = 1e-6

func TestXGBoostAgreesWithXGBoost(t *testing.T) {
	t.Parallel()
	c := readCases(t)
	if c.Version == "" || len(c.Data) < 10 {
		t.Fatalf("fixture cases.json looks empty: %+v", c)
	}
	for _, name := range []string{"regression", "binary", "multiclass"} {
		for _, ext := range []string{".json", ".ubj", ".model"} {
			t.Run(name+ext, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join("testdata", "xgboost", name+ext)
				if !flavor.IsBoosterFile(path) {
					t.Fatalf("IsBoosterFile(%s) = false", path)
				}
				p, err := flavor.OpenFile(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				in := p.Inputs()
				want := "x0:float, x1:float, x2:float, x3:float"
				if ext == ".model" {
					// The legacy binary format keeps no feature names: XGBoost's f0, f1, ….
					want = "f0:float, f1:float, f2:float, f3:float"
				}
				if got := in.String(); got != want {
					t.Fatalf("inputs %s, want %s", got, want)
				}
				// Columns in another order than the booster's: matched by name.
				f := c.frameOf(t, []string{"x3", "x1", "x0", "x2"})
				if ext == ".model" {
					renamed := make([]*frame.Column, 0, 4)
					for _, col := range f.Columns() {
						renamed = append(renamed, col.Rename("f"+strings.TrimPrefix(col.Name(), "x")))
					}
					if f, err = frame.New(renamed...); err != nil {
						t.Fatal(err)
					}
				}
				pred, err := p.Predict(t.Context(), f)
				if err != nil {
					t.Fatal(err)
				}
				checkAgainst(t, name, c.Predictions[name], pred)
			})
		}
	}
}

func checkAgainst(t *testing.T, name string, raw json.RawMessage, pred *model.Prediction) {
	t.Helper()
	if name == "multiclass" {
		var want [][]float64
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if len(pred.Probabilities) != len(want) || len(pred.Labels) != len(want) {
			t.Fatalf("%d probability rows and %d labels, want %d", len(pred.Probabilities), len(pred.Labels), len(want))
		}
		for i, row := range want {
			best := 0
			for g, v := range row {
				if math.Abs(pred.Probabilities[i][g]-v) > tol {
					t.Errorf("row %d class %d: probability %.9g, XGBoost %.9g", i, g, pred.Probabilities[i][g], v)
				}
				if v > row[best] {
					best = g
				}
			}
			if pred.Labels[i] != string(rune('0'+best)) {
				t.Errorf("row %d: label %s, want %d", i, pred.Labels[i], best)
			}
		}
		return
	}
	var want []float64
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(pred.Values) != len(want) {
		t.Fatalf("%d values, want %d", len(pred.Values), len(want))
	}
	for i, v := range want {
		if math.Abs(pred.Values[i]-v) > tol {
			t.Errorf("row %d: %.9g, XGBoost %.9g", i, pred.Values[i], v)
		}
	}
}

// mlflow.xgboost's default model.xgb under XGBoost < 2.1: the legacy binary format, with
// the signature's columns bound by position; cut short, it is an error, never a panic.
func TestXGBoostLegacyBinaryInMLflowDir(t *testing.T) {
	t.Parallel()
	c := readCases(t)
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "xgboost", "binary.model"))
	if err != nil {
		t.Fatal(err)
	}
	ml, err := os.ReadFile(filepath.Join("testdata", "mlflow-xgboost", "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	mlx := strings.NewReplacer("model.json", "model.xgb", "model_format: json", "model_format: xgb").Replace(string(ml))
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(mlx), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.xgb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := flavor.Open(t.Context(), dir, flavor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Inputs().String(); got != "x0:float, x1:float, x2:float, x3:float" {
		t.Errorf("inputs %s, want the signature's", got)
	}
	pred, err := p.Predict(t.Context(), c.frameOf(t, c.Columns))
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, "binary", c.Predictions["binary"], pred)

	path := filepath.Join(dir, "cut.model")
	for _, n := range []int{4, 100, 200, 400, len(b) / 2} { // (the attributes at the end are not read)
		if err := os.WriteFile(path, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := flavor.OpenFile(t.Context(), path); err == nil {
			t.Errorf("cut at %d bytes: no error", n)
		}
	}
}

func TestXGBoostBrokenModels(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join("testdata", "xgboost", "regression.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"objective", `"reg:squarederror"`, `"reg:unknown"`, `objective "reg:unknown" is not served`},
		{"child out of range", `"left_children":[1,`, `"left_children":[1000,`, "out of range or reached twice"},
		{"feature out of range", `"split_indices":[0,`, `"split_indices":[9,`, "splits on feature 9 of 4"},
		{"categorical", `"feature_types":[]`, `"feature_types":["q","c","q","q"]`, "categorical"},
	} {
		doc := strings.Replace(string(good), c.from, c.to, 1)
		if doc == string(good) {
			t.Fatalf("%s: %q not in the fixture", c.name, c.from)
		}
		if _, err := flavor.ParseXGBoost([]byte(doc)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// XGBoost ≥ 2.1 writes UBJSON under mlflow's default name model.xgb: read by content.
func TestXGBoostUBJSONAsModelXGB(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("testdata", "xgboost", "regression.ubj"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.xgb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := flavor.OpenFile(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	c := readCases(t)
	pred, err := p.Predict(t.Context(), c.frameOf(t, c.Columns))
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, "regression", c.Predictions["regression"], pred)

	// Cut short anywhere, it is an error, never a panic or a huge allocation.
	for _, n := range []int{1, 2, 10, 50, len(b) / 3, len(b) / 2, len(b) - 1} {
		if err := os.WriteFile(path, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := flavor.OpenFile(t.Context(), path); err == nil {
			t.Errorf("cut at %d bytes: no error", n)
		}
	}
}

// One booster answers concurrent requests (as serve calls it) with the same answers.
func TestXGBoostConcurrentPredict(t *testing.T) {
	t.Parallel()
	c := readCases(t)
	p, err := flavor.OpenFile(t.Context(), filepath.Join("testdata", "xgboost", "multiclass.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := c.frameOf(t, c.Columns)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				pred, err := p.Predict(context.Background(), f)
				if err != nil {
					errs <- err
					return
				}
				var want [][]float64
				_ = json.Unmarshal(c.Predictions["multiclass"], &want)
				for i := range want {
					for g := range want[i] {
						if math.Abs(pred.Probabilities[i][g]-want[i][g]) > tol {
							errs <- fmt.Errorf("row %d class %d: %v, want %v", i, g, pred.Probabilities[i][g], want[i][g])
							return
						}
					}
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkXGBoostPredictRow measures one row through the booster of the binary fixture
// (10 trees of depth 3), as a single-row request reaches it.
//
//	go test ./serve/flavor -run '^$' -bench XGBoostPredictRow
func BenchmarkXGBoostPredictRow(b *testing.B) {
	p, err := flavor.OpenFile(context.Background(), filepath.Join("testdata", "xgboost", "binary.json"))
	if err != nil {
		b.Fatal(err)
	}
	cols := make([]*frame.Column, 4)
	for j := range cols {
		cols[j] = frame.NewFloat(fmt.Sprintf("x%d", j), []float64{0.1 * float64(j)}, nil)
	}
	f, err := frame.New(cols...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Predict(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}
