package flavor_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/serve/flavor"
)

func TestReadMLmodel(t *testing.T) {
	t.Parallel()
	m, err := flavor.ReadMLmodel(filepath.Join("testdata", "mlflow-xgboost"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactPath != "model" || m.RunID != "0f3c9a6e1b2d4c5e8f7a6b5c4d3e2f1a" || m.ModelUUID != "5d1c0e7a4b7f4f0c9a8e2b6d3c1f0a9e" ||
		m.UTCTimeCreated != "2026-12-02 05:00:00.000000" || m.MLflowVersion != "2.9.2" {
		t.Errorf("header fields: %+v", m)
	}
	if got := strings.Join(m.FlavorNames(), ","); got != "python_function,xgboost" {
		t.Errorf("flavors %s", got)
	}
	if m.Flavors["xgboost"]["data"] != "model.json" || m.Flavors["python_function"]["loader_module"] != "mlflow.xgboost" {
		t.Errorf("flavor config: %v", m.Flavors)
	}
	if got := m.Inputs.String(); got != "x0:float, x1:float, x2:float, x3:float" {
		t.Errorf("signature inputs %s", got)
	}
}

func TestParseSchema(t *testing.T) {
	t.Parallel()
	s, err := flavor.ParseSchema(`[{"type": "double", "name": "d"}, {"type": "long", "name": "l", "required": true}, {"type": "boolean", "name": "b"},
		{"type": "string", "name": "s"}, {"type": "datetime", "name": "t"}, {"type": "integer", "name": "i"}, {"type": "float", "name": "f"}]`)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "d:float, l:int, b:bool, s:string, t:time, i:int, f:float" {
		t.Errorf("schema %s", got)
	}
	tensor, err := flavor.ParseSchema(`[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]`)
	if err != nil || tensor != nil {
		t.Errorf("a tensor signature gives %v, %v; want nil (any columns)", tensor, err)
	}
	if _, err := flavor.ParseSchema(`{"type": "double"}`); err == nil {
		t.Error("a JSON object is not a schema, and no error")
	}
}

// sklearnDir writes an MLflow model directory as mlflow.sklearn.save_model writes it
// (flavors python_function and sklearn; the pickle is not needed to read it).
func sklearnDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mlmodel := `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.2
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.2.1
mlflow_version: 2.9.2
model_uuid: 8a1f
run_id: r1
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "long", "name": "n", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2026-12-02 05:00:00.000000'
`
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(mlmodel), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenPythonFlavors(t *testing.T) {
	t.Parallel()
	dir := sklearnDir(t)
	if !flavor.IsModelDir(dir) {
		t.Fatal("IsModelDir = false for a directory with an MLmodel file")
	}
	_, err := flavor.Open(t.Context(), dir, flavor.Options{})
	if err == nil || !strings.Contains(err.Error(), "served by Python") || !strings.Contains(err.Error(), "enable the Python worker pool") {
		t.Fatalf("without a Python hook: err = %v, want how to enable Python-flavor serving", err)
	}
	var gotDir string
	var gotM *flavor.MLmodel
	sentinel := errors.New("the hook ran")
	_, err = flavor.Open(t.Context(), dir, flavor.Options{Python: func(ctx context.Context, d string, m *flavor.MLmodel) (flavor.Predictor, error) {
		gotDir, gotM = d, m
		return nil, sentinel
	}})
	if !errors.Is(err, sentinel) || gotDir != dir || gotM == nil || gotM.Flavors["sklearn"]["pickled_model"] != "model.pkl" {
		t.Fatalf("the hook got %q, %+v (err %v)", gotDir, gotM, err)
	}
	if got := gotM.Inputs.String(); got != "sepal_length:float, n:int" {
		t.Errorf("the hook's MLmodel has inputs %s", got)
	}
}

func TestOpenXGBoostFlavor(t *testing.T) {
	t.Parallel()
	c := readCases(t)
	p, err := flavor.Open(t.Context(), filepath.Join("testdata", "mlflow-xgboost"), flavor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := p.(flavor.Describer); !ok {
		t.Error("the booster does not describe itself")
	} else if plat, out := d.Describe(); plat != "xgboost" || out != "values" {
		t.Errorf("Describe = %s, %s", plat, out)
	}
	pred, err := p.Predict(t.Context(), c.frameOf(t, c.Columns))
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, "binary", c.Predictions["binary"], pred)

	// A signature that names a column the booster lacks is refused at load time.
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "mlflow-xgboost", "MLmodel"))
	if err != nil {
		t.Fatal(err)
	}
	model, _ := os.ReadFile(filepath.Join("testdata", "mlflow-xgboost", "model.json"))
	_ = os.WriteFile(filepath.Join(dir, "model.json"), model, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(strings.ReplaceAll(string(b), `"name": "x3"`, `"name": "z"`)), 0o644)
	if _, err := flavor.Open(t.Context(), dir, flavor.Options{}); err == nil || !strings.Contains(err.Error(), `feature "x3" is not among the signature's inputs`) {
		t.Errorf("err = %v, want the missing feature named", err)
	}
	// A string column in the signature cannot feed a booster.
	_ = os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(strings.Replace(string(b), `"type": "double", "name": "x3"`, `"type": "string", "name": "x3"`, 1)), 0o644)
	if _, err := flavor.Open(t.Context(), dir, flavor.Options{}); err == nil || !strings.Contains(err.Error(), `"x3" is string`) {
		t.Errorf("err = %v, want the string input refused", err)
	}
}

// An MLflow lightgbm model directory, as mlflow.lightgbm.save_model writes it (model.lgb
// in LightGBM's text format), with the scikit-learn API's classifier: class labels.
func TestOpenLightGBMFlavor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "lightgbm", "binary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	mlmodel := `artifact_path: model
flavors:
  lightgbm:
    code: null
    data: model.lgb
    lgb_version: 4.1.0
    model_class: lightgbm.sklearn.LGBMClassifier
  python_function:
    data: model.lgb
    loader_module: mlflow.lightgbm
mlflow_version: 2.9.2
signature:
  inputs: '[{"type": "double", "name": "b"}, {"type": "long", "name": "a"}]'
`
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(mlmodel), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.lgb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := flavor.Open(t.Context(), dir, flavor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Inputs().String(); got != "b:float, a:int" {
		t.Errorf("inputs %s, want the signature's", got)
	}
	// a = 0 ≤ 0.5 → 0.4; b = 3 > 1 → 0.25; + 0.05: p = 0.67 → class 1.
	// a = 1 > 0.5, b = 0.5 ≤ 2 → −0.2; b ≤ 1 → −0.3; + 0.05: p = 0.38 → class 0.
	f, err := frame.New(frame.NewFloat("b", []float64{3, 0.5}, nil), frame.NewInt("a", []int64{0, 1}, nil))
	if err != nil {
		t.Fatal(err)
	}
	pred, err := p.Predict(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pred.Labels, ",") != "1,0" || len(pred.Probabilities) != 2 ||
		math.Abs(pred.Probabilities[0][1]-1/(1+math.Exp(-0.7))) > 1e-12 || math.Abs(pred.Probabilities[1][1]-1/(1+math.Exp(0.45))) > 1e-12 {
		t.Errorf("prediction %+v, want labels 1,0 with p(1) = σ(0.7), σ(−0.45)", pred)
	}
}
