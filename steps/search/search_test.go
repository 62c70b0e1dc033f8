package search_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/engine"
	"github.com/weirhq/weir/ml/model"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// reference is testdata/reference.json, written by testdata/gen_reference.py with
// scikit-learn.
type reference map[string]struct {
	Candidates []struct {
		Params map[string]float64 `json:"params"`
		Scores []float64          `json:"scores"`
		Mean   float64            `json:"mean"`
		Std    float64            `json:"std"`
	} `json:"candidates"`
	BestParams map[string]float64 `json:"best_params"`
	BestScore  float64            `json:"best_score"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// env is a weir node in ModeRun on a real SQLite store, with a DAG folder.
type env struct {
	t    *testing.T
	st   *sqlite.Store
	node *node.Node
	home string
}

func setup(t *testing.T, dags map[string]string) *env {
	t.Helper()
	home, dir := t.TempDir(), t.TempDir()
	for name, body := range dags {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n, err := node.New(node.Config{Mode: node.ModeRun, Store: st, Tracking: st.Tracking(), Home: home, DAGsDir: dir,
		GracePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return &env{t: t, st: st, node: n, home: home}
}

// run triggers a run of the DAG and waits for it to end.
func (e *env) run(dagID string) *store.DAGRun {
	e.t.Helper()
	d, ok := e.node.Registry().DAG(dagID)
	if !ok {
		e.t.Fatalf("DAG %s not loaded: %v", dagID, e.node.Registry().Errors())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := e.node.Engine().Trigger(ctx, d, engine.TriggerOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	run, err = e.node.Engine().Wait(ctx, dagID, run.RunID)
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

// tis returns the task's instances in map index order.
func (e *env) tis(run *store.DAGRun, task string) []*store.TaskInstance {
	e.t.Helper()
	tis, err := e.st.ListTaskInstances(context.Background(), store.ListTIParams{DAGID: run.DAGID, RunID: run.RunID, TaskIDs: []string{task}})
	if err != nil {
		e.t.Fatal(err)
	}
	return tis
}

func (e *env) output(ti *store.TaskInstance, v any) {
	e.t.Helper()
	if ti.State != store.TISuccess {
		e.t.Fatalf("%s[%d] is %s: %s", ti.TaskID, ti.MapIndex, ti.State, ti.Error)
	}
	if err := json.Unmarshal(ti.Output, v); err != nil {
		e.t.Fatalf("%s[%d] output %s: %v", ti.TaskID, ti.MapIndex, ti.Output, err)
	}
}

// runs returns the tracking runs of a DAG run's task, by their tags.
func (e *env) runs(run *store.DAGRun, task string) []tracking.Run {
	e.t.Helper()
	ts := e.st.Tracking()
	exp, err := ts.GetExperimentByName(context.Background(), run.DAGID)
	if err != nil {
		e.t.Fatal(err)
	}
	page, err := ts.SearchRuns(context.Background(), tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID},
		Filter: "tags." + tracking.QuoteKey(tracking.TagDAGRunID) + " = " + tracking.QuoteString(run.RunID) +
			" AND tags." + tracking.QuoteKey(tracking.TagTaskID) + " = " + tracking.QuoteString(task)})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Runs
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

type candidate struct {
	Params    map[string]any     `json:"params"`
	Candidate map[string]any     `json:"candidate"`
	Metric    string             `json:"metric"`
	Mode      string             `json:"mode"`
	Score     float64            `json:"score"`
	ScoreStd  float64            `json:"score_std"`
	Scores    []float64          `json:"scores"`
	Metrics   map[string]float64 `json:"metrics"`
	RunID     string             `json:"run_id"`
	Round     int                `json:"round"`
	Rows      int                `json:"rows"`
}

type selection struct {
	Estimator string         `json:"estimator"`
	Params    map[string]any `json:"params"`
	Metric    string         `json:"metric"`
	Mode      string         `json:"mode"`
	Score     float64        `json:"score"`
	Index     int            `json:"index"`
	Model     string         `json:"model"`
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Grid searches through YAML map one instance per candidate, each with its own tracking
// run, give scikit-learn's cross_val_score fold scores, and select picks GridSearchCV's
// best params and score.
func TestGridSearchMatchesScikitLearn(t *testing.T) {
	t.Parallel()
	ref := loadReference(t)
	diabetes := fixture(t, "../../ml/testdata/data/diabetes.csv")
	iris := fixture(t, "testdata/iris_shuffled.csv")
	// A pipeline file as features.fit writes it (ml/preprocess steps and the columns they
	// take): the search refits it on each fold, as scikit-learn's Pipeline in GridSearchCV.
	cols := []string{"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"}
	var inputs []map[string]string
	for _, c := range cols {
		inputs = append(inputs, map[string]string{"name": c, "type": "float"})
	}
	pf, _ := json.Marshal(map[string]any{"format": "weir.pipeline", "inputs": inputs, "target": "target", "outputs": cols,
		"steps": []any{map[string]any{"kind": "standard_scaler", "params": map[string]any{"columns": cols}}}})
	pipeline := filepath.Join(t.TempDir(), "pipeline.json")
	writeFile(t, pipeline, string(pf))
	e := setup(t, map[string]string{"grid.yaml": `dag_id: grid
tasks:
  - id: scaled
    model.search:
      data: ` + diabetes + `
      pipeline: ` + pipeline + `
      target: target
      estimator: ridge
      grid: {alpha: [0.1, 1, 10, 100]}
  - id: pick_scaled
    upstream: scaled
    model.select: {candidates: "{{ outputs.scaled }}", refit: true}
  - id: ridge
    map_index_template: "alpha={{ args.alpha }}"
    model.search:
      data: ` + diabetes + `
      target: target
      estimator: ridge
      grid: {alpha: [0.01, 0.1, 1.0, 10.0]}
      cv: 5
  - id: pick_ridge
    upstream: ridge
    model.select:
      candidates: "{{ outputs.ridge }}"
      refit: true
  - id: lasso
    model.search:
      data: ` + diabetes + `
      target: target
      estimator: lasso
      grid: {alpha: [0.01, 0.1, 1.0]}
      metric: mse
  - id: pick_lasso
    upstream: lasso
    model.select: {candidates: "{{ outputs.lasso }}"}
  - id: logit
    model.search:
      data: ` + iris + `
      target: target_class
      estimator: logistic_regression
      params: {max_iter: 1000}
      grid: {C: [0.01, 0.1, 1.0, 10.0]}
  - id: pick_logit
    upstream: logit
    model.select: {candidates: "{{ outputs.logit }}"}
`})
	run := e.run("grid")
	if run.State != store.RunSuccess {
		for _, task := range []string{"scaled", "pick_scaled", "ridge", "lasso", "logit", "pick_ridge", "pick_lasso", "pick_logit"} {
			for _, ti := range e.tis(run, task) {
				t.Logf("%s[%d]: %s %s", task, ti.MapIndex, ti.State, ti.Error)
			}
		}
		t.Fatalf("run %s", run.State)
	}
	parents := map[string]bool{}
	for _, c := range []struct{ search, pick, ref, param string }{
		{"ridge", "pick_ridge", "ridge_r2", "alpha"}, {"lasso", "pick_lasso", "lasso_mse", "alpha"},
		{"logit", "pick_logit", "logistic_accuracy", "C"}, {"scaled", "pick_scaled", "scaled_ridge_r2", "alpha"},
	} {
		want := ref[c.ref]
		tis := e.tis(run, c.search)
		if len(tis) != len(want.Candidates) {
			t.Fatalf("%s: %d instances, want one per candidate (%d)", c.search, len(tis), len(want.Candidates))
		}
		tracked := map[string]tracking.Run{}
		for _, r := range e.runs(run, c.search) {
			tracked[r.Info.RunID] = r
		}
		if len(tracked) != len(tis) {
			t.Errorf("%s: %d tracking runs, want one per candidate (%d)", c.search, len(tracked), len(tis))
		}
		for i, ti := range tis {
			var got candidate
			e.output(ti, &got)
			w := want.Candidates[i]
			if ti.MapIndex != i || got.Params[c.param] != w.Params[c.param] {
				t.Errorf("%s[%d]: params %v, want %v", c.search, ti.MapIndex, got.Params, w.Params)
			}
			if !near(got.Score, w.Mean) || !near(got.ScoreStd, w.Std) || len(got.Scores) != len(w.Scores) {
				t.Errorf("%s[%d] %v: %s = %v ± %v, scikit-learn %v ± %v", c.search, i, w.Params, got.Metric, got.Score, got.ScoreStd, w.Mean, w.Std)
			}
			for k := range got.Scores {
				if !near(got.Scores[k], w.Scores[k]) {
					t.Errorf("%s[%d] fold %d: %v, scikit-learn %v", c.search, i, k, got.Scores[k], w.Scores[k])
				}
			}
			tr, ok := tracked[got.RunID]
			if !ok {
				t.Errorf("%s[%d]: run_id %q is not one of the task's tracking runs", c.search, i, got.RunID)
				continue
			}
			parent, _ := tr.Tag(tracking.TagParentRunID)
			parents[parent] = true
			if v := param(tr, c.param); v != fmtFloat(w.Params[c.param]) {
				t.Errorf("%s[%d]: tracked param %s = %q, want %v", c.search, i, c.param, v, w.Params[c.param])
			}
			if v, ok := metric(tr, got.Metric+"_mean"); !ok || !near(v, w.Mean) {
				t.Errorf("%s[%d]: tracked %s_mean = %v (%v), want %v", c.search, i, got.Metric, v, ok, w.Mean)
			}
			if _, ok := metric(tr, got.Metric+"_std"); !ok {
				t.Errorf("%s[%d]: no %s_std metric", c.search, i, got.Metric)
			}
		}
		var sel selection
		e.output(e.tis(run, c.pick)[0], &sel)
		t.Logf("%s: %s", c.pick, e.tis(run, c.pick)[0].Output)
		if sel.Params[c.param] != want.BestParams[c.param] || !near(sel.Score, want.BestScore) {
			t.Errorf("%s: selected %v with %s %v, GridSearchCV %v with %v", c.pick, sel.Params, sel.Metric, sel.Score, want.BestParams, want.BestScore)
		}
	}
	if len(parents) != 1 || parents[""] {
		t.Errorf("candidate runs' parents: %v, want the DAG run's one parent run", parents)
	}
	if ti := e.tis(run, "ridge")[2]; ti.RenderedMapIndex != "alpha=1" {
		t.Errorf("ridge[2] is named %q", ti.RenderedMapIndex)
	}
	// The refitted model carries the preprocessing: it predicts from raw columns.
	var scaled selection
	e.output(e.tis(run, "pick_scaled")[0], &scaled)
	b, err := os.ReadFile(strings.TrimPrefix(scaled.Model, "file://"))
	if err != nil {
		t.Fatalf("refitted model: %v", err)
	}
	if m, err := model.Load(strings.NewReader(string(b))); err != nil || m.Preprocess == nil || len(m.Preprocess.Steps) != 1 {
		t.Errorf("refitted scaled model: %v, preprocessing %+v", err, m)
	}
	var sel selection
	e.output(e.tis(run, "pick_ridge")[0], &sel)
	b, err = os.ReadFile(strings.TrimPrefix(sel.Model, "file://"))
	if err != nil {
		t.Fatalf("refitted model: %v", err)
	}
	m, err := model.Load(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "linear.Ridge" || m.Metadata.Rows != 442 || m.Metadata.Params["alpha"] != 0.01 {
		t.Errorf("refitted model: kind %s, %d rows, params %v", m.Kind, m.Metadata.Rows, m.Metadata.Params)
	}
}

func param(r tracking.Run, key string) string {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

func metric(r tracking.Run, key string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Key == key {
			return m.Value, true
		}
	}
	return 0, false
}

func fmtFloat(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
