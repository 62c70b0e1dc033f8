package steps_test

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/steps/internal/steptest"
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
}

type fold struct{ Train, Test string }
