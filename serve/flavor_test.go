package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/serve"
	"github.com/weirhq/weir/serve/flavor"
	"github.com/weirhq/weir/steps/stepio"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// xgbCases is serve/flavor/testdata/xgboost/cases.json (make_fixtures.py): rows with
// missing values and real XGBoost's predictions.
type xgbCases struct {
	Columns     []string                   `json:"columns"`
	Data        [][]any                    `json:"data"`
	Predictions map[string]json.RawMessage `json:"predictions"`
}

const flavorData = "flavor/testdata"

func readXGBCases(t *testing.T) *xgbCases {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(flavorData, "xgboost", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c xgbCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func (c *xgbCases) split(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": c.Columns, "data": c.Data}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (c *xgbCases) values(t *testing.T, name string) []float64 {
	t.Helper()
	var v []float64
	if err := json.Unmarshal(c.Predictions[name], &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func closeTo(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d predictions, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("%s: row %d: %.9g, XGBoost %.9g", what, i+1, got[i], want[i])
		}
	}
}

// putDir copies a local folder into the artifact store under p.
func (e *env) putDir(dir, p string) {
	e.t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, d := range ents {
		b, err := os.ReadFile(filepath.Join(dir, d.Name()))
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.art.Put(e.t.Context(), p+"/"+d.Name(), bytes.NewReader(b)); err != nil {
			e.t.Fatal(err)
		}
	}
}

// registerSource registers a new version of name whose source is src.
func (e *env) registerSource(name, src string) string {
	e.t.Helper()
	ctx := e.t.Context()
	if _, err := e.tr.CreateRegisteredModel(ctx, tracking.CreateRegisteredModelParams{Name: name}); err != nil && !errors.Is(err, tracking.ErrAlreadyExists) {
		e.t.Fatal(err)
	}
	mv, err := e.tr.CreateModelVersion(ctx, tracking.CreateModelVersionParams{Name: name, Source: src})
	if err != nil {
		e.t.Fatal(err)
	}
	return mv.Version
}

// TestServeMLflowXGBoostModel serves the MLflow model directory make_fixtures.py wrote
// (as mlflow.xgboost writes it) through a real server on loopback, referenced three ways:
// a registry alias whose source is in the artifact store, a runs:/ reference, and a local
// folder; the answers are real XGBoost's.
func TestServeMLflowXGBoostModel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	c := readXGBCases(t)
	want := c.values(t, "binary")
	ctx := t.Context()

	expID, err := e.tr.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "xgb"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.tr.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: expID})
	if err != nil {
		t.Fatal(err)
	}
	artPath := strings.TrimPrefix(run.Info.ArtifactURI, "mlflow-artifacts:/") + "/model"
	e.putDir(filepath.Join(flavorData, "mlflow-xgboost"), artPath)
	v := e.registerSource("xgb", run.Info.ArtifactURI+"/model")
	e.alias("xgb", "champion", v)
	abs, err := filepath.Abs(filepath.Join(flavorData, "mlflow-xgboost"))
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{
		"alias": "models:/xgb@champion",
		"run":   "runs:/" + run.Info.RunID + "/model",
		"local": "file://" + abs,
	}
	for name, ref := range refs {
		e.deploy(&store.Deployment{Name: name, Model: ref})
	}
	for name, ref := range refs {
		r := e.post("/serve/"+name+"/invocations", "application/json", c.split(t))
		if r.status != http.StatusOK {
			t.Fatalf("%s (%s): %d %s", name, ref, r.status, r.body)
		}
		closeTo(t, name, floats(t, r.json(t)["predictions"]), want)
	}
	if r := e.post("/serve/alias/invocations", "application/json", c.split(t)); r.header.Get(serve.HeaderModelVersion) != v {
		t.Errorf("version header %q, want %s", r.header.Get(serve.HeaderModelVersion), v)
	}

	// The signature is checked as for weir's models: 400s naming the column and row.
	for _, b := range []struct {
		name, body string
		wants      []string
	}{
		{"missing column", `{"dataframe_split": {"columns": ["x0", "x1", "x2"], "data": [[1, 2, 3]]}}`, []string{`column "x3"`, "missing"}},
		{"wrong type", `{"dataframe_split": {"columns": ["x0", "x1", "x2", "x3"], "data": [[1, 2, 3, 4], [1, 2, "three", 4]]}}`, []string{`column "x2"`, "row 2", `"three" is not a number`}},
	} {
		r := e.post("/serve/alias/invocations", "application/json", b.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", b.name, r.status, r.body)
			continue
		}
		for _, w := range b.wants {
			if msg, _ := r.json(t)["message"].(string); !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", b.name, msg, w)
			}
		}
	}

	// Open Inference Protocol: the metadata names the platform and the signature.
	r := e.get("/v2/models/alias")
	if r.status != http.StatusOK {
		t.Fatalf("V2 metadata: %d %s", r.status, r.body)
	}
	md := r.json(t)
	if md["platform"] != "xgboost" || !strings.Contains(string(r.body), `"name":"x3","datatype":"FP64"`) {
		t.Errorf("V2 metadata %s", r.body)
	}
	// Missing values are null in V2 too (as JSON null).
	var ins []map[string]any
	for j, col := range c.Columns {
		vals := make([]any, len(c.Data))
		for i, row := range c.Data {
			vals[i] = row[j]
		}
		ins = append(ins, map[string]any{"name": col, "shape": []int{len(vals)}, "datatype": "FP64", "data": vals})
	}
	body, _ := json.Marshal(map[string]any{"inputs": ins})
	r = e.post("/v2/models/alias/infer", "application/json", string(body))
	if r.status != http.StatusOK {
		t.Fatalf("V2 infer: %d %s", r.status, r.body)
	}
	outs, _ := r.json(t)["outputs"].([]any)
	if len(outs) == 0 {
		t.Fatalf("V2 infer: no outputs: %s", r.body)
	}
	closeTo(t, "V2", floats(t, outs[0].(map[string]any)["data"]), want)
}

