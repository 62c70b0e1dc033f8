package split_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/steps/internal/steptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// flowers has 20 rows: 12 of species a, 8 of species b.
func flowers() string {
	var b strings.Builder
	b.WriteString("id,x,species\n")
	for i := 0; i < 20; i++ {
		sp := "a"
		if i%5 == 1 || i%5 == 3 {
			sp = "b"
		}
		fmt.Fprintf(&b, "%d,%g,%s\n", i, float64(i)/3, sp)
	}
	return b.String()
}

const splits = `dag_id: splits
tasks:
  - id: strat
    data.split: {data: flowers.csv, target: species, test_size: 0.25, stratify: species, seed: 7, folds: 3}
  - id: again
    data.split: {data: flowers.csv, stratify: species, seed: 7}
  - id: other_seed
    data.split: {data: flowers.csv, stratify: species, seed: 8}
  - id: plain
    data.split: {data: flowers.csv, test_size: 0.2, shuffle: false, folds: 4}
  - id: folds_only
    data.split: {data: flowers.csv, test_size: 0, folds: 5, seed: 1}
  - id: missing_column
    data.split: {data: flowers.csv, target: weight}
  - id: empty
    data.split: {data: empty.csv}
  - id: missing_label
    data.split: {data: holes.csv, target: y}
  - id: lone_class
    data.split: {data: lone.csv, stratify: y}
`

type output struct {
	Train    string                         `json:"train"`
	Test     string                         `json:"test"`
	Folds    []struct{ Train, Test string } `json:"folds"`
	Rows     map[string]int                 `json:"rows"`
	Target   string                         `json:"target"`
	Datasets map[string]struct {
		Rows int    `json:"rows"`
		Hash string `json:"hash"`
	} `json:"datasets"`
}

