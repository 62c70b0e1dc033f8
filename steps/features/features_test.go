package features_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/kinds"
	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
	"github.com/weirhq/weir/steps/features"
	"github.com/weirhq/weir/steps/internal/steptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

const train = `id,age,city,income,y
1,30,Paris,1000,1.5
2,,Lyon,2000,2.5
3,50,Paris,,3.5
4,40,Nice,4000,4.5
5,20,Lyon,3000,5.5
`

// test has a city not seen in training and missing values.
const test = `id,age,city,income,y
6,35,Rome,2500,1
7,,Paris,,2
`

const serve = `id,age,city,income
8,45,Nice,1500
`

const feats = `dag_id: feats
tasks:
  - id: fit
    features.fit:
      data: train.csv
      target: y
      keep: id
      steps:
        - {kind: simple_imputer, strategy: median, columns: [age, income]}
        - {kind: standard_scaler, columns: [age, income]}
        - {kind: one_hot, columns: city}
  - id: transform
    upstream: fit
    features.transform: {data: test.csv, pipeline: "{{ outputs.fit.pipeline }}"}
  - id: serve
    upstream: fit
    features.transform: {data: serve.csv, pipeline: "{{ outputs.fit.pipeline }}"}
  - id: again
    upstream: fit
    features.transform: {data: train.csv, pipeline: "{{ outputs.fit.pipeline }}"}
  - id: string_in_float
    upstream: fit
    features.transform: {data: bad.csv, pipeline: "{{ outputs.fit.pipeline }}"}
  - id: missing_input
    upstream: fit
    features.transform: {data: noincome.csv, pipeline: "{{ outputs.fit.pipeline }}"}
  - id: empty_transform
    upstream: fit
    features.transform: {data: empty.csv, pipeline: "{{ outputs.fit.pipeline }}"}
  - id: not_a_pipeline
    features.transform: {data: train.csv, pipeline: train.csv}
  - id: wine
    features.fit:
      data: WINE
      target: target_class
      steps: [{kind: standard_scaler}]
  - id: unencoded
    features.fit:
      data: train.csv
      target: y
      steps: [{kind: standard_scaler}]
  - id: missing_column
    features.fit:
      data: train.csv
      steps: [{kind: standard_scaler, columns: [weight]}]
  - id: scale_a_string
    features.fit:
      data: train.csv
      steps: [{kind: standard_scaler, columns: [city]}]
  - id: empty
    features.fit:
      data: empty.csv
      steps: [{kind: standard_scaler}]
  - id: no_target
    features.fit:
      data: train.csv
      target: label
      steps: [{kind: standard_scaler}]
`

type output struct {
	Features []string `json:"features"`
	Pipeline string   `json:"pipeline"`
	Data     string   `json:"data"`
	Rows     int      `json:"rows"`
	Columns  []string `json:"columns"`
	Target   string   `json:"target"`
	Datasets map[string]struct {
		Hash string `json:"hash"`
	} `json:"datasets"`
}

