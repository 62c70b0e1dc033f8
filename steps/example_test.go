package steps_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/steps/internal/steptest"
	"github.com/weirhq/weir/tracking"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// TestDataStepsExample runs examples/dags/data_steps.yaml, which docs/dag-yaml.md shows
// verbatim, end to end.
func TestDataStepsExample(t *testing.T) {
	t.Parallel()
	yaml, err := os.ReadFile("../examples/dags/data_steps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile("../examples/dags/data/measurements.csv")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/dag-yaml.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(yaml)+"```") {
		t.Error("docs/dag-yaml.md does not show examples/dags/data_steps.yaml as it is: copy it there")
	}
	run := steptest.RunDAG(t, steptest.Files(t, map[string]string{"data_steps.yaml": string(yaml), "data/measurements.csv": string(csv)}), "data_steps")
	var check struct {
		Passed   bool `json:"passed"`
		Warnings int  `json:"warnings"`
	}
	run.Output(t, "check", &check)
	if !check.Passed || check.Warnings != 1 {
		t.Errorf("check: %+v", check)
	}
	var split struct {
		Rows  map[string]int `json:"rows"`
		Folds []fold         `json:"folds"`
	}
	run.Output(t, "split", &split)
	if split.Rows["train"] != 44 || split.Rows["test"] != 16 || len(split.Folds) != 3 {
		t.Errorf("split: %+v", split)
	}
	var tr struct {
		Rows    int      `json:"rows"`
		Columns []string `json:"columns"`
	}
	run.Output(t, "transform", &tr)
	if tr.Rows != 16 || strings.Join(tr.Columns, ",") != "site=east,site=north,site=south,length,weight,id,species" {
		t.Errorf("transform: %+v", tr)
	}

	// Tracked without a track: line, each step in its own run under the DAG run's parent
	// run, with its params and metrics.
	parent := run.Tracked[""]
	if parent == nil {
		t.Fatalf("no parent tracking run; runs: %v", run.Tracked)
	}
	for task, want := range map[string]struct{ param, value, metric string }{
		"check":     {"expectations", "7", "quality_warnings"},
		"split":     {"stratify", "species", "rows_test"},
		"fit":       {"steps", "imputer,standard_scaler,onehot_encoder", "columns_out"},
		"transform": {"data", "", "rows"},
	} {
		tr := run.Tracked[task]
		if tr == nil {
			t.Errorf("%s: no tracking run", task)
			continue
		}
		if p, _ := tr.Tag(tracking.TagParentRunID); p != parent.Info.RunID {
			t.Errorf("%s: parent run %q, want %q", task, p, parent.Info.RunID)
		}
		var param, metric bool
		for _, p := range tr.Params {
			param = param || p.Key == want.param && (want.value == "" || p.Value == want.value)
		}
		for _, m := range tr.Metrics {
			metric = metric || m.Key == want.metric
		}
		if !param || !metric {
			t.Errorf("%s: params %v, metrics %v; want param %s=%s and metric %s", task, tr.Params, tr.Metrics, want.param, want.value, want.metric)
		}
	}
}

type fold struct{ Train, Test string }

// The example's specs survive a run's DAG snapshot (JSON in the store), as
// clear-and-resume needs: pointers (min, max, test_size), maps and nested lists included.
func TestSpecsSurviveTheSnapshot(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../examples/dags/data_steps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set := kinds.Builtin(kinds.Deps{})
	d, err := dag.LoadBytes("data_steps.yaml", src, set.LoadOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back dag.DAG
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := set.Kinds().Restore(&back); err != nil {
		t.Fatal(err)
	}
	for i, task := range d.Tasks {
		if !reflect.DeepEqual(task.Spec, back.Tasks[i].Spec) {
			t.Errorf("task %s: spec %#v came back as %#v", task.ID, task.Spec, back.Tasks[i].Spec)
		}
	}
}
