package steps_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/tracking"
)

// The possum example (examples/dags/possum.yaml) end to end: it succeeds, leaves a parent
// tracking run with one child per search candidate, plots as artifacts, a registered version
// with champion on it, and gives scikit-learn's numbers on the same train and test sets
// (examples/dags/data/sklearn_reference.py, run with Debian's python3-sklearn).
func TestPossumPipelineMatchesScikitLearn(t *testing.T) {
	t.Parallel()
	e := newExamples(t)
	ctx, st, dags := e.ctx, e.st, e.dags
	run := e.run(t, "possum", nil)
	out := func(task string, mapIndex int, v any) {
		t.Helper()
		ti, err := st.GetTaskInstance(ctx, "possum", run.RunID, task, mapIndex)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ti.Output, v); err != nil {
			t.Fatalf("%s output %s: %v", task, ti.Output, err)
		}
	}
	var split struct{ Train, Test string }
	out("split", -1, &split)
	var sel struct {
		Params map[string]float64
		Score  float64
	}
	out("select", -1, &sel)
	var eval struct {
		Metrics map[string]float64
		Passed  bool
		Plots   map[string]string
	}
	out("evaluate", -1, &eval)
	var reg struct {
		Version    string
		AliasMoved bool `json:"alias_moved"`
	}
	out("register", -1, &reg)

	// Tracking: a parent run and one child per candidate, plots logged, champion set.
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	exp, err := svc.EnsureExperiment(ctx, "possum")
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID}, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	children, parents := 0, 0
	for _, r := range page.Runs {
		if task, _ := r.Tag(tracking.TagTaskID); task == "search" {
			children++
		}
		if p, _ := r.Tag("weir.parent"); p == "true" {
			parents++
		}
	}
	if parents != 1 || children != 5 {
		t.Fatalf("tracking: %d parent runs and %d search runs, want 1 and 5", parents, children)
	}
	if !eval.Passed || len(eval.Plots) == 0 {
		t.Fatalf("evaluate: passed %v, plots %v", eval.Passed, eval.Plots)
	}
	champ, err := st.Tracking().GetModelVersionByAlias(ctx, "possum", "champion")
	if err != nil || champ.Version != reg.Version || !reg.AliasMoved {
		t.Fatalf("champion: %+v %v (registered %+v)", champ, err, reg)
	}

	// scikit-learn on the same train and test sets.
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import sklearn").Run(); err != nil {
		t.Fatalf("scikit-learn is needed to compare (apt-get install python3-sklearn; scripts/ensure-deps.sh does): %v", err)
	}
	tmp := t.TempDir()
	toCSV := func(uri, name string) string {
		t.Helper()
		b, err := os.ReadFile(strings.TrimPrefix(uri, "file://"))
		if err != nil {
			t.Fatal(err)
		}
		f, err := frame.ReadParquet(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := frame.WriteCSV(&buf, f); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := filepath.Join(tmp, "cfg.json")
	if err := os.WriteFile(cfg, []byte(`{"target": "taill", "numeric": ["totlngth", "footlgth", "hdlngth", "age"],
		"categorical": ["Pop", "sex"], "impute": ["age"], "estimator": "ridge",
		"grid": {"alpha": [0.01, 0.1, 1, 10, 100]}, "cv": 5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, python, filepath.Join(dags, "data", "sklearn_reference.py"),
		toCSV(split.Train, "train.csv"), toCSV(split.Test, "test.csv"), cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("sklearn_reference.py: %v\n%s", err, stderr.String())
	}
	var ref struct {
		Candidates []struct {
			Params    map[string]float64
			MeanScore float64 `json:"mean_score"`
			StdScore  float64 `json:"std_score"`
		}
		BestParams map[string]float64 `json:"best_params"`
		BestScore  float64            `json:"best_score"`
		Test       map[string]float64
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	close := func(what string, got, want float64) {
		t.Helper()
		t.Logf("%s: weir %.12g, scikit-learn %.12g", what, got, want)
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.10g, scikit-learn %.10g", what, got, want)
		}
	}
	for i, c := range ref.Candidates {
		var inst struct {
			Score    float64
			ScoreStd float64 `json:"score_std"`
			Params   map[string]float64
		}
		out("search", i, &inst)
		if inst.Params["alpha"] != c.Params["alpha"] {
			t.Fatalf("candidate %d: alpha %v, scikit-learn's %v", i, inst.Params["alpha"], c.Params["alpha"])
		}
		close("cv r2 of alpha="+jsonNum(c.Params["alpha"]), inst.Score, c.MeanScore)
		close("cv r2 std of alpha="+jsonNum(c.Params["alpha"]), inst.ScoreStd, c.StdScore)
	}
	if sel.Params["alpha"] != ref.BestParams["alpha"] {
		t.Errorf("selected alpha %v, GridSearchCV's %v", sel.Params["alpha"], ref.BestParams["alpha"])
	}
	close("best cv r2", sel.Score, ref.BestScore)
	for _, m := range []string{"r2", "rmse", "mae"} {
		close("test "+m, eval.Metrics[m], ref.Test[m])
	}
}

func jsonNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// A Python scikit-learn task beside built-in steps in one DAG (possum_sklearn.yaml): the
// script reads the CSV split the built-in step wrote and logs to its tracking run through
// MLflow's REST API.
func TestPythonTaskBesideBuiltInSteps(t *testing.T) {
	t.Parallel()
	if err := exec.Command("/usr/bin/python3", "-c", "import sklearn").Run(); err != nil {
		t.Fatalf("scikit-learn is needed (apt-get install python3-sklearn; scripts/ensure-deps.sh does): %v", err)
	}
	e := newExamples(t)
	ctx, st := e.ctx, e.st
	run := e.run(t, "possum_sklearn", nil)
	ti, err := st.GetTaskInstance(ctx, "possum_sklearn", run.RunID, "sklearn_gbr", -1)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Metrics map[string]float64 }
	if err := json.Unmarshal(ti.Output, &got); err != nil || got.Metrics["rmse"] <= 0 {
		t.Fatalf("sklearn task output %s: %v", ti.Output, err)
	}
	// Its tracking run holds the metric the script logged through the REST API.
	svc := tracking.NewService(st.Tracking(), tracking.ServiceConfig{})
	exp, err := svc.EnsureExperiment(ctx, "possum_sklearn")
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.SearchRuns(ctx, tracking.SearchRunsParams{ExperimentIDs: []string{exp.ID},
		Filter: "tags.`" + tracking.TagTaskID + "` = 'sklearn_gbr'"})
	if err != nil || len(page.Runs) != 1 {
		t.Fatalf("tracking runs of sklearn_gbr: %d, %v", len(page.Runs), err)
	}
	found := false
	for _, m := range page.Runs[0].Metrics {
		found = found || (m.Key == "rmse" && math.Abs(m.Value-got.Metrics["rmse"]) < 1e-12)
	}
	if !found {
		t.Fatalf("rmse not logged to the tracking run: %+v", page.Runs[0].Metrics)
	}
}