// ids reads a data set a step wrote and returns its id column and its species counts.
func ids(t *testing.T, uri string) ([]int, map[string]int) {
	t.Helper()
	f, err := frame.Open(context.Background(), uri, frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.Column("id")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	counts := map[string]int{}
	sp, _ := f.Column("species")
	for i := 0; i < f.NumRows(); i++ {
		out = append(out, int(id.Int(i)))
		if sp != nil {
			counts[sp.Str(i)]++
		}
	}
	return out, counts
}

func TestDataSplit(t *testing.T) {
	t.Parallel()
	dir := steptest.Files(t, map[string]string{"splits.yaml": splits, "flowers.csv": flowers(), "empty.csv": "id,y\n",
		"holes.csv": "x,y\n1,a\n2,\n3,b\n", "lone.csv": "x,y\n1,a\n2,a\n3,b\n4,a\n"})
	run := steptest.RunDAG(t, dir, "splits")

	var strat output
	run.Output(t, "strat", &strat)
	if strat.Rows["train"] != 15 || strat.Rows["test"] != 5 || strat.Target != "species" || len(strat.Folds) != 3 {
		t.Fatalf("strat: %+v", strat)
	}
	train, trainCounts := ids(t, strat.Train)
	test, testCounts := ids(t, strat.Test)
	// Stratified: each class gives round(0.25·count) rows to the test set.
	if testCounts["a"] != 3 || testCounts["b"] != 2 || trainCounts["a"] != 9 || trainCounts["b"] != 6 {
		t.Errorf("class counts: train %v, test %v", trainCounts, testCounts)
	}
	if got := slices.Sorted(slices.Values(append(slices.Clone(train), test...))); !slices.Equal(got, seq(0, 20)) {
		t.Errorf("train and test do not partition the rows: %v + %v", train, test)
	}
	if !slices.IsSorted(train) || !slices.IsSorted(test) {
		t.Errorf("subsets lost the original row order: %v %v", train, test)
	}
	// The folds partition the training set, the test set held out.
	var foldTests []int
	for i, fd := range strat.Folds {
		ftr, _ := ids(t, fd.Train)
		fte, c := ids(t, fd.Test)
		if len(ftr)+len(fte) != 15 || c["a"] != 3 || c["b"] != 2 {
			t.Errorf("fold %d: train %v test %v (classes %v)", i+1, ftr, fte, c)
		}
		foldTests = append(foldTests, fte...)
		for _, r := range append(ftr, fte...) {
			if slices.Contains(test, r) {
				t.Errorf("fold %d holds test row %d", i+1, r)
			}
		}
	}
	if slices.Sort(foldTests); !slices.Equal(foldTests, train) {
		t.Errorf("fold test parts %v are not the training rows %v", foldTests, train)
	}
	if d := strat.Datasets["fold2.test"]; d.Rows != 5 || !strings.HasPrefix(d.Hash, "sha256:") {
		t.Errorf("datasets: %+v", strat.Datasets)
	}
	log := run.Log(t, "strat")
	for _, want := range []string{"stratified by species", "species=a", "test                5          3          2", "fold3.test"} {
		if !strings.Contains(log, want) {
			t.Errorf("strat's log lacks %q:\n%s", want, log)
		}
	}

	// Seeded: the same seed gives the same rows, another seed others.
	var again, other output
	run.Output(t, "again", &again)
	run.Output(t, "other_seed", &other)
	if again.Datasets["test"].Hash != strat.Datasets["test"].Hash {
		t.Errorf("the same seed gave another test set")
	}
	if other.Datasets["test"].Hash == strat.Datasets["test"].Hash {
		t.Errorf("seed 8 gave seed 7's test set")
	}

	// Unshuffled: the last rows are the test set, and the folds are scikit-learn's
	// KFold(n_splits=4) of the 16 training rows: [0-3], [4-7], [8-11], [12-15].
	var plain output
	run.Output(t, "plain", &plain)
	if got, _ := ids(t, plain.Test); !slices.Equal(got, seq(16, 20)) {
		t.Errorf("unshuffled test set %v", got)
	}
	for i, fd := range plain.Folds {
		if got, _ := ids(t, fd.Test); !slices.Equal(got, seq(4*i, 4*i+4)) {
			t.Errorf("unshuffled fold %d: %v", i+1, got)
		}
	}
	var folds output
	run.Output(t, "folds_only", &folds)
	if folds.Test != "" || folds.Rows["train"] != 20 || len(folds.Folds) != 5 || folds.Datasets["fold1.test"].Rows != 4 {
		t.Errorf("folds only: %+v", folds)
	}

	for id, want := range map[string]string{
		"missing_column": `data.split: target: column "weight": no such column (have id, x, species)`,
		"empty":          "data.split: data empty.csv has no rows: there is nothing to split",
		"missing_label":  `data.split: target: column "y" has 1 missing values of 3 rows`,
		"lone_class":     `data.split: stratify: column "y": class "b" has 1 row; stratifying needs at least 2 rows per class`,
	} {
		if msg := run.Failed(t, id); !strings.Contains(msg, want) {
			t.Errorf("%s: error %q lacks %q", id, msg, want)
		}
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestDataSplitLoadErrors(t *testing.T) {
	t.Parallel()
	msg := steptest.LoadError(t, "s.yaml", `dag_id: s
tasks:
  - id: a
    data.split: {data: x.csv, test_size: 1.5}
  - id: b
    data.split: {data: x.csv, test_size: 0}
  - id: c
    data.split: {data: x.csv, folds: 1, seed: -2}
  - id: d
    data.split: {data: x.csv, stratify: y, shuffle: false}
  - id: e
    data.split: {test_size: 0.2}
`)
	for _, want := range []string{
		"s.yaml:4:42: data.split.test_size: must be at least 0 and less than 1 (a share of the rows), got 1.5",
		"s.yaml:6:42: data.split.test_size: 0 makes no test set: set folds",
		"s.yaml:8:38: data.split.folds: must be 2 or more (or 0 for no folds), got 1",
		"data.split.seed: must not be negative, got -2",
		"s.yaml:10:41: data.split.stratify: stratified splits shuffle",
		"s.yaml:12:17: data.split.data: missing: the data set to split",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("load error lacks %q:\n%s", want, msg)
		}
	}
}
