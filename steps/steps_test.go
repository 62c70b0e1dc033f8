package steps_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/metrics"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/steps/estimators"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// testdata is the ML library's scikit-learn fixtures and data sets.
const testdata = "../ml/testdata"

// harness is a node running DAGs from a folder on a real SQLite store with tracking.
type harness struct {
	t    *testing.T
	dir  string
	home string
	st   *sqlite.Store
	n    *node.Node
	svc  *tracking.Service
}

func newHarness(t *testing.T, files map[string]string) *harness {
	t.Helper()
	dir, home := t.TempDir(), t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return &harness{t: t, dir: dir, home: home, st: st, n: n, svc: tracking.NewService(st.Tracking(), tracking.ServiceConfig{})}
}

// run triggers the DAG and waits for it, returning its task instances by task ID.
func (h *harness) run(dagID string, params ...any) map[string]store.TaskInstance {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, ok := h.n.Registry().DAG(dagID)
	if !ok {
		h.t.Fatalf("no DAG %s; load errors: %v", dagID, h.n.Registry().Errors())
	}
	opts := engine.TriggerOptions{Params: map[string]any{}}
	for i := 0; i+1 < len(params); i += 2 {
		opts.Params[params[i].(string)] = params[i+1]
	}
	run, err := h.n.Engine().Trigger(ctx, d, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.n.Engine().Wait(ctx, run.DAGID, run.RunID); err != nil {
		h.t.Fatal(err)
	}
	tis, err := h.st.ListTaskInstances(ctx, store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]store.TaskInstance{}
	for _, ti := range tis {
		out[ti.TaskID] = *ti
	}
	return out
}

func output(t *testing.T, ti store.TaskInstance, v any) {
	t.Helper()
	if ti.State != store.TISuccess {
		t.Fatalf("task %s is %s: %s", ti.TaskID, ti.State, ti.Error)
	}
	if err := json.Unmarshal(ti.Output, v); err != nil {
		t.Fatalf("task %s output %s: %v", ti.TaskID, ti.Output, err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// headCSV returns the header and first n rows of a CSV file.
func headCSV(t *testing.T, p string, n int) string {
	lines := strings.SplitN(readFile(t, p), "\n", n+2)
	return strings.Join(lines[:n+1], "\n") + "\n"
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// fixtureCase returns the case of a fixture file whose fields match.
func fixtureCase(t *testing.T, file string, match map[string]any) map[string]any {
	t.Helper()
	var f struct{ Cases []map[string]any }
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(testdata, file))), &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases {
		ok := true
		for k, v := range match {
			ok = ok && c[k] == v
		}
		if ok {
			return c
		}
	}
	t.Fatalf("%s: no case %v", file, match)
	return nil
}

func floats(v any) []float64 {
	var out []float64
	for _, x := range v.([]any) {
		out = append(out, x.(float64))
	}
	return out
}

// column returns a CSV column as floats.
func column(t *testing.T, text, name string) []float64 {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	j := -1
	for i, h := range rows[0] {
		if h == name {
			j = i
		}
	}
	var out []float64
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[j], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

const ridgeDAG = `dag_id: diabetes
params:
  alpha: {type: number, default: 1.0}
tasks:
  - id: train
    model.train:
      data: diabetes.csv
      target: target
      estimator: ridge
      params: {alpha: "{{ params.alpha }}"}
  - id: evaluate
    upstream: train
    model.evaluate:
      model: "{{ outputs.train.model }}"
      data: head.csv
      thresholds: {r2: {min: 0.2}, rmse: {max: 60}}
  - id: strict
    upstream: train
    model.evaluate:
      model: "{{ outputs.train.model }}"
      data: head.csv
      thresholds: {rmse: {max: 10}}
      plots: false
  - id: register
    upstream: evaluate
    model.register:
      model: "{{ outputs.train.model }}"
      name: diabetes
      alias: champion
      only_if_better: {metric: rmse, data: head.csv}
  - id: predict
    upstream: register
    model.predict:
      model: "models:/diabetes@champion"
      data: head.csv
      keep: [age]
  - id: predict_v1
    upstream: register
    model.predict:
      model: "models:/diabetes/1"
      data: head.csv
      predictions_only: true
`

// Ridge on scikit-learn's diabetes data, trained, evaluated, registered and used through
// models:/diabetes@champion, gives scikit-learn's predictions and metrics; a second run's
// equal model does not take champion.
func TestRegressionPipelineMatchesScikitLearn(t *testing.T) {
	t.Parallel()
	head := headCSV(t, filepath.Join(testdata, "data/diabetes.csv"), 25)
	h := newHarness(t, map[string]string{"ridge.yaml": ridgeDAG, "diabetes.csv": readFile(t, filepath.Join(testdata, "data/diabetes.csv")), "head.csv": head})
	tis := h.run("diabetes")

	var tr struct {
		Model, Task, Artifact string
		TrackingRunID         string `json:"tracking_run_id"`
		Metrics               map[string]float64
		Rows                  int
		Inputs                []string
	}
	output(t, tis["train"], &tr)
	if tr.Task != "regression" || tr.Rows != 442 || len(tr.Inputs) != 10 || tr.Metrics["r2"] <= 0.4 || !strings.HasPrefix(tr.Model, "file://") {
		t.Fatalf("train output %s", tis["train"].Output)
	}
	// The model file holds the reference statistics of the training inputs.
	var saved struct {
		Metadata struct {
			Reference []struct {
				Name   string
				Counts []int
			}
			Params map[string]any
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, strings.TrimPrefix(tr.Model, "file://"))), &saved); err != nil {
		t.Fatal(err)
	}
	if ref := saved.Metadata.Reference; len(ref) != 10 || ref[0].Name != "age" || sum(ref[0].Counts) != 442 {
		t.Fatalf("reference statistics %+v", ref)
	}
	// Tracked without a track: line: params, training metrics, the model artifact.
	run, err := h.svc.GetRun(context.Background(), tr.TrackingRunID)
	if err != nil {
		t.Fatalf("train's tracking run: %v", err)
	}
	params := map[string]string{}
	for _, p := range run.Params {
		params[p.Key] = p.Value
	}
	mets := map[string]float64{}
	for _, m := range run.Metrics {
		mets[m.Key] = m.Value
	}
	if params["estimator"] != "ridge" || params["alpha"] != "1" || mets["training_r2"] != tr.Metrics["r2"] || tr.Artifact != "runs:/"+tr.TrackingRunID+"/model" {
		t.Fatalf("tracked params %v, metrics %v, artifact %s", params, mets, tr.Artifact)
	}
	// The training data is the run's dataset input, as mlflow.log_input(ds, context="training") records it.
	if len(run.Inputs) != 1 || len(run.Inputs[0].Tags) != 1 || run.Inputs[0].Tags[0] != (tracking.Tag{Key: "mlflow.data.context", Value: "training"}) {
		t.Fatalf("train's dataset inputs %+v", run.Inputs)
	}
	var in struct{ Name, Digest, Source, Schema, Profile string }
	if err := json.Unmarshal(run.Inputs[0].Dataset, &in); err != nil || in.Name == "" || len(in.Digest) != 8 ||
		!strings.Contains(saved.Metadata.Params["data_hash"].(string), in.Digest) || saved.Metadata.Params["tracking_run_id"] != tr.TrackingRunID || !strings.Contains(in.Schema, `"name":"age"`) || !strings.Contains(in.Profile, `"num_rows"`) {
		t.Fatalf("dataset input %s (%v)", run.Inputs[0].Dataset, err)
	}
	if _, err := os.Stat(filepath.Join(h.home, "artifacts", run.Info.ExperimentID, tr.TrackingRunID, "artifacts", "model", "model.json")); err != nil {
		t.Fatalf("model artifact: %v", err)
	}
	if parent, ok := run.Tag("mlflow.parentRunId"); !ok || parent == "" {
		t.Fatalf("the train's run is not under the DAG run's parent run: tags %v", run.Tags)
	}

	fx := fixtureCase(t, "linear.json", map[string]any{"dataset": "diabetes", "model": "ridge"})
	want := floats(fx["pred"])
	y := column(t, head, "target")
	var ev struct {
		Metrics map[string]float64
		Passed  bool
		Plots   map[string]string
	}
	output(t, tis["evaluate"], &ev)
	for name, fn := range map[string]func(a, b []float64) (float64, error){"r2": metrics.R2, "rmse": metrics.RMSE, "mae": metrics.MAE} {
		ref, err := fn(y, want)
		if err != nil {
			t.Fatal(err)
		}
		if !near(ev.Metrics[name], ref, 1e-9) {
			t.Errorf("%s = %v, scikit-learn's predictions give %v", name, ev.Metrics[name], ref)
		}
	}
	if !ev.Passed || ev.Plots["residuals"] != "plots/residuals.png" {
		t.Fatalf("evaluate output %s", tis["evaluate"].Output)
	}
	runs, err := h.svc.SearchRuns(context.Background(), tracking.SearchRunsParams{ExperimentIDs: []string{run.Info.ExperimentID}, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range runs.Runs {
		p := filepath.Join(h.home, "artifacts", r.Info.ExperimentID, r.Info.RunID, "artifacts", "plots", "residuals.png")
		if b, err := os.ReadFile(p); err == nil && strings.HasPrefix(string(b), "\x89PNG") {
			found = true
		}
	}
	if !found {
		t.Fatal("no tracking run holds the residual plot plots/residuals.png")
	}

	var strict struct {
		Passed   bool
		Failures []string
		Plots    map[string]string
	}
	output(t, tis["strict"], &strict)
	if strict.Passed || len(strict.Failures) != 1 || !strings.HasPrefix(strict.Failures[0], "rmse 48.04") || !strings.HasSuffix(strict.Failures[0], "> max 10") || len(strict.Plots) != 0 {
		t.Fatalf("strict evaluate output %s", tis["strict"].Output)
	}

	var reg struct {
		Version    string
		AliasMoved bool `json:"alias_moved"`
		Reason     string
	}
	output(t, tis["register"], &reg)
	if reg.Version != "1" || !reg.AliasMoved || !strings.Contains(reg.Reason, "first one takes it") {
		t.Fatalf("register output %s", tis["register"].Output)
	}
	mv, err := h.svc.GetModelVersionByAlias(context.Background(), "diabetes", "champion")
	if err != nil || mv.Version != "1" {
		t.Fatalf("champion: %+v %v", mv, err)
	}
	tags := map[string]string{}
	for _, tg := range mv.Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["weir.dag_id"] != "diabetes" || !strings.HasPrefix(tags["weir.train_data_hash"], "sha256:") || tags["weir.train_data"] != "diabetes.csv" || tags["weir.task_id"] != "register" || !strings.HasPrefix(tags["weir.train_data_fingerprint"], "sha256:") ||
		!strings.HasPrefix(tags["weir.eval_data_hash"], "sha256:") || tags["weir.tracking_run_id"] == "" || tags["weir.run_id"] == "" {
		t.Fatalf("lineage tags %v", tags)
	}
	// Registered from train's model file, the version belongs to the tracking run that
	// trained it (as MLflow's belongs to the run that logged the model), not register's.
	if mv.RunID != tr.TrackingRunID || mv.RunID == tags["weir.tracking_run_id"] {
		t.Fatalf("version run %s, want the train task's tracking run %s (register's is %s)", mv.RunID, tr.TrackingRunID, tags["weir.tracking_run_id"])
	}

	var pr struct {
		Predictions string
		Rows        int
	}
	output(t, tis["predict"], &pr)
	if pr.Rows != 25 {
		t.Fatalf("predict output %s", tis["predict"].Output)
	}
	pf, err := frame.Open(context.Background(), pr.Predictions, frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Join(pf.Names(), ","); names != "age,prediction" {
		t.Fatalf("prediction columns %s", names)
	}
	pc, _ := pf.Column("prediction")
	got, _ := pc.Floats()
	for i := range want {
		if !near(got[i], want[i], 1e-9) {
			t.Fatalf("prediction %d = %v, scikit-learn's %v", i, got[i], want[i])
		}
	}

	var v1 struct {
		Model struct{ Name, Version, URI string }
		Rows  int
	}
	output(t, tis["predict_v1"], &v1)
	if v1.Model.Name != "diabetes" || v1.Model.Version != "1" || v1.Model.URI != tr.Model || v1.Rows != 25 {
		t.Fatalf("predict_v1 output %s", tis["predict_v1"].Output)
	}

	// The same model again does not beat champion: registered, alias kept.
	tis = h.run("diabetes")
	output(t, tis["register"], &reg)
	if reg.Version != "2" || reg.AliasMoved || !strings.Contains(reg.Reason, "does not beat the current champion (version 1)") {
		t.Fatalf("second register output %s", tis["register"].Output)
	}
	if mv, err := h.svc.GetModelVersionByAlias(context.Background(), "diabetes", "champion"); err != nil || mv.Version != "1" {
		t.Fatalf("champion moved: %+v %v", mv, err)
	}

	// A less penalised ridge fits these (training) rows better: it takes champion, and the
	// predictions by alias follow it.
	tis = h.run("diabetes", "alpha", 0.01)
	var reg3 struct {
		Version    string
		AliasMoved bool `json:"alias_moved"`
		Reason     string
		Comparison struct {
			New, Current   float64
			CurrentVersion string `json:"current_version"`
		}
	}
	output(t, tis["register"], &reg3)
	if reg3.Version != "3" || !reg3.AliasMoved || !strings.Contains(reg3.Reason, "beats the current champion (version 1)") ||
		reg3.Comparison.CurrentVersion != "1" || !(reg3.Comparison.New < reg3.Comparison.Current) {
		t.Fatalf("third register output %s", tis["register"].Output)
	}
	var pr3 struct{ Model struct{ Version string } }
	output(t, tis["predict"], &pr3)
	if pr3.Model.Version != "3" {
		t.Fatalf("predict by alias used version %s", pr3.Model.Version)
	}
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

// Load-time errors name the file, line and the unknown estimator or hyperparameter.
func TestLoadTimeErrors(t *testing.T) {
	t.Parallel()
	set := kinds.Builtin(kinds.Deps{})
	for _, c := range []struct{ yaml, want string }{
		{"tasks:\n  - id: t\n    model.train:\n      data: a.csv\n      target: y\n      estimator: rige\n", `bad.yaml:6:`},
		{"tasks:\n  - id: t\n    model.train:\n      data: a.csv\n      target: y\n      estimator: rige\n", `unknown estimator "rige": did you mean "ridge"?`},
		{"tasks:\n  - id: t\n    model.train:\n      data: a.csv\n      target: y\n      estimator: ridge\n      params:\n        alpah: 2\n", `bad.yaml:8:`},
		{"tasks:\n  - id: t\n    model.train:\n      data: a.csv\n      target: y\n      estimator: ridge\n      params:\n        alpah: 2\n", `has no hyperparameter "alpah": did you mean "alpha"?`},
		{"tasks:\n  - id: t\n    model.train:\n      data: a.csv\n      target: y\n      estimator: lasso\n      params: {alpha: -1}\n", `lasso hyperparameter alpha: want > 0, got -1`},
		{"tasks:\n  - id: t\n    model.train:\n      data: a.csv\n      estimator: ridge\n", `target: missing: ridge is a regression estimator`},
		{"tasks:\n  - id: t\n    model.evaluate:\n      model: m.json\n      data: a.csv\n      thresholds: {rsme: {max: 1}}\n", `unknown metric "rsme"`},
		{"tasks:\n  - id: t\n    model.register:\n      model: m.json\n      name: m\n      only_if_better: {metric: rmse, data: a.csv}\n", `set alias`},
		{"tasks:\n  - id: t\n    model.register:\n      model: m.json\n      name: m\n      alias: champion\n      only_if_better: {metric: rmse, mode: lowest, data: a.csv}\n", `want min or max, got "lowest"`},
	} {
		_, err := dag.LoadBytes("bad.yaml", []byte(c.yaml), set.LoadOptions())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("loading\n%s\nerror %v\nwant it to contain %q", c.yaml, err, c.want)
		}
	}
}

const cancerDAG = `dag_id: cancer
tasks:
  - id: train
    model.train:
      data: breast_cancer.csv
      target: target_class
      estimator: logistic_regression
      params: {C: 1.0, tol: 1.0e-8, max_iter: 5000}
      pipeline: scaler.json
  - id: evaluate
    upstream: train
    model.evaluate:
      model: "{{ outputs.train.artifact }}"
      data: breast_cancer.csv
      thresholds: {accuracy: {min: 0.9}, log_loss: {max: 0.5}}
  - id: predict
    upstream: train
    model.predict:
      model: "{{ outputs.train.artifact }}"
      data: breast_cancer.csv
      predictions_only: true
  - id: train_iris
    model.train:
      data: iris.csv
      target: target_class
      estimator: logistic_regression
      params: {C: 1.0, tol: 1.0e-8, max_iter: 5000}
      pipeline: scaler.json
  - id: evaluate_iris
    model.evaluate:
      model: "{{ outputs.train_iris.model }}"
      data: iris.csv
    upstream: train_iris
`

// Logistic regression on standardised breast-cancer data, through a preprocessing
// pipeline file and a runs:/ reference, gives scikit-learn's metrics; the plots are PNGs.
func TestClassificationPipelineMatchesScikitLearn(t *testing.T) {
	t.Parallel()
	data := readFile(t, filepath.Join(testdata, "data/breast_cancer.csv"))
	iris := readFile(t, filepath.Join(testdata, "data/iris.csv"))
	h := newHarness(t, map[string]string{"cancer.yaml": cancerDAG, "breast_cancer.csv": data, "iris.csv": iris,
		"scaler.json": `{"steps": [{"kind": "standard_scaler", "params": {}}]}`})
	tis := h.run("cancer")
	var tr struct {
		Task    string
		Classes []string
	}
	output(t, tis["train"], &tr)
	if tr.Task != "classification" || strings.Join(tr.Classes, ",") != "0,1" {
		t.Fatalf("train output %s", tis["train"].Output)
	}
	fx := fixtureCase(t, "logistic.json", map[string]any{"dataset": "breast_cancer"})
	var proba [][]float64
	var y []int
	for _, row := range fx["proba"].([]any) {
		proba = append(proba, floats(row))
	}
	for _, v := range column(t, data, "target_class") {
		y = append(y, int(v))
	}
	pred := make([]int, len(proba))
	score := make([]float64, len(proba))
	for i, p := range proba {
		if p[1] > p[0] {
			pred[i] = 1
		}
		score[i] = p[1]
	}
	acc, _ := metrics.Accuracy(y, pred)
	ll, _ := metrics.LogLoss(y, proba, []int{0, 1})
	auc, _ := metrics.ROCAUC(y, score)
	var ev struct {
		Metrics         map[string]float64
		Passed          bool
		Plots           map[string]string
		ConfusionMatrix struct{ Matrix [][]int } `json:"confusion_matrix"`
	}
	output(t, tis["evaluate"], &ev)
	for name, ref := range map[string]float64{"accuracy": acc, "log_loss": ll, "roc_auc": auc} {
		if !near(ev.Metrics[name], ref, 1e-3) {
			t.Errorf("%s = %v, scikit-learn's probabilities give %v", name, ev.Metrics[name], ref)
		}
	}
	m := ev.ConfusionMatrix.Matrix
	if !ev.Passed || len(m) != 2 || m[0][0]+m[0][1]+m[1][0]+m[1][1] != 569 {
		t.Fatalf("evaluate output %s", tis["evaluate"].Output)
	}
	for _, name := range []string{"roc_curve", "confusion_matrix"} {
		if ev.Plots[name] != "plots/"+name+".png" {
			t.Fatalf("plots %v", ev.Plots)
		}
	}
	var pr struct {
		Predictions string
		Rows        int
	}
	output(t, tis["predict"], &pr)
	pf, err := frame.Open(context.Background(), pr.Predictions, frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Join(pf.Names(), ","); names != "prediction,proba_0,proba_1" || pr.Rows != 569 {
		t.Fatalf("predictions %s, %d rows", names, pr.Rows)
	}
	p1, _ := pf.Column("proba_1")
	for i := range proba {
		if math.Abs(p1.Float(i)-proba[i][1]) > 1e-3 {
			t.Fatalf("row %d: probability %v, scikit-learn's %v", i+1, p1.Float(i), proba[i][1])
		}
	}

	// Three classes: macro F1, one-vs-rest ROC AUC and log loss as scikit-learn's
	// probabilities give them.
	fx = fixtureCase(t, "logistic.json", map[string]any{"dataset": "iris"})
	proba, y, pred = nil, nil, nil
	for _, row := range fx["proba"].([]any) {
		p := floats(row)
		proba = append(proba, p)
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		pred = append(pred, best)
	}
	for _, v := range column(t, iris, "target_class") {
		y = append(y, int(v))
	}
	labels := []int{0, 1, 2}
	acc, _ = metrics.Accuracy(y, pred)
	f1, _ := metrics.F1(y, pred, metrics.Macro)
	ll, _ = metrics.LogLoss(y, proba, labels)
	auc, _ = metrics.ROCAUCOvR(y, proba, labels)
	output(t, tis["evaluate_iris"], &ev)
	for name, ref := range map[string]float64{"accuracy": acc, "f1": f1, "log_loss": ll, "roc_auc": auc} {
		if !near(ev.Metrics[name], ref, 1e-3) {
			t.Errorf("iris %s = %v, scikit-learn's probabilities give %v", name, ev.Metrics[name], ref)
		}
	}
	if len(ev.ConfusionMatrix.Matrix) != 3 || ev.Plots["roc_curve"] == "" {
		t.Fatalf("iris evaluate output %s", tis["evaluate_iris"].Output)
	}
}

const badDAG = `dag_id: bad
tasks:
  - id: missing_target
    model.train: {data: ok.csv, target: nope, estimator: ridge}
  - id: missing_input
    model.train: {data: ok.csv, target: y, inputs: [x, z], estimator: ridge}
  - id: string_in_float
    model.train: {data: text.csv, target: y, estimator: ridge}
  - id: empty
    model.train: {data: empty.csv, target: y, estimator: ridge}
  - id: one_class
    model.train: {data: oneclass.csv, target: label, estimator: logistic_regression}
  - id: good
    model.train: {data: ok.csv, target: y, estimator: linear_regression}
  - id: evaluate_missing
    upstream: good
    model.evaluate: {model: "{{ outputs.good.model }}", data: noinput.csv}
  - id: predict_string
    upstream: good
    model.predict: {model: "{{ outputs.good.model }}", data: text.csv}
  - id: cluster
    model.train: {data: ok.csv, estimator: kmeans, params: {n_clusters: 2, random_state: 1}}
  - id: assign
    upstream: cluster
    model.predict: {model: "{{ outputs.cluster.model }}", data: ok.csv, predictions_only: true}
  - id: stream_ok
    upstream: good
    model.predict: {model: "{{ outputs.good.model }}", data: many.csv, batch_size: 2}
  - id: stream_bad
    upstream: good
    model.predict: {model: "{{ outputs.good.model }}", data: manybad.csv, batch_size: 2}
  - id: bad_alias
    model.predict: {model: "models:/nothing@champion", data: ok.csv}
`

// Bad input fails the task, without retry, naming the column, row and rule.
func TestBadInputFailsNamingColumnAndRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"bad.yaml": badDAG,
		"ok.csv":       "x,y\n1,2\n2,4\n3,6\n4,8\n",
		"text.csv":     "x,y\n1,2\n2,4\nabc,6\n4,8\n",
		"empty.csv":    "x,y\n",
		"oneclass.csv": "x,label\n1,a\n2,a\n3,a\n",
		"noinput.csv":  "w,y\n1,2\n",
		"many.csv":     "id,x\na,1\nb,2\nc,3\nd,4\ne,5\n",
		"manybad.csv":  "id,x\na,1\nb,2\nc,3\nd,4\ne,five\n",
	})
	tis := h.run("bad")
	var km struct {
		Task    string
		Metrics map[string]float64
	}
	output(t, tis["cluster"], &km)
	var assign struct{ Column string }
	output(t, tis["assign"], &assign)
	var so struct {
		Predictions string
		Rows        int
		Streamed    bool
	}
	output(t, tis["stream_ok"], &so)
	if so.Rows != 5 || !so.Streamed || !strings.HasSuffix(so.Predictions, "/predictions.csv") {
		t.Fatalf("stream_ok output %s", tis["stream_ok"].Output)
	}
	if got := readFile(t, strings.TrimPrefix(so.Predictions, "file://")); got != "id,x,prediction\na,1,2\nb,2,4\nc,3,6\nd,4,8\ne,5,10\n" {
		t.Fatalf("streamed predictions:\n%s", got)
	}
	if km.Task != "clustering" || km.Metrics["inertia"] <= 0 || assign.Column != "cluster" {
		t.Fatalf("kmeans: %s, %s", tis["cluster"].Output, tis["assign"].Output)
	}
	for task, want := range map[string]string{
		"missing_target":   `column "nope": missing: the target column is not in the data set (its columns: x, y)`,
		"missing_input":    `column "z": missing: the input column is not in the data set`,
		"string_in_float":  `column "x", row 3: value "abc" is not a number: input columns must hold numbers only`,
		"empty":            "empty training set: data set empty.csv has no rows",
		"one_class":        `column "label": one-class target: every row is "a"; logistic_regression needs at least two classes`,
		"evaluate_missing": `column "x": missing: the model takes it as input`,
		"predict_string":   `column "x", row 3 (line 4): "abc"`,
		"stream_bad":       `column "x", row 5 (line 6): "five"`,
		"bad_alias":        `model reference models:/nothing@champion: alias "champion" of model "nothing"`,
	} {
		ti := tis[task]
		if ti.State != store.TIFailed || !strings.Contains(ti.Error, want) {
			t.Errorf("%s: %s, %q; want failed with %q", task, ti.State, ti.Error, want)
		}
		if ti.TryNumber != 1 {
			t.Errorf("%s: %d tries; bad input is not retried", task, ti.TryNumber)
		}
	}
}

// The example DAG of docs/dag-yaml.md runs from the examples folder: trained, evaluated,
// registered as champion, and the test set scored by the champion.
func TestExampleDAGRuns(t *testing.T) {
	t.Parallel()
	doc := readFile(t, "../docs/dag-yaml.md")
	example := readFile(t, "../examples/dags/diabetes_champion.yaml")
	body := example[strings.Index(example, "dag_id:"):]
	if !strings.Contains(doc, body) {
		t.Fatal("docs/dag-yaml.md does not show examples/dags/diabetes_champion.yaml (from dag_id: on) as it is")
	}
	h := &harness{t: t}
	h.home = t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(h.home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.n, err = node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: h.home, DAGsDir: "../examples/dags"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.n.Stop)
	tis := h.run("diabetes_champion")
	var reg struct {
		Version    string
		AliasMoved bool `json:"alias_moved"`
	}
	output(t, tis["register"], &reg)
	var sc struct{ Rows int }
	output(t, tis["score"], &sc)
	if reg.Version != "1" || !reg.AliasMoved || sc.Rows != 100 {
		t.Fatalf("register %s, score %s", tis["register"].Output, tis["score"].Output)
	}
}

// The docs list every estimator of the registry with its hyperparameters.
func TestDocsListEveryEstimator(t *testing.T) {
	t.Parallel()
	doc := readFile(t, "../docs/dag-yaml.md")
	for _, n := range estimators.Names() {
		e, _ := estimators.Lookup(n)
		var ps []string
		for _, p := range e.Params {
			ps = append(ps, "`"+p.Name+"`")
		}
		if !strings.Contains(doc, "| `"+n+"` | "+e.Task+" | "+e.Doc+" | "+strings.Join(ps, ", ")+" |") {
			t.Errorf("docs/dag-yaml.md: the estimators table misses or misdescribes %s", n)
		}
	}
}