// TestServeBoosterFiles serves bare booster files: XGBoost's JSON and UBJSON, LightGBM's
// text format.
func TestServeBoosterFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	c := readXGBCases(t)
	for _, name := range []string{"regression", "binary"} {
		for _, ext := range []string{"json", "ubj"} {
			abs, err := filepath.Abs(filepath.Join(flavorData, "xgboost", name+"."+ext))
			if err != nil {
				t.Fatal(err)
			}
			ep := name + "-" + ext
			e.deploy(&store.Deployment{Name: ep, Model: abs})
			r := e.post("/serve/"+ep+"/invocations", "application/json", c.split(t))
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", ep, r.status, r.body)
			}
			closeTo(t, ep, floats(t, r.json(t)["predictions"]), c.values(t, name))
		}
	}
	// Multi-class: the class with the highest probability, as a label.
	abs, _ := filepath.Abs(filepath.Join(flavorData, "xgboost", "multiclass.json"))
	e.deploy(&store.Deployment{Name: "multi", Model: "file://" + abs})
	r := e.post("/serve/multi/invocations", "application/json", c.split(t))
	if r.status != http.StatusOK {
		t.Fatalf("multiclass: %d %s", r.status, r.body)
	}
	var probs [][]float64
	_ = json.Unmarshal(c.Predictions["multiclass"], &probs)
	labels, _ := r.json(t)["predictions"].([]any)
	if len(labels) != len(probs) {
		t.Fatalf("multiclass: %d labels for %d rows", len(labels), len(probs))
	}
	for i, p := range probs {
		best := 0
		for g := range p {
			if p[g] > p[best] {
				best = g
			}
		}
		if labels[i] != fmt.Sprint(best) {
			t.Errorf("multiclass row %d: label %v, XGBoost's most probable class %d", i+1, labels[i], best)
		}
	}

	lgb, _ := filepath.Abs(filepath.Join(flavorData, "lightgbm", "binary.txt"))
	e.deploy(&store.Deployment{Name: "lgb", Model: lgb})
	r = e.post("/serve/lgb/invocations", "application/json", `{"dataframe_records": [{"a": 0.2, "b": 3}, {"a": null, "b": null}]}`)
	if r.status != http.StatusOK {
		t.Fatalf("lightgbm: %d %s", r.status, r.body)
	}
	// Walked by hand in serve/flavor/lightgbm_test.go.
	closeTo(t, "lightgbm", floats(t, r.json(t)["predictions"]), []float64{1 / (1 + math.Exp(-0.7)), 1 / (1 + math.Exp(-0.15))})
}

// echoSum stands in for the Python worker pool another part of weir provides (its tests
// run real Python): a model without a signature answering the sum of each row (nulls count 0).
type echoSum struct {
	closed chan struct{}
	fail   error
}