func open(t *testing.T, uri string) *frame.Frame {
	t.Helper()
	f, err := frame.Open(context.Background(), uri, frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func floats(t *testing.T, f *frame.Frame, name string) []float64 {
	t.Helper()
	c, err := f.Column(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Floats()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestFeatures(t *testing.T) {
	t.Parallel()
	wine, err := filepath.Abs("../../ml/testdata/data/wine.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := steptest.Files(t, map[string]string{"feats.yaml": strings.Replace(feats, "WINE", wine, 1),
		"train.csv": train, "test.csv": test, "serve.csv": serve, "empty.csv": "age,y\n",
		"bad.csv": "id,age,city,income\n9,abc,Paris,100\n", "noincome.csv": "id,age,city\n9,3,Paris\n"})
	run := steptest.RunDAG(t, dir, "feats")

	var fit output
	run.Output(t, "fit", &fit)
	want := []string{"age", "city=Lyon", "city=Nice", "city=Paris", "income", "id", "y"}
	if !slices.Equal(fit.Columns, want) || !slices.Equal(fit.Features, want[:5]) || fit.Rows != 5 || fit.Target != "y" {
		t.Fatalf("fit: %+v", fit)
	}
	// Median imputation then standardisation: age is [30 35 50 40 20], mean 35,
	// population std sqrt(100) = 10.
	got := open(t, fit.Data)
	if age := floats(t, got, "age"); !near(age[0], -0.5) || !near(age[1], 0) || !near(age[2], 1.5) {
		t.Errorf("fitted age = %v", age)
	}
	if y := floats(t, got, "y"); !slices.Equal(y, []float64{1.5, 2.5, 3.5, 4.5, 5.5}) {
		t.Errorf("the target changed: %v", y)
	}
	log := run.Log(t, "fit")
	for _, want := range []string{"features.fit on train.csv: 5 rows", "inputs: age, city, income", "imputer", "standard_scaler", `"mean":[35,`, "onehot_encoder", "output columns (7)"} {
		if !strings.Contains(log, want) {
			t.Errorf("fit's log lacks %q:\n%s", want, log)
		}
	}

	if log := run.Log(t, "unencoded"); !strings.Contains(log, "note: feature columns city (string) are not numeric") {
		t.Errorf("unencoded's log has no note on city:\n%s", log)
	}

	// The same pipeline by reference: an unseen city encodes as zeros, missing values get
	// the training medians.
	var tr output
	run.Output(t, "transform", &tr)
	g := open(t, tr.Data)
	if !slices.Equal(tr.Columns, want) || tr.Rows != 2 {
		t.Fatalf("transform: %+v", tr)
	}
	if age, rome := floats(t, g, "age"), floats(t, g, "city=Paris"); !near(age[0], 0) || !near(age[1], 0) || rome[0] != 0 || rome[1] != 1 {
		t.Errorf("transformed: age %v, city=Paris %v", age, rome)
	}
	// Serving data without the target.
	var sv output
	run.Output(t, "serve", &sv)
	if !slices.Equal(sv.Columns, want[:6]) || sv.Target != "" {
		t.Errorf("serve: %+v", sv)
	}
	// Training data through the saved pipeline is the fitted output, byte for byte.
	var again output
	run.Output(t, "again", &again)
	if again.Datasets["data"].Hash != fit.Datasets["data"].Hash {
		t.Errorf("the saved pipeline transforms the training data differently: %s, fit %s", again.Datasets["data"].Hash, fit.Datasets["data"].Hash)
	}

	// The pipeline file is ml/preprocess's own format: it reloads as a preprocess.Pipeline,
	// and through features.Parse.
	b := steptest.ReadURI(t, fit.Pipeline)
	var p preprocess.Pipeline
	if err := json.Unmarshal(b, &p); err != nil || len(p.Steps) != 3 || p.Steps[1].Kind() != "standard_scaler" {
		t.Fatalf("preprocess reload: %v %+v", err, p)
	}
	fitted, err := features.Parse(b)
	if err != nil || fitted.Target != "y" || len(fitted.Inputs) != 3 || fitted.Inputs[0].Type != "int" || fitted.FittedOn.Rows != 5 {
		t.Fatalf("Parse: %v %+v", err, fitted)
	}
	if !slices.ContainsFunc(run.TrackedArtifacts(t, "pipeline.json"), func(a []byte) bool { return string(a) == string(b) }) {
		t.Error("no tracked pipeline.json is the pipeline file")
	}

	// Against scikit-learn: StandardScaler().fit_transform of wine's features
	// (ml/testdata/preprocess.json, made by ml/testdata/gen_fixtures.py).
	fx, err := os.ReadFile("../../ml/testdata/preprocess.json")
	if err != nil {
		t.Fatal(err)
	}
	var sk struct {
		Standard [][]float64 `json:"standard"`
	}
	if err := json.Unmarshal(fx, &sk); err != nil {
		t.Fatal(err)
	}
	var w output
	run.Output(t, "wine", &w)
	wf := open(t, w.Data)
	// The fixture holds the first 20 rows of the 178 transformed.
	if wf.NumRows() != 178 || len(sk.Standard) != 20 || w.Columns[len(w.Columns)-1] != "target_class" {
		t.Fatalf("wine: %d rows, columns %v", wf.NumRows(), w.Columns)
	}
	for j, name := range w.Columns[:len(w.Columns)-1] {
		v := floats(t, wf, name)
		for i := range sk.Standard {
			if !near(v[i], sk.Standard[i][j]) {
				t.Fatalf("wine %s row %d = %.15g, scikit-learn %.15g", name, i, v[i], sk.Standard[i][j])
			}
		}
	}

	for id, want := range map[string]string{
		"string_in_float": `features.transform: data bad.csv: column "age" is string but the pipeline was fitted on int values (rule: the input schema)`,
		"missing_input":   `features.transform: data noincome.csv: input column "income": no such column (have id, age, city): the pipeline was fitted on age, city, income`,
		"missing_column":  `features.fit: data train.csv: steps[0] (standard_scaler): column "weight": no such column`,
		"scale_a_string":  `features.fit: data train.csv: steps[0] (standard_scaler): column "city" is string, not numeric`,
		"empty":           "features.fit: data empty.csv: the training data has no rows: a pipeline cannot be fitted on an empty training set",
		"no_target":       `features.fit: data train.csv: column "label": no such column`,
		"empty_transform": "features.transform: data empty.csv has no rows: there is nothing to transform",
		"not_a_pipeline":  "features.transform: pipeline train.csv: not a pipeline file written by features.fit (invalid character",
	} {
		if msg := run.Failed(t, id); !strings.Contains(msg, want) {
			t.Errorf("%s: error %q lacks %q", id, msg, want)
		}
	}
}

func TestFeaturesLoadErrors(t *testing.T) {
	t.Parallel()
	msg := steptest.LoadError(t, "f.yaml", `dag_id: f
tasks:
  - id: fit
    features.fit:
      data: x.csv
      target: y
      inputs: [a, b, y]
      steps:
        - {kind: scaler}
        - {kind: standard_scaler, strategy: mean}
        - {kind: imputer, strategy: constant}
        - {kind: standard_scaler, columns: [a, c, y]}
        - {kind: minmax_scaler, low: 1, high: 0}
        - {kind: select}
  - id: transform
    features.transform: {data: x.csv}
`)
	for _, want := range []string{
		`f.yaml:7:22: features.fit.inputs[2]: "y" is the target`,
		`f.yaml:9:18: features.fit.steps[0].kind: unknown transform "scaler" (want standard_scaler`,
		"features.fit.steps[1].strategy: applies to imputer only, not standard_scaler",
		"features.fit.steps[2].fill_value: missing: strategy constant needs the fill value",
		`features.fit.steps[3].columns[1]: column "c" is not among the inputs (a, b, y)`,
		`features.fit.steps[3].columns[2]: "y" is the target, which the pipeline does not transform`,
		"features.fit.steps[4].high: the range [1, 0] is empty",
		"features.fit.steps[5].columns: missing: select keeps the columns listed",
		"features.transform.pipeline: missing: the fitted pipeline",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("load error lacks %q:\n%s", want, msg)
		}
	}
}

// A run's DAG snapshot (JSON in the store) gives the specs back, as clear-and-resume needs.
func TestSpecsSurviveTheSnapshot(t *testing.T) {
	t.Parallel()
	set := kinds.Builtin(kinds.Deps{})
	d, err := dag.LoadBytes("feats.yaml", []byte(feats), set.LoadOptions())
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
	if s := back.Tasks[0].Spec.(*features.FitSpec); s.Steps[0].Strategy != "median" || s.Keep[0] != "id" {
		t.Errorf("restored fit spec %+v", s)
	}
}