func (p *echoSum) Inputs() frame.Schema { return nil }
func (p *echoSum) Close() error         { close(p.closed); return nil }
func (p *echoSum) Predict(_ context.Context, f *frame.Frame) (*model.Prediction, error) {
	if p.fail != nil {
		return nil, p.fail
	}
	out := make([]float64, f.NumRows())
	for _, c := range f.Columns() {
		if c.Type() == frame.String {
			return nil, &flavor.InputError{Err: fmt.Errorf("column %q is text", c.Name())}
		}
		for i := range out {
			if !c.IsNull(i) {
				out[i] += c.Float(i)
			}
		}
	}
	return &model.Prediction{Values: out}, nil
}

// TestServePythonFlavorHook: a python_function model loads through Config.Flavors.Python,
// is closed at Stop, and without the hook the endpoint says how to enable it.
func TestServePythonFlavorHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	dir := t.TempDir()
	mlmodel := "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\nrun_id: r1\n"
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(mlmodel), 0o644); err != nil {
		t.Fatal(err)
	}
	e.deploy(&store.Deployment{Name: "py", Model: dir})
	r := e.post("/serve/py/invocations", "application/json", `{"dataframe_split": {"columns": ["a"], "data": [[1]]}}`)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "enable the Python worker pool") {
		t.Fatalf("without the hook: %d %s, want 503 saying how to enable Python flavors", r.status, r.body)
	}

	pred := &echoSum{closed: make(chan struct{})}
	var gotDir string
	errs := &chanSink{}
	srv, err := serve.New(serve.Config{Store: e.st, Errors: errs, Models: stepio.Deps{Artifacts: e.art, ArtifactRoot: filepath.Join(e.dir, "artifacts"), Tracking: e.tr},
		Flavors: flavor.Options{Python: func(ctx context.Context, d string, m *flavor.MLmodel) (flavor.Predictor, error) {
			gotDir = d
			return pred, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if gotDir != dir {
		t.Fatalf("the hook got %q, want %q", gotDir, dir)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	post := func(body string) (int, string) {
		r := do(t, hs.Client(), "POST", hs.URL+"/serve/py/invocations", "application/json", body)
		return r.status, string(r.body)
	}
	// No signature: the request's columns as given, typed by their values.
	code, body := post(`{"dataframe_split": {"columns": ["b", "a"], "data": [[1, 2.5], [null, true]]}}`)
	if code != http.StatusOK || !strings.Contains(body, `"predictions":[3.5,1]`) {
		t.Errorf("schema-less model: %d %s, want sums [3.5, 1]", code, body)
	}
	code, body = post(`{"dataframe_records": [{"a": 1, "b": 2}, {"a": 3, "c": 4}]}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `column \"b\", row 2`) {
		t.Errorf("records with a key missing: %d %s, want 400 naming column b row 2", code, body)
	}
	code, body = post(`{"dataframe_split": {"columns": ["a", "s"], "data": [[1, "x"]]}}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `column \"s\" is text`) {
		t.Errorf("the model's input error: %d %s, want 400", code, body)
	}
	code, body = post(`{"instances": [[1, 2]]}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "no signature") {
		t.Errorf("positional rows without a signature: %d %s, want 400 asking for column names", code, body)
	}
	pred.fail = errors.New("worker 3 died")
	code, body = post(`{"dataframe_split": {"columns": ["a"], "data": [[1]]}}`)
	if code != http.StatusInternalServerError || !strings.Contains(body, "worker 3 died") {
		t.Errorf("the model's own failure: %d %s, want 500", code, body)
	}
	// Three input errors and the worker's failure reached the error sink, with the model.
	var got []string
	for _, f := range errs.failures() {
		got = append(got, fmt.Sprintf("%s %s %d", f.Endpoint, f.Model, f.Status))
	}
	if want := strings.Repeat("py "+dir+" 400,", 3) + "py " + dir + " 500,"; strings.Join(got, ",")+"," != want {
		t.Errorf("failed requests: %q, want %q", got, want)
	}
	if fs := errs.failures(); len(fs) == 4 && !strings.Contains(fs[3].Message, "worker 3 died") {
		t.Errorf("the worker's failure was reported as %q", fs[3].Message)
	}
	srv.Stop()
	select {
	case <-pred.closed:
	default:
		t.Error("Stop did not close the model")
	}
}
